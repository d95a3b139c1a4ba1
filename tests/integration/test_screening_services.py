"""Screening answers saved one by one, and safety rules that fire on the answer (I2)."""

import dataclasses
from datetime import date, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import (
    PersonDetails,
    book_person,
    rebook_person,
    release_person,
)
from kiteline.kites import clocks
from kiteline.kites.models import Alert, Channel, Kite, Urgency, WelfareCheck
from kiteline.kites.resident_selectors import own_kites
from kiteline.kites.standards import (
    clock_standard,
    current_standard,
    publish_standard,
    schedule_on_call,
)
from kiteline.screening.models import (
    RECEIVING_SCREEN,
    Administration,
    Answer,
    Evaluation,
    EvaluationKind,
    EvaluationReason,
    Mode,
)
from kiteline.screening.services import (
    SELF_SCREENS,
    ScreeningError,
    assign_self_screen,
    check_safety_rules,
    definition_of,
    instruments,
    record_answer,
    start_administration,
    submit_receiving_screen,
    submit_screen,
)


@pytest.fixture
def booking(unit_a: HousingUnit) -> Booking:
    return book_person(
        actor=None,
        details=PersonDetails(
            resident_number="R0000001",
            given_name="Alder",
            family_name="Testfield",
            date_of_birth=date(1990, 1, 1),
        ),
        housing_unit=unit_a,
        booked_at=timezone.now() - timedelta(days=1),
        booking_number="B1",
    )


def test_an_item_9_answer_raises_the_emergent_item_at_once_even_if_abandoned(
    nurse: User, booking: Booking
) -> None:
    screening = start_administration(actor=nurse, person=booking.person, instrument="phq9-v1")
    result = record_answer(actor=nurse, administration=screening, item="q9", value=1)
    # Nothing else was answered and nothing submitted: the answer alone is enough.
    assert not result.complete
    screening.refresh_from_db()
    kite = screening.safety_kite
    assert kite is not None
    assert (kite.channel, kite.urgency) == ("screening", Urgency.EMERGENT)
    assert Alert.objects.filter(kite=kite).exists()
    assert WelfareCheck.objects.filter(kite=kite).exists()


def test_a_second_safety_answer_raises_no_second_item(nurse: User, booking: Booking) -> None:
    screening = start_administration(actor=nurse, person=booking.person, instrument="phq9-v1")
    record_answer(actor=nurse, administration=screening, item="q9", value=1)
    record_answer(actor=nurse, administration=screening, item="q9", value=3)
    assert Kite.objects.count() == 1
    assert Answer.objects.get(item="q9", replaced_at__isnull=True).value == 3


def test_other_answers_raise_nothing_and_are_all_kept(nurse: User, booking: Booking) -> None:
    screening = start_administration(actor=nurse, person=booking.person, instrument="phq9-v1")
    for n in range(1, 9):
        record_answer(actor=nurse, administration=screening, item=f"q{n}", value=2)
    result = record_answer(actor=nurse, administration=screening, item="q9", value=0)
    assert result.complete
    assert result.total == 16
    assert not Kite.objects.exists()
    assert Answer.objects.filter(administration=screening).count() == 9


def test_a_c_ssrs_yes_to_intent_raises_the_emergent_item(nurse: User, booking: Booking) -> None:
    screening = start_administration(
        actor=nurse, person=booking.person, instrument="cssrs-screener-v1"
    )
    record_answer(actor=nurse, administration=screening, item="q2", value=1)
    record_answer(actor=nurse, administration=screening, item="q4", value=1)
    screening.refresh_from_db()
    assert screening.safety_kite is not None


def test_an_out_of_range_answer_is_refused_and_nothing_is_saved(
    nurse: User, booking: Booking
) -> None:
    screening = start_administration(actor=nurse, person=booking.person, instrument="phq9-v1")
    with pytest.raises(ScreeningError, match="q9"):
        record_answer(actor=nurse, administration=screening, item="q9", value=7)
    assert not Answer.objects.exists()
    assert not Kite.objects.exists()


def test_only_health_staff_of_the_facility_start_a_screening(
    booking: Booking, other_facility: Facility
) -> None:
    officer = User.objects.create_user(username="officer", role=Role.CUSTODY)
    officer.facilities.add(booking.facility)
    with pytest.raises(ScreeningError, match="health staff"):
        start_administration(actor=officer, person=booking.person, instrument="phq9-v1")
    stranger = User.objects.create_user(username="south-nurse", role=Role.NURSE)
    stranger.facilities.add(other_facility)
    with pytest.raises(ScreeningError, match="not held at your facilities"):
        start_administration(actor=stranger, person=booking.person, instrument="phq9-v1")


def test_each_answer_is_audited_by_item_name_never_by_value(nurse: User, booking: Booking) -> None:
    screening = start_administration(actor=nurse, person=booking.person, instrument="phq9-v1")
    record_answer(actor=nurse, administration=screening, item="q3", value=2)
    event = AuditEvent.objects.get(action="screening.answer")
    assert event.detail == {"fields": ["q3"]}


def test_the_safety_item_is_not_listed_among_the_residents_own_requests(
    nurse: User, booking: Booking
) -> None:
    screening = start_administration(actor=nurse, person=booking.person, instrument="phq9-v1")
    record_answer(actor=nurse, administration=screening, item="q9", value=2)
    resident = User.objects.create_user(username="r1", role=Role.RESIDENT, person=booking.person)
    assert Kite.objects.filter(person=booking.person).count() == 1
    assert list(own_kites(resident)) == []


# --- helpers -----------------------------------------------------------------------------


def staff(role: Role, facility: Facility, name: str) -> User:
    user = User.objects.create_user(username=name, role=role)
    user.facilities.add(facility)
    return user


@pytest.fixture
def clinician(facility: Facility) -> User:
    return staff(Role.CLINICIAN, facility, "test-clinician")


@pytest.fixture
def resident(booking: Booking) -> User:
    return User.objects.create_user(
        username="resident-R0000001", role=Role.RESIDENT, person=booking.person
    )


def referrals(booking: Booking) -> list[Evaluation]:
    """Everything a screen opened for the stay, leaving out the E-05 duty every stay owes."""
    return list(
        Evaluation.objects.filter(booking=booking)
        .exclude(kind=EvaluationKind.SCREENING)
        .order_by("kind")
    )


def receiving_screen(
    nurse: User,
    booking: Booking,
    yes: tuple[str, ...] = (),
    *,
    unanswered: tuple[str, ...] = (),
    language: str = "en",
    interpreter: bool = False,
) -> Administration:
    """A BJMHS given by the nurse, with `yes` answered yes and every other item no."""
    screening = start_administration(
        actor=nurse,
        person=booking.person,
        instrument=RECEIVING_SCREEN,
        language=language,
        interpreter=interpreter,
    )
    for n in range(1, 9):
        item = f"q{n}"
        if item not in unanswered:
            record_answer(actor=nurse, administration=screening, item=item, value=int(item in yes))
    return screening


def answer_phq9(actor: User, screening: Administration, total: int, q9: int = 0) -> None:
    """Answer all nine PHQ-9 items so that they add up to `total`."""
    left = total - q9
    for n in range(1, 9):
        value = min(3, left)
        left -= value
        record_answer(actor=actor, administration=screening, item=f"q{n}", value=value)
    assert left == 0
    record_answer(actor=actor, administration=screening, item="q9", value=q9)


# --- the receiving screen at booking -------------------------------------------------------


@pytest.mark.parametrize("yes", [("q1", "q6"), ("q2", "q3", "q5"), ("q7",), ("q8",)], ids=str)
def test_a_receiving_screen_is_positive_with_two_of_items_1_to_6_or_item_7_or_item_8(
    nurse: User, booking: Booking, yes: tuple[str, ...]
) -> None:
    screening = receiving_screen(nurse, booking, yes)
    submitted = submit_receiving_screen(
        actor=nurse, administration=screening, urgency=Urgency.ROUTINE
    )
    assert submitted.administration.flags == ["bjmhs-refer"]
    evaluation = Evaluation.objects.get(booking=booking, kind=EvaluationKind.EVALUATION)
    assert (evaluation.reason, evaluation.urgency) == (
        EvaluationReason.RECEIVING_SCREEN,
        Urgency.ROUTINE,
    )
    assert evaluation.administration == screening
    assert not evaluation.safety
    assert evaluation in submitted.referrals


@pytest.mark.parametrize("item", ["q1", "q2", "q3", "q4", "q5", "q6"])
def test_one_yes_among_items_1_to_6_alone_is_a_negative_screen_that_opens_nothing(
    nurse: User, booking: Booking, item: str
) -> None:
    screening = receiving_screen(nurse, booking, (item,))
    submitted = submit_receiving_screen(actor=nurse, administration=screening)
    assert submitted.result.complete
    assert submitted.administration.flags == []
    assert submitted.referrals == ()
    assert referrals(booking) == []


def test_a_negative_screen_referred_at_the_screeners_discretion_keeps_the_reason(
    nurse: User, booking: Booking
) -> None:
    screening = receiving_screen(nurse, booking)
    submit_receiving_screen(
        actor=nurse,
        administration=screening,
        urgency=Urgency.URGENT,
        discretion_reason="  Tearful and would not make eye contact.  ",
    )
    (evaluation,) = referrals(booking)
    assert evaluation.kind == EvaluationKind.EVALUATION
    assert (evaluation.reason, evaluation.urgency) == (EvaluationReason.DISCRETION, "urgent")
    assert evaluation.discretion_reason == "Tearful and would not make eye contact."


def test_a_negative_screen_with_an_urgency_but_no_reason_is_refused_and_nothing_is_kept(
    nurse: User, booking: Booking
) -> None:
    screening = receiving_screen(nurse, booking, ("q4",))
    with pytest.raises(ScreeningError, match="give a reason"):
        submit_receiving_screen(
            actor=nurse, administration=screening, urgency=Urgency.URGENT, discretion_reason=" "
        )
    screening.refresh_from_db()
    assert screening.submitted_at is None
    assert referrals(booking) == []
    assert not AuditEvent.objects.filter(action="screening.submit").exists()


def test_a_positive_screen_without_an_urgency_is_refused(nurse: User, booking: Booking) -> None:
    screening = receiving_screen(nurse, booking, ("q8",))
    with pytest.raises(ScreeningError, match="how soon"):
        submit_receiving_screen(actor=nurse, administration=screening)
    with pytest.raises(ScreeningError, match="not an urgency"):
        submit_receiving_screen(actor=nurse, administration=screening, urgency="soonish")
    screening.refresh_from_db()
    assert screening.submitted_at is None
    assert referrals(booking) == []


def test_an_urgent_referral_is_due_by_the_facilitys_own_urgent_deadline(
    nurse: User, booking: Booking, facility: Facility
) -> None:
    publish_standard(
        actor=staff(Role.SUPERVISOR, facility, "boss"), facility=facility, urgent_hours=6
    )
    screening = receiving_screen(nurse, booking, ("q1", "q2"))
    submit_receiving_screen(actor=nurse, administration=screening, urgency=Urgency.URGENT)
    (evaluation,) = referrals(booking)
    rules = clock_standard(facility, current_standard(facility))
    assert evaluation.due_at == clocks.response_due(rules, Urgency.URGENT, evaluation.opened_at)
    # The facility's 6 hours, not the 24 hours of the built-in default.
    assert evaluation.due_at - evaluation.opened_at == timedelta(hours=6)


def test_an_emergent_referral_raises_an_emergent_item_that_alerts_the_on_call_clinician(
    nurse: User, clinician: User, booking: Booking, facility: Facility
) -> None:
    schedule_on_call(
        actor=staff(Role.SUPERVISOR, facility, "boss"),
        facility=facility,
        clinician=clinician,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=8),
    )
    screening = receiving_screen(nurse, booking, ("q1", "q5"))
    submit_receiving_screen(actor=nurse, administration=screening, urgency=Urgency.EMERGENT)
    screening.refresh_from_db()
    kite = screening.safety_kite
    assert kite is not None
    assert (kite.channel, kite.urgency, kite.person) == (
        Channel.SCREENING,
        Urgency.EMERGENT,
        booking.person,
    )
    (alert,) = Alert.objects.filter(kite=kite)
    assert (alert.level, alert.recipient) == (0, clinician)
    assert WelfareCheck.objects.filter(kite=kite).exists()
    (evaluation,) = referrals(booking)
    assert evaluation.safety
    assert (evaluation.urgency, evaluation.reason) == (
        Urgency.EMERGENT,
        EvaluationReason.RECEIVING_SCREEN,
    )
    assert evaluation.due_at - evaluation.opened_at == timedelta(minutes=60)


def test_current_medication_opens_a_medication_check_within_the_urgent_deadline_even_if_routine(
    nurse: User, booking: Booking, facility: Facility
) -> None:
    publish_standard(
        actor=staff(Role.SUPERVISOR, facility, "boss"), facility=facility, urgent_hours=8
    )
    screening = receiving_screen(nurse, booking, ("q7",))
    submitted = submit_receiving_screen(
        actor=nurse, administration=screening, urgency=Urgency.ROUTINE
    )
    evaluation, check = referrals(booking)
    assert (evaluation.kind, evaluation.urgency) == (EvaluationKind.EVALUATION, "routine")
    assert (check.kind, check.urgency, check.reason) == (
        EvaluationKind.MEDICATION_CHECK,
        Urgency.URGENT,
        EvaluationReason.CURRENT_MEDICATION,
    )
    assert check.due_at - check.opened_at == timedelta(hours=8)
    assert check.due_at < evaluation.due_at
    assert set(submitted.referrals) == {evaluation, check}


def test_no_current_medication_means_no_medication_check(nurse: User, booking: Booking) -> None:
    screening = receiving_screen(nurse, booking, ("q8",))
    submit_receiving_screen(actor=nurse, administration=screening, urgency=Urgency.URGENT)
    assert [e.kind for e in referrals(booking)] == [EvaluationKind.EVALUATION]


def test_the_receiving_screen_keeps_who_gave_it_in_which_language_and_with_what_help(
    nurse: User, booking: Booking
) -> None:
    languages = definition_of(RECEIVING_SCREEN).languages
    language = "es" if "es" in languages else "en"
    screening = receiving_screen(nurse, booking, language=language, interpreter=True)
    submit_receiving_screen(actor=nurse, administration=screening)
    kept = Administration.objects.get(pk=screening.pk)
    assert (kept.started_by, kept.submitted_by) == (nurse, nurse)
    assert (kept.language, kept.interpreter, kept.mode) == (language, True, Mode.STAFF)
    assert kept.submitted_at is not None
    assert (kept.complete, kept.total) == (True, 0)


def test_a_language_the_instrument_lacks_is_refused(nurse: User, booking: Booking) -> None:
    assert "tlh" not in definition_of(RECEIVING_SCREEN).languages
    with pytest.raises(ScreeningError, match="no tlh version"):
        start_administration(
            actor=nurse, person=booking.person, instrument=RECEIVING_SCREEN, language="tlh"
        )


def test_an_incomplete_receiving_screen_needs_a_reason_and_keeps_no_total(
    nurse: User, booking: Booking
) -> None:
    screening = receiving_screen(nurse, booking, ("q1",), unanswered=("q6", "q8"))
    with pytest.raises(ScreeningError, match="say why"):
        submit_receiving_screen(actor=nurse, administration=screening)
    submit_receiving_screen(
        actor=nurse, administration=screening, incomplete_reason="Refused to go on."
    )
    kept = Administration.objects.get(pk=screening.pk)
    assert (kept.complete, kept.total, kept.band) == (False, None, "")
    assert kept.incomplete_reason == "Refused to go on."
    assert Answer.objects.filter(administration=kept).count() == 6


def test_a_complete_screen_is_refused_a_reason_for_ending_early(
    nurse: User, booking: Booking
) -> None:
    screening = receiving_screen(nurse, booking)
    with pytest.raises(ScreeningError, match="complete"):
        submit_receiving_screen(
            actor=nurse, administration=screening, incomplete_reason="Ran out of time."
        )


def test_each_kind_of_screen_is_submitted_only_its_own_way(nurse: User, booking: Booking) -> None:
    bjmhs = receiving_screen(nurse, booking)
    with pytest.raises(ScreeningError, match="referral decision"):
        submit_screen(actor=nurse, administration=bjmhs)
    phq9 = start_administration(actor=nurse, person=booking.person, instrument="phq9-v1")
    answer_phq9(nurse, phq9, total=3)
    with pytest.raises(ScreeningError, match="Only the receiving screen"):
        submit_receiving_screen(actor=nurse, administration=phq9)


def test_a_receiving_screen_is_submitted_only_once(nurse: User, booking: Booking) -> None:
    screening = receiving_screen(nurse, booking, ("q8",))
    submit_receiving_screen(actor=nurse, administration=screening, urgency=Urgency.ROUTINE)
    with pytest.raises(ScreeningError, match="already submitted"):
        submit_receiving_screen(actor=nurse, administration=screening, urgency=Urgency.ROUTINE)
    assert len(referrals(booking)) == 1


# --- self-screens at the kiosk ---------------------------------------------------------------


def test_only_a_clinician_assigns_a_self_screen(
    nurse: User, clinician: User, booking: Booking, facility: Facility, resident: User
) -> None:
    for actor in (nurse, staff(Role.SUPERVISOR, facility, "boss"), resident):
        with pytest.raises(ScreeningError, match="Only a clinician"):
            assign_self_screen(actor=actor, person=booking.person, instrument="phq9-v1")
    screen = assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    assert (screen.mode, screen.started_by, screen.booking) == (Mode.SELF, clinician, booking)


def test_a_clinician_elsewhere_cannot_assign_a_self_screen(
    booking: Booking, other_facility: Facility
) -> None:
    stranger = staff(Role.CLINICIAN, other_facility, "south-clinician")
    with pytest.raises(ScreeningError, match="not held at your facilities"):
        assign_self_screen(actor=stranger, person=booking.person, instrument="phq9-v1")
    assert not Administration.objects.exists()


@pytest.mark.parametrize("instrument", ["bjmhs-v1", "cssrs-screener-v1", "nothing-v1"])
def test_only_the_phq9_gad7_and_pcl5_are_self_screens(
    clinician: User, booking: Booking, instrument: str
) -> None:
    with pytest.raises(ScreeningError, match="not a self-screen"):
        assign_self_screen(actor=clinician, person=booking.person, instrument=instrument)
    assert not Administration.objects.exists()


@pytest.mark.parametrize("instrument", SELF_SCREENS)
@pytest.mark.parametrize("language", ["es", "vi"])
def test_a_self_screen_is_in_the_residents_language_when_the_instrument_has_it(
    clinician: User, booking: Booking, instrument: str, language: str
) -> None:
    person = booking.person
    person.language = language
    person.save(update_fields=["language"])
    screen = assign_self_screen(actor=clinician, person=person, instrument=instrument)
    expected = language if language in definition_of(instrument).languages else "en"
    assert screen.language == expected


def test_a_second_open_assignment_of_the_same_instrument_is_refused(
    clinician: User, booking: Booking, resident: User
) -> None:
    first = assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    with pytest.raises(ScreeningError, match="already has this screen"):
        assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    # Another instrument, or the same one once the first is in, may be assigned.
    assign_self_screen(actor=clinician, person=booking.person, instrument="gad7-v1")
    answer_phq9(resident, first, total=2)
    submit_screen(actor=resident, administration=first)
    assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    assert Administration.objects.filter(instrument="phq9-v1").count() == 2


def test_a_self_screen_left_undone_in_an_earlier_stay_does_not_block_one_in_a_new_stay(
    clinician: User, booking: Booking, unit_a: HousingUnit
) -> None:
    assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    release_person(actor=None, booking=booking, at=timezone.now())
    again = rebook_person(
        actor=None,
        person=booking.person,
        housing_unit=unit_a,
        booked_at=timezone.now(),
        booking_number="B2",
    )
    screen = assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    assert screen.booking == again


def test_only_the_resident_answers_their_self_screen(
    nurse: User, clinician: User, booking: Booking, resident: User, unit_a: HousingUnit
) -> None:
    screen = assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    other = book_person(
        actor=None,
        details=PersonDetails(
            resident_number="R0000002",
            given_name="Wren",
            family_name="Sampleton",
            date_of_birth=date(1985, 1, 1),
        ),
        housing_unit=unit_a,
        booked_at=timezone.now() - timedelta(days=1),
        booking_number="B2",
    )
    other_resident = User.objects.create_user(
        username="r2", role=Role.RESIDENT, person=other.person
    )
    for actor in (nurse, clinician, other_resident):
        with pytest.raises(ScreeningError, match="Only the person giving"):
            record_answer(actor=actor, administration=screen, item="q1", value=1)
    record_answer(actor=resident, administration=screen, item="q1", value=1)
    assert list(Answer.objects.values_list("item", "answered_by")) == [("q1", resident.pk)]


def test_only_health_staff_at_the_facility_answer_a_staff_screen(
    nurse: User,
    clinician: User,
    booking: Booking,
    resident: User,
    facility: Facility,
    other_facility: Facility,
) -> None:
    screening = start_administration(actor=nurse, person=booking.person, instrument="phq9-v1")
    officer = staff(Role.CUSTODY, facility, "officer")
    south_nurse = staff(Role.NURSE, other_facility, "south-nurse")
    for actor in (officer, resident, south_nurse):
        with pytest.raises(ScreeningError, match="Only the person giving"):
            record_answer(actor=actor, administration=screening, item="q1", value=1)
    record_answer(actor=clinician, administration=screening, item="q1", value=1)
    assert Answer.objects.get().answered_by == clinician


def test_saving_the_same_answer_twice_writes_one_answer_and_one_audit_event(
    clinician: User, booking: Booking, resident: User
) -> None:
    screen = assign_self_screen(actor=clinician, person=booking.person, instrument="gad7-v1")
    record_answer(actor=resident, administration=screen, item="q2", value=2)
    first = Answer.objects.get()
    record_answer(actor=resident, administration=screen, item="q2", value=2)
    again = Answer.objects.get()
    assert (again.pk, again.value, again.answered_at) == (first.pk, 2, first.answered_at)
    assert AuditEvent.objects.filter(action="screening.answer").count() == 1
    # A changed answer is a new row and a new event; the first stays, marked replaced.
    record_answer(actor=resident, administration=screen, item="q2", value=1)
    assert Answer.objects.get(replaced_at__isnull=True).value == 1
    assert Answer.objects.get(pk=first.pk).replaced_at is not None
    assert AuditEvent.objects.filter(action="screening.answer").count() == 2


def test_an_item_9_answer_on_an_abandoned_self_screen_still_raises_the_alert_and_evaluation(
    clinician: User, booking: Booking, resident: User, facility: Facility
) -> None:
    schedule_on_call(
        actor=staff(Role.SUPERVISOR, facility, "boss"),
        facility=facility,
        clinician=clinician,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=8),
    )
    screen = assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    record_answer(actor=resident, administration=screen, item="q1", value=1)
    record_answer(actor=resident, administration=screen, item="q9", value=1)
    # The resident walks away: nothing is submitted.
    screen.refresh_from_db()
    assert screen.submitted_at is None
    kite = screen.safety_kite
    assert kite is not None
    assert (kite.channel, kite.urgency) == (Channel.SCREENING, Urgency.EMERGENT)
    assert Alert.objects.get(kite=kite).recipient == clinician
    (evaluation,) = referrals(booking)
    assert (evaluation.safety, evaluation.urgency, evaluation.reason) == (
        True,
        Urgency.EMERGENT,
        EvaluationReason.SAFETY_ANSWER,
    )
    assert evaluation.administration == screen
    assert evaluation.is_open


def test_changing_item_9_back_to_0_takes_nothing_away(
    clinician: User, booking: Booking, resident: User
) -> None:
    screen = assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    record_answer(actor=resident, administration=screen, item="q9", value=2)
    result = record_answer(actor=resident, administration=screen, item="q9", value=0)
    assert result.safety_flags == ()
    screen.refresh_from_db()
    assert screen.safety_kite is not None
    kite = Kite.objects.get()
    assert kite.urgency == Urgency.EMERGENT
    assert Alert.objects.filter(kite=kite, acknowledged_at__isnull=True).count() == 1
    (evaluation,) = referrals(booking)
    assert evaluation.safety
    assert evaluation.is_open
    # Saying yes again raises no second item: one per screen.
    record_answer(actor=resident, administration=screen, item="q9", value=3)
    assert Kite.objects.count() == 1
    assert len(referrals(booking)) == 1


def test_an_incomplete_self_screen_cannot_be_submitted(
    clinician: User, booking: Booking, resident: User
) -> None:
    screen = assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    for n in range(1, 9):
        record_answer(actor=resident, administration=screen, item=f"q{n}", value=1)
    with pytest.raises(ScreeningError, match="answer every question"):
        submit_screen(actor=resident, administration=screen)
    # Not even with a reason: only staff may end a screen early.
    with pytest.raises(ScreeningError, match="answer every question"):
        submit_screen(actor=resident, administration=screen, incomplete_reason="tired")
    screen.refresh_from_db()
    assert (screen.submitted_at, screen.total) == (None, None)


@pytest.mark.parametrize(("total", "referred"), [(9, False), (10, True), (24, True)])
def test_a_complete_self_screen_scoring_10_or_more_opens_a_routine_evaluation(
    clinician: User, booking: Booking, resident: User, total: int, referred: bool
) -> None:
    screen = assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    answer_phq9(resident, screen, total=total)
    submitted = submit_screen(actor=resident, administration=screen)
    kept = Administration.objects.get(pk=screen.pk)
    assert (kept.complete, kept.total, kept.submitted_by) == (True, total, resident)
    routine = [e for e in referrals(booking) if e.reason == EvaluationReason.SCREEN_RESULT]
    if referred:
        (evaluation,) = routine
        assert (evaluation.kind, evaluation.urgency) == (EvaluationKind.EVALUATION, "routine")
        assert evaluation in submitted.referrals
    else:
        assert routine == []
        assert submitted.referrals == ()


def test_a_self_screen_over_the_cut_off_opens_no_second_evaluation_while_one_is_open(
    nurse: User, clinician: User, booking: Booking, resident: User
) -> None:
    bjmhs = receiving_screen(nurse, booking, ("q8",))
    submit_receiving_screen(actor=nurse, administration=bjmhs, urgency=Urgency.ROUTINE)
    screen = assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    answer_phq9(resident, screen, total=15)
    submitted = submit_screen(actor=resident, administration=screen)
    assert submitted.result.total == 15
    assert submitted.referrals == ()
    (evaluation,) = referrals(booking)
    assert evaluation.reason == EvaluationReason.RECEIVING_SCREEN


def test_a_residents_second_submit_returns_the_same_result_without_error(
    clinician: User, booking: Booking, resident: User
) -> None:
    screen = assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    answer_phq9(resident, screen, total=12)
    first = submit_screen(actor=resident, administration=screen)
    again = submit_screen(actor=resident, administration=screen)
    assert (again.result.total, again.result.band) == (first.result.total, "moderate")
    assert again.referrals == first.referrals
    assert len(again.referrals) == 1
    assert again.administration.submitted_at == first.administration.submitted_at
    assert AuditEvent.objects.filter(action="screening.submit").count() == 1
    assert len(referrals(booking)) == 1


def test_a_staff_members_second_submit_is_refused(nurse: User, booking: Booking) -> None:
    screening = start_administration(actor=nurse, person=booking.person, instrument="gad7-v1")
    for n in range(1, 8):
        record_answer(actor=nurse, administration=screening, item=f"q{n}", value=1)
    submit_screen(actor=nurse, administration=screening)
    with pytest.raises(ScreeningError, match="already submitted"):
        submit_screen(actor=nurse, administration=screening)
    assert AuditEvent.objects.filter(action="screening.submit").count() == 1


def test_a_resident_cannot_submit_or_read_back_a_screen_staff_gave_them(
    nurse: User, booking: Booking, resident: User
) -> None:
    screening = start_administration(actor=nurse, person=booking.person, instrument="phq9-v1")
    answer_phq9(nurse, screening, total=14)
    with pytest.raises(ScreeningError, match="Only the person giving"):
        submit_screen(actor=resident, administration=screening)
    submit_screen(actor=nurse, administration=screening)
    # Once it is in, the resident's "send again" must not hand them its score.
    with pytest.raises(ScreeningError):
        submit_screen(actor=resident, administration=screening)


def test_no_answer_is_saved_after_a_screen_is_submitted(
    clinician: User, booking: Booking, resident: User
) -> None:
    screen = assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    answer_phq9(resident, screen, total=4)
    submit_screen(actor=resident, administration=screen)
    with pytest.raises(ScreeningError, match="already submitted"):
        record_answer(actor=resident, administration=screen, item="q9", value=0)
    assert Answer.objects.get(item="q1").value == 3


def test_a_self_screen_over_the_cut_off_with_a_safety_answer_is_referred_once_as_emergent(
    clinician: User, booking: Booking, resident: User
) -> None:
    screen = assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    answer_phq9(resident, screen, total=20, q9=2)
    submitted = submit_screen(actor=resident, administration=screen)
    (evaluation,) = submitted.referrals
    assert (evaluation.urgency, evaluation.safety) == (Urgency.EMERGENT, True)
    assert referrals(booking) == [evaluation]
    assert submitted.administration.flags == ["phq9-item9", "phq9-total-10"]


def test_a_receiving_screen_ended_early_is_positive_when_its_yes_answers_suffice(
    nurse: User, booking: Booking
) -> None:
    screening = start_administration(actor=nurse, person=booking.person, instrument="bjmhs-v1")
    record_answer(actor=nurse, administration=screening, item="q8", value=1)
    submitted = submit_receiving_screen(
        actor=nurse,
        administration=screening,
        urgency="routine",
        incomplete_reason="Resident was taken to court.",
    )
    (evaluation,) = submitted.referrals
    assert evaluation.reason == EvaluationReason.RECEIVING_SCREEN
    assert submitted.administration.total is None


def test_a_receiving_screen_ended_early_with_one_symptom_is_not_positive(
    nurse: User, booking: Booking
) -> None:
    screening = start_administration(actor=nurse, person=booking.person, instrument="bjmhs-v1")
    record_answer(actor=nurse, administration=screening, item="q1", value=1)
    with pytest.raises(ScreeningError, match="negative"):
        submit_receiving_screen(
            actor=nurse,
            administration=screening,
            urgency="routine",
            incomplete_reason="Resident was taken to court.",
        )


def test_a_self_screen_follows_the_main_language_of_a_regional_tag(
    clinician: User, unit_a: HousingUnit
) -> None:
    booking = book_person(
        actor=None,
        details=PersonDetails(
            resident_number="R0000042",
            given_name="Alder",
            family_name="Testfield",
            date_of_birth=date(1990, 1, 1),
            language="es-MX",
        ),
        housing_unit=unit_a,
        booked_at=timezone.now() - timedelta(days=1),
        booking_number="B-42",
    )
    screen = assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    assert screen.language == "es"


def test_a_screen_of_an_ended_stay_takes_no_more_answers(nurse: User, booking: Booking) -> None:
    screening = start_administration(actor=nurse, person=booking.person, instrument="phq9-v1")
    release_person(actor=None, booking=booking, at=timezone.now())
    with pytest.raises(ScreeningError, match="stay has ended"):
        record_answer(actor=nurse, administration=screening, item="q9", value=2)
    assert not screening.answers.exists()
    assert not Kite.objects.exists()


def test_an_item_9_answer_changed_to_0_stays_on_the_record_and_among_the_flags(
    clinician: User, booking: Booking, resident: User
) -> None:
    screen = assign_self_screen(actor=clinician, person=booking.person, instrument="phq9-v1")
    record_answer(actor=resident, administration=screen, item="q9", value=3)
    for n in range(1, 10):
        record_answer(actor=resident, administration=screen, item=f"q{n}", value=0)
    submitted = submit_screen(actor=resident, administration=screen)
    kept = list(Answer.objects.filter(item="q9").order_by("pk").values_list("value", "replaced_at"))
    assert [value for value, _ in kept] == [3, 0]
    assert kept[0][1] is not None
    assert kept[1][1] is None
    assert submitted.administration.total == 0
    assert "phq9-item9" in submitted.administration.flags
    assert Kite.objects.filter(channel=Channel.SCREENING).count() == 1


@pytest.mark.parametrize(
    ("answers", "why"),
    [
        ({"q1": 1, "q2": 1, "q3": 1, "q4": 0, "q5": 1}, "Q5 plan with intent"),
        ({"q1": 0, "q2": 0, "q6": 1, "q6_recent": 1}, "behaviour in the past 3 months"),
    ],
)
def test_each_cssrs_safety_answer_raises_the_emergent_item_in_its_own_save(
    nurse: User, booking: Booking, answers: dict[str, int], why: str
) -> None:
    screening = start_administration(
        actor=nurse, person=booking.person, instrument="cssrs-screener-v1"
    )
    for item, value in answers.items():
        record_answer(actor=nurse, administration=screening, item=item, value=value)
    kite = Kite.objects.get(channel=Channel.SCREENING)
    assert kite.urgency == Urgency.EMERGENT, why
    assert Alert.objects.filter(kite=kite).exists()
    assert WelfareCheck.objects.filter(kite=kite).exists()


def test_a_cssrs_ended_early_with_yes_answers_refers_for_evaluation(
    nurse: User, booking: Booking
) -> None:
    screening = start_administration(
        actor=nurse, person=booking.person, instrument="cssrs-screener-v1"
    )
    record_answer(actor=nurse, administration=screening, item="q1", value=1)
    submitted = submit_screen(
        actor=nurse, administration=screening, incomplete_reason="Resident stopped."
    )
    (referral,) = submitted.referrals
    assert referral.urgency == Urgency.ROUTINE
    assert submitted.administration.total is None


def test_a_definition_that_lost_the_item_9_safety_rule_is_refused_at_start_up() -> None:
    phq9 = definition_of("phq9-v1")
    unsafe = dataclasses.replace(phq9, rules=tuple(rule for rule in phq9.rules if not rule.safety))
    with pytest.raises(ImproperlyConfigured, match="phq9-v1"):
        check_safety_rules({**instruments(), "phq9-v1": unsafe})
    check_safety_rules(instruments())
