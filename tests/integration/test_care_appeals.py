"""Appeals on honest clocks (I5) with the kites' alert machinery: an appeal staff enter late
counts from when the resident made it; the sweep warns before its deadline; an appeal nobody
may decide (I4) is flagged to the supervisors; and the appeals list costs a fixed number of
queries however many appeals it shows."""

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.care.models import Appeal, Decision, Outcome, Service
from kiteline.care.services import (
    CareError,
    confirm_decision,
    file_appeal,
    name_reviewer,
    request_decision,
)
from kiteline.care.staff_selectors import appeal_list, stranded_appeals
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.kites.sweep import sweep
from tests.integration.care_world import book, publish, screen, service_of, staff, therapy_policy
from tests.integration.test_api_kites import token_client

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def supervisor(facility: Facility) -> User:
    return staff(Role.SUPERVISOR, facility, "test-supervisor")


@pytest.fixture
def clinician(facility: Facility) -> User:
    return staff(Role.CLINICIAN, facility, "test-clinician")


@pytest.fixture
def therapy(supervisor: User, facility: Facility) -> Service:
    service = service_of(supervisor, facility)
    publish(supervisor, service, therapy_policy(15))
    return service


def denied(clinician: User, booking: Booking, therapy: Service, *, days_ago: int = 0) -> Decision:
    """A signed not-eligible decision, made `days_ago` (its time to appeal, 30 days, with it)."""
    screen(booking, "phq9-v1", timezone.now() - timedelta(days=1), by=clinician, total=8)
    decision = request_decision(actor=clinician, person=booking.person, service=therapy)
    decision = confirm_decision(actor=clinician, decision=decision)
    assert decision.outcome == Outcome.NOT_ELIGIBLE
    assert decision.decided_at is not None
    if days_ago:
        decided_at = decision.decided_at - timedelta(days=days_ago)
        Decision.objects.filter(pk=decision.pk).update(
            decided_at=decided_at, appeal_by=decided_at + timedelta(days=30)
        )
        decision.refresh_from_db()
    return decision


@pytest.fixture
def booking(unit_a: HousingUnit) -> Booking:
    return book(unit_a, 1)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(page: bytes) -> str:
    words = html.unescape(re.sub(r"<[^>]+>", " ", page.decode()))
    return " ".join(words.split())


# ---- Appeals entered late (I5) ----------------------------------------------------------------


def test_a_late_staff_appeal_counts_from_when_the_resident_made_it(
    clinician: User, nurse: User, booking: Booking, therapy: Service
) -> None:
    """Decided 40 days ago (time to appeal ended 10 days ago); the resident appealed on
    paper 12 days ago, within it; the nurse enters it today."""
    decision = denied(clinician, booking, therapy, days_ago=40)
    made = timezone.now() - timedelta(days=12)
    appeal = file_appeal(
        actor=nurse,
        decision=decision,
        text="I wrote this on the form.",
        received_at=made,
        late_reason="Found in the night box.",
    )
    assert appeal.filed_at == made
    assert appeal.due_at == made + timedelta(days=14)
    assert appeal.late_reason == "Found in the night box."
    event = AuditEvent.objects.get(action="appeal.file")
    assert event.detail == {"fields": ["text", "late_reason"]}
    assert "night box" not in str(event.detail)


def test_an_appeal_made_after_the_time_to_appeal_is_refused_even_entered_late(
    clinician: User, nurse: User, booking: Booking, therapy: Service
) -> None:
    decision = denied(clinician, booking, therapy, days_ago=40)
    with pytest.raises(CareError, match="time to appeal"):
        file_appeal(
            actor=nurse,
            decision=decision,
            text="Late.",
            received_at=timezone.now() - timedelta(days=9),
            late_reason="Found today.",
        )
    assert not Appeal.objects.exists()


def test_an_appeal_entered_late_needs_a_reason(
    clinician: User, nurse: User, booking: Booking, therapy: Service
) -> None:
    decision = denied(clinician, booking, therapy, days_ago=3)
    with pytest.raises(CareError, match="Say why the appeal is entered later"):
        file_appeal(
            actor=nurse,
            decision=decision,
            text="Please.",
            received_at=timezone.now() - timedelta(hours=1),
        )
    assert not Appeal.objects.exists()
    # Within a few minutes, no reason is needed.
    recent = timezone.now() - timedelta(minutes=10)
    appeal = file_appeal(actor=nurse, decision=decision, text="Please.", received_at=recent)
    assert (appeal.filed_at, appeal.late_reason) == (recent, "")


def test_an_appeal_received_in_the_future_or_before_the_decision_is_refused(
    clinician: User, nurse: User, booking: Booking, therapy: Service
) -> None:
    decision = denied(clinician, booking, therapy, days_ago=3)
    assert decision.decided_at is not None
    with pytest.raises(CareError, match="cannot be in the future"):
        file_appeal(
            actor=nurse,
            decision=decision,
            text="Please.",
            received_at=timezone.now() + timedelta(hours=1),
        )
    with pytest.raises(CareError, match="before the decision"):
        file_appeal(
            actor=nurse,
            decision=decision,
            text="Please.",
            received_at=decision.decided_at - timedelta(minutes=1),
            late_reason="Typed the wrong day.",
        )
    assert not Appeal.objects.exists()


def test_a_residents_own_appeal_is_made_now(
    clinician: User, booking: Booking, therapy: Service
) -> None:
    decision = denied(clinician, booking, therapy, days_ago=3)
    resident = User.objects.create_user(
        username="resident-1", role=Role.RESIDENT, person=booking.person
    )
    with pytest.raises(CareError, match="made now"):
        file_appeal(
            actor=resident,
            decision=decision,
            text="Please.",
            received_at=timezone.now() - timedelta(days=1),
            late_reason="I say so.",
        )
    appeal = file_appeal(actor=resident, decision=decision, text="Please.")
    assert timezone.now() - appeal.filed_at < timedelta(minutes=1)


def test_staff_enter_a_late_appeal_on_the_decision_page_in_facility_time(
    clinician: User, nurse: User, booking: Booking, therapy: Service
) -> None:
    decision = denied(clinician, booking, therapy, days_ago=40)
    client = signed_in(nurse)
    page = text_of(client.get(f"/care/decisions/{decision.pk}/").content)
    assert "Received on (facility time)" in page
    assert "The time to appeal ended" in page
    made = (
        (timezone.now() - timedelta(days=12)).astimezone(CHICAGO).replace(second=0, microsecond=0)
    )
    url = f"/care/decisions/{decision.pk}/appeal/"
    posted = {"text": "On paper.", "received_at": f"{made:%Y-%m-%dT%H:%M}"}
    refused = client.post(url, posted, follow=True)
    assert "Say why the appeal is entered later" in text_of(refused.content)
    assert not Appeal.objects.exists()
    client.post(url, {**posted, "late_reason": "Found in the night box."})
    appeal = Appeal.objects.get()
    assert appeal.filed_at == made
    assert appeal.due_at == made + timedelta(days=14)
    shown = text_of(client.get(f"/care/appeals/{appeal.pk}/").content)
    assert "Entered later because Found in the night box." in shown


def test_the_api_takes_when_staff_received_an_appeal(
    clinician: User, nurse: User, booking: Booking, therapy: Service
) -> None:
    decision = denied(clinician, booking, therapy, days_ago=40)
    client = token_client(nurse)
    made = (timezone.now() - timedelta(days=12)).replace(microsecond=0)
    url = f"/api/v1/decisions/{decision.pk}/appeal"
    body = {"text": "On paper.", "received_at": made.isoformat()}
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 400
    filed = client.post(
        url, {**body, "late_reason": "Found today."}, content_type="application/json"
    )
    assert filed.status_code == 201, filed.content
    assert datetime.fromisoformat(filed.json()["due_at"]) == made + timedelta(days=14)


# ---- Due soon: the sweep warns, once, without an audit event ------------------------------------


def test_the_sweep_warns_once_before_an_appeals_deadline_and_the_list_shows_it(
    clinician: User, nurse: User, booking: Booking, therapy: Service, facility: Facility
) -> None:
    reviewer = staff(Role.CLINICIAN, facility, "second-clinician")
    appeal = file_appeal(actor=nurse, decision=denied(clinician, booking, therapy), text="Please.")
    now = timezone.now()
    Appeal.objects.filter(pk=appeal.pk).update(due_at=now + timedelta(hours=3))
    sweep(now)
    appeal.refresh_from_db()
    assert appeal.warned_at is None
    assert "due soon" not in text_of(signed_in(reviewer).get("/care/appeals/").content)
    events = AuditEvent.objects.count()
    result = sweep(now + timedelta(hours=1, minutes=30))
    appeal.refresh_from_db()
    assert appeal.warned_at == now + timedelta(hours=1, minutes=30)
    assert result.warnings == 1
    sweep(now + timedelta(hours=2))
    appeal.refresh_from_db()
    assert appeal.warned_at == now + timedelta(hours=1, minutes=30)  # once
    assert not AuditEvent.objects.filter(action__contains="warn").exists()
    # The sweeps wrote no event for the warning (a derived state); the page reads are later.
    assert AuditEvent.objects.count() == events
    listing = appeal_list(actor=reviewer, now=now + timedelta(hours=2))
    assert [row.due_soon for row in listing.open] == [True]
    assert "due soon" in text_of(signed_in(reviewer).get("/care/appeals/").content)


# ---- Nobody may decide: needs a named reviewer (I4) ---------------------------------------------


def test_an_appeal_nobody_may_decide_is_flagged_to_the_supervisors(
    clinician: User,
    supervisor: User,
    nurse: User,
    booking: Booking,
    therapy: Service,
    facility: Facility,
    other_facility: Facility,
) -> None:
    """The facility's only clinician made the decision: nobody there may decide the appeal
    until a supervisor names a reviewer."""
    appeal = file_appeal(actor=nurse, decision=denied(clinician, booking, therapy), text="Please.")
    client = signed_in(supervisor)
    page = text_of(client.get("/care/appeals/").content)
    assert "1 open appeal needs a named reviewer" in page
    assert appeal.number in page
    assert "needs a named reviewer" in page
    # Not yet due soon: the alerts page says nothing of it.
    assert "needs a named reviewer" not in text_of(client.get("/kites/alerts/").content)
    Appeal.objects.filter(pk=appeal.pk).update(due_at=timezone.now() + timedelta(hours=1))
    sweep(timezone.now())
    alerts = text_of(client.get("/kites/alerts/").content)
    assert "1 appeal due soon or overdue needs a named reviewer" in alerts
    assert appeal.number not in alerts  # a count only, naming no one
    # A clinician sees no banner; custody and nurses never reach the list.
    assert stranded_appeals(actor=clinician, now=timezone.now()) == 0
    # A remote reviewer named: anyone may decide it now.
    remote = staff(Role.CLINICIAN, other_facility, "remote-clinician")
    name_reviewer(actor=supervisor, appeal=appeal, reviewer=remote)
    page = text_of(client.get("/care/appeals/").content)
    assert "needs a named reviewer" not in page
    assert stranded_appeals(actor=supervisor, now=timezone.now()) == 0


def test_another_clinician_at_the_facility_clears_the_flag(
    clinician: User,
    supervisor: User,
    nurse: User,
    booking: Booking,
    therapy: Service,
    facility: Facility,
) -> None:
    file_appeal(actor=nurse, decision=denied(clinician, booking, therapy), text="Please.")
    assert appeal_list(actor=supervisor, now=timezone.now()).needs_reviewer == 1
    other = staff(Role.CLINICIAN, facility, "second-clinician")
    listing = appeal_list(actor=supervisor, now=timezone.now())
    assert (listing.needs_reviewer, listing.open[0].needs_reviewer) == (0, False)
    # An inactive clinician decides nothing.
    User.objects.filter(pk=other.pk).update(is_active=False)
    assert appeal_list(actor=supervisor, now=timezone.now()).needs_reviewer == 1


# ---- A fixed number of queries -----------------------------------------------------------------


def _appeals(
    count: int, start: int, clinician: User, nurse: User, unit: HousingUnit, therapy: Service
) -> None:
    for number in range(start, start + count):
        booking = book(unit, number)
        file_appeal(actor=nurse, decision=denied(clinician, booking, therapy), text="Please.")


def _queries(actor: User) -> int:
    with CaptureQueriesContext(connection) as queries:
        appeal_list(actor=actor, now=timezone.now())
    return len(queries)


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.CLINICIAN])
def test_the_appeals_list_costs_the_same_queries_for_one_appeal_or_ten(
    role: Role,
    clinician: User,
    supervisor: User,
    nurse: User,
    unit_a: HousingUnit,
    therapy: Service,
    facility: Facility,
    other_facility: Facility,
) -> None:
    reader = supervisor if role == Role.SUPERVISOR else staff(role, facility, "reader")
    staff(Role.CLINICIAN, facility, "third-clinician")
    remote = staff(Role.CLINICIAN, other_facility, "remote-clinician")
    _appeals(1, 1, clinician, nurse, unit_a, therapy)
    # One named to a remote reviewer, so that both lists read the reviewers' facilities.
    name_reviewer(actor=supervisor, appeal=Appeal.objects.get(), reviewer=remote)
    one = _queries(reader)
    _appeals(9, 2, clinician, nurse, unit_a, therapy)
    assert _queries(reader) == one
    listing = appeal_list(actor=reader, now=timezone.now())
    # The clinician is offered those they may decide: not the one named to another.
    assert len(listing.open) == (10 if role == Role.SUPERVISOR else 9)
