"""The sweep: once a minute, record breaches (of kite clocks, evaluations and appeals), warn
before deadlines, escalate alerts that nobody acknowledged, bring scheduling requirements up
to date (every ten minutes), and write a heartbeat that the staff pages watch."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from kiteline.audit.recording import record_event
from kiteline.care.services import record_overdue_appeals, warn_appeals
from kiteline.kites.models import Alert, Clock, Heartbeat
from kiteline.kites.services import (
    BACKUP_LEVEL,
    ON_CALL_LEVEL,
    SUPERVISOR_LEVEL,
    alert_window,
    record_breach,
)
from kiteline.kites.standards import on_call_now
from kiteline.scheduling.requirement_services import refresh_due_requirements
from kiteline.screening.evaluation_services import record_overdue_evaluations

HEARTBEAT = "sweep"
# A clock this close to its deadline shows as "about to breach" in the triage queue.
WARN_BEFORE = timedelta(hours=2)
# Staff pages turn red when the sweep has not beaten for this long.
STALE_AFTER = timedelta(minutes=3)


@dataclass(frozen=True)
class SweepResult:
    breaches: int
    warnings: int
    escalations: int
    requirements_refreshed: int = 0  # facilities whose scheduling requirements were refreshed


def sweep(now: datetime) -> SweepResult:
    breaches = 0
    overdue = Clock.objects.filter(met_at__isnull=True, due_at__lt=now, breach__isnull=True)
    for clock in overdue.select_related("kite__facility", "kite__person"):
        with transaction.atomic():
            record_breach(clock)
            breaches += 1
    breaches += record_overdue_evaluations(now)
    breaches += record_overdue_appeals(now)
    warnings = Clock.objects.filter(
        met_at__isnull=True, warned_at__isnull=True, due_at__gte=now, due_at__lt=now + WARN_BEFORE
    ).update(warned_at=now)
    warnings += warn_appeals(now, WARN_BEFORE)
    escalations = 0
    unanswered = Alert.objects.filter(
        acknowledged_at__isnull=True, escalated_at__isnull=True, ack_due_at__lt=now
    ).select_related("kite__facility", "kite__person", "kite__standard")
    for alert in unanswered:
        with transaction.atomic():
            escalate(alert, now)
            escalations += 1
    refreshed = refresh_due_requirements(now)
    Heartbeat.objects.update_or_create(name=HEARTBEAT, defaults={"beat_at": now})
    return SweepResult(
        breaches=breaches,
        warnings=warnings,
        escalations=escalations,
        requirements_refreshed=refreshed,
    )


def escalate(alert: Alert, now: datetime) -> Alert:
    """On call → backup → supervisors, and the supervisors again each window, until someone
    acknowledges."""
    # Re-read under lock, keeping the joins the alert's kite and facility need.
    alert = (
        Alert.objects.select_for_update(of=("self",))
        .select_related("facility", "kite__person", "kite__standard")
        .get(pk=alert.pk)
    )
    if alert.acknowledged_at is not None or alert.escalated_at is not None:
        return alert
    shift = on_call_now(alert.facility, now)
    if alert.level == ON_CALL_LEVEL and shift is not None and shift.backup is not None:
        level, recipient = BACKUP_LEVEL, shift.backup
    else:
        level, recipient = SUPERVISOR_LEVEL, None
    window = alert_window(alert.kite)
    alert.escalated_at = now
    alert.save(update_fields=["escalated_at"])
    next_alert = Alert.objects.create(
        kite=alert.kite,
        facility=alert.facility,
        level=level,
        recipient=recipient,
        created_at=now,
        ack_due_at=now + window,
    )
    record_event(
        actor=None,
        action="alert.escalate",
        facility=alert.facility,
        person=alert.kite.person,
        subjects=[f"kite:{alert.kite_id}", f"alert:{next_alert.pk}"],
        detail={"from_level": alert.level, "to_level": level},
    )
    return next_alert


def heartbeat_is_stale(now: datetime) -> bool:
    beat = Heartbeat.objects.filter(name=HEARTBEAT).values_list("beat_at", flat=True).first()
    return beat is None or now - beat > STALE_AFTER
