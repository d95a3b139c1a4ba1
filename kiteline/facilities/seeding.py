"""Store a synthetic plan (see `synthetic`) as roster rows, for demos, tests and benchmarks.

Seeding is safe to re-run: when the plan's facilities already exist nothing of the roster
is created. Demo mode adds the demo sign-ins that are missing, even to a roster seeded
before. Outside demo mode no user is created at all, so seeding a real installation never
leaves an account with a published password.
"""

from dataclasses import dataclass
from itertools import batched

from django.db import transaction

from kiteline.accounts.kiosk_services import issue_pin
from kiteline.accounts.models import Role, User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Booking, Facility, HousingUnit, Person, Placement
from kiteline.facilities.signals import bookings_started
from kiteline.facilities.synthetic import SyntheticPlan

# Published in the README so that anyone can try the demo; only ever set in demo mode.
DEMO_PASSWORD = "kiteline-demo"  # noqa: S105
DEMO_USERS = (
    ("nurse", Role.NURSE),
    ("clinician", Role.CLINICIAN),
    # Appeals go to a clinician other than the one who decided (I4).
    ("clinician2", Role.CLINICIAN),
    ("custody", Role.CUSTODY),
    ("supervisor", Role.SUPERVISOR),
    ("auditor", Role.AUDITOR),
)
KIOSK_RESIDENTS = 10
# Django lowers it further to what one statement may hold (SQLite limits its variables).
BATCH_SIZE = 2_000
# Well under the 999 variables of SQLite builds older than 3.32.
NUMBERS_PER_QUERY = 500
NUMBER_TAKEN = (
    "is already in use. Synthetic rosters from different seeds cannot share a database; "
    "seed into a fresh one."
)


class SeedError(ValueError):
    """A plan that cannot be stored, with the reason in plain words."""


@dataclass(frozen=True)
class SeedCounts:
    housing_units: int = 0
    people: int = 0
    bookings: int = 0
    in_custody: int = 0
    placements: int = 0


@dataclass(frozen=True)
class KioskResident:
    resident_number: str
    name: str
    # A temporary PIN, issued in demo mode only; the resident chooses their own at first use.
    pin: str | None = None


@dataclass(frozen=True)
class SeedResult:
    # True when the main facility already existed and nothing of the roster was created.
    reused: bool
    # The main facility, then its annex.
    facilities: tuple[Facility, Facility]
    created: SeedCounts
    users_created: tuple[str, ...]
    users_existing: tuple[str, ...]
    # People in custody now at the two facilities, to sign in at the kiosk with.
    kiosk_residents: tuple[KioskResident, ...]


@transaction.atomic
def seed_facility(*, actor: User | None, plan: SyntheticPlan, demo: bool) -> SeedResult:
    """Store the plan unless its main facility exists; in demo mode, add the demo sign-ins."""
    existing = {
        f.code: f for f in Facility.objects.filter(code__in=[plan.main.code, plan.annex.code])
    }
    main, annex = existing.get(plan.main.code), existing.get(plan.annex.code)
    reused = main is not None
    if main is not None and annex is not None:
        facilities, created = (main, annex), SeedCounts()
    elif main is None and annex is None:
        facilities, created = _create_roster(plan)
        # Bulk-created rows get one event per facility rather than one per row.
        for facility in facilities:
            record_event(
                actor=actor,
                action="roster.seed",
                facility=facility,
                detail={"kind": plan.kind, "seed": plan.seed, **vars(created)},
            )
    else:
        raise SeedError(
            f"Only one of the facilities {plan.main.code} and {plan.annex.code} exists, so "
            "this roster can be neither reused nor created."
        )
    users_created, users_existing = _create_demo_users(facilities) if demo else ((), ())
    return SeedResult(
        reused=reused,
        facilities=facilities,
        created=created,
        users_created=users_created,
        users_existing=users_existing,
        kiosk_residents=_kiosk_residents(facilities, issue_pins=demo),
    )


def _create_roster(plan: SyntheticPlan) -> tuple[tuple[Facility, Facility], SeedCounts]:
    _check_numbers_are_free(plan)
    main, annex = Facility.objects.bulk_create(
        Facility(code=f.code, name=f.name, kind=f.kind, time_zone=f.time_zone)
        for f in plan.facilities
    )
    facility_ids = {main.code: main.pk, annex.code: annex.pk}
    units = HousingUnit.objects.bulk_create(
        (
            HousingUnit(facility_id=facility_ids[u.facility_code], code=u.code, name=u.name)
            for u in plan.units
        ),
        batch_size=BATCH_SIZE,
    )
    unit_ids = {
        (plan_unit.facility_code, plan_unit.code): unit.pk
        for plan_unit, unit in zip(plan.units, units, strict=True)
    }
    people = Person.objects.bulk_create(
        (
            Person(
                resident_number=p.resident_number,
                given_name=p.given_name,
                family_name=p.family_name,
                date_of_birth=p.date_of_birth,
                sex=p.sex,
                language=p.language,
                needs_interpreter=p.needs_interpreter,
                reads_without_help=p.reads_without_help,
                race_ethnicity=p.race_ethnicity,
            )
            for p in plan.people
        ),
        batch_size=BATCH_SIZE,
    )
    planned_bookings = [
        (person.pk, booking)
        for person, plan_person in zip(people, plan.people, strict=True)
        for booking in plan_person.bookings
    ]
    bookings = Booking.objects.bulk_create(
        (
            Booking(
                person_id=person_id,
                booking_number=b.booking_number,
                facility_id=facility_ids[b.facility_code],
                booked_at=b.booked_at,
                released_at=b.released_at,
            )
            for person_id, b in planned_bookings
        ),
        batch_size=BATCH_SIZE,
    )
    placements = Placement.objects.bulk_create(
        (
            Placement(
                booking_id=booking.pk,
                housing_unit_id=unit_ids[p.facility_code, p.unit_code],
                started_at=p.started_at,
                ended_at=p.ended_at,
            )
            for booking, (_, plan_booking) in zip(bookings, planned_bookings, strict=True)
            for p in plan_booking.placements
        ),
        batch_size=BATCH_SIZE,
    )
    bookings_started.send(
        sender=Booking, bookings=[booking for booking in bookings if booking.released_at is None]
    )
    counts = SeedCounts(
        housing_units=len(units),
        people=len(people),
        bookings=len(bookings),
        in_custody=sum(b.released_at is None for _, b in planned_bookings),
        placements=len(placements),
    )
    return (main, annex), counts


def _check_numbers_are_free(plan: SyntheticPlan) -> None:
    """Refuse a plan whose numbers another roster holds, rather than fail on a constraint."""
    resident_numbers = (person.resident_number for person in plan.people)
    for batch in batched(resident_numbers, NUMBERS_PER_QUERY):
        taken = (
            Person.objects.filter(resident_number__in=batch)
            .values_list("resident_number", flat=True)
            .first()
        )
        if taken is not None:
            raise SeedError(f"Resident number {taken} {NUMBER_TAKEN}")
    booking_numbers = (b.booking_number for person in plan.people for b in person.bookings)
    for batch in batched(booking_numbers, NUMBERS_PER_QUERY):
        taken = (
            Booking.objects.filter(booking_number__in=batch)
            .values_list("booking_number", flat=True)
            .first()
        )
        if taken is not None:
            raise SeedError(f"Booking number {taken} {NUMBER_TAKEN}")


def _create_demo_users(
    facilities: tuple[Facility, Facility],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Create the demo sign-ins that do not exist yet, and let every one of them see the
    seeded facilities; an existing user's password is left as it is."""
    usernames = [username for username, _ in DEMO_USERS]
    existing = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    for username, role in DEMO_USERS:
        if username not in existing:
            user = User.objects.create_user(username=username, password=DEMO_PASSWORD, role=role)
            record_event(
                actor=None,
                action="account.create",
                facility=None,
                subjects=[f"user:{user.pk}"],
                detail={"role": role, "demo": True},
            )
    for user in User.objects.filter(username__in=usernames).exclude(facilities__in=facilities):
        user.facilities.add(*facilities)
        record_event(
            actor=None,
            action="account.facilities",
            facility=None,
            subjects=[f"user:{user.pk}"],
            detail={"added": sorted(f.code for f in facilities)},
        )
    return (
        tuple(username for username in usernames if username not in existing),
        tuple(username for username in usernames if username in existing),
    )


def _kiosk_residents(
    facilities: tuple[Facility, Facility], *, issue_pins: bool
) -> tuple[KioskResident, ...]:
    people = Person.objects.filter(
        bookings__released_at__isnull=True, bookings__facility__in=facilities
    ).order_by("resident_number")[:KIOSK_RESIDENTS]
    # The demo nurse issues the PINs, as a nurse would at booking.
    issuer = User.objects.get(username="nurse") if issue_pins else None
    return tuple(
        KioskResident(
            resident_number=person.resident_number,
            name=f"{person.given_name} {person.family_name}",
            pin=None if issuer is None else issue_pin(actor=issuer, person=person),
        )
        for person in people
    )
