"""The facility's timeliness standard and on-call rota, as the services need them."""

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Facility
from kiteline.kites import clocks
from kiteline.kites.clocks import NCCHC_DEFAULTS
from kiteline.kites.models import FacilityStandard, OnCallShift


class StandardError(ValueError):
    """A standard or rota change that cannot be made, with the reason in plain words."""


def current_standard(facility: Facility) -> FacilityStandard | None:
    return facility.standards.order_by("-version").first()


def settings_in_force(facility: Facility) -> tuple[dict[str, int], list[date]]:
    """The figures and holidays of the facility's standard in force: the NCCHC defaults and
    no holidays before any version is published."""
    standard = current_standard(facility)
    holidays = [] if standard is None else [date.fromisoformat(d) for d in standard.holidays]
    return {**NCCHC_DEFAULTS, **_fields(standard)}, holidays


def clock_standard(facility: Facility, standard: FacilityStandard | None) -> clocks.Standard:
    """The pure core's view of a standard; the built-in NCCHC defaults when none is given."""
    values = (
        NCCHC_DEFAULTS if standard is None else {k: getattr(standard, k) for k in NCCHC_DEFAULTS}
    )
    holidays = () if standard is None else standard.holidays
    return clocks.Standard(
        triage_hours=values["triage_hours"],
        face_to_face_hours=values["face_to_face_hours"],
        face_to_face_weekend_hours=values["face_to_face_weekend_hours"],
        urgent_hours=values["urgent_hours"],
        emergent_minutes=values["emergent_minutes"],
        holidays=frozenset(date.fromisoformat(day) for day in holidays),
        time_zone=facility.time_zone,
    )


@transaction.atomic
def publish_standard(
    *, actor: User, facility: Facility, holidays: list[date] | None = None, **hours: int
) -> FacilityStandard:
    """Publish a new version of the facility's standard under the supervisor's name. Earlier
    versions stay as they were: every kite names the one that set its deadlines (I5).

    Whatever is not given is carried forward from the version in force: each figure left
    out, and the holidays when `holidays` is None. An empty list clears the holidays."""
    if not actor.is_staff_member or actor.role != Role.SUPERVISOR:
        raise StandardError("Only a supervisor publishes the facility's standard.")
    if not actor.facilities.filter(pk=facility.pk).exists():
        raise StandardError(f"You are not a supervisor at {facility}.")
    unknown = set(hours) - set(NCCHC_DEFAULTS)
    if unknown:
        raise StandardError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    latest = current_standard(facility)
    values = {**NCCHC_DEFAULTS, **_fields(latest), **hours}
    if holidays is None:
        holidays = [] if latest is None else [date.fromisoformat(d) for d in latest.holidays]
    if values["alert_ack_minutes"] <= 0:
        raise StandardError("Every deadline must be longer than zero.")
    try:
        # The pure core holds the rules a standard must keep (tiers in order, and so on).
        clocks.Standard(
            time_zone=facility.time_zone,
            holidays=frozenset(holidays),
            **{key: value for key, value in values.items() if key != "alert_ack_minutes"},
        )
    except ValueError as error:
        raise StandardError(str(error)) from error
    standard = FacilityStandard.objects.create(
        facility=facility,
        version=1 if latest is None else latest.version + 1,
        holidays=sorted(day.isoformat() for day in holidays),
        published_by=actor,
        published_at=timezone.now(),
        **values,
    )
    record_event(
        actor=actor,
        action="standard.publish",
        facility=facility,
        subjects=[f"standard:{standard.pk}"],
        detail={"version": standard.version, **values},
    )
    return standard


def _fields(standard: FacilityStandard | None) -> dict[str, int]:
    return {} if standard is None else {k: getattr(standard, k) for k in NCCHC_DEFAULTS}


def on_call_now(facility: Facility, at: datetime) -> OnCallShift | None:
    return (
        OnCallShift.objects.select_related("clinician", "backup")
        .filter(facility=facility, starts_at__lte=at, ends_at__gt=at)
        .order_by("-starts_at")
        .first()
    )


@transaction.atomic
def schedule_on_call(
    *,
    actor: User,
    facility: Facility,
    clinician: User,
    starts_at: datetime,
    ends_at: datetime,
    backup: User | None = None,
) -> OnCallShift:
    if not actor.is_staff_member or actor.role != Role.SUPERVISOR:
        raise StandardError("Only a supervisor keeps the on-call rota.")
    for person in (actor, clinician, *([backup] if backup else [])):
        if not person.facilities.filter(pk=facility.pk).exists():
            raise StandardError(f"{person.username} does not work at {facility}.")
    for person in (clinician, *([backup] if backup else [])):
        if person.role != Role.CLINICIAN or not person.is_active:
            raise StandardError(f"{person.username} is not an active clinician.")
    if backup is not None and backup.pk == clinician.pk:
        raise StandardError("The backup must be another clinician.")
    if ends_at <= starts_at:
        raise StandardError("A shift ends after it starts.")
    shift = OnCallShift.objects.create(
        facility=facility,
        clinician=clinician,
        backup=backup,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor,
    )
    record_event(
        actor=actor,
        action="oncall.schedule",
        facility=facility,
        subjects=[f"shift:{shift.pk}", f"user:{clinician.pk}"],
    )
    return shift
