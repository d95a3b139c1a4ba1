import re
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from kiteline.accounts.models import ResidentPin, Role, User
from kiteline.facilities.models import Booking, Facility, HousingUnit, Person, Placement
from kiteline.facilities.seeding import DEMO_PASSWORD, DEMO_USERS, SeedError, seed_facility
from kiteline.facilities.synthetic import SyntheticPlan, plan_facility

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 1, tzinfo=UTC)

Snapshot = tuple[list[tuple[object, ...]], ...]


def small_plan(seed: int = 5) -> SyntheticPlan:
    return plan_facility(kind="jail", residents=60, seed=seed, now=NOW)


def snapshot() -> Snapshot:
    """The roster as plain values, without the database's ids."""
    return (
        sorted(Facility.objects.values_list("code", "name", "kind", "time_zone")),
        sorted(HousingUnit.objects.values_list("facility__code", "code", "name")),
        sorted(
            Person.objects.values_list(
                "resident_number",
                "given_name",
                "family_name",
                "date_of_birth",
                "sex",
                "language",
                "needs_interpreter",
                "reads_without_help",
                "race_ethnicity",
            )
        ),
        sorted(
            Booking.objects.values_list(
                "booking_number", "person__resident_number", "facility__code", "booked_at"
            )
        ),
        sorted(
            Booking.objects.filter(released_at__isnull=False).values_list(
                "booking_number", "released_at"
            )
        ),
        sorted(
            Placement.objects.values_list(
                "booking__booking_number",
                "housing_unit__facility__code",
                "housing_unit__code",
                "started_at",
            )
        ),
        sorted(
            Placement.objects.filter(ended_at__isnull=False).values_list(
                "booking__booking_number", "started_at", "ended_at"
            )
        ),
    )


def delete_roster() -> None:
    Placement.objects.all().delete()
    Booking.objects.all().delete()
    Person.objects.all().delete()
    HousingUnit.objects.all().delete()
    Facility.objects.all().delete()


def test_it_stores_the_whole_plan() -> None:
    plan = small_plan()
    result = seed_facility(actor=None, plan=plan, demo=False)
    bookings = [booking for person in plan.people for booking in person.bookings]
    assert not result.reused
    assert result.created.people == Person.objects.count() == len(plan.people)
    assert result.created.bookings == Booking.objects.count() == len(bookings)
    assert result.created.in_custody == Booking.objects.filter(released_at=None).count() == 60
    assert result.created.placements == Placement.objects.count()
    assert [f.code for f in result.facilities] == [plan.main.code, plan.annex.code]


def test_seeding_twice_creates_nothing_the_second_time() -> None:
    seed_facility(actor=None, plan=small_plan(), demo=True)
    before = snapshot()
    users = User.objects.count()
    result = seed_facility(actor=None, plan=small_plan(), demo=True)
    assert result.reused
    assert result.created.people == 0
    assert result.users_created == ()
    assert snapshot() == before
    assert User.objects.count() == users


def test_two_fresh_seeds_with_the_same_seed_store_the_same_roster() -> None:
    seed_facility(actor=None, plan=small_plan(), demo=False)
    first = snapshot()
    delete_roster()
    seed_facility(actor=None, plan=small_plan(), demo=False)
    assert snapshot() == first


def test_it_refuses_a_plan_whose_numbers_another_roster_holds() -> None:
    seed_facility(actor=None, plan=small_plan(seed=5), demo=False)
    with pytest.raises(SeedError, match="already in use"):
        seed_facility(actor=None, plan=small_plan(seed=6), demo=False)
    assert not Facility.objects.filter(code="synthetic-jail-6").exists()


def test_it_refuses_when_only_the_annex_exists() -> None:
    plan = small_plan()
    Facility.objects.create(
        code=plan.annex.code, name="Stray annex", kind="jail", time_zone="America/Chicago"
    )
    with pytest.raises(SeedError, match="Only one of the facilities"):
        seed_facility(actor=None, plan=plan, demo=False)


def test_demo_mode_creates_the_six_staff_who_sign_in_with_the_demo_password() -> None:
    result = seed_facility(actor=None, plan=small_plan(), demo=True)
    for username, role in DEMO_USERS:
        user = authenticate(
            RequestFactory().post("/accounts/sign-in/"), username=username, password=DEMO_PASSWORD
        )
        assert isinstance(user, User)
        assert user.role == role
    assert User.objects.exclude(role=Role.RESIDENT).count() == 6
    # The ten residents printed for the kiosk each hold a temporary PIN to replace.
    pins = ResidentPin.objects.filter(
        person__resident_number__in=[r.resident_number for r in result.kiosk_residents]
    )
    assert pins.count() == len(result.kiosk_residents) == 10
    assert all(pin.must_change for pin in pins)
    assert all(
        r.pin
        and check_password(r.pin, pins.get(person__resident_number=r.resident_number).pin_hash)
        for r in result.kiosk_residents
    )


def test_demo_mode_leaves_an_existing_user_as_it_is(nurse: User) -> None:
    nurse.username = "nurse"
    nurse.save()
    result = seed_facility(actor=None, plan=small_plan(), demo=True)
    assert result.users_existing == ("nurse",)
    assert (
        authenticate(
            RequestFactory().post("/accounts/sign-in/"), username="nurse", password=DEMO_PASSWORD
        )
        is None
    )


def test_without_demo_mode_it_creates_no_users() -> None:
    seed_facility(actor=None, plan=small_plan(), demo=False)
    assert not User.objects.exists()


def test_the_kiosk_residents_are_ten_people_in_custody_now() -> None:
    result = seed_facility(actor=None, plan=small_plan(), demo=False)
    numbers = [resident.resident_number for resident in result.kiosk_residents]
    assert len(numbers) == 10
    in_custody = Booking.objects.filter(person__resident_number__in=numbers, released_at=None)
    assert in_custody.count() == 10


def test_the_command_lists_ten_residents_in_custody_and_the_sign_ins() -> None:
    out = StringIO()
    call_command("seed", "--residents", "40", "--seed", "3", "--demo", stdout=out)
    output = out.getvalue()
    numbers = re.findall(r"^  (R\d{7})  PIN", output, flags=re.M)
    assert len(numbers) == 10
    assert (
        Booking.objects.filter(person__resident_number__in=numbers, released_at=None).count() == 10
    )
    assert f"password {DEMO_PASSWORD}" in output
    assert all(username in output for username, _ in DEMO_USERS)
    assert "40 of them in custody now" in output


def test_the_command_says_when_it_reuses_the_facility() -> None:
    call_command("seed", "--residents", "20", stdout=StringIO())
    out = StringIO()
    call_command("seed", "--residents", "20", stdout=out)
    assert "synthetic-jail-1) already exists, so nothing was created" in out.getvalue()
    assert "password" not in out.getvalue()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--residents", "0"], "from 1 to 2,000,000"),
        (["--residents", "-5"], "from 1 to 2,000,000"),
        (["--residents", "2000001"], "from 1 to 2,000,000"),
        (["--residents", "many"], "invalid int value"),
        (["--kind", "camp"], "invalid choice"),
        (["--seed", "-1"], "seed must be a whole number"),
    ],
)
def test_the_command_refuses_bad_arguments(arguments: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("seed", *arguments, stdout=StringIO())
    assert not Facility.objects.exists()


def test_the_command_refuses_an_unknown_kind_given_as_an_option() -> None:
    with pytest.raises(CommandError, match="kind must be one of jail, prison"):
        call_command("seed", kind="camp", stdout=StringIO())
