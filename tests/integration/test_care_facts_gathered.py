"""The facts a policy reads, gathered from the records in bulk, each checked against a
reckoning made here row by row; a fact the records cannot give is missing, never zero (I9)."""

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.care.fact_sources import raw_facts_for
from kiteline.care.facts import check_facts
from kiteline.care.models import Appeal, Decision, LevelAssignment, Service
from kiteline.care.services import (
    assign_level,
    confirm_decision,
    decide_appeal,
    file_appeal,
    override_decision,
    request_decision,
)
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import rebook_person, release_person
from kiteline.kites.models import Kite, Status, Urgency, WatchStatus
from kiteline.kites.watch import clear_watch, set_watch
from kiteline.screening.models import Administration
from tests.integration.care_world import (
    book,
    kite,
    publish,
    screen,
    service_of,
    staff,
    therapy_policy,
)

SCREENS = {"phq9-v1": "phq9", "gad7-v1": "gad7", "pcl5-v1": "pcl5", "cssrs-screener-v1": "cssrs"}
CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def clinician(facility: Facility) -> User:
    return staff(Role.CLINICIAN, facility, "test-clinician")


@pytest.fixture
def second_clinician(facility: Facility) -> User:
    return staff(Role.CLINICIAN, facility, "second-clinician")


@pytest.fixture
def supervisor(facility: Facility) -> User:
    return staff(Role.SUPERVISOR, facility, "test-supervisor")


@pytest.fixture
def booking(unit_a: HousingUnit) -> Booking:
    return book(unit_a, 1)


@pytest.fixture
def now() -> datetime:
    return timezone.now()


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CHICAGO)


def facts_of(booking: Booking, now: datetime) -> dict[str, object]:
    return raw_facts_for(Booking.objects.filter(pk=booking.pk), now)[booking.pk]


def known(raw: dict[str, object]) -> dict[str, object]:
    """The facts as the engine holds them: missing ones left out, values checked."""
    return dict(check_facts(raw).values)


def reckon(booking: Booking, now: datetime) -> dict[str, object]:
    """Each fact worked out one record at a time, the plain way, to compare with the bulk
    gathering."""
    zone = ZoneInfo(booking.facility.time_zone)
    today = now.astimezone(zone).date()
    facts: dict[str, object] = {
        "language": booking.person.language,
        "days_since_booking": (today - booking.booked_at.astimezone(zone).date()).days + 1,
    }
    level = LevelAssignment.objects.filter(booking=booking).order_by("-assigned_at", "-pk").first()
    if level is not None:
        facts["level_of_care"] = level.level
    for instrument, prefix in SCREENS.items():
        done = [
            s
            for s in Administration.objects.filter(person=booking.person, instrument=instrument)
            if s.complete and s.submitted_at is not None
        ]
        if not done:
            continue
        latest = max(done, key=lambda s: s.submitted_at or now)
        assert latest.submitted_at is not None
        day = latest.submitted_at.astimezone(zone).date()
        facts[f"{prefix}_date"] = day
        facts[f"days_since_{prefix}"] = (today - day).days
        if prefix == "cssrs":
            flags = set(latest.flags)
            facts["cssrs_risk"] = (
                "imminent"
                if "cssrs-imminent" in flags
                else "refer"
                if "cssrs-refer" in flags
                else "none"
            )
        else:
            facts[f"{prefix}_total"] = latest.total
    facts["open_kites"] = sum(
        1 for k in Kite.objects.filter(booking=booking) if k.status != Status.CLOSED
    )
    facts["crises_past_30_days"] = sum(
        1
        for k in Kite.objects.filter(person=booking.person)
        if k.urgency == Urgency.EMERGENT and now - k.received_at <= timedelta(days=30)
    )
    facts["on_watch"] = any(
        w.cleared_at is None for w in WatchStatus.objects.filter(booking=booking)
    )
    earlier: list[dict[str, object]] = []
    latest_outcome: dict[str, str] = {}
    signed = [d for d in Decision.objects.filter(booking=booking) if d.decided_at is not None]
    for decision in sorted(signed, key=lambda d: (d.decided_at or now, d.pk)):
        assert decision.decided_at is not None
        appeal = Appeal.objects.filter(decision=decision).first()
        outcome = "eligible" if appeal and appeal.outcome == "overturned" else decision.outcome
        earlier.append(
            {
                "service": decision.service.code,
                "outcome": outcome,
                "days_ago": (now - decision.decided_at).days,
            }
        )
        latest_outcome[decision.service.code] = outcome
    facts["earlier_decisions"] = earlier
    facts["current_services"] = sorted(s for s, o in latest_outcome.items() if o == "eligible")
    return facts


# --- screens ---------------------------------------------------------------------------------


def test_the_latest_complete_phq9_gives_the_total_and_its_local_day(
    clinician: User, booking: Booking, now: datetime
) -> None:
    today = now.astimezone(CHICAGO).date()
    screen(booking, "phq9-v1", local(today - timedelta(days=9), 10), by=clinician, total=21)
    # 23:30 in Chicago is the next day in UTC: the day is the facility's.
    screen(booking, "phq9-v1", local(today - timedelta(days=3), 23, 30), by=clinician, total=16)
    # Later, but not complete, or never submitted: neither counts.
    screen(booking, "phq9-v1", local(today - timedelta(days=1), 9), by=clinician, complete=False)
    Administration.objects.create(
        person=booking.person,
        booking=booking,
        facility=booking.facility,
        instrument="phq9-v1",
        language="en",
        started_by=clinician,
        started_at=now - timedelta(hours=1),
    )
    facts = facts_of(booking, now)
    assert facts["phq9_total"] == 16
    assert facts["phq9_date"] == today - timedelta(days=3)
    assert facts["days_since_phq9"] == 3


def test_gad7_and_pcl5_totals_come_from_their_own_latest_screens(
    clinician: User, booking: Booking, now: datetime
) -> None:
    screen(booking, "gad7-v1", now - timedelta(days=20), by=clinician, total=18)
    screen(booking, "gad7-v1", now - timedelta(days=2), by=clinician, total=4)
    screen(booking, "pcl5-v1", now - timedelta(days=5), by=clinician, total=52)
    facts = facts_of(booking, now)
    assert (facts["gad7_total"], facts["pcl5_total"]) == (4, 52)
    assert facts["days_since_pcl5"] == reckon(booking, now)["days_since_pcl5"]
    assert "phq9_total" not in facts


@pytest.mark.parametrize(
    ("flags", "risk"),
    [((), "none"), (("cssrs-refer",), "refer"), (("cssrs-refer", "cssrs-imminent"), "imminent")],
)
def test_the_c_ssrs_risk_comes_from_the_latest_screens_flags(
    clinician: User, booking: Booking, now: datetime, flags: tuple[str, ...], risk: str
) -> None:
    screen(booking, "cssrs-screener-v1", now - timedelta(days=4), by=clinician, flags=("x",))
    screen(booking, "cssrs-screener-v1", now - timedelta(days=1), by=clinician, flags=flags)
    facts = facts_of(booking, now)
    assert facts["cssrs_risk"] == risk
    assert "cssrs_total" not in facts
    assert check_facts(facts).values["cssrs_risk"] == risk


# --- requests, crises and watch --------------------------------------------------------------


def test_open_requests_are_those_of_this_stay_not_yet_answered(
    booking: Booking, unit_a: HousingUnit, now: datetime
) -> None:
    kite(booking, now - timedelta(days=1))
    kite(booking, now - timedelta(days=2), status=Status.TRIAGED)
    kite(booking, now - timedelta(days=3), status=Status.CLOSED)
    kite(book(unit_a, 2), now - timedelta(days=1))
    assert facts_of(booking, now)["open_kites"] == 2


def test_crises_are_the_emergent_items_of_the_past_30_days(
    booking: Booking, unit_a: HousingUnit, now: datetime
) -> None:
    kite(booking, now - timedelta(days=29), urgency=Urgency.EMERGENT, status=Status.CLOSED)
    kite(booking, now - timedelta(hours=2), urgency=Urgency.EMERGENT)
    kite(booking, now - timedelta(days=31), urgency=Urgency.EMERGENT, status=Status.CLOSED)
    kite(booking, now - timedelta(days=1), urgency=Urgency.URGENT)
    kite(book(unit_a, 2), now - timedelta(days=1), urgency=Urgency.EMERGENT)
    assert facts_of(booking, now)["crises_past_30_days"] == 2


def test_a_crisis_during_an_earlier_stay_of_the_past_30_days_counts(
    booking: Booking, unit_a: HousingUnit, now: datetime
) -> None:
    kite(booking, now - timedelta(days=2, hours=20), urgency=Urgency.EMERGENT, status="closed")
    release_person(actor=None, booking=booking, at=now - timedelta(days=2))
    again = rebook_person(
        actor=None,
        person=booking.person,
        housing_unit=unit_a,
        booked_at=now - timedelta(days=1),
        booking_number="B1-2",
    )
    facts = facts_of(again, now)
    assert facts["crises_past_30_days"] == 1
    assert facts["open_kites"] == 0


def test_on_watch_follows_the_watch_being_set_and_cleared(
    clinician: User, booking: Booking
) -> None:
    assert facts_of(booking, timezone.now())["on_watch"] is False
    watch = set_watch(actor=clinician, booking=booking, level="close", check_minutes=15)
    assert facts_of(booking, timezone.now())["on_watch"] is True
    clear_watch(actor=clinician, watch=watch)
    assert facts_of(booking, timezone.now())["on_watch"] is False


# --- the stay and the person ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("booked_days_ago", "hour", "minute", "expected"),
    [(0, 0, 1, 1), (1, 23, 50, 2), (9, 0, 15, 10)],
    ids=["today", "late-yesterday", "nine-days-back"],
)
def test_days_since_booking_count_local_days_with_booking_day_as_day_one(
    unit_a: HousingUnit, booked_days_ago: int, hour: int, minute: int, expected: int
) -> None:
    now = timezone.now()
    today = now.astimezone(CHICAGO).date()
    booked_at = min(local(today - timedelta(days=booked_days_ago), hour, minute), now)
    stay = book(unit_a, 3, booked_at=booked_at)
    facts = facts_of(stay, now)
    assert facts["days_since_booking"] == expected
    assert check_facts(facts).values["days_since_booking"] == expected


@pytest.mark.parametrize(
    ("recorded", "fact"),
    [("es", "es"), ("zh-Hant", "zh-Hant"), ("EN", "en"), ("pt_BR", "pt-BR"), ("English", None)],
)
def test_the_language_is_the_persons_or_missing_when_not_a_language(
    unit_a: HousingUnit, recorded: str, fact: str | None
) -> None:
    stay = book(unit_a, 4, language=recorded)
    facts = facts_of(stay, timezone.now())
    assert facts.get("language") == fact
    check_facts(facts)


def test_a_person_with_nothing_recorded_has_the_screens_missing_not_zero(
    booking: Booking, now: datetime
) -> None:
    facts = known(facts_of(booking, now))
    for prefix in ("phq9", "gad7", "pcl5"):
        assert f"{prefix}_total" not in facts
        assert f"{prefix}_date" not in facts
        assert f"days_since_{prefix}" not in facts
    assert "cssrs_risk" not in facts
    assert "level_of_care" not in facts
    assert "days_to_release" not in facts
    # Things that are counted are zero or empty: nothing open, nothing received.
    assert facts["open_kites"] == 0
    assert facts["crises_past_30_days"] == 0
    assert facts["on_watch"] is False
    assert facts["current_services"] == ()
    assert facts["earlier_decisions"] == ()


# --- decisions and services ------------------------------------------------------------------


@pytest.fixture
def therapy(supervisor: User, facility: Facility) -> Service:
    service = service_of(supervisor, facility)
    publish(supervisor, service, therapy_policy(15))
    return service


@pytest.fixture
def group(supervisor: User, facility: Facility) -> Service:
    service = service_of(supervisor, facility, "group_therapy")
    publish(supervisor, service, therapy_policy(5))
    return service


def decide(clinician: User, booking: Booking, service: Service, days_ago: int) -> Decision:
    decision = request_decision(actor=clinician, person=booking.person, service=service)
    if decision.proposed == "clinician_review":
        decision = override_decision(
            actor=clinician, decision=decision, outcome="eligible", reason="clinical_judgement"
        )
    else:
        decision = confirm_decision(actor=clinician, decision=decision)
    Decision.objects.filter(pk=decision.pk).update(
        decided_at=timezone.now() - timedelta(days=days_ago, hours=1)
    )
    decision.refresh_from_db()
    return decision


def test_earlier_decisions_and_current_services_count_an_overturned_appeal_as_eligible(
    clinician: User,
    second_clinician: User,
    booking: Booking,
    therapy: Service,
    group: Service,
) -> None:
    screen(booking, "phq9-v1", timezone.now() - timedelta(days=8), by=clinician, total=9)
    refused = decide(clinician, booking, therapy, days_ago=6)
    granted = decide(clinician, booking, group, days_ago=4)
    assert (refused.outcome, granted.outcome) == ("not_eligible", "eligible")
    now = timezone.now()
    facts = facts_of(booking, now)
    assert facts["earlier_decisions"] == [
        {"service": "individual_therapy", "outcome": "not_eligible", "days_ago": 6},
        {"service": "group_therapy", "outcome": "eligible", "days_ago": 4},
    ]
    assert facts["current_services"] == ["group_therapy"]
    # A pending appeal changes nothing; an overturned one makes the service the person's.
    appeal = file_appeal(actor=clinician, decision=refused, text="Please.")
    assert facts_of(booking, now)["current_services"] == ["group_therapy"]
    decide_appeal(actor=second_clinician, appeal=appeal, outcome="overturned", reason="Yes.")
    facts = facts_of(booking, now)
    assert facts["earlier_decisions"] == [
        {"service": "individual_therapy", "outcome": "eligible", "days_ago": 6},
        {"service": "group_therapy", "outcome": "eligible", "days_ago": 4},
    ]
    assert facts["current_services"] == ["group_therapy", "individual_therapy"]
    assert facts == reckon(booking, now)


def test_a_pending_decision_and_another_stays_decisions_are_not_earlier_decisions(
    clinician: User, booking: Booking, unit_a: HousingUnit, therapy: Service, group: Service
) -> None:
    decide(clinician, booking, group, days_ago=2)
    request_decision(actor=clinician, person=booking.person, service=therapy)
    neighbour = book(unit_a, 2)
    decide(clinician, neighbour, therapy, days_ago=1)
    facts = facts_of(booking, timezone.now())
    assert facts["earlier_decisions"] == [
        {"service": "group_therapy", "outcome": "eligible", "days_ago": 2}
    ]
    assert facts["current_services"] == ["group_therapy"]


# --- several people at once -----------------------------------------------------------------


def populate(
    rng: random.Random,
    stay: Booking,
    clinician: User,
    now: datetime,
    services: list[Service],
) -> None:
    """Records of every kind a fact reads, drawn at random for one stay."""
    for instrument in SCREENS:
        for _ in range(rng.randrange(3)):
            at = now - timedelta(days=rng.randrange(40), minutes=rng.randrange(1, 1440))
            if instrument == "cssrs-screener-v1":
                flags = rng.choice([(), ("cssrs-refer",), ("cssrs-refer", "cssrs-imminent")])
                screen(stay, instrument, at, by=clinician, flags=flags, complete=rng.random() < 0.8)
            else:
                screen(stay, instrument, at, by=clinician, total=rng.randrange(20))
    for _ in range(rng.randrange(4)):
        kite(
            stay,
            now - timedelta(days=rng.randrange(45), minutes=rng.randrange(1, 1440)),
            urgency=rng.choice(list(Urgency)),
            status=rng.choice([Status.RECEIVED, Status.TRIAGED, Status.CLOSED]),
        )
    for _ in range(rng.randrange(3)):
        level = rng.choice(["outpatient", "enhanced", "crisis"])
        assign_level(actor=clinician, person=stay.person, level=level, reason="Seen.")
    if rng.random() < 0.3:
        WatchStatus.objects.create(
            booking=stay, level="close", check_minutes=15, set_at=now, set_by=clinician
        )
    for service in rng.sample(services, rng.randrange(len(services) + 1)):
        decide(clinician, stay, service, days_ago=rng.randrange(20))


def test_every_fact_agrees_with_a_reckoning_by_hand_for_several_people(
    clinician: User, unit_a: HousingUnit, therapy: Service, group: Service
) -> None:
    rng = random.Random(7)  # noqa: S311 -- test data, reproducible by seed
    now = timezone.now()
    stays = [
        book(
            unit_a,
            10 + n,
            booked_at=now - timedelta(days=rng.randrange(60), minutes=rng.randrange(1, 1440)),
            language=rng.choice(["en", "es", "vi"]),
        )
        for n in range(6)
    ]
    for stay in stays:
        populate(rng, stay, clinician, now, [therapy, group])
    gathered = raw_facts_for(Booking.objects.filter(pk__in=[s.pk for s in stays]), now)
    assert set(gathered) == {stay.pk for stay in stays}
    for stay in stays:
        assert known(gathered[stay.pk]) == known(reckon(stay, now)), stay.booking_number


def test_the_number_of_queries_does_not_grow_with_the_number_of_people(
    clinician: User, unit_a: HousingUnit, therapy: Service, group: Service
) -> None:
    rng = random.Random(11)  # noqa: S311 -- test data, reproducible by seed
    now = timezone.now()
    stays = [book(unit_a, 100 + n) for n in range(30)]
    for stay in stays:
        populate(rng, stay, clinician, now, [therapy, group])

    def queries(people: list[Booking]) -> int:
        with CaptureQueriesContext(connection) as captured:
            facts = raw_facts_for(Booking.objects.filter(pk__in=[s.pk for s in people]), now)
        assert len(facts) == len(people)
        return len(captured.captured_queries)

    assert queries(stays[:3]) == queries(stays)
