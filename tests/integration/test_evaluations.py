"""Evaluations and the E-05 screening a stay is owed: deadlines from the kites clock core,
breaches no later action erases (I5), and every write audited without clinical values (I7)."""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import (
    PersonDetails,
    book_person,
    release_person,
    transfer_person,
)
from kiteline.kites.clocks import Urgency
from kiteline.kites.standards import schedule_on_call
from kiteline.kites.sweep import sweep
from kiteline.screening.evaluation_services import EvaluationError, complete_evaluation
from kiteline.screening.models import (
    RECEIVING_SCREEN,
    Administration,
    Evaluation,
    EvaluationBreach,
    EvaluationKind,
    EvaluationReason,
)
from kiteline.screening.services import (
    assign_self_screen,
    instruments,
    record_answer,
    start_administration,
    submit_receiving_screen,
    submit_screen,
)

CHICAGO = ZoneInfo("America/Chicago")


def staff(role: Role, facility: Facility, name: str) -> User:
    user = User.objects.create_user(username=name, role=role)
    user.facilities.add(facility)
    return user


def book(unit: HousingUnit, booked_at: datetime, number: str = "1") -> Booking:
    return book_person(
        actor=None,
        details=PersonDetails(
            resident_number=f"R000000{number}",
            given_name="Alder",
            family_name="Testfield",
            date_of_birth=date(1990, 1, 1),
        ),
        housing_unit=unit,
        booked_at=booked_at,
        booking_number=f"B{number}",
    )


@pytest.fixture
def booking(unit_a: HousingUnit) -> Booking:
    return book(unit_a, timezone.now() - timedelta(days=1))


@pytest.fixture
def clinician(facility: Facility) -> User:
    return staff(Role.CLINICIAN, facility, "test-clinician")


@pytest.fixture
def resident(booking: Booking) -> User:
    return User.objects.create_user(
        username="resident-R0000001", role=Role.RESIDENT, person=booking.person
    )


def e05(booking: Booking) -> Evaluation:
    return Evaluation.objects.get(booking=booking, kind=EvaluationKind.SCREENING)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=CHICAGO)


def give_phq9(actor: User, booking: Booking, values: int = 1) -> Administration:
    screening = start_administration(actor=actor, person=booking.person, instrument="phq9-v1")
    for n in range(1, 10):
        record_answer(
            actor=actor, administration=screening, item=f"q{n}", value=0 if n == 9 else values
        )
    return screening


def give_receiving_screen(nurse: User, booking: Booking, yes: tuple[str, ...]) -> Administration:
    screening = start_administration(
        actor=nurse, person=booking.person, instrument=RECEIVING_SCREEN
    )
    for n in range(1, 9):
        record_answer(
            actor=nurse, administration=screening, item=f"q{n}", value=int(f"q{n}" in yes)
        )
    return screening


def overdue(evaluation: Evaluation, by: timedelta = timedelta(hours=1)) -> Evaluation:
    """Let the deadline pass, as if the clock had run on."""
    Evaluation.objects.filter(pk=evaluation.pk).update(due_at=timezone.now() - by)
    evaluation.refresh_from_db()
    return evaluation


# --- the E-05 screening within 14 days of booking ------------------------------------------


def test_booking_opens_one_screening_due_at_the_last_instant_of_local_day_14(
    unit_a: HousingUnit,
) -> None:
    # 23:30 in Chicago is already the next day in UTC: the facility's calendar must count.
    booked_on = timezone.now().astimezone(CHICAGO).date() - timedelta(days=3)
    booked_at = datetime.combine(booked_on, time(23, 30), tzinfo=CHICAGO)
    booking = book(unit_a, booked_at)
    (duty,) = Evaluation.objects.filter(booking=booking)
    assert (duty.kind, duty.reason, duty.urgency) == (
        EvaluationKind.SCREENING,
        EvaluationReason.BOOKING,
        "",
    )
    assert (duty.person, duty.facility) == (booking.person, booking.facility)
    # Booking day is day one, so day 14 is 13 days later and ends just before midnight.
    day_15 = booked_on + timedelta(days=14)
    assert duty.due_at == local_midnight(day_15) - timedelta(microseconds=1)
    assert duty.due_at.astimezone(CHICAGO).date() == booked_on + timedelta(days=13)
    assert duty.is_open


def test_a_booking_entered_on_its_day_14_still_owes_the_screening(unit_a: HousingUnit) -> None:
    today = timezone.now().astimezone(CHICAGO).date()
    booking = book(unit_a, local_midnight(today - timedelta(days=13)) + timedelta(minutes=5))
    assert e05(booking).due_at.astimezone(CHICAGO).date() == today


def test_a_booking_whose_day_14_has_passed_when_it_is_entered_owes_no_screening(
    unit_a: HousingUnit,
) -> None:
    today = timezone.now().astimezone(CHICAGO).date()
    booking = book(unit_a, local_midnight(today - timedelta(days=14)) + timedelta(minutes=5))
    assert not Evaluation.objects.filter(booking=booking).exists()
    # No screening means no breach invented for it either.
    assert sweep(timezone.now() + timedelta(days=30)).breaches == 0


def test_a_complete_phq9_meets_the_screening(nurse: User, booking: Booking) -> None:
    screening = give_phq9(nurse, booking)
    submit_screen(actor=nurse, administration=screening)
    duty = e05(booking)
    screening.refresh_from_db()
    assert duty.done_with == screening
    assert (duty.done_at, duty.done_by) == (screening.submitted_at, nurse)
    assert not duty.is_open
    assert not EvaluationBreach.objects.exists()


def test_a_residents_self_screen_does_not_meet_the_screening_health_staff_owe(
    clinician: User, booking: Booking, resident: User
) -> None:
    screen = assign_self_screen(actor=clinician, person=booking.person, instrument="gad7-v1")
    for n in range(1, 8):
        record_answer(actor=resident, administration=screen, item=f"q{n}", value=0)
    submit_screen(actor=resident, administration=screen)
    assert e05(booking).is_open
    assert e05(booking).done_with is None


def test_a_complete_receiving_screen_does_not_meet_the_screening(
    nurse: User, booking: Booking
) -> None:
    screening = give_receiving_screen(nurse, booking, ("q1", "q2"))
    submit_receiving_screen(actor=nurse, administration=screening, urgency=Urgency.ROUTINE)
    duty = e05(booking)
    assert duty.is_open
    assert duty.done_with is None


def test_a_screen_ended_early_does_not_meet_the_screening(nurse: User, booking: Booking) -> None:
    screening = start_administration(actor=nurse, person=booking.person, instrument="phq9-v1")
    record_answer(actor=nurse, administration=screening, item="q1", value=2)
    submit_screen(actor=nurse, administration=screening, incomplete_reason="Court call.")
    assert e05(booking).is_open


def test_the_sweep_records_an_overdue_screening_once_and_completing_it_does_not_erase_it(
    clinician: User, booking: Booking
) -> None:
    duty = e05(booking)
    assert sweep(duty.due_at).breaches == 0  # met exactly at the deadline is on time
    after = duty.due_at + timedelta(seconds=1)
    assert sweep(after).breaches == 1
    assert sweep(after + timedelta(minutes=1)).breaches == 0
    complete_evaluation(actor=clinician, evaluation=duty, note="Seen on the unit.")
    (breach,) = EvaluationBreach.objects.all()
    assert (breach.evaluation, breach.facility, breach.breached_at) == (
        duty,
        booking.facility,
        duty.due_at,
    )
    duty.refresh_from_db()
    assert duty.done_at is not None
    assert duty.done_note == "Seen on the unit."
    assert sweep(after + timedelta(days=1)).breaches == 0


def test_a_screening_done_late_records_its_breach_when_it_is_done(
    nurse: User, booking: Booking
) -> None:
    duty = overdue(e05(booking))
    screening = give_phq9(nurse, booking)
    submit_screen(actor=nurse, administration=screening)
    (breach,) = EvaluationBreach.objects.all()
    assert (breach.evaluation, breach.breached_at) == (duty, duty.due_at)
    assert AuditEvent.objects.filter(action="evaluation.breach").count() == 1


def test_an_evaluation_done_late_records_its_breach_when_it_is_done(
    nurse: User, booking: Booking
) -> None:
    give = give_receiving_screen(nurse, booking, ("q7",))
    submit_receiving_screen(actor=nurse, administration=give, urgency=Urgency.URGENT)
    check = overdue(Evaluation.objects.get(kind=EvaluationKind.MEDICATION_CHECK))
    on_time = Evaluation.objects.get(kind=EvaluationKind.EVALUATION)
    complete_evaluation(actor=nurse, evaluation=check)
    assert EvaluationBreach.objects.get().evaluation == check
    complete_evaluation(actor=staff(Role.CLINICIAN, booking.facility, "c2"), evaluation=on_time)
    assert EvaluationBreach.objects.count() == 1


def test_a_transfer_before_the_deadline_takes_the_screening_to_the_receiving_facility(
    booking: Booking, south_unit: HousingUnit
) -> None:
    transfer_person(actor=None, booking=booking, to_unit=south_unit, at=timezone.now())
    duty = e05(booking)
    assert duty.facility == south_unit.facility
    assert not EvaluationBreach.objects.exists()
    event = AuditEvent.objects.get(action="evaluation.transfer")
    assert (event.chain, event.subjects) == ("south", [f"evaluation:{duty.pk}"])
    # Its breach, if any, is now the receiving facility's.
    sweep(duty.due_at + timedelta(seconds=1))
    assert EvaluationBreach.objects.get().facility == south_unit.facility


def test_a_deadline_passed_before_a_transfer_is_the_sending_facilitys_breach(
    booking: Booking, south_unit: HousingUnit, facility: Facility
) -> None:
    duty = overdue(e05(booking))
    transfer_person(actor=None, booking=booking, to_unit=south_unit, at=timezone.now())
    (breach,) = EvaluationBreach.objects.all()
    assert (breach.evaluation, breach.facility) == (duty, facility)
    duty.refresh_from_db()
    # Still owed, now by the receiving facility; the breach stays with the sender.
    assert duty.is_open
    assert duty.facility == south_unit.facility
    assert sweep(timezone.now()).breaches == 0


def test_a_release_closes_open_evaluations_and_keeps_their_breaches(
    nurse: User, booking: Booking, facility: Facility
) -> None:
    screening = give_receiving_screen(nurse, booking, ("q8",))
    submit_receiving_screen(actor=nurse, administration=screening, urgency=Urgency.ROUTINE)
    late = overdue(e05(booking))
    sweep(timezone.now())
    release_person(actor=None, booking=booking, at=timezone.now())
    for evaluation in Evaluation.objects.filter(booking=booking):
        assert evaluation.closed_at is not None
        assert evaluation.done_at is None
        assert not evaluation.is_open
    (breach,) = EvaluationBreach.objects.all()
    assert (breach.evaluation, breach.facility) == (late, facility)
    assert sweep(timezone.now() + timedelta(days=30)).breaches == 0
    assert AuditEvent.objects.filter(action="evaluation.close").count() == 2


def test_a_release_records_a_breach_not_yet_swept(booking: Booking) -> None:
    late = overdue(e05(booking))
    release_person(actor=None, booking=booking, at=timezone.now())
    assert EvaluationBreach.objects.get().evaluation == late


# --- recording an evaluation as done ---------------------------------------------------------


@pytest.fixture
def owed(nurse: User, booking: Booking) -> dict[str, Evaluation]:
    """The stay's screening, and the evaluation and medication check a positive receiving
    screen with current medication opened."""
    screening = give_receiving_screen(nurse, booking, ("q7",))
    submit_receiving_screen(actor=nurse, administration=screening, urgency=Urgency.URGENT)
    return {e.kind: e for e in Evaluation.objects.filter(booking=booking)}


@pytest.mark.parametrize(
    ("kind", "role", "allowed"),
    [
        (EvaluationKind.MEDICATION_CHECK, Role.NURSE, True),
        (EvaluationKind.MEDICATION_CHECK, Role.CLINICIAN, True),
        (EvaluationKind.MEDICATION_CHECK, Role.SUPERVISOR, False),
        (EvaluationKind.MEDICATION_CHECK, Role.CUSTODY, False),
        (EvaluationKind.EVALUATION, Role.CLINICIAN, True),
        (EvaluationKind.EVALUATION, Role.NURSE, False),
        (EvaluationKind.EVALUATION, Role.SUPERVISOR, False),
        (EvaluationKind.SCREENING, Role.CLINICIAN, True),
        (EvaluationKind.SCREENING, Role.NURSE, False),
        (EvaluationKind.SCREENING, Role.AUDITOR, False),
    ],
)
def test_who_may_record_an_evaluation_as_done_depends_on_its_kind(
    owed: dict[str, Evaluation], facility: Facility, kind: str, role: Role, allowed: bool
) -> None:
    actor = staff(role, facility, f"a-{role}")
    evaluation = owed[kind]
    if allowed:
        done = complete_evaluation(actor=actor, evaluation=evaluation, note=" ok ")
        assert (done.done_by, done.done_note) == (actor, "ok")
        assert done.done_at is not None
    else:
        with pytest.raises(EvaluationError, match="Your role cannot"):
            complete_evaluation(actor=actor, evaluation=evaluation)
        evaluation.refresh_from_db()
        assert evaluation.is_open


def test_a_resident_cannot_record_an_evaluation_as_done(
    owed: dict[str, Evaluation], resident: User
) -> None:
    with pytest.raises(EvaluationError, match="Your role cannot"):
        complete_evaluation(actor=resident, evaluation=owed[EvaluationKind.SCREENING])


def test_only_staff_of_the_evaluations_facility_record_it_as_done(
    owed: dict[str, Evaluation], other_facility: Facility, south_unit: HousingUnit
) -> None:
    south_clinician = staff(Role.CLINICIAN, other_facility, "south-clinician")
    with pytest.raises(EvaluationError, match="not at your facilities"):
        complete_evaluation(actor=south_clinician, evaluation=owed[EvaluationKind.EVALUATION])
    # Once the resident is transferred there, it is theirs to do.
    booking = owed[EvaluationKind.EVALUATION].booking
    transfer_person(actor=None, booking=booking, to_unit=south_unit, at=timezone.now())
    done = complete_evaluation(actor=south_clinician, evaluation=owed[EvaluationKind.EVALUATION])
    assert done.done_by == south_clinician


def test_an_evaluation_is_not_recorded_as_done_twice(
    owed: dict[str, Evaluation], clinician: User
) -> None:
    evaluation = owed[EvaluationKind.EVALUATION]
    first = complete_evaluation(actor=clinician, evaluation=evaluation, note="first")
    with pytest.raises(EvaluationError, match="no longer open"):
        complete_evaluation(actor=clinician, evaluation=evaluation, note="second")
    evaluation.refresh_from_db()
    assert (evaluation.done_at, evaluation.done_note) == (first.done_at, "first")
    assert AuditEvent.objects.filter(action="evaluation.done").count() == 1


def test_an_evaluation_closed_by_release_is_not_recorded_as_done(
    owed: dict[str, Evaluation], clinician: User, booking: Booking
) -> None:
    release_person(actor=None, booking=booking, at=timezone.now())
    with pytest.raises(EvaluationError, match="no longer open"):
        complete_evaluation(actor=clinician, evaluation=owed[EvaluationKind.EVALUATION])


# --- audit (I7) -------------------------------------------------------------------------------


def _strings(value: object) -> Iterator[str]:
    """Every key and string value in an audit detail, however nested."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)


def clinical_words() -> set[str]:
    """Values that would tell a reader of the log something about the person's health."""
    words = {*Urgency, *EvaluationKind.values, *EvaluationReason.values}
    for definition in instruments().values():
        words |= {band.id for band in definition.bands}
        words |= {rule.id for rule in definition.rules}
        words |= {rule.action for rule in definition.rules}
    return words | {"positive", "negative", "answers", "value", "total", "band", "flags"}


def test_booking_audits_the_screening_it_opens(booking: Booking) -> None:
    duty = e05(booking)
    event = AuditEvent.objects.get(action="evaluation.open")
    assert f"evaluation:{duty.pk}" in event.subjects
    assert (event.chain, event.person_id) == ("north", booking.person_id)


def test_a_seeded_roster_audits_every_screening_it_opens_in_few_events(db: None) -> None:
    call_command("seed", "--residents", "60", "--seed", "3", stdout=StringIO())
    duties = Evaluation.objects.filter(kind=EvaluationKind.SCREENING)
    assert duties.count() > 1
    events = AuditEvent.objects.filter(action="evaluation.open")
    named = [subject for event in events for subject in event.subjects]
    assert sorted(named) == sorted(f"evaluation:{pk}" for pk in duties.values_list("pk", flat=True))
    # One event per facility for a roster this size, naming no single person.
    assert events.count() == len({duty.facility_id for duty in duties})
    assert all(event.person_id is None for event in events if len(event.subjects) > 1)


def test_every_screening_and_evaluation_write_is_audited_without_clinical_values(
    nurse: User,
    clinician: User,
    booking: Booking,
    resident: User,
    facility: Facility,
    south_unit: HousingUnit,
) -> None:
    schedule_on_call(
        actor=staff(Role.SUPERVISOR, facility, "boss"),
        facility=facility,
        clinician=clinician,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=8),
    )
    receiving = give_receiving_screen(nurse, booking, ("q1", "q2", "q7"))
    submit_receiving_screen(
        actor=nurse,
        administration=receiving,
        urgency=Urgency.EMERGENT,
        discretion_reason="Agitated at intake.",
    )
    screen = assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    for n in range(1, 10):
        record_answer(actor=resident, administration=screen, item=f"q{n}", value=2)
    submit_screen(actor=resident, administration=screen)
    check = Evaluation.objects.get(kind=EvaluationKind.MEDICATION_CHECK)
    complete_evaluation(actor=nurse, evaluation=overdue(check), note="Verified with pharmacy.")
    evaluation = Evaluation.objects.get(administration=receiving, kind=EvaluationKind.EVALUATION)
    sweep(evaluation.due_at + timedelta(seconds=1))
    transfer_person(actor=None, booking=booking, to_unit=south_unit, at=timezone.now())
    release_person(actor=None, booking=booking, at=timezone.now())

    events = AuditEvent.objects.filter(action__regex=r"^(screening|evaluation)\.")
    actions = {event.action for event in events}
    assert actions == {
        "screening.start",
        "screening.answer",
        "screening.emergent",
        "screening.submit",
        "evaluation.open",
        "evaluation.done",
        "evaluation.breach",
        "evaluation.transfer",
        "evaluation.close",
    }
    # One event per answer saved: 8 for the receiving screen and 9 for the PHQ-9.
    assert events.filter(action="screening.answer").count() == 17
    # The stay's screening, the emergent evaluation and medication check at intake, and the
    # PHQ-9's safety evaluation (its total of 18 opens no second one while that is open).
    assert events.filter(action="evaluation.open").count() == 4
    forbidden = clinical_words()
    for event in events:
        assert event.person_id == booking.person_id
        found = set(_strings(event.detail)) & forbidden
        assert not found, f"{event.action} detail holds clinical values: {sorted(found)}"
    subjects = {subject for event in events for subject in event.subjects}
    assert f"screening:{receiving.pk}" in subjects
    assert f"screening:{screen.pk}" in subjects
    assert {f"evaluation:{e.pk}" for e in Evaluation.objects.all()} <= subjects
