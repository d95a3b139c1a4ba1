"""The figures of required contacts: what became of the mandatory contacts, and the shortfall
in clinician-hours that published schedules reported. docs/reports.md defines each."""

from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncDate

from kiteline.reports.figures_core import CountTable, Scope, count_table, in_period, rows_of
from kiteline.scheduling.models import (
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    Requirement,
    RunStatus,
    ScheduleRun,
)

NEVER_SCHEDULED = "never scheduled before due"
OUTCOMES = {
    AppointmentOutcome.ATTENDED: "attended",
    AppointmentOutcome.REFUSED: "refused by the resident",
    AppointmentOutcome.CANCELLED_CUSTODY: "cancelled by custody",
    AppointmentOutcome.CANCELLED_CLINICIAN: "cancelled by the clinician",
}
CONTACT_COLUMNS = (*OUTCOMES.values(), NEVER_SCHEDULED)


def required_contacts(scope: Scope) -> CountTable:
    """Mandatory contacts by what became of them: the published appointments of the period
    by outcome, and the requirements due in the period (and past) missed before their due
    date. Two GROUP BY queries, one for each."""
    held = count_table(
        "required_contacts",
        "Required contacts: held, refused, cancelled by custody or by the clinician, or never "
        "scheduled",
        scope,
        Appointment.objects.filter(
            status=AppointmentStatus.PUBLISHED, requirement__mandatory=True
        ).exclude(outcome=""),
        facility="facility",
        booking="requirement__booking",
        moment="date",
        category=Case(
            *(When(outcome=value, then=Value(text)) for value, text in OUTCOMES.items()),
            output_field=CharField(),
        ),
        columns=CONTACT_COLUMNS,
        dated=True,
    )
    never = count_table(
        "never",
        "",
        scope,
        missed_requirements(scope),
        facility="facility",
        booking="booking",
        moment="due",
        category=Value(NEVER_SCHEDULED, output_field=CharField()),
        columns=(NEVER_SCHEDULED,),
        dated=True,
    )
    counts = {**held.counts, **never.counts}
    return replace(held, rows=rows_of(scope, {r for r, _ in counts}), counts=counts)


def missed_requirements(scope: Scope) -> QuerySet[Requirement]:
    """Mandatory requirements whose due day has ended while they were still open (opened on
    or before it, and not closed until a later day: a requirement closed by a release, a
    transfer or as no longer needed before then was not missed, and a transfer's copy
    opened at the receiving facility after the day is the sending facility's miss), with
    no published appointment dated on or before the due date."""
    zone = ZoneInfo(scope.zone)
    scheduled_in_time = Appointment.objects.filter(
        requirement=OuterRef("pk"), status=AppointmentStatus.PUBLISHED, date__lte=OuterRef("due")
    )
    return (
        Requirement.objects.filter(mandatory=True, due__lt=scope.today)
        .annotate(
            opened_on=TruncDate("opened_at", tzinfo=zone),
            closed_on=TruncDate("closed_at", tzinfo=zone),
        )
        .filter(Q(opened_on__lte=F("due")))
        .filter(Q(closed_at__isnull=True) | Q(closed_on__gt=F("due")))
        .exclude(Exists(scheduled_in_time))
    )


@dataclass(frozen=True)
class ShortfallLine:
    facility: str
    schedule: str
    week: str
    session_type: str
    requirements: int
    hours: float


def shortfall(scope: Scope) -> tuple[ShortfallLine, ...]:
    """The unmet need that published schedules starting in the period reported, in
    clinician-hours by week and session type (the latest schedule for each week wins)."""
    runs = in_period(
        ScheduleRun.objects.filter(status=RunStatus.PUBLISHED),
        scope,
        moment="start",
        facility="facility",
        dated=True,
    ).select_related("facility")
    latest: dict[tuple[str, str, str], ShortfallLine] = {}
    for run in runs.order_by("published_at"):
        for line in run.report.get("shortfall", []):
            key = (run.facility.code, line["week"], line["session_type"])
            latest[key] = ShortfallLine(
                facility=run.facility.code,
                schedule=run.number,
                week=line["week"],
                session_type=line["session_type"],
                requirements=line["requirements"],
                hours=round(line["minutes"] / 60, 1),
            )
    return tuple(latest[key] for key in sorted(latest))
