"""Requirements kept in step with care through `refresh_requirements`: kites waiting for a
face-to-face visit, evaluations due, approved services on the waitlist, levels of care that
change (a due date only ever moves earlier), transfers, which session type holds what, what
no session type can hold, the sweep, and one audit event per change (I7)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.audit.recording import chain_of
from kiteline.care.models import Decision, LevelAssignment, Outcome, Service
from kiteline.care.services import (
    assign_level,
    confirm_decision,
    decide_appeal,
    file_appeal,
    request_decision,
)
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import release_person, transfer_person
from kiteline.kites.models import ClockKind, Heartbeat, Kite, Urgency
from kiteline.kites.models import Outcome as KiteOutcome
from kiteline.kites.services import record_contact, record_paper_kite, triage_kite
from kiteline.kites.sweep import HEARTBEAT, sweep
from kiteline.scheduling import requirement_services
from kiteline.scheduling.capacity_services import (
    SessionTypeDetails,
    add_session_type,
)
from kiteline.scheduling.models import CloseReason, Requirement, SessionType, Source
from kiteline.scheduling.requirement_services import (
    REFRESH_HEARTBEAT,
    RefreshResult,
    refresh_requirements,
)
from kiteline.screening.evaluation_services import complete_evaluation, open_evaluation
from kiteline.screening.models import Evaluation, EvaluationKind, EvaluationReason
from tests.integration.care_world import book, publish, screen, service_of, staff, therapy_policy
from tests.integration.scheduling_world import World, build_world


@pytest.fixture
def world(facility: Facility, unit_a: HousingUnit) -> World:
    return build_world(facility, unit_a)


@pytest.fixture
def nurse(world: World) -> User:
    return staff(Role.NURSE, world.facility, "sched-nurse")


def refresh(world: World, facility: Facility | None = None) -> RefreshResult:
    return refresh_requirements(actor=None, facility=facility or world.facility, now=timezone.now())


def local(moment: datetime, facility: Facility) -> date:
    return moment.astimezone(ZoneInfo(facility.time_zone)).date()


def today(world: World) -> date:
    return local(timezone.now(), world.facility)


def open_requirement(booking: Booking, key: str) -> Requirement:
    return Requirement.objects.get(booking=booking, key=key, closed_at__isnull=True)


# --- levels, releases, the sweep ----------------------------------------------------------------


def test_a_level_of_care_opens_its_required_contact(world: World) -> None:
    booking = world.on_level(1, "enhanced")
    refresh(world)
    requirement = Requirement.objects.get(booking=booking)
    assert requirement.key == "level:clinician"
    assert requirement.mandatory
    assert requirement.session_type == world.individual
    assert (requirement.due - requirement.waiting_since).days == 7


def test_refreshing_twice_changes_nothing(world: World) -> None:
    world.on_level(1)
    refresh(world)
    second = refresh(world)
    assert (second.opened, second.updated, second.closed) == (0, 0, 0)
    assert Requirement.objects.count() == 1


def test_a_release_closes_the_requirement_with_its_reason(world: World) -> None:
    booking = world.on_level(1)
    refresh(world)
    release_person(actor=None, booking=booking, at=timezone.now())
    refresh(world)
    requirement = Requirement.objects.get(booking=booking)
    assert requirement.close_reason == CloseReason.RELEASED


def test_the_sweep_refreshes_requirements_every_ten_minutes(world: World) -> None:
    world.on_level(1)
    now = timezone.now()
    assert sweep(now).requirements_refreshed == 1
    assert Requirement.objects.count() == 1
    world.on_level(2)
    assert sweep(now + timedelta(minutes=5)).requirements_refreshed == 0
    assert Requirement.objects.count() == 1
    assert sweep(now + timedelta(minutes=11)).requirements_refreshed == 1
    assert Requirement.objects.count() == 2
    refreshes = AuditEvent.objects.filter(action="scheduling.requirements_refresh")
    assert list(refreshes.values_list("actor_id", flat=True)) == [None, None]


def test_one_facility_failing_to_refresh_stops_neither_the_others_nor_the_sweep(
    world: World,
    other_facility: Facility,
    south_unit: HousingUnit,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    south_supervisor = staff(Role.SUPERVISOR, other_facility, "south-supervisor")
    add_session_type(
        actor=south_supervisor,
        facility=other_facility,
        code="individual",
        details=SessionTypeDetails(
            name="Individual session", kind="individual", minutes=45, seats=1, clinicians=[]
        ),
    )
    world.on_level(1)
    refreshing = requirement_services.refresh_requirements

    def broken_at_north(*, actor: User | None, facility: Facility, now: datetime) -> object:
        if facility == world.facility:
            raise RuntimeError("broken records")
        return refreshing(actor=actor, facility=facility, now=now)

    monkeypatch.setattr(requirement_services, "refresh_requirements", broken_at_north)
    now = timezone.now()
    assert sweep(now).requirements_refreshed == 1
    assert "The requirements of facility north could not be refreshed" in caplog.text
    beats = dict(Heartbeat.objects.values_list("name", "beat_at"))
    assert beats == {HEARTBEAT: now, REFRESH_HEARTBEAT: now}


# --- kites -----------------------------------------------------------------------------------


def triaged_kite(world: World, nurse: User, booking: Booking, urgency: str) -> Kite:
    kite = record_paper_kite(
        actor=nurse,
        person=booking.person,
        channel="paper",
        topic="talk",
        text="I cannot sleep.",
    ).kite
    return triage_kite(
        actor=nurse, kite=kite, urgency=urgency, symptom_described=True, route="mental_health"
    )


def test_a_kite_waiting_for_its_visit_opens_a_requirement_closed_once_it_is_seen(
    world: World, nurse: User
) -> None:
    booking = book(world.unit, 1)
    kite = triaged_kite(world, nurse, booking, Urgency.ROUTINE)
    assert refresh(world).opened == 1
    requirement = open_requirement(booking, f"kite:{kite.pk}")
    clock = kite.clocks.get(kind=ClockKind.FACE_TO_FACE)
    assert requirement.source == Source.KITE
    assert requirement.due == local(clock.due_at, world.facility)
    assert requirement.earliest == local(kite.received_at, world.facility)
    assert (requirement.session_type, requirement.mandatory) == (world.individual, True)
    record_contact(
        actor=world.clinician,
        kite=kite,
        seen_at=timezone.now(),
        place="confidential_room",
        note="Seen at the cell front.",
        outcome=KiteOutcome.RESOLVED,
    )
    assert refresh(world).closed == 1
    requirement.refresh_from_db()
    assert requirement.close_reason == CloseReason.DONE_ELSEWHERE
    # Seen once is done for good: another refresh opens nothing again.
    assert (refresh(world).opened, Requirement.objects.count()) == (0, 1)


def test_an_urgent_kite_is_due_by_its_urgent_clock_not_the_later_face_to_face_one(
    world: World, nurse: User
) -> None:
    """Urgent with a symptom runs two clocks, a day and two days from receipt: one
    requirement, due by the nearer, weighing as urgent."""
    booking = book(world.unit, 1)
    kite = triaged_kite(world, nurse, booking, Urgency.URGENT)
    urgent = kite.clocks.get(kind=ClockKind.URGENT)
    face = kite.clocks.get(kind=ClockKind.FACE_TO_FACE)
    assert urgent.due_at < face.due_at
    assert refresh(world).opened == 1
    requirement = open_requirement(booking, f"kite:{kite.pk}")
    assert requirement.due == local(urgent.due_at, world.facility)
    routine = triaged_kite(world, nurse, book(world.unit, 2), Urgency.ROUTINE)
    refresh(world)
    assert requirement.acuity > open_requirement(routine.booking, f"kite:{routine.pk}").acuity


# --- evaluations -----------------------------------------------------------------------------


def evaluation_due(world: World, booking: Booking, kind: EvaluationKind) -> Evaluation:
    return open_evaluation(
        actor=world.clinician,
        booking=booking,
        kind=kind,
        urgency=Urgency.URGENT,
        reason=EvaluationReason.CURRENT_MEDICATION,
    )


def test_an_evaluation_due_opens_a_requirement_and_a_medication_check_needs_psychiatry(
    world: World,
) -> None:
    booking = book(world.unit, 1)
    evaluation = evaluation_due(world, booking, EvaluationKind.EVALUATION)
    check = evaluation_due(world, booking, EvaluationKind.MEDICATION_CHECK)
    assert refresh(world).opened == 2
    first = open_requirement(booking, f"evaluation:{evaluation.pk}")
    second = open_requirement(booking, f"evaluation:{check.pk}")
    assert (first.session_type, second.session_type) == (world.individual, world.psychiatry)
    assert first.due == local(evaluation.due_at, world.facility)
    assert first.source == second.source == Source.EVALUATION
    complete_evaluation(actor=world.clinician, evaluation=evaluation)
    assert refresh(world).closed == 1
    first.refresh_from_db()
    assert first.close_reason == CloseReason.DONE_ELSEWHERE
    assert second.pk == open_requirement(booking, f"evaluation:{check.pk}").pk


def test_a_requirement_no_session_type_can_hold_is_reported_and_never_closed_as_done(
    world: World,
) -> None:
    booking = book(world.unit, 1)
    check = evaluation_due(world, booking, EvaluationKind.MEDICATION_CHECK)
    refresh(world)
    opened = open_requirement(booking, f"evaluation:{check.pk}")
    world.set_active(world.psychiatry, active=False)
    result = refresh(world)
    assert result.unplaceable == (f"evaluation:{check.pk} needs a psychiatry session type",)
    # Still owed: it stays open as it was, not closed as "done elsewhere".
    assert (result.closed, open_requirement(booking, opened.key).pk) == (0, opened.pk)
    world.set_active(world.psychiatry, active=True)
    assert refresh(world) == RefreshResult(0, 0, 0, ())


def test_the_session_type_holding_required_contacts_does_not_depend_on_code_order(
    world: World,
) -> None:
    # Made before the capacity services refused a second one: an older, duplicate general
    # session type of the same kind, whose code sorts first. The first made holds.
    SessionType.objects.create(
        facility=world.facility,
        code="aaa-individual",
        name="Another",
        kind="individual",
        minutes=45,
    )
    booking = world.on_level(1)
    refresh(world)
    assert open_requirement(booking, "level:clinician").session_type == world.individual


def test_a_person_needing_psychiatry_where_nobody_offers_it_is_reported(world: World) -> None:
    world.set_active(world.psychiatry, active=False)
    booking = book(world.unit, 1)
    check = evaluation_due(world, booking, EvaluationKind.MEDICATION_CHECK)
    result = refresh(world)
    assert result.unplaceable == (f"evaluation:{check.pk} needs a psychiatry session type",)
    assert not Requirement.objects.exists()


# --- approved services -----------------------------------------------------------------------


@pytest.fixture
def therapy(world: World) -> Service:
    service = service_of(world.supervisor, world.facility)
    publish(world.supervisor, service, therapy_policy(15))
    return service


@pytest.fixture
def therapy_sessions(world: World, therapy: Service) -> SessionType:
    return add_session_type(
        actor=world.supervisor,
        facility=world.facility,
        code="therapy",
        details=SessionTypeDetails(
            name="Weekly therapy",
            kind="individual",
            minutes=45,
            seats=1,
            clinicians=[world.clinician],
            service=therapy,
            every_days=7,
        ),
    )


def decided(world: World, booking: Booking, therapy: Service, phq9: int) -> Decision:
    screen(booking, "phq9-v1", timezone.now() - timedelta(days=1), by=world.clinician, total=phq9)
    decision = request_decision(actor=world.clinician, person=booking.person, service=therapy)
    return confirm_decision(actor=world.clinician, decision=decision)


def test_an_approved_service_goes_on_the_waitlist_not_mandatory(
    world: World, therapy: Service, therapy_sessions: SessionType
) -> None:
    booking = book(world.unit, 1)
    decision = decided(world, booking, therapy, phq9=20)
    assert decision.outcome == Outcome.ELIGIBLE
    assert refresh(world).opened == 1
    waiting = open_requirement(booking, f"service:{therapy.code}")
    assert waiting.source == Source.SERVICE
    assert (waiting.session_type, waiting.decision, waiting.mandatory) == (
        therapy_sessions,
        decision,
        False,
    )
    assert decision.decided_at is not None
    approved = local(decision.decided_at, world.facility)
    assert (waiting.waiting_since, waiting.due) == (approved, approved + timedelta(days=7))


def test_deciding_the_service_again_keeps_the_persons_place_on_the_waitlist(
    world: World, therapy: Service, therapy_sessions: SessionType
) -> None:
    booking = book(world.unit, 1)
    first = decided(world, booking, therapy, phq9=20)
    weeks_ago = timezone.now() - timedelta(days=20)
    Decision.objects.filter(pk=first.pk).update(decided_at=weeks_ago)
    refresh(world)
    decided(world, booking, therapy, phq9=22)  # asked again, granted again
    refresh(world)
    waiting = open_requirement(booking, f"service:{therapy.code}")
    assert waiting.waiting_since == local(weeks_ago, world.facility)


def test_a_service_without_a_session_type_that_delivers_it_opens_nothing(
    world: World, therapy: Service
) -> None:
    decided(world, book(world.unit, 1), therapy, phq9=20)
    assert refresh(world) == RefreshResult(0, 0, 0, ())


def test_a_denial_overturned_on_appeal_goes_on_the_waitlist_from_the_appeal(
    world: World, nurse: User, therapy: Service, therapy_sessions: SessionType
) -> None:
    booking = book(world.unit, 1)
    decision = decided(world, booking, therapy, phq9=8)
    assert decision.outcome == Outcome.NOT_ELIGIBLE
    assert refresh(world).opened == 0
    appeal = file_appeal(actor=nurse, decision=decision, text="I need to talk to someone.")
    assert refresh(world).opened == 0  # an appeal waiting grants nothing yet
    appeal = decide_appeal(
        actor=world.clinician2, appeal=appeal, outcome="overturned", reason="Needs it."
    )
    assert refresh(world).opened == 1
    waiting = open_requirement(booking, f"service:{therapy.code}")
    assert appeal.decided_at is not None
    assert waiting.waiting_since == local(appeal.decided_at, world.facility)
    assert not waiting.mandatory


def test_a_denial_upheld_on_appeal_opens_nothing(
    world: World, nurse: User, therapy: Service, therapy_sessions: SessionType
) -> None:
    decision = decided(world, book(world.unit, 1), therapy, phq9=8)
    appeal = file_appeal(actor=nurse, decision=decision, text="Please.")
    decide_appeal(actor=world.clinician2, appeal=appeal, outcome="upheld", reason="Reviewed.")
    assert refresh(world).opened == 0


# --- levels of care --------------------------------------------------------------------------


def test_a_level_change_moves_the_due_date_of_the_same_requirement(world: World) -> None:
    booking = world.on_level(1, "enhanced")
    refresh(world)
    requirement = open_requirement(booking, "level:clinician")
    assert requirement.due == today(world) + timedelta(days=7)
    assign_level(actor=world.clinician, person=booking.person, level="crisis", reason="Worse.")
    result = refresh(world)
    assert (result.opened, result.updated, result.closed) == (0, 1, 0)
    requirement.refresh_from_db()
    assert requirement.due == today(world) + timedelta(days=1)
    assert requirement.acuity > 0
    assert Requirement.objects.filter(booking=booking).count() == 1


def test_a_level_recorded_again_unchanged_does_not_postpone_a_contact_due(world: World) -> None:
    booking = world.on_level(1, "enhanced")
    LevelAssignment.objects.filter(booking=booking).update(
        assigned_at=timezone.now() - timedelta(days=10)
    )
    refresh(world)
    overdue = open_requirement(booking, "level:clinician")
    assert overdue.due == today(world) - timedelta(days=3)
    assign_level(actor=world.clinician, person=booking.person, level="enhanced", reason="Review.")
    assert refresh(world) == RefreshResult(0, 0, 0, ())
    assert open_requirement(booking, "level:clinician").due == overdue.due


def test_a_less_intensive_level_never_moves_an_overdue_contact_later(world: World) -> None:
    booking = world.on_level_since(1, days_ago=40, level="outpatient")
    refresh(world)
    overdue = open_requirement(booking, "level:clinician")
    assert overdue.due < today(world)
    assign_level(actor=world.clinician, person=booking.person, level="enhanced", reason="More.")
    refresh(world)
    kept = open_requirement(booking, "level:clinician")
    assert (kept.pk, kept.due, kept.waiting_since) == (
        overdue.pk,
        overdue.due,
        overdue.waiting_since,
    )
    assert kept.earliest <= kept.due


def test_a_new_level_never_postpones_a_contact_due_sooner(world: World) -> None:
    # Outpatient's contact, set 25 days ago, is due within the week; enhanced's weekly one,
    # counted from today, would be due a week from now.
    booking = world.on_level_since(1, days_ago=25, level="outpatient")
    refresh(world)
    due = open_requirement(booking, "level:clinician").due
    assert today(world) <= due < today(world) + timedelta(days=7)
    assign_level(actor=world.clinician, person=booking.person, level="enhanced", reason="More.")
    refresh(world)
    assert open_requirement(booking, "level:clinician").due == due


def test_a_level_with_no_regular_contact_closes_the_requirement(world: World) -> None:
    booking = world.on_level(1, "enhanced")
    refresh(world)
    assign_level(actor=world.clinician, person=booking.person, level="none", reason="Better.")
    assert refresh(world).closed == 1
    closed = Requirement.objects.get(booking=booking)
    assert closed.close_reason == CloseReason.NO_LONGER_REQUIRED


# --- transfers -------------------------------------------------------------------------------


def test_a_transfer_closes_the_requirement_at_once_and_the_receiving_facility_opens_its_own(
    world: World, other_facility: Facility, south_unit: HousingUnit
) -> None:
    booking = world.on_level(1, "enhanced")
    refresh(world)
    sending = open_requirement(booking, "level:clinician")
    south_supervisor = staff(Role.SUPERVISOR, other_facility, "south-supervisor")
    south_individual = add_session_type(
        actor=south_supervisor,
        facility=other_facility,
        code="individual",
        details=SessionTypeDetails(
            name="Individual session", kind="individual", minutes=45, seats=1, clinicians=[]
        ),
    )
    moved_at = timezone.now()
    transfer_person(actor=None, booking=booking, to_unit=south_unit, at=moved_at)
    sending.refresh_from_db()
    assert (sending.close_reason, sending.closed_at) == (CloseReason.TRANSFERRED, moved_at)
    assert refresh(world).closed == 0
    assert refresh(world, other_facility).opened == 1
    receiving = open_requirement(booking, "level:clinician")
    assert (receiving.facility, receiving.session_type) == (other_facility, south_individual)
    # The level travelled with the stay: still due a week after it was set.
    assert receiving.due == sending.due
    assert refresh(world) == refresh(world, other_facility) == RefreshResult(0, 0, 0, ())


def test_a_receiving_facility_that_cannot_hold_the_contact_yet_reports_it(
    world: World, other_facility: Facility, south_unit: HousingUnit
) -> None:
    booking = world.on_level(1, "enhanced")
    refresh(world)
    sending = open_requirement(booking, "level:clinician")
    transfer_person(actor=None, booking=booking, to_unit=south_unit, at=timezone.now())
    result = refresh(world, other_facility)
    assert (result.opened, result.closed, result.unplaceable) == (
        0,
        0,
        ("level:clinician needs a individual session type",),
    )
    sending.refresh_from_db()
    assert sending.close_reason == CloseReason.TRANSFERRED
    assert refresh(world) == RefreshResult(0, 0, 0, ())


# --- audit -----------------------------------------------------------------------------------


def test_every_refresh_that_changes_something_writes_one_audit_event(world: World) -> None:
    def events() -> list[AuditEvent]:
        return list(
            AuditEvent.objects.filter(
                action="scheduling.requirements_refresh", chain=chain_of(world.facility)
            ).order_by("position")
        )

    first = world.on_level(1, "enhanced")
    second = world.on_level(2, "enhanced")
    refresh(world)
    (opened,) = events()
    ids = sorted(Requirement.objects.values_list("pk", flat=True))
    assert sorted(opened.subjects) == [f"requirement:{pk}" for pk in ids]
    assert (opened.detail["opened"], opened.detail["updated"], opened.detail["closed"]) == (
        2,
        0,
        0,
    )
    refresh(world)
    assert len(events()) == 1  # nothing changed, nothing written
    assign_level(actor=world.clinician, person=first.person, level="crisis", reason="Worse.")
    assign_level(actor=world.clinician, person=second.person, level="none", reason="Better.")
    refresh(world)
    changed = events()[-1]
    assert len(events()) == 2
    assert (changed.detail["opened"], changed.detail["updated"], changed.detail["closed"]) == (
        0,
        1,
        1,
    )
    # Identifiers and counts only: no level, service or clinical word (I7).
    assert set(changed.detail) == {"opened", "updated", "closed", "appointments_withdrawn"}
