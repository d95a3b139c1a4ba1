from collections.abc import Callable
from datetime import date, datetime, timedelta
from unittest import mock

import pytest
from django.contrib.auth.hashers import check_password
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiteline.accounts import pins
from kiteline.accounts.kiosk_services import (
    KioskError,
    PinError,
    SignInOutcome,
    SignInResult,
    choose_pin,
    issue_pin,
    register_kiosk,
    retire_kiosk,
    screen_language,
    sign_in_resident,
)
from kiteline.accounts.kiosks import hash_token
from kiteline.accounts.models import Kiosk, KioskPinTries, ResidentPin, Role, User
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
def third_kiosk(supervisor: User, facility: Facility) -> Kiosk:
    return register_kiosk(actor=supervisor, facility=facility, name="C Pod dayroom")[0]


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


def test_a_staff_account_with_the_residents_username_does_not_stop_their_pin(
    nurse: User, resident: Person, kiosk: Kiosk, jan_first: datetime
) -> None:
    for taken in ("resident-R0000001", "resident-R0000001-2"):
        User.objects.create_user(username=taken, password="x", role=Role.NURSE)

    pin = issue_pin(actor=nurse, person=resident)

    assert User.objects.get(person=resident).username == "resident-R0000001-3"
    outcome = sign_in_resident(kiosk=kiosk, resident_number="R0000001", pin=pin, now=jan_first)
    assert outcome.result == SignInResult.SIGNED_IN


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


def test_a_typed_resident_number_is_matched_as_printed_in_upper_case(
    kiosk: Kiosk, temporary_pin: str, jan_first: datetime
) -> None:
    with CaptureQueriesContext(connection) as queries:
        outcome = sign_in_resident(
            kiosk=kiosk, resident_number=" r0000001 ", pin=temporary_pin, now=jan_first
        )
    assert outcome.result == SignInResult.SIGNED_IN
    # An exact match, which the unique index on the number serves: no UPPER() or LIKE scan.
    looked_up = [q["sql"] for q in queries.captured_queries if "resident_number" in q["sql"]]
    assert looked_up
    assert not any(("UPPER(" in sql or " LIKE " in sql) for sql in looked_up)


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


def _in_own_wait_at(kiosk: Kiosk, number: str, at: datetime) -> datetime:
    """Puts the resident in a wait of their own at `kiosk` while the kiosk itself is not
    waiting, and returns a moment inside that wait: three wrong tries, then a fourth once
    the kiosk's count is forgotten (the resident's count at a kiosk is not)."""
    _fail(kiosk, number, at, times=pins.FREE_TRIES)
    later = at + pins.KIOSK_QUIET_PERIOD
    _fail(kiosk, number, later, times=1)
    return later + SECOND


def test_a_residents_wrong_tries_slow_down_their_next_try_at_that_kiosk_only(
    kiosk: Kiosk, second_kiosk: Kiosk, resident: Person, temporary_pin: str, jan_first: datetime
) -> None:
    during = _in_own_wait_at(kiosk, "R0000001", jan_first)

    here = sign_in_resident(kiosk=kiosk, resident_number="R0000001", pin=temporary_pin, now=during)
    assert here.result == SignInResult.NOT_RECOGNISED
    elsewhere = sign_in_resident(
        kiosk=second_kiosk, resident_number="R0000001", pin=temporary_pin, now=during
    )
    assert elsewhere.result == SignInResult.SIGNED_IN
    # Four failures in a row here: 4 seconds after the last one, the wait is over.
    on_time = sign_in_resident(
        kiosk=kiosk,
        resident_number="R0000001",
        pin=temporary_pin,
        now=during - SECOND + pins.delay_after(4) * SECOND,
    )
    assert on_time.result == SignInResult.SIGNED_IN


@pytest.mark.parametrize("seconds_later", [1, 30, 59])
def test_someone_failing_once_a_minute_at_one_kiosk_never_delays_the_resident_at_another(
    kiosk: Kiosk,
    second_kiosk: Kiosk,
    temporary_pin: str,
    jan_first: datetime,
    seconds_later: int,
) -> None:
    # The review's probe: a wrong PIN for the victim at kiosk A every 61 seconds.
    at = jan_first
    for _ in range(30):
        _fail(kiosk, "R0000001", at, times=1)
        last_attack = at
        at += timedelta(seconds=61)

    victim = sign_in_resident(
        kiosk=second_kiosk,
        resident_number="R0000001",
        pin=temporary_pin,
        now=last_attack + seconds_later * SECOND,
    )
    assert victim.result == SignInResult.SIGNED_IN
    # The attacker is still slowed down at kiosk A.
    again = sign_in_resident(
        kiosk=kiosk, resident_number="R0000001", pin="999999", now=last_attack + SECOND
    )
    assert again.result == SignInResult.WAIT


@settings(
    max_examples=60,
    deadline=None,
    # Each example rolls back what it wrote, so the fixtures' rows are shared safely.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    tries=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=2),
            st.booleans(),
            st.one_of(st.integers(0, 70), st.integers(0, 900)),
        ),
        max_size=25,
    )
)
def test_a_correct_pin_at_a_kiosk_with_no_recent_failures_of_its_own_always_signs_in(
    kiosk: Kiosk,
    second_kiosk: Kiosk,
    third_kiosk: Kiosk,
    temporary_pin: str,
    jan_first: datetime,
    tries: list[tuple[int, bool, int]],
) -> None:
    kiosks = [kiosk, second_kiosk, third_kiosk]
    last_failure: dict[int, datetime] = {}
    at = jan_first
    with transaction.atomic():
        for kiosk_index, correct, seconds_later in tries:
            at += seconds_later * SECOND
            here = kiosks[kiosk_index]
            outcome = sign_in_resident(
                kiosk=here,
                resident_number="R0000001",
                pin=temporary_pin if correct else "999999",
                now=at,
            )
            failed_here = last_failure.get(here.pk)
            if correct and (
                failed_here is None or at - failed_here >= pins.MAX_DELAY_SECONDS * SECOND
            ):
                assert outcome.result == SignInResult.SIGNED_IN
            if outcome.result == SignInResult.NOT_RECOGNISED:
                last_failure[here.pk] = at
        transaction.set_rollback(True)


def test_an_unknown_number_a_number_in_its_own_wait_and_a_wrong_pin_look_alike(
    kiosk: Kiosk,
    second_kiosk: Kiosk,
    third_kiosk: Kiosk,
    resident: Person,
    temporary_pin: str,
    jan_first: datetime,
) -> None:
    during = _in_own_wait_at(third_kiosk, "R0000001", jan_first)
    tries = [
        (kiosk, "R9999999", temporary_pin),
        (second_kiosk, "R0000001", "999999"),
        (third_kiosk, "R0000001", temporary_pin),  # the right PIN, during its own wait
    ]
    outcomes: list[SignInOutcome] = []
    hashes_checked: list[list[str]] = []
    counted: list[int] = []
    for here, number, pin in tries:
        before = Kiosk.objects.get(pk=here.pk).failed_tries
        with mock.patch(
            "kiteline.accounts.kiosk_services.check_password", wraps=check_password
        ) as checked:
            outcomes.append(
                sign_in_resident(kiosk=here, resident_number=number, pin=pin, now=during)
            )
        hashes_checked.append([call.args[1].split("$")[0] for call in checked.call_args_list])
        counted.append(Kiosk.objects.get(pk=here.pk).failed_tries - before)

    assert outcomes == [SignInOutcome(SignInResult.NOT_RECOGNISED)] * 3
    # The same work: one slow hash of the same kind each; and each counts against its kiosk.
    assert hashes_checked == [["md5"]] * 3
    assert counted == [1, 1, 1]


def test_a_try_during_the_residents_own_wait_is_checked_against_the_dummy_hash_only(
    kiosk: Kiosk, resident: Person, temporary_pin: str, jan_first: datetime
) -> None:
    during = _in_own_wait_at(kiosk, "R0000001", jan_first)
    real_hash = ResidentPin.objects.get(person=resident).pin_hash
    tries_before = KioskPinTries.objects.values("failed_tries", "last_failed_at").get()
    with mock.patch(
        "kiteline.accounts.kiosk_services.check_password", wraps=check_password
    ) as checked:
        sign_in_resident(kiosk=kiosk, resident_number="R0000001", pin=temporary_pin, now=during)
    checked.assert_called_once()
    assert checked.call_args.args[1] != real_hash
    # The resident's own wait is not made longer by a try during it.
    assert KioskPinTries.objects.values("failed_tries", "last_failed_at").get() == tries_before


def test_a_try_during_the_kiosks_wait_is_neither_checked_nor_counted(
    kiosk: Kiosk, resident: Person, temporary_pin: str, jan_first: datetime
) -> None:
    _fail(kiosk, "R7000001", jan_first, times=pins.FREE_TRIES)
    with mock.patch("kiteline.accounts.kiosk_services.check_password") as checked:
        for _ in range(5):
            outcome = sign_in_resident(
                kiosk=kiosk, resident_number="R0000001", pin=temporary_pin, now=jan_first
            )
            assert outcome.result == SignInResult.WAIT
    checked.assert_not_called()
    assert Kiosk.objects.get(pk=kiosk.pk).failed_tries == pins.FREE_TRIES
    assert not KioskPinTries.objects.exists()


def test_tries_refused_during_a_wait_are_audited_without_the_number_or_pin(
    kiosk: Kiosk,
    second_kiosk: Kiosk,
    resident: Person,
    temporary_pin: str,
    jan_first: datetime,
) -> None:
    _fail(kiosk, "R7000001", jan_first, times=pins.FREE_TRIES)
    sign_in_resident(kiosk=kiosk, resident_number="R0000001", pin=temporary_pin, now=jan_first)
    during = _in_own_wait_at(second_kiosk, "R0000001", jan_first)
    sign_in_resident(kiosk=second_kiosk, resident_number="R0000001", pin=temporary_pin, now=during)

    refused = AuditEvent.objects.filter(action="kiosk.sign_in_refused").order_by("position")
    assert [(e.person_id, e.subjects) for e in refused] == [
        (None, [f"kiosk:{kiosk.pk}"]),
        (resident.pk, [f"kiosk:{second_kiosk.pk}"]),
    ]
    stored = b"".join(bytes(e.payload) for e in refused)
    assert all(secret.encode() not in stored for secret in (temporary_pin, "R0000001"))


def test_a_success_clears_the_residents_count_at_that_kiosk_only(
    kiosk: Kiosk, second_kiosk: Kiosk, resident: Person, temporary_pin: str, jan_first: datetime
) -> None:
    _fail(kiosk, "R0000001", jan_first, times=2)
    _fail(second_kiosk, "R0000001", jan_first, times=2)
    sign_in_resident(kiosk=kiosk, resident_number="R0000001", pin=temporary_pin, now=jan_first)
    left = KioskPinTries.objects.values_list("kiosk_id", "failed_tries")
    assert list(left) == [(second_kiosk.pk, 2)]


def test_a_reset_clears_the_residents_counts_at_every_kiosk(
    kiosk: Kiosk,
    second_kiosk: Kiosk,
    nurse: User,
    resident: Person,
    temporary_pin: str,
    jan_first: datetime,
) -> None:
    _fail(kiosk, "R0000001", jan_first, times=2)
    _fail(second_kiosk, "R0000001", jan_first, times=2)
    issue_pin(actor=nurse, person=resident)
    assert not KioskPinTries.objects.exists()


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


def test_many_failures_with_one_number_tell_staff_once_an_hour_and_never_block(
    kiosk: Kiosk, second_kiosk: Kiosk, resident: Person, temporary_pin: str, jan_first: datetime
) -> None:
    def suspected() -> list[AuditEvent]:
        return list(AuditEvent.objects.filter(action="kiosk.pin_attack_suspected"))

    # Failures at either kiosk count towards one resident's spell.
    at = jan_first
    for index in range(2 * pins.SUSPICIOUS_FAILURES):
        if index == pins.SUSPICIOUS_FAILURES - 1:
            assert suspected() == []
        _fail([kiosk, second_kiosk][index % 2], "R0000001", at, times=1)
        at += timedelta(seconds=61)
    (event,) = suspected()
    assert (event.person_id, event.actor_id) == (resident.pk, None)
    assert event.detail == {"failures": pins.SUSPICIOUS_FAILURES, "within_seconds": 3600}
    # A signal for staff only: the resident signs in at once at a kiosk of no recent failures.
    third = register_kiosk(actor=kiosk.registered_by, facility=kiosk.facility, name="C Pod")[0]
    outcome = sign_in_resident(kiosk=third, resident_number="R0000001", pin=temporary_pin, now=at)
    assert outcome.result == SignInResult.SIGNED_IN

    # An hour after the spell began, the next failures make a new spell, told once more.
    at = jan_first + pins.SUSPICION_PERIOD
    for _ in range(pins.SUSPICIOUS_FAILURES):
        _fail(kiosk, "R0000001", at, times=1)
        at += timedelta(seconds=61)
    assert len(suspected()) == 2


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
