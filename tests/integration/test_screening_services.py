"""Screening answers saved one by one, and safety rules that fire on the answer (I2)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person
from kiteline.kites.models import Alert, Kite, Urgency, WelfareCheck
from kiteline.kites.resident_selectors import own_kites
from kiteline.screening.models import Answer
from kiteline.screening.services import ScreeningError, record_answer, start_administration


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
    assert Answer.objects.get(item="q9").value == 3


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
