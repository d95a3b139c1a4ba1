"""Sampled case review: a reproducible draw of records by seed and size, inside the period
(in the facility's local days) and the facility; records opened only through a sample; and
every sample and record opened audited (I6, I7)."""

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.care.models import Appeal, Decision, Outcome
from kiteline.care.services import confirm_decision, file_appeal, request_decision
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.kites.models import Breach, Clock, ClockKind, Kite
from kiteline.reports.errors import ReportError
from kiteline.reports.models import CaseSample, SampleKind
from kiteline.reports.sample_records import KiteRecord
from kiteline.reports.sample_selectors import case_record, sample_list
from kiteline.reports.sample_services import draw_sample
from kiteline.screening.models import Evaluation, EvaluationKind, EvaluationReason
from tests.integration.care_world import (
    book,
    kite,
    publish,
    screen,
    service_of,
    staff,
    therapy_policy,
)

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")  # the `facility` fixture's zone
JANUARY = (date(2026, 1, 1), date(2026, 1, 31))
BOOKED_AT = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CHICAGO)


def today() -> date:
    return timezone.now().astimezone(CHICAGO).date()


@pytest.fixture
def auditor(facility: Facility) -> User:
    return staff(Role.AUDITOR, facility, "test-auditor")


@pytest.fixture
def booking(unit_a: HousingUnit) -> Booking:
    return book(unit_a, 1, booked_at=BOOKED_AT)


@pytest.fixture
def january_kites(booking: Booking) -> list[int]:
    """Thirty requests, one a day from 1 January at ten in the morning, facility time."""
    return [kite(booking, local(date(2026, 1, day), 10)).pk for day in range(1, 31)]


def draw_january(auditor: User, *, seed: int = 7, size: int = 10) -> CaseSample:
    return draw_sample(
        actor=auditor,
        facility=auditor.facilities.get(),
        kind=SampleKind.KITES,
        first_day=JANUARY[0],
        last_day=JANUARY[1],
        seed=seed,
        size=size,
    )


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


# ---- The draw --------------------------------------------------------------------------


def test_the_same_seed_size_kind_and_period_draw_the_same_records(
    auditor: User, january_kites: list[int]
) -> None:
    first, second = draw_january(auditor), draw_january(auditor)
    assert first.pk != second.pk
    assert first.record_ids == second.record_ids
    # And it is the documented draw, done here by hand over the population by primary key.
    assert first.record_ids == random.Random(7).sample(sorted(january_kites), 10)  # noqa: S311


def test_a_different_seed_draws_different_records(auditor: User, january_kites: list[int]) -> None:
    assert draw_january(auditor, seed=7).record_ids != draw_january(auditor, seed=8).record_ids


def test_the_draw_never_exceeds_the_population(auditor: User, january_kites: list[int]) -> None:
    sample = draw_january(auditor, size=500)
    assert sample.population == 30
    assert sample.size == 500
    assert sorted(sample.record_ids) == sorted(january_kites)


def test_the_draw_stays_inside_the_period_in_the_facility_local_days(
    auditor: User, booking: Booking
) -> None:
    before = kite(booking, local(date(2025, 12, 31), 23, 50))  # 1 January in UTC
    first = kite(booking, local(date(2026, 1, 1), 0, 10))
    last = kite(booking, local(date(2026, 1, 31), 23, 50))  # 1 February in UTC
    after = kite(booking, local(date(2026, 2, 1), 0, 10))
    sample = draw_january(auditor, size=500)
    assert sorted(sample.record_ids) == [first.pk, last.pk]
    assert {before.pk, after.pk}.isdisjoint(sample.record_ids)


def test_the_draw_stays_inside_the_facility(
    auditor: User, january_kites: list[int], south_unit: HousingUnit
) -> None:
    elsewhere = book(south_unit, 2, booked_at=BOOKED_AT)
    south = [kite(elsewhere, local(date(2026, 1, 15), 10)).pk for _ in range(5)]
    sample = draw_january(auditor, size=500)
    assert set(sample.record_ids) == set(january_kites)
    assert set(south).isdisjoint(sample.record_ids)


def test_decisions_count_on_the_day_they_were_signed_and_only_once_signed(
    auditor: User, booking: Booking, facility: Facility
) -> None:
    supervisor = staff(Role.SUPERVISOR, facility, "test-supervisor")
    clinician = staff(Role.CLINICIAN, facility, "test-clinician")
    service = service_of(supervisor, facility)
    publish(supervisor, service, therapy_policy(15))
    screen(booking, "phq9-v1", timezone.now() - timedelta(hours=2), by=clinician, total=8)
    signed = confirm_decision(
        actor=clinician,
        decision=request_decision(actor=clinician, person=booking.person, service=service),
    )
    waiting = request_decision(actor=clinician, person=booking.person, service=service)
    sample = draw_sample(
        actor=auditor,
        facility=facility,
        kind=SampleKind.DECISIONS,
        first_day=today(),
        last_day=today(),
        seed=1,
        size=10,
    )
    assert sample.record_ids == [signed.pk]
    assert waiting.pk not in sample.record_ids


def test_evaluations_count_on_the_day_they_were_opened(
    auditor: User, booking: Booking, facility: Facility
) -> None:
    def opened(at: datetime) -> Evaluation:
        return Evaluation.objects.create(
            booking=booking,
            person=booking.person,
            facility=facility,
            kind=EvaluationKind.EVALUATION,
            urgency="routine",
            reason=EvaluationReason.RECEIVING_SCREEN,
            opened_at=at,
            due_at=at + timedelta(days=14),
        )

    inside = opened(local(date(2026, 1, 20), 9))
    opened(local(date(2026, 2, 1), 9))
    sample = draw_sample(
        actor=auditor,
        facility=facility,
        kind=SampleKind.EVALUATIONS,
        first_day=JANUARY[0],
        last_day=JANUARY[1],
        seed=3,
        size=10,
    )
    assert sample.record_ids == [inside.pk]


# ---- Refusals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"size": "0"}, "The size is a whole number from 1 to 500."),
        ({"size": "501"}, "The size is a whole number from 1 to 500."),
        ({"last_day": "2025-12-31"}, "The last day of the period is before its first day."),
        ({"seed": "twelve"}, "The seed is a whole number, 0 or more, such as 20260401."),
        ({"seed": "-1"}, "The seed is a whole number, 0 or more, such as 20260401."),
        ({"first_day": "2024-01-01"}, "A period is at most 366 days"),
        ({"first_day": "2099-01-01", "last_day": "2099-01-31"}, "The period ends after today"),
        ({"kind": "notes"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_writes_nothing(
    auditor: User,
    facility: Facility,
    january_kites: list[int],
    change: dict[str, str],
    message: str,
) -> None:
    form = {
        "facility": str(facility.pk),
        "kind": "kites",
        "first_day": "2026-01-01",
        "last_day": "2026-01-31",
        "size": "10",
        "seed": "7",
    }
    client = signed_in(auditor)
    written = AuditEvent.objects.count()
    response = client.post(reverse("reports-sample-draw"), {**form, **change}, follow=True)
    assert response.redirect_chain == [(reverse("reports-samples"), 302)]
    assert message in response.content.decode()
    assert not CaseSample.objects.exists()
    assert AuditEvent.objects.count() == written


def test_a_facility_that_is_not_the_auditors_is_refused(
    auditor: User, other_facility: Facility
) -> None:
    with pytest.raises(ReportError, match="not one of yours"):
        draw_sample(
            actor=auditor,
            facility=other_facility,
            kind=SampleKind.KITES,
            first_day=JANUARY[0],
            last_day=JANUARY[1],
            seed=1,
            size=5,
        )
    assert not CaseSample.objects.exists()


def test_only_an_auditor_draws_a_sample(facility: Facility, january_kites: list[int]) -> None:
    supervisor = staff(Role.SUPERVISOR, facility, "test-supervisor")
    with pytest.raises(ReportError, match="Only an auditor"):
        draw_january(supervisor)


def test_a_period_with_nothing_in_it_is_refused(auditor: User, booking: Booking) -> None:
    with pytest.raises(ReportError, match="nothing to draw"):
        draw_january(auditor)
    assert not CaseSample.objects.exists()


# ---- Who may open what -----------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.NURSE, Role.CLINICIAN, Role.CUSTODY, Role.SUPERVISOR])
def test_other_staff_cannot_open_the_case_review_pages(
    role: Role, auditor: User, facility: Facility, january_kites: list[int]
) -> None:
    sample = draw_january(auditor)
    record = {"sample_id": sample.pk, "record_id": sample.record_ids[0]}
    client = signed_in(staff(role, facility, f"test-{role}"))
    assert client.get(reverse("reports-samples")).status_code == 403
    assert client.get(reverse("reports-sample", kwargs={"sample_id": sample.pk})).status_code == 403
    assert client.get(reverse("reports-sample-record", kwargs=record)).status_code == 403
    assert client.post(reverse("reports-sample-draw"), {}).status_code == 403


def test_a_record_outside_the_sample_is_not_found(auditor: User, january_kites: list[int]) -> None:
    sample = draw_january(auditor, size=1)
    outside = next(pk for pk in january_kites if pk not in sample.record_ids)
    url = reverse("reports-sample-record", kwargs={"sample_id": sample.pk, "record_id": outside})
    assert signed_in(auditor).get(url).status_code == 404
    assert not events("reports.sample_record_read")


def test_a_sample_of_another_facility_is_not_found(
    auditor: User, january_kites: list[int], other_facility: Facility
) -> None:
    sample = draw_january(auditor)
    elsewhere = staff(Role.AUDITOR, other_facility, "south-auditor")
    client = signed_in(elsewhere)
    record = {"sample_id": sample.pk, "record_id": sample.record_ids[0]}
    assert client.get(reverse("reports-sample", kwargs={"sample_id": sample.pk})).status_code == 404
    assert client.get(reverse("reports-sample-record", kwargs=record)).status_code == 404
    assert sample_list(actor=elsewhere).rows == []


def test_the_list_shows_the_samples_of_the_auditors_facilities_whoever_drew_them(
    auditor: User, facility: Facility, january_kites: list[int]
) -> None:
    colleague = staff(Role.AUDITOR, facility, "court-monitor")
    mine, theirs = draw_january(auditor), draw_january(colleague, seed=99)
    response = signed_in(auditor).get(reverse("reports-samples"))
    assert [row.sample_id for row in response.context["page"].rows] == [theirs.pk, mine.pk]


# ---- Pages and their audit events ------------------------------------------------------


def test_drawing_records_one_event_with_the_sample_and_numbers_only(
    auditor: User, facility: Facility, january_kites: list[int]
) -> None:
    form = {
        "facility": str(facility.pk),
        "kind": "kites",
        "first_day": "2026-01-01",
        "last_day": "2026-01-31",
        "size": "4",
        "seed": "20260401",
    }
    response = signed_in(auditor).post(reverse("reports-sample-draw"), form)
    sample = CaseSample.objects.get()
    assert response["Location"] == reverse("reports-sample", kwargs={"sample_id": sample.pk})
    (event,) = events("reports.sample_draw")
    assert event.chain == facility.code
    assert event.actor_id == auditor.pk
    assert event.subjects == [f"case_sample:{sample.pk}"]
    assert event.detail == {
        "kind": "kites",
        "first_day": "2026-01-01",
        "last_day": "2026-01-31",
        "seed": 20260401,
        "size": 4,
        "population": 30,
        "records": sample.record_ids,
    }


def test_opening_a_sample_records_one_read_naming_it_and_its_records(
    auditor: User, january_kites: list[int]
) -> None:
    sample = draw_january(auditor, size=3)
    url = reverse("reports-sample", kwargs={"sample_id": sample.pk})
    response = signed_in(auditor).get(url)
    assert response.status_code == 200
    (event,) = events("reports.sample_read")
    assert event.subjects == [
        f"case_sample:{sample.pk}",
        *(f"kite:{pk}" for pk in sample.record_ids),
    ]
    rows = response.context["page"].rows
    assert [row.record_id for row in rows] == sample.record_ids
    assert rows[0].number == f"K{sample.record_ids[0]:06d}"


def test_the_sample_page_lists_identifiers_and_no_clinical_words(
    auditor: User, booking: Booking
) -> None:
    Kite.objects.filter(pk=kite(booking, local(date(2026, 1, 9), 10)).pk).update(
        text="I keep hearing voices at night"
    )
    sample = draw_january(auditor)
    page = signed_in(auditor).get(reverse("reports-sample", kwargs={"sample_id": sample.pk}))
    assert "hearing voices" not in page.content.decode()
    record = {"sample_id": sample.pk, "record_id": sample.record_ids[0]}
    opened = signed_in(auditor).get(reverse("reports-sample-record", kwargs=record))
    assert "hearing voices" in opened.content.decode()


def test_opening_a_record_records_one_read_naming_the_sample_and_the_record(
    auditor: User, january_kites: list[int], booking: Booking
) -> None:
    sample = draw_january(auditor, size=2)
    client = signed_in(auditor)
    for record_id in sample.record_ids:
        url = reverse(
            "reports-sample-record", kwargs={"sample_id": sample.pk, "record_id": record_id}
        )
        assert client.get(url).status_code == 200
    opened = events("reports.sample_record_read")
    assert [event.subjects for event in opened] == [
        [f"case_sample:{sample.pk}", f"kite:{record_id}"] for record_id in sample.record_ids
    ]
    assert {event.person_id for event in opened} == {booking.person_id}
    assert all("text" in event.detail["fields"] for event in opened)


@pytest.fixture
def one_of_each(booking: Booking, facility: Facility) -> dict[str, int]:
    """Today, one of each kind: a request, a signed decision under appeal, an evaluation."""
    supervisor = staff(Role.SUPERVISOR, facility, "test-supervisor")
    clinician = staff(Role.CLINICIAN, facility, "test-clinician")
    service = service_of(supervisor, facility)
    publish(supervisor, service, therapy_policy(15))
    now = timezone.now()
    request = kite(booking, now - timedelta(minutes=30))
    Kite.objects.filter(pk=request.pk).update(text="Please can I talk to someone")
    screen(booking, "phq9-v1", now - timedelta(hours=2), by=clinician, total=8)
    decision = confirm_decision(
        actor=clinician,
        decision=request_decision(actor=clinician, person=booking.person, service=service),
    )
    assert decision.outcome == Outcome.NOT_ELIGIBLE
    appeal = file_appeal(actor=clinician, decision=decision, text="I was told I did not qualify")
    evaluation = Evaluation.objects.create(
        booking=booking,
        person=booking.person,
        facility=facility,
        kind=EvaluationKind.EVALUATION,
        urgency="urgent",
        reason=EvaluationReason.RECEIVING_SCREEN,
        opened_at=now - timedelta(hours=1),
        due_at=now + timedelta(days=1),
        done_at=now,
        done_by=clinician,
        done_note="Seen in the clinic room",
    )
    return {
        SampleKind.KITES: request.pk,
        SampleKind.DECISIONS: decision.pk,
        SampleKind.APPEALS: appeal.pk,
        SampleKind.EVALUATIONS: evaluation.pk,
    }


@pytest.mark.parametrize(
    ("kind", "shown", "also_read"),
    [
        (SampleKind.KITES, ["Please can I talk to someone", "Triage"], None),
        (SampleKind.DECISIONS, ["phq9-high", "not met", "Not eligible"], Appeal),
        (SampleKind.APPEALS, ["I was told I did not qualify", "Answer due"], Decision),
        (SampleKind.EVALUATIONS, ["Seen in the clinic room", "Urgent"], None),
    ],
)
def test_each_kind_of_record_opens_with_what_a_monitor_needs_to_judge_it(
    auditor: User,
    facility: Facility,
    one_of_each: dict[str, int],
    kind: SampleKind,
    shown: list[str],
    also_read: type[Appeal] | type[Decision] | None,
) -> None:
    sample = draw_sample(
        actor=auditor,
        facility=facility,
        kind=kind,
        first_day=today(),
        last_day=today(),
        seed=11,
        size=500,
    )
    record_id = one_of_each[kind]
    assert record_id in sample.record_ids
    url = reverse("reports-sample-record", kwargs={"sample_id": sample.pk, "record_id": record_id})
    content = signed_in(auditor).get(url).content.decode()
    for words in shown:
        assert words in content
    (event,) = events("reports.sample_record_read")
    named = f"{kind.removesuffix('s')}:{record_id}"
    assert event.subjects[:2] == [f"case_sample:{sample.pk}", named]
    if also_read is Appeal:
        assert event.subjects[2:] == [f"appeal:{one_of_each[SampleKind.APPEALS]}"]
    elif also_read is Decision:
        assert event.subjects[2:] == [f"decision:{one_of_each[SampleKind.DECISIONS]}"]
    else:
        assert event.subjects[2:] == []


def test_a_requests_clocks_and_breaches_are_shown_as_recorded(
    auditor: User, booking: Booking
) -> None:
    request = kite(booking, local(date(2026, 1, 5), 10))
    Clock.objects.create(
        kite=request,
        kind=ClockKind.TRIAGE,
        due_at=local(date(2026, 1, 6), 10),
        met_at=local(date(2026, 1, 6), 9),
    )
    late = Clock.objects.create(
        kite=request,
        kind=ClockKind.FACE_TO_FACE,
        due_at=local(date(2026, 1, 7), 10),
        met_at=local(date(2026, 1, 8), 9),
    )
    Breach.objects.create(
        clock=late, facility=request.facility, breached_at=late.due_at, recorded_at=late.due_at
    )
    sample = draw_january(auditor)
    page = case_record(auditor, sample.pk, request.pk)
    assert isinstance(page.record, KiteRecord)
    assert [
        (clock.kind, clock.due_at, clock.met_at, clock.met_on_time, clock.breached)
        for clock in page.record.clocks
    ] == [
        ("Triage", local(date(2026, 1, 6), 10), local(date(2026, 1, 6), 9), True, False),
        ("Face to face", local(date(2026, 1, 7), 10), local(date(2026, 1, 8), 9), False, True),
    ]
    assert [(line.what, line.breached_at) for line in page.record.breaches] == [
        ("Face to face", local(date(2026, 1, 7), 10))
    ]
