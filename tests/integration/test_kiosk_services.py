from collections.abc import Callable
from datetime import date, datetime, timedelta
from unittest import mock

import pytest
from django.contrib.auth.hashers import check_password
from django.db.models import Q

from kiteline.accounts import pins
from kiteline.accounts.kiosk_services import (
    KioskError,
    PinError,
    SignInResult,
    choose_pin,
    issue_pin,
    register_kiosk,
    retire_kiosk,
    screen_language,
    sign_in_resident,
)
from kiteline.accounts.kiosks import hash_token
from kiteline.accounts.models import Kiosk, ResidentPin, Role, User
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Facility, HousingUnit, Person
from kiteline.facilities.services import PersonDetails, book_person, release_person

pytestmark = pytest.mark.django_db
SECOND = timedelta(seconds=1)


@pytest.fixture
def supervisor(facility: Facility) -> User:
    user = User.objects.create_user(username="test-supervisor", password="x", role=Role.SUPERVISOR)
    user.facilities.add(facility)
    return user


@pytest.fixture
def kiosk(supervisor: User, facility: Facility) -> Kiosk:
    return register_kiosk(actor=supervisor, facility=facility, name="A Pod dayroom")[0]


@pytest.fixture
def second_kiosk(supervisor: User, facility: Facility) -> Kiosk:
    return register_kiosk(actor=supervisor, facility=facility, name="B Pod dayroom")[0]


@pytest.fixture
def book(jan_first: datetime) -> Callable[[HousingUnit, str], Person]:
    def book_one(unit: HousingUnit, resident_number: str) -> Person:
        details = PersonDetails(
            resident_number=resident_number,
            given_name="Test",
            family_name="Resident",
            date_of_birth=date(1990, 5, 17),
        )
        return book_person(
            actor=None,
            details=details,
            housing_unit=unit,
            booked_at=jan_first,
            booking_number=f"B-{resident_number}",
        ).person

    return book_one


@pytest.fixture
def resident(book: Callable[[HousingUnit, str], Person], unit_a: HousingUnit) -> Person:
    return book(unit_a, "R0000001")


@pytest.fixture
def temporary_pin(nurse: User, resident: Person) -> str:
    return issue_pin(actor=nurse, person=resident)


def test_a_supervisor_registers_a_kiosk_and_only_its_token_hash_is_stored(
    supervisor: User, facility: Facility
) -> None:
    kiosk, token = register_kiosk(actor=supervisor, facility=facility, name="  Intake  ")
    assert kiosk.name == "Intake"
    assert kiosk.token_hash == hash_token(token)
    assert len(token) >= 43
    assert token not in str(Kiosk.objects.filter(pk=kiosk.pk).values().get())


def test_it_refuses_to_register_a_kiosk_for_a_nurse(nurse: User, facility: Facility) -> None:
    with pytest.raises(KioskError, match="Only a supervisor"):
        register_kiosk(actor=nurse, facility=facility, name="Intake")


def test_it_refuses_to_register_a_kiosk_at_another_facility(
    supervisor: User, other_facility: Facility
) -> None:
    with pytest.raises(KioskError, match="Only a supervisor of South Test Jail"):
        register_kiosk(actor=supervisor, facility=other_facility, name="Intake")


def test_two_kiosks_in_use_at_one_facility_have_different_names(kiosk: Kiosk) -> None:
    with pytest.raises(KioskError, match="already has a kiosk named"):
        register_kiosk(actor=kiosk.registered_by, facility=kiosk.facility, name=kiosk.name)
    with pytest.raises(KioskError, match="Give the kiosk a name"):
        register_kiosk(actor=kiosk.registered_by, facility=kiosk.facility, name="  ")


def test_a_retired_kiosk_frees_its_name_and_cannot_be_retired_twice(kiosk: Kiosk) -> None:
    retire_kiosk(actor=kiosk.registered_by, kiosk=kiosk)
    with pytest.raises(KioskError, match="already retired"):
        retire_kiosk(actor=kiosk.registered_by, kiosk=kiosk)
    register_kiosk(actor=kiosk.registered_by, facility=kiosk.facility, name=kiosk.name)


def test_issuing_a_pin_creates_a_resident_account_without_a_password(
    nurse: User, resident: Person
) -> None:
    issue_pin(actor=nurse, person=resident)
    account = User.objects.get(person=resident)
    assert account.username == "resident-R0000001"
    assert account.role == Role.RESIDENT
    assert not account.has_usable_password()


def test_a_pin_is_stored_only_as_a_hash(temporary_pin: str, resident: Person) -> None:
    row = ResidentPin.objects.filter(person=resident).values().get()
    assert all(temporary_pin not in str(value) for value in row.values())
    assert check_password(temporary_pin, row["pin_hash"])
    assert row["must_change"] is True


@pytest.mark.parametrize("role", [Role.CUSTODY, Role.AUDITOR])
def test_only_health_staff_issue_pins(role: Role, facility: Facility, resident: Person) -> None:
    user = User.objects.create_user(username="someone", password="x", role=role)
    user.facilities.add(facility)
    with pytest.raises(PinError, match="nurse, a clinician or a supervisor"):
        issue_pin(actor=user, person=resident)


def test_it_refuses_a_pin_for_someone_not_held_at_the_actors_facilities(
    nurse: User, book: Callable[[HousingUnit, str], Person], south_unit: HousingUnit
) -> None:
    elsewhere = book(south_unit, "R0000002")
    with pytest.raises(PinError, match="not in custody at your facilities"):
        issue_pin(actor=nurse, person=elsewhere)


def test_it_refuses_a_pin_for_someone_released(
    nurse: User, resident: Person, jan_first: datetime
) -> None:
    release_person(actor=None, booking=resident.bookings.get(), at=jan_first + timedelta(days=1))
    with pytest.raises(PinError, match="not in custody"):
        issue_pin(actor=nurse, person=resident)


def test_a_reset_replaces_the_pin_and_asks_for_a_new_one_again(
    kiosk: Kiosk, nurse: User, resident: Person, temporary_pin: str, jan_first: datetime
) -> None:
    choose_pin(person=resident, current_pin=temporary_pin, new_pin="2580")
    reset_pin = issue_pin(actor=nurse, person=resident)

    old = sign_in_resident(kiosk=kiosk, resident_number="R0000001", pin="2580", now=jan_first)
    assert old.result == SignInResult.NOT_RECOGNISED
    new = sign_in_resident(kiosk=kiosk, resident_number="R0000001", pin=reset_pin, now=jan_first)
    assert new.result == SignInResult.SIGNED_IN
    assert new.must_change_pin
    assert User.objects.filter(person=resident).count() == 1


def test_a_resident_chooses_their_own_pin(
    kiosk: Kiosk, resident: Person, temporary_pin: str, jan_first: datetime
) -> None:
    choose_pin(person=resident, current_pin=temporary_pin, new_pin="2580")
    assert not ResidentPin.objects.get(person=resident).must_change
    outcome = sign_in_resident(kiosk=kiosk, resident_number="R0000001", pin="2580", now=jan_first)
    assert outcome.result == SignInResult.SIGNED_IN
    assert not outcome.must_change_pin


@pytest.mark.parametrize(
    ("new_pin", "message"),
    [
        ("12", "at least 4"),
        ("1111", "same number every time"),
        ("6789", "in a row"),
        ("12ab", "only numbers"),
    ],
)
def test_a_chosen_pin_must_follow_the_rules(
    resident: Person, temporary_pin: str, new_pin: str, message: str
) -> None:
    with pytest.raises(PinError, match=message):
        choose_pin(person=resident, current_pin=temporary_pin, new_pin=new_pin)


def test_a_chosen_pin_may_not_be_the_one_on_the_slip(resident: Person, temporary_pin: str) -> None:
    with pytest.raises(PinError, match="not the one you have now"):
        choose_pin(person=resident, current_pin=temporary_pin, new_pin=temporary_pin)


def test_choosing_a_pin_needs_the_current_one(resident: Person, temporary_pin: str) -> None:
    with pytest.raises(PinError, match="not the PIN you signed in with"):
        choose_pin(person=resident, current_pin="000000", new_pin="2580")


def test_a_resident_number_is_matched_whatever_its_case(
    kiosk: Kiosk, temporary_pin: str, jan_first: datetime
) -> None:
    outcome = sign_in_resident(
        kiosk=kiosk, resident_number=" r0000001 ", pin=temporary_pin, now=jan_first
    )
    assert outcome.result == SignInResult.SIGNED_IN


def test_wrong_pin_unknown_number_and_someone_held_elsewhere_get_one_answer(
    kiosk: Kiosk,
    nurse: User,
    temporary_pin: str,
    book: Callable[[HousingUnit, str], Person],
    south_unit: HousingUnit,
    jan_first: datetime,
) -> None:
    south_nurse = User.objects.create_user(username="south", password="x", role=Role.NURSE)
    south_nurse.facilities.add(south_unit.facility)
    elsewhere = book(south_unit, "R0000002")
    elsewhere_pin = issue_pin(actor=south_nurse, person=elsewhere)

    outcomes = [
        sign_in_resident(kiosk=kiosk, resident_number=number, pin=pin, now=jan_first)
        for number, pin in [
            ("R0000001", "999999"),
            ("R9999999", temporary_pin),
            ("R0000002", elsewhere_pin),
        ]
    ]
    assert {outcome.result for outcome in outcomes} == {SignInResult.NOT_RECOGNISED}
    assert all(outcome.user is None for outcome in outcomes)


def test_an_unknown_number_costs_a_pin_check_as_a_known_one_does(
    kiosk: Kiosk, jan_first: datetime
) -> None:
    with mock.patch(
        "kiteline.accounts.kiosk_services.check_password", wraps=check_password
    ) as checked:
        sign_in_resident(kiosk=kiosk, resident_number="R9999999", pin="2580", now=jan_first)
    checked.assert_called_once()
    assert checked.call_args.args[1].startswith(("md5$", "argon2$", "pbkdf2_sha256$"))


def _fail(kiosk: Kiosk, number: str, at: datetime, times: int) -> None:
    for _ in range(times):
        outcome = sign_in_resident(kiosk=kiosk, resident_number=number, pin="999999", now=at)
        assert outcome.result == SignInResult.NOT_RECOGNISED


def test_a_residents_wrong_tries_slow_down_the_next_try_at_every_kiosk(
    kiosk: Kiosk, second_kiosk: Kiosk, temporary_pin: str, jan_first: datetime
) -> None:
    _fail(kiosk, "R0000001", jan_first, times=pins.FREE_TRIES)

    early = sign_in_resident(
        kiosk=second_kiosk, resident_number="R0000001", pin=temporary_pin, now=jan_first + SECOND
    )
    assert early.result == SignInResult.WAIT
    on_time = sign_in_resident(
        kiosk=second_kiosk,
        resident_number="R0000001",
        pin=temporary_pin,
        now=jan_first + 2 * SECOND,
    )
    assert on_time.result == SignInResult.SIGNED_IN


def test_a_try_during_the_wait_is_neither_checked_nor_counted(
    kiosk: Kiosk, second_kiosk: Kiosk, resident: Person, temporary_pin: str, jan_first: datetime
) -> None:
    _fail(kiosk, "R0000001", jan_first, times=pins.FREE_TRIES)
    with mock.patch("kiteline.accounts.kiosk_services.check_password") as checked:
        for _ in range(5):
            sign_in_resident(kiosk=second_kiosk, resident_number="R0000001", pin="1", now=jan_first)
    checked.assert_not_called()
    assert ResidentPin.objects.get(person=resident).failed_tries == pins.FREE_TRIES
    assert Kiosk.objects.get(pk=second_kiosk.pk).failed_tries == 0


def test_a_success_clears_the_residents_count(
    kiosk: Kiosk, resident: Person, temporary_pin: str, jan_first: datetime
) -> None:
    _fail(kiosk, "R0000001", jan_first, times=2)
    sign_in_resident(kiosk=kiosk, resident_number="R0000001", pin=temporary_pin, now=jan_first)
    row = ResidentPin.objects.get(person=resident)
    assert (row.failed_tries, row.last_failed_at) == (0, None)


def test_a_kiosks_wrong_tries_slow_down_everyone_at_that_kiosk_only(
    kiosk: Kiosk, second_kiosk: Kiosk, temporary_pin: str, jan_first: datetime
) -> None:
    for number in ("R7000001", "R7000002", "R7000003"):
        _fail(kiosk, number, jan_first, times=1)

    here = sign_in_resident(
        kiosk=kiosk, resident_number="R0000001", pin=temporary_pin, now=jan_first + SECOND
    )
    assert here.result == SignInResult.WAIT
    elsewhere = sign_in_resident(
        kiosk=second_kiosk, resident_number="R0000001", pin=temporary_pin, now=jan_first + SECOND
    )
    assert elsewhere.result == SignInResult.SIGNED_IN


def test_a_success_does_not_clear_the_kiosks_count(
    kiosk: Kiosk, temporary_pin: str, jan_first: datetime
) -> None:
    _fail(kiosk, "R7000001", jan_first, times=2)
    sign_in_resident(kiosk=kiosk, resident_number="R0000001", pin=temporary_pin, now=jan_first)
    assert Kiosk.objects.get(pk=kiosk.pk).failed_tries == 2


def test_a_kiosks_count_starts_again_after_a_quiet_spell(kiosk: Kiosk, jan_first: datetime) -> None:
    Kiosk.objects.filter(pk=kiosk.pk).update(failed_tries=8, last_failed_at=jan_first)
    later = jan_first + pins.KIOSK_QUIET_PERIOD
    _fail(kiosk, "R7000001", later, times=1)
    assert Kiosk.objects.get(pk=kiosk.pk).failed_tries == 1


def test_a_resident_is_never_locked_out_however_many_wrong_tries(
    kiosk: Kiosk, temporary_pin: str, jan_first: datetime
) -> None:
    at = jan_first
    for _ in range(40):
        _fail(kiosk, "R0000001", at, times=1)
        at += timedelta(seconds=pins.MAX_DELAY_SECONDS)
    outcome = sign_in_resident(kiosk=kiosk, resident_number="R0000001", pin=temporary_pin, now=at)
    assert outcome.result == SignInResult.SIGNED_IN


@pytest.mark.parametrize(
    ("tag", "code", "interpreter"),
    [
        ("es", "es", False),
        ("es-MX", "es", False),
        ("ES_us", "es", False),
        ("en-GB", "en", False),
        ("vi", "en", True),
        ("zh-Hant", "en", True),
    ],
)
def test_the_screen_speaks_the_persons_language_where_there_is_a_translation(
    tag: str, code: str, interpreter: bool
) -> None:
    language = screen_language(tag)
    assert (language.code, language.interpreter_needed) == (code, interpreter)


def test_every_kiosk_and_pin_write_is_audited_without_a_pin_or_token(
    supervisor: User, facility: Facility, nurse: User, resident: Person, jan_first: datetime
) -> None:
    kiosk, token = register_kiosk(actor=supervisor, facility=facility, name="Intake")
    pin = issue_pin(actor=nurse, person=resident)
    sign_in_resident(kiosk=kiosk, resident_number="R0000001", pin="999999", now=jan_first)
    sign_in_resident(kiosk=kiosk, resident_number="R9999999", pin="999999", now=jan_first)
    sign_in_resident(kiosk=kiosk, resident_number="R0000001", pin=pin, now=jan_first)
    choose_pin(person=resident, current_pin=pin, new_pin="2580")
    issue_pin(actor=nurse, person=resident)
    retire_kiosk(actor=supervisor, kiosk=kiosk)

    events = AuditEvent.objects.filter(
        Q(action__startswith="kiosk.") | Q(action__startswith="pin."), chain="north"
    )
    assert [(e.action, e.person_id) for e in events] == [
        ("kiosk.register", None),
        ("pin.issue", resident.pk),
        ("kiosk.sign_in_failed", resident.pk),
        ("kiosk.sign_in_failed", None),
        ("kiosk.sign_in", resident.pk),
        ("pin.choose", resident.pk),
        ("pin.reset", resident.pk),
        ("kiosk.retire", None),
    ]
    stored = b"".join(bytes(e.payload) for e in events)
    assert all(secret.encode() not in stored for secret in (token, pin, "2580", "R9999999"))
