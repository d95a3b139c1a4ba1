"""Care decisions as services: levels of care, policies that never change once published
(I9), decisions that explain themselves (I3), appeals decided by someone else (I4), breaches
kept (I5), and every write audited in its own transaction without clinical values (I7)."""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.care import services
from kiteline.care.fact_sources import facts_for
from kiteline.care.facts import facts_from_json
from kiteline.care.levels import ContactKind, Figure
from kiteline.care.models import (
    Appeal,
    CareSettings,
    Decision,
    LevelAssignment,
    Outcome,
    PolicyDraft,
    PolicyVersion,
    PublishedError,
    Service,
)
from kiteline.care.policy import evaluate
from kiteline.care.services import (
    CareError,
    add_service,
    assign_level,
    choose_care_settings,
    compiled,
    confirm_decision,
    decide_appeal,
    file_appeal,
    name_reviewer,
    override_decision,
    publish_policy,
    request_decision,
    save_draft,
    scheme_of,
)
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import transfer_person
from kiteline.kites.models import Kite, Urgency
from kiteline.kites.models import Outcome as KiteOutcome
from kiteline.kites.sweep import sweep
from kiteline.screening.models import Evaluation
from tests.integration.care_world import (
    book,
    kite,
    publish,
    screen,
    service_of,
    staff,
    therapy_policy,
)


@pytest.fixture
def supervisor(facility: Facility) -> User:
    return staff(Role.SUPERVISOR, facility, "test-supervisor")


@pytest.fixture
def clinician(facility: Facility) -> User:
    return staff(Role.CLINICIAN, facility, "test-clinician")


@pytest.fixture
def second_clinician(facility: Facility) -> User:
    return staff(Role.CLINICIAN, facility, "second-clinician")


@pytest.fixture
def booking(unit_a: HousingUnit) -> Booking:
    return book(unit_a, 1)


@pytest.fixture
def resident(booking: Booking) -> User:
    return User.objects.create_user(
        username="resident-1", role=Role.RESIDENT, person=booking.person
    )


@pytest.fixture
def therapy(supervisor: User, facility: Facility) -> Service:
    service = service_of(supervisor, facility)
    publish(supervisor, service, therapy_policy(15))
    return service


def phq9(booking: Booking, total: int, by: User) -> None:
    screen(booking, "phq9-v1", timezone.now() - timedelta(days=1), by=by, total=total)


def denied(clinician: User, booking: Booking, therapy: Service, total: int = 8) -> Decision:
    """A signed not-eligible decision: the policy proposed it and the clinician agreed."""
    phq9(booking, total, clinician)
    decision = request_decision(actor=clinician, person=booking.person, service=therapy)
    assert decision.proposed == Outcome.NOT_ELIGIBLE
    return confirm_decision(actor=clinician, decision=decision)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


# --- levels of care ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.NURSE, Role.SUPERVISOR, Role.CUSTODY, Role.AUDITOR])
def test_only_a_clinician_sets_a_level_of_care(
    facility: Facility, booking: Booking, role: Role
) -> None:
    someone = staff(role, facility, f"a-{role}")
    with pytest.raises(CareError, match="cannot set a level of care"):
        assign_level(actor=someone, person=booking.person, level="outpatient", reason="Needs it.")
    assert not LevelAssignment.objects.exists()


def test_a_clinician_elsewhere_cannot_set_the_level(
    other_facility: Facility, booking: Booking
) -> None:
    stranger = staff(Role.CLINICIAN, other_facility, "south-clinician")
    with pytest.raises(CareError, match="not held at your facilities"):
        assign_level(actor=stranger, person=booking.person, level="outpatient", reason="Why.")


def test_a_level_must_be_one_of_the_facilitys_scheme(
    clinician: User, supervisor: User, facility: Facility, booking: Booking
) -> None:
    # With no choice made the facility is on the generic scheme.
    with pytest.raises(CareError, match="not a level of the generic scheme"):
        assign_level(actor=clinician, person=booking.person, level="eop", reason="Needs it.")
    choose_care_settings(actor=supervisor, facility=facility, scheme="cdcr-mhsds")
    with pytest.raises(CareError, match="not a level of the cdcr-mhsds scheme"):
        assign_level(actor=clinician, person=booking.person, level="outpatient", reason="Why.")
    assignment = assign_level(
        actor=clinician, person=booking.person, level="eop", reason="Cannot manage in GP."
    )
    assert (assignment.scheme, assignment.level) == ("cdcr-mhsds", "eop")
    assert LevelAssignment.objects.count() == 1


def test_a_level_needs_a_reason(clinician: User, booking: Booking) -> None:
    with pytest.raises(CareError, match="Give the reason"):
        assign_level(actor=clinician, person=booking.person, level="outpatient", reason="  \n ")
    assert not LevelAssignment.objects.exists()


def test_every_change_of_level_is_kept_and_the_latest_is_current(
    clinician: User, booking: Booking
) -> None:
    first = assign_level(
        actor=clinician, person=booking.person, level="outpatient", reason="Low mood."
    )
    second = assign_level(
        actor=clinician, person=booking.person, level="enhanced", reason="Worse this week."
    )
    assert list(LevelAssignment.objects.filter(booking=booking)) == [second, first]
    assert facts_for(booking, timezone.now()).values["level_of_care"] == "enhanced"


def test_an_evaluation_of_another_stay_cannot_back_a_level(
    clinician: User, booking: Booking, unit_a: HousingUnit
) -> None:
    other = book(unit_a, 2)
    foreign = Evaluation.objects.filter(booking=other).first()
    assert foreign is not None
    with pytest.raises(CareError, match="another stay"):
        assign_level(
            actor=clinician,
            person=booking.person,
            level="outpatient",
            reason="Seen.",
            evaluation=foreign,
        )


def test_the_level_travels_with_a_transfer(
    clinician: User, booking: Booking, south_unit: HousingUnit
) -> None:
    assign_level(actor=clinician, person=booking.person, level="crisis", reason="On watch.")
    transfer_person(actor=None, booking=booking, to_unit=south_unit, at=timezone.now())
    booking.refresh_from_db()
    assert booking.facility == south_unit.facility
    assert facts_for(booking, timezone.now()).values["level_of_care"] == "crisis"
    # The receiving facility's clinicians change it from there, on their own scheme.
    south = staff(Role.CLINICIAN, south_unit.facility, "south-clinician")
    assign_level(actor=south, person=booking.person, level="enhanced", reason="Settled.")
    assert facts_for(booking, timezone.now()).values["level_of_care"] == "enhanced"
    assert LevelAssignment.objects.filter(booking=booking).count() == 2


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.NURSE, Role.AUDITOR])
def test_only_a_supervisor_chooses_the_levels_of_care(facility: Facility, role: Role) -> None:
    someone = staff(role, facility, f"a-{role}")
    with pytest.raises(CareError, match="cannot choose the levels of care"):
        choose_care_settings(actor=someone, facility=facility, scheme="cdcr-mhsds")
    assert not CareSettings.objects.exists()


def test_a_supervisor_elsewhere_cannot_choose_the_levels_of_care(
    facility: Facility, other_facility: Facility
) -> None:
    stranger = staff(Role.SUPERVISOR, other_facility, "south-boss")
    with pytest.raises(CareError, match="not at your facilities"):
        choose_care_settings(actor=stranger, facility=facility, scheme="generic")


@pytest.mark.parametrize(
    ("scheme", "contact_days"),
    [
        ("mhsds", None),
        ("generic", {"outpatient": {"clinician": 0}}),
        ("generic", {"outpatient": {"clinician": 400}}),
        ("generic", {"eop": {"clinician": 7}}),
        ("generic", {"outpatient": {"weekly": 7}}),
        ("generic", {"outpatient": {"clinician": "7"}}),
    ],
    ids=["unknown-scheme", "zero", "over-a-year", "no-such-level", "no-such-kind", "text"],
)
def test_a_bad_scheme_or_contact_figure_is_refused_and_nothing_is_kept(
    supervisor: User, facility: Facility, scheme: str, contact_days: Any
) -> None:
    with pytest.raises(CareError):
        choose_care_settings(
            actor=supervisor, facility=facility, scheme=scheme, contact_days=contact_days
        )
    assert not CareSettings.objects.exists()
    assert not events("care.settings")


def test_the_facilitys_own_contact_figures_apply_over_the_presets(
    supervisor: User, facility: Facility
) -> None:
    choose_care_settings(
        actor=supervisor,
        facility=facility,
        scheme="generic",
        contact_days={"outpatient": {"clinician": 14}},
    )
    scheme = scheme_of(facility)
    outpatient = scheme.level("outpatient").contact(ContactKind.CLINICIAN)
    enhanced = scheme.level("enhanced").contact(ContactKind.CLINICIAN)
    assert outpatient is not None
    assert enhanced is not None
    # The facility's own figure is never "unverified"; the untouched preset's still is.
    assert outpatient.every_days == Figure(14, unverified=False)
    assert enhanced.every_days == Figure(7, unverified=True)


# --- policies --------------------------------------------------------------------------------


def test_a_draft_is_kept_as_typed_even_when_it_does_not_check(
    supervisor: User, facility: Facility
) -> None:
    service = service_of(supervisor, facility)
    body = {"criteria": "not yet", "notes": [1, {"x": None}], "rule": {}}
    draft = save_draft(actor=supervisor, service=service, body=body)
    assert PolicyDraft.objects.get(pk=draft.pk).body == body
    with pytest.raises(CareError, match="JSON object"):
        save_draft(actor=supervisor, service=service, body=["a", "list"])


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.NURSE])
def test_only_a_supervisor_edits_or_publishes_a_policy(
    supervisor: User, facility: Facility, role: Role
) -> None:
    service = service_of(supervisor, facility)
    save_draft(actor=supervisor, service=service, body=therapy_policy())
    someone = staff(role, facility, f"a-{role}")
    with pytest.raises(CareError, match="cannot edit a policy"):
        save_draft(actor=someone, service=service, body=therapy_policy(3))
    with pytest.raises(CareError, match="cannot publish a policy"):
        publish_policy(actor=someone, service=service)
    assert not PolicyVersion.objects.exists()


def test_a_draft_that_does_not_check_is_not_published(supervisor: User, facility: Facility) -> None:
    service = service_of(supervisor, facility)
    body = therapy_policy()
    body["offered_instead"] = []
    save_draft(actor=supervisor, service=service, body=body)
    with pytest.raises(CareError, match=r"does not check.*offered_instead"):
        publish_policy(actor=supervisor, service=service)
    assert not PolicyVersion.objects.exists()
    assert not events("policy.publish")


def test_publishing_numbers_the_versions_and_carries_the_service_code_and_version(
    supervisor: User, facility: Facility
) -> None:
    service = service_of(supervisor, facility)
    published = []
    for threshold in (15, 12, 10):
        # Whatever the draft says of itself, the system names the service and version.
        body = {**therapy_policy(threshold), "service": "psychiatry", "version": 99}
        published.append(publish(supervisor, service, body))
    assert [p.version for p in published] == [1, 2, 3]
    for p in published:
        assert (p.body["service"], p.body["version"]) == ("individual_therapy", p.version)
        assert p.published_by == supervisor
    assert [e.detail for e in events("policy.publish")] == [
        {"version": 1},
        {"version": 2},
        {"version": 3},
    ]


def _stored_body(version: PolicyVersion) -> object:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT body FROM {PolicyVersion._meta.db_table} WHERE id = %s",  # noqa: S608 -- the table name is Django's own
            [version.pk],
        )
        return cursor.fetchone()


def test_a_published_version_never_changes(supervisor: User, facility: Facility) -> None:
    service = service_of(supervisor, facility)
    first = publish(supervisor, service, therapy_policy(15))
    stored = _stored_body(first)
    first.body = therapy_policy(1)
    with pytest.raises(PublishedError):
        first.save()
    save_draft(actor=supervisor, service=service, body=therapy_policy(10))
    second = publish_policy(actor=supervisor, service=service)
    assert second.version == 2
    # Byte for byte as it was stored, after an attempted change and a later version.
    assert _stored_body(first) == stored
    assert PolicyVersion.objects.get(pk=first.pk).body["criteria"][0]["expression"] == (
        "phq9_total >= 15"
    )


HOSTILE = {
    "a megabyte": ("phq9_total >= 1 && " * 60_000 + "true", "at most 2,000"),
    "ten thousand parentheses": ("(" * 10_000 + "true" + ")" * 10_000, "at most 2,000"),
    "deep but short": ("(" * 40 + "true" + ")" * 40, "nest"),
    "an unknown fact": ("phq10_total >= 3", r"unknown fact 'phq10_total' \(line 1, column 1\)"),
    "a syntax error": ("phq9_total >= >= 3", r"Syntax error.*\(line 1, column 15\)"),
    "an unknown function": ("min(phq9_total, 3) > 1", "unknown function 'min'"),
}


@pytest.mark.parametrize(("expression", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_cel_is_answered_with_a_clear_error_and_nothing_is_published(
    supervisor: User, facility: Facility, expression: str, message: str
) -> None:
    service = service_of(supervisor, facility)
    save_draft(actor=supervisor, service=service, body=therapy_policy(expression=expression))
    with pytest.raises(CareError, match=r"criteria\[0\] \(phq9-high\)\.expression: .*" + message):
        publish_policy(actor=supervisor, service=service)
    assert not PolicyVersion.objects.exists()
    assert not events("policy.publish")
    # The draft stays as typed, for the supervisor to correct.
    assert PolicyDraft.objects.get(service=service).body["criteria"][0]["expression"] == expression


# --- decisions -------------------------------------------------------------------------------


def test_a_decision_stores_the_facts_the_version_and_the_engines_record(
    clinician: User, booking: Booking, therapy: Service
) -> None:
    phq9(booking, 16, clinician)
    decision = request_decision(actor=clinician, person=booking.person, service=therapy)
    decision.refresh_from_db()
    assert decision.policy_version == therapy.versions.get()
    assert decision.facts["phq9_total"] == 16
    assert decision.record["outcome"] == decision.proposed == Outcome.ELIGIBLE
    assert decision.record["policy_version"] == 1
    assert (decision.requested_by, decision.outcome, decision.decided_at) == (clinician, "", None)
    (event,) = events("decision.request")
    assert event.subjects == [f"decision:{decision.pk}", f"policy:{decision.policy_version_id}"]


@pytest.mark.parametrize("total", [None, 3, 15, 27])
def test_a_decision_is_reproduced_from_what_it_stored(
    clinician: User, booking: Booking, therapy: Service, total: int | None
) -> None:
    if total is not None:
        phq9(booking, total, clinician)
    decision = request_decision(actor=clinician, person=booking.person, service=therapy)
    stored = Decision.objects.get(pk=decision.pk)
    again = evaluate(compiled(stored.policy_version_id), facts_from_json(stored.facts))
    assert again.to_record() == stored.record
    assert again.outcome == stored.proposed


def test_a_decision_uses_the_body_published_even_if_a_rolled_back_one_had_its_id(
    clinician: User, supervisor: User, facility: Facility, booking: Booking
) -> None:
    phq9(booking, 10, clinician)
    with transaction.atomic():
        lenient = service_of(supervisor, facility)
        publish(supervisor, lenient, therapy_policy(5))
        assert (
            request_decision(actor=clinician, person=booking.person, service=lenient).proposed
            == "eligible"
        )
        transaction.set_rollback(True)
    # SQLite gives the rolled-back rows' ids to the next ones.
    strict = service_of(supervisor, facility)
    publish(supervisor, strict, therapy_policy(15))
    decision = request_decision(actor=clinician, person=booking.person, service=strict)
    assert decision.proposed == Outcome.NOT_ELIGIBLE
    assert decision.record["reasons"][0]["criterion"] == "phq9-high"


def test_a_missing_phq9_makes_a_clinician_review_never_not_eligible(
    clinician: User, booking: Booking, therapy: Service
) -> None:
    decision = request_decision(actor=clinician, person=booking.person, service=therapy)
    assert decision.proposed == Outcome.CLINICIAN_REVIEW
    assert "phq9_total" not in decision.facts
    assert decision.record["reasons"][0]["criterion"] == "phq9-high"


def test_a_person_booked_today_can_be_decided_on(
    clinician: User, unit_a: HousingUnit, therapy: Service
) -> None:
    today = book(unit_a, 7, booked_at=timezone.now() - timedelta(minutes=5))
    decision = request_decision(actor=clinician, person=today.person, service=therapy)
    assert decision.facts["days_since_booking"] == 1


@pytest.mark.parametrize("role", [Role.NURSE, Role.SUPERVISOR, Role.CUSTODY])
def test_only_a_clinician_asks_for_a_decision(
    facility: Facility, booking: Booking, therapy: Service, role: Role
) -> None:
    someone = staff(role, facility, f"a-{role}")
    with pytest.raises(CareError, match="cannot ask for a care decision"):
        request_decision(actor=someone, person=booking.person, service=therapy)
    assert not Decision.objects.exists()


def test_a_service_of_another_facility_is_refused(
    clinician: User, booking: Booking, other_facility: Facility
) -> None:
    boss = staff(Role.SUPERVISOR, other_facility, "south-boss")
    elsewhere = service_of(boss, other_facility)
    publish(boss, elsewhere, therapy_policy())
    clinician.facilities.add(other_facility)
    with pytest.raises(CareError, match="not offered where the resident is held"):
        request_decision(actor=clinician, person=booking.person, service=elsewhere)


def test_a_service_without_a_published_policy_or_withdrawn_is_refused(
    clinician: User, supervisor: User, facility: Facility, booking: Booking, therapy: Service
) -> None:
    unpublished = service_of(supervisor, facility, "peer_support")
    with pytest.raises(CareError, match="no published policy"):
        request_decision(actor=clinician, person=booking.person, service=unpublished)
    Service.objects.filter(pk=therapy.pk).update(active=False)
    therapy.refresh_from_db()
    with pytest.raises(CareError, match="not offered now"):
        request_decision(actor=clinician, person=booking.person, service=therapy)


def test_a_kite_or_evaluation_of_another_stay_is_refused(
    clinician: User, booking: Booking, unit_a: HousingUnit, therapy: Service
) -> None:
    other = book(unit_a, 2)
    with pytest.raises(CareError, match="request belongs to another stay"):
        request_decision(
            actor=clinician,
            person=booking.person,
            service=therapy,
            kite=kite(other, timezone.now()),
        )
    foreign = Evaluation.objects.filter(booking=other).first()
    with pytest.raises(CareError, match="evaluation belongs to another stay"):
        request_decision(
            actor=clinician, person=booking.person, service=therapy, evaluation=foreign
        )
    assert not Decision.objects.exists()
    unreferred = kite(booking, timezone.now())
    with pytest.raises(CareError, match="not referred for a service decision"):
        request_decision(actor=clinician, person=booking.person, service=therapy, kite=unreferred)
    Kite.objects.filter(pk=unreferred.pk).update(outcome=KiteOutcome.REFERRED_DECISION)
    unreferred.refresh_from_db()
    own = request_decision(actor=clinician, person=booking.person, service=therapy, kite=unreferred)
    assert own.source == "kite"
    with pytest.raises(CareError, match="already has a decision"):
        request_decision(actor=clinician, person=booking.person, service=therapy, kite=unreferred)


def test_confirm_refuses_a_proposal_that_asks_for_review(
    clinician: User, booking: Booking, therapy: Service
) -> None:
    decision = request_decision(actor=clinician, person=booking.person, service=therapy)
    with pytest.raises(CareError, match="asks for your review"):
        confirm_decision(actor=clinician, decision=decision)
    decision.refresh_from_db()
    assert decision.decided_at is None


def test_an_override_needs_a_reason_and_other_needs_words(
    clinician: User, booking: Booking, therapy: Service
) -> None:
    phq9(booking, 8, clinician)
    decision = request_decision(actor=clinician, person=booking.person, service=therapy)
    with pytest.raises(CareError, match="Choose a reason"):
        override_decision(actor=clinician, decision=decision, outcome="eligible", reason="")
    with pytest.raises(CareError, match="own words"):
        override_decision(
            actor=clinician, decision=decision, outcome="eligible", reason="other", text=" "
        )
    with pytest.raises(CareError, match="confirm it instead"):
        override_decision(
            actor=clinician, decision=decision, outcome="not_eligible", reason="safety"
        )
    with pytest.raises(CareError, match="eligible or not eligible"):
        override_decision(
            actor=clinician, decision=decision, outcome="clinician_review", reason="safety"
        )
    decided = override_decision(
        actor=clinician,
        decision=decision,
        outcome="eligible",
        reason="other",
        text="Grieving a death in the family.",
    )
    assert (decided.outcome, decided.override_reason) == ("eligible", "other")
    assert decided.override_text == "Grieving a death in the family."
    assert decided.appeal_by is None
    with pytest.raises(CareError, match="already made"):
        confirm_decision(actor=clinician, decision=decision)


def test_a_denial_is_refused_when_every_criterion_was_met(
    clinician: User, booking: Booking, therapy: Service
) -> None:
    phq9(booking, 20, clinician)
    decision = request_decision(actor=clinician, person=booking.person, service=therapy)
    assert decision.proposed == Outcome.ELIGIBLE
    with pytest.raises(CareError, match="would cite none"):
        override_decision(
            actor=clinician,
            decision=decision,
            outcome="not_eligible",
            reason="other",
            text="No places left.",
        )
    decision.refresh_from_db()
    assert decision.decided_at is None


def assert_explains_itself(decision: Decision) -> None:
    """I3: a signed no cites a criterion of its published version, says what is offered
    instead and by when to appeal."""
    assert decision.outcome == Outcome.NOT_ELIGIBLE
    body = decision.policy_version.body
    ids = {criterion["id"] for criterion in body["criteria"]}
    reasons = services.denial_reasons(decision)
    assert reasons
    for reason in reasons:
        assert reason["criterion"] in ids
        assert reason["policy_version"] == decision.policy_version.version
        assert reason["service"] == body["service"]
    assert body["offered_instead"]
    assert decision.decided_at is not None
    assert decision.appeal_by == decision.decided_at + timedelta(days=30)


def test_a_confirmed_no_explains_itself(
    clinician: User, booking: Booking, therapy: Service
) -> None:
    decision = denied(clinician, booking, therapy)
    assert_explains_itself(Decision.objects.get(pk=decision.pk))
    assert decision.record["offered_instead"] == [{"en": "Group therapy", "es": "Terapia de grupo"}]


def test_a_review_settled_as_no_explains_itself(
    clinician: User, booking: Booking, therapy: Service
) -> None:
    phq9(booking, 20, clinician)
    kite(booking, timezone.now() - timedelta(days=2), urgency=Urgency.EMERGENT)
    decision = request_decision(actor=clinician, person=booking.person, service=therapy)
    assert decision.proposed == Outcome.CLINICIAN_REVIEW
    with pytest.raises(CareError, match="in your own words"):
        override_decision(
            actor=clinician, decision=decision, outcome="not_eligible", reason="safety"
        )
    override_decision(
        actor=clinician,
        decision=decision,
        outcome="not_eligible",
        reason="safety",
        text="We see you daily while the crisis plan runs; ask again in two weeks.",
    )
    assert_explains_itself(Decision.objects.get(pk=decision.pk))


def test_a_clinician_elsewhere_cannot_sign_a_decision(
    clinician: User, booking: Booking, therapy: Service, other_facility: Facility
) -> None:
    phq9(booking, 8, clinician)
    decision = request_decision(actor=clinician, person=booking.person, service=therapy)
    stranger = staff(Role.CLINICIAN, other_facility, "south-clinician")
    with pytest.raises(CareError, match="not at your facilities"):
        confirm_decision(actor=stranger, decision=decision)
    nurse = staff(Role.NURSE, booking.facility, "a-nurse")
    with pytest.raises(CareError, match="cannot decide"):
        confirm_decision(actor=nurse, decision=decision)


# --- appeals ---------------------------------------------------------------------------------


def test_only_a_signed_no_can_be_appealed(
    clinician: User, booking: Booking, therapy: Service, resident: User
) -> None:
    phq9(booking, 8, clinician)
    pending = request_decision(actor=clinician, person=booking.person, service=therapy)
    with pytest.raises(CareError, match="says no"):
        file_appeal(actor=resident, decision=pending, text="I need to talk to someone.")
    granted = override_decision(
        actor=clinician, decision=pending, outcome="eligible", reason="clinical_judgement"
    )
    with pytest.raises(CareError, match="says no"):
        file_appeal(actor=resident, decision=granted, text="I need to talk to someone.")
    assert not Appeal.objects.exists()


def test_a_resident_appeals_only_their_own_decisions(
    clinician: User, booking: Booking, therapy: Service, unit_a: HousingUnit
) -> None:
    decision = denied(clinician, booking, therapy)
    other = book(unit_a, 2)
    neighbour = User.objects.create_user(
        username="resident-2", role=Role.RESIDENT, person=other.person
    )
    with pytest.raises(CareError, match="only your own"):
        file_appeal(actor=neighbour, decision=decision, text="Let them see someone.")
    officer = staff(Role.CUSTODY, booking.facility, "officer")
    with pytest.raises(CareError, match="cannot file an appeal"):
        file_appeal(actor=officer, decision=decision, text="She asked me to.")
    assert not Appeal.objects.exists()


def test_the_same_appeal_sent_twice_is_one_appeal_and_another_is_refused(
    clinician: User, booking: Booking, therapy: Service, resident: User
) -> None:
    decision = denied(clinician, booking, therapy)
    first = file_appeal(actor=resident, decision=decision, text="I cannot sleep.")
    again = file_appeal(actor=resident, decision=decision, text=" I cannot sleep. ")
    assert again == first
    with pytest.raises(CareError, match="already appealed"):
        file_appeal(actor=resident, decision=decision, text="Something else.")
    assert Appeal.objects.count() == 1
    assert len(events("appeal.file")) == 1


def test_an_appeal_after_the_deadline_is_refused(
    clinician: User, booking: Booking, therapy: Service, resident: User
) -> None:
    decision = denied(clinician, booking, therapy)
    Decision.objects.filter(pk=decision.pk).update(appeal_by=timezone.now() - timedelta(seconds=1))
    with pytest.raises(CareError, match="time to appeal"):
        file_appeal(actor=resident, decision=decision, text="Too late?")
    assert not Appeal.objects.exists()


def test_an_appeal_is_due_after_the_facilitys_response_days(
    clinician: User,
    supervisor: User,
    facility: Facility,
    booking: Booking,
    therapy: Service,
    resident: User,
) -> None:
    choose_care_settings(
        actor=supervisor,
        facility=facility,
        scheme="generic",
        appeal_window_days=10,
        appeal_response_days=5,
    )
    decision = denied(clinician, booking, therapy)
    assert decision.decided_at is not None
    assert decision.appeal_by == decision.decided_at + timedelta(days=10)
    appeal = file_appeal(actor=resident, decision=decision, text="Please.")
    assert appeal.due_at == appeal.filed_at + timedelta(days=5)
    assert (appeal.facility, appeal.filed_by) == (facility, resident)


def test_staff_may_file_an_appeal_for_the_resident(
    clinician: User, nurse: User, booking: Booking, therapy: Service
) -> None:
    decision = denied(clinician, booking, therapy)
    appeal = file_appeal(actor=nurse, decision=decision, text="Told me at pill call.")
    assert appeal.filed_by == nurse


@pytest.fixture
def appeal(clinician: User, booking: Booking, therapy: Service, resident: User) -> Appeal:
    decision = denied(clinician, booking, therapy)
    return file_appeal(actor=resident, decision=decision, text="I need to talk.")


def test_the_deciding_clinician_cannot_decide_the_appeal(
    clinician: User, second_clinician: User, appeal: Appeal
) -> None:
    with pytest.raises(CareError, match="did not make the decision"):
        decide_appeal(actor=clinician, appeal=appeal, outcome="overturned", reason="I erred.")
    decided = decide_appeal(
        actor=second_clinician, appeal=appeal, outcome="overturned", reason="Needs it."
    )
    assert (decided.outcome, decided.decided_by) == ("overturned", second_clinician)
    assert decided.breached_at is None


@pytest.mark.parametrize("role", [Role.NURSE, Role.SUPERVISOR, Role.AUDITOR, Role.RESIDENT])
def test_only_a_clinician_decides_an_appeal(
    facility: Facility, appeal: Appeal, resident: User, role: Role
) -> None:
    someone = resident if role == Role.RESIDENT else staff(role, facility, f"a-{role}")
    with pytest.raises(CareError, match="did not make the decision"):
        decide_appeal(actor=someone, appeal=appeal, outcome="upheld", reason="No.")
    appeal.refresh_from_db()
    assert appeal.decided_at is None


def test_a_clinician_elsewhere_cannot_decide_an_appeal(
    appeal: Appeal, other_facility: Facility
) -> None:
    stranger = staff(Role.CLINICIAN, other_facility, "south-clinician")
    with pytest.raises(CareError, match="did not make the decision"):
        decide_appeal(actor=stranger, appeal=appeal, outcome="upheld", reason="No.")


def test_a_named_reviewer_alone_decides_and_may_be_remote(
    clinician: User,
    second_clinician: User,
    supervisor: User,
    booking: Booking,
    therapy: Service,
    unit_a: HousingUnit,
    appeal: Appeal,
) -> None:
    remote = staff(Role.CLINICIAN, None, "remote-reviewer")
    with pytest.raises(CareError, match="cannot name"):
        name_reviewer(actor=clinician, appeal=appeal, reviewer=remote)
    with pytest.raises(CareError, match="cannot review its appeal"):
        name_reviewer(actor=supervisor, appeal=appeal, reviewer=clinician)
    with pytest.raises(CareError, match="active clinician"):
        name_reviewer(actor=supervisor, appeal=appeal, reviewer=supervisor)
    name_reviewer(actor=supervisor, appeal=appeal, reviewer=remote)
    with pytest.raises(CareError, match="named reviewer"):
        decide_appeal(actor=second_clinician, appeal=appeal, outcome="upheld", reason="No.")
    # Another appeal at the same facility, with no reviewer named: not the remote one's.
    other = book(unit_a, 2)
    neighbour = User.objects.create_user(
        username="resident-2", role=Role.RESIDENT, person=other.person
    )
    second = file_appeal(
        actor=neighbour, decision=denied(clinician, other, therapy), text="Me too."
    )
    with pytest.raises(CareError, match="did not make the decision"):
        decide_appeal(actor=remote, appeal=second, outcome="overturned", reason="Yes.")
    decided = decide_appeal(actor=remote, appeal=appeal, outcome="upheld", reason="Reviewed.")
    assert decided.decided_by == remote
    with pytest.raises(CareError, match="already decided"):
        name_reviewer(actor=supervisor, appeal=appeal, reviewer=second_clinician)


def test_an_appeal_is_decided_once_with_an_explanation(
    second_clinician: User, appeal: Appeal
) -> None:
    with pytest.raises(CareError, match="upheld or overturned"):
        decide_appeal(actor=second_clinician, appeal=appeal, outcome="maybe", reason="Hm.")
    with pytest.raises(CareError, match="Explain"):
        decide_appeal(actor=second_clinician, appeal=appeal, outcome="upheld", reason=" ")
    decide_appeal(actor=second_clinician, appeal=appeal, outcome="upheld", reason="Reviewed.")
    with pytest.raises(CareError, match="already decided"):
        decide_appeal(actor=second_clinician, appeal=appeal, outcome="overturned", reason="No.")


def test_the_sweep_records_an_overdue_appeal_once_and_a_late_answer_keeps_it(
    second_clinician: User, appeal: Appeal
) -> None:
    due = timezone.now() - timedelta(hours=1)
    Appeal.objects.filter(pk=appeal.pk).update(due_at=due)
    sweep(timezone.now())
    sweep(timezone.now() + timedelta(minutes=1))
    appeal.refresh_from_db()
    assert appeal.breached_at == due
    (event,) = events("appeal.breach")
    assert event.subjects == [f"appeal:{appeal.pk}"]
    assert event.chain == appeal.facility.code
    decided = decide_appeal(
        actor=second_clinician, appeal=appeal, outcome="overturned", reason="Late, sorry."
    )
    assert decided.breached_at == due
    sweep(timezone.now() + timedelta(minutes=2))
    assert len(events("appeal.breach")) == 1


def test_a_late_answer_the_sweep_missed_is_a_breach_too(
    second_clinician: User, appeal: Appeal
) -> None:
    due = timezone.now() - timedelta(minutes=5)
    Appeal.objects.filter(pk=appeal.pk).update(due_at=due)
    decided = decide_appeal(
        actor=second_clinician, appeal=appeal, outcome="upheld", reason="Reviewed."
    )
    assert decided.breached_at == due
    assert len(events("appeal.breach")) == 1
    sweep(timezone.now())
    assert len(events("appeal.breach")) == 1


def test_an_appeal_in_time_is_no_breach(second_clinician: User, appeal: Appeal) -> None:
    sweep(appeal.due_at - timedelta(seconds=1))
    appeal.refresh_from_db()
    assert appeal.breached_at is None


def test_a_transfer_carries_undecided_decisions_and_open_appeals(
    clinician: User,
    booking: Booking,
    therapy: Service,
    appeal: Appeal,
    south_unit: HousingUnit,
) -> None:
    pending = request_decision(actor=clinician, person=booking.person, service=therapy)
    signed = appeal.decision
    north = booking.facility
    transfer_person(actor=None, booking=booking, to_unit=south_unit, at=timezone.now())
    south = south_unit.facility
    pending.refresh_from_db()
    appeal.refresh_from_db()
    signed.refresh_from_db()
    assert pending.facility == south
    assert appeal.facility == south
    # What was decided at the sending facility stays its record.
    assert signed.facility == north
    (event,) = events("care.transfer")
    assert set(event.subjects) == {f"decision:{pending.pk}", f"appeal:{appeal.pk}"}
    assert event.chain == south.code
    # The receiving facility's clinicians carry on; the sending facility's no longer can.
    there = staff(Role.CLINICIAN, south, "south-clinician")
    with pytest.raises(CareError, match="not at your facilities"):
        confirm_decision(actor=clinician, decision=pending)
    override_decision(actor=there, decision=pending, outcome="eligible", reason="new_information")
    decide_appeal(actor=there, appeal=appeal, outcome="overturned", reason="Seen here.")


def test_an_appeal_overdue_before_a_transfer_is_the_sending_facilitys_breach(
    appeal: Appeal, south_unit: HousingUnit
) -> None:
    sending = appeal.facility
    due = timezone.now() - timedelta(hours=1)
    Appeal.objects.filter(pk=appeal.pk).update(due_at=due)
    transfer_person(
        actor=None, booking=appeal.decision.booking, to_unit=south_unit, at=timezone.now()
    )
    appeal.refresh_from_db()
    assert appeal.breached_at == due
    (event,) = events("appeal.breach")
    assert event.chain == sending.code
    sweep(timezone.now())
    assert len(events("appeal.breach")) == 1


def test_an_appeal_filed_after_a_transfer_goes_to_the_facility_holding_the_resident(
    clinician: User,
    booking: Booking,
    therapy: Service,
    resident: User,
    south_unit: HousingUnit,
) -> None:
    decision = denied(clinician, booking, therapy)
    transfer_person(actor=None, booking=booking, to_unit=south_unit, at=timezone.now())
    south = south_unit.facility
    nurse_there = staff(Role.NURSE, south, "south-nurse")
    appeal = file_appeal(actor=nurse_there, decision=decision, text="Asked at intake.")
    assert appeal.facility == south
    there = staff(Role.CLINICIAN, south, "south-clinician")
    decide_appeal(actor=there, appeal=appeal, outcome="upheld", reason="Reviewed here.")


# --- audit -----------------------------------------------------------------------------------


def test_the_whole_story_is_audited_without_clinical_values(
    clinician: User,
    second_clinician: User,
    supervisor: User,
    facility: Facility,
    booking: Booking,
    resident: User,
) -> None:
    choose_care_settings(actor=supervisor, facility=facility, scheme="generic")
    therapy = service_of(supervisor, facility)
    publish(supervisor, therapy, therapy_policy(15))
    assign_level(
        actor=clinician, person=booking.person, level="enhanced", reason="Sleepless nights."
    )
    decision = denied(clinician, booking, therapy, total=9)
    appeal = file_appeal(actor=resident, decision=decision, text="Nightmares every night.")
    name_reviewer(actor=supervisor, appeal=appeal, reviewer=second_clinician)
    decide_appeal(
        actor=second_clinician, appeal=appeal, outcome="overturned", reason="Trauma history."
    )
    actions = {event.action for event in AuditEvent.objects.all()}
    assert {
        "care.settings",
        "care.service",
        "policy.draft",
        "policy.publish",
        "care.level",
        "decision.request",
        "decision.confirm",
        "appeal.file",
        "appeal.reviewer",
        "appeal.decide",
    } <= actions
    clinical = [
        "enhanced",
        "Sleepless",
        "not_eligible",
        "eligible",
        "overturned",
        "Nightmares",
        "Trauma",
        "phq9",
        "Group therapy",
    ]
    for event in AuditEvent.objects.all():
        written = json.dumps(event.detail)
        for value in clinical:
            assert value not in written, (event.action, value)


def _fails_with_its_audit(monkeypatch: pytest.MonkeyPatch, call: Callable[[], object]) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(services, "audit", broken)
    with pytest.raises(RuntimeError, match="audit log"):
        call()
    monkeypatch.undo()


def test_each_write_and_its_audit_event_commit_together(
    monkeypatch: pytest.MonkeyPatch,
    clinician: User,
    second_clinician: User,
    supervisor: User,
    facility: Facility,
    booking: Booking,
    resident: User,
) -> None:
    def counts() -> tuple[int, ...]:
        return (
            CareSettings.objects.count(),
            Service.objects.count(),
            PolicyDraft.objects.count(),
            PolicyVersion.objects.count(),
            LevelAssignment.objects.count(),
            Decision.objects.count(),
            Decision.objects.filter(decided_at__isnull=False).count(),
            Appeal.objects.count(),
            Appeal.objects.filter(reviewer__isnull=False).count(),
            Appeal.objects.filter(decided_at__isnull=False).count(),
        )

    steps: list[Callable[[], object]] = [
        lambda: choose_care_settings(actor=supervisor, facility=facility, scheme="generic"),
        lambda: add_service(
            actor=supervisor, facility=facility, code="individual_therapy", name_en="I", name_es="I"
        ),
        lambda: save_draft(
            actor=supervisor, service=Service.objects.get(), body=therapy_policy(15)
        ),
        lambda: publish_policy(actor=supervisor, service=Service.objects.get()),
        lambda: assign_level(
            actor=clinician, person=booking.person, level="outpatient", reason="Low."
        ),
        lambda: phq9(booking, 4, clinician),
        lambda: request_decision(
            actor=clinician, person=booking.person, service=Service.objects.get()
        ),
        lambda: confirm_decision(actor=clinician, decision=Decision.objects.get()),
        lambda: file_appeal(actor=resident, decision=Decision.objects.get(), text="Please."),
        lambda: name_reviewer(
            actor=supervisor, appeal=Appeal.objects.get(), reviewer=second_clinician
        ),
        lambda: decide_appeal(
            actor=second_clinician, appeal=Appeal.objects.get(), outcome="upheld", reason="R."
        ),
    ]
    for step in steps:
        if step is steps[5]:
            step()
            continue
        before = counts()
        _fails_with_its_audit(monkeypatch, step)
        assert counts() == before
        step()
        assert counts() != before


def test_a_level_from_another_scheme_is_missing_so_the_policy_asks_a_clinician(
    supervisor: User, clinician: User, booking: Booking
) -> None:
    choose_care_settings(actor=supervisor, facility=booking.facility, scheme="cdcr-mhsds")
    assign_level(actor=clinician, person=booking.person, level="eop", reason="Evaluated today.")
    assert facts_for(booking, timezone.now()).values["level_of_care"] == "eop"
    # The facility changes scheme: "eop" means nothing to its policies any more.
    choose_care_settings(actor=supervisor, facility=booking.facility, scheme="bop-care-mh")
    assert "level_of_care" not in facts_for(booking, timezone.now()).values


def test_the_database_refuses_to_change_a_published_version_even_around_the_model(
    supervisor: User, therapy: Service
) -> None:
    version = PolicyVersion.objects.get(service=therapy)
    with pytest.raises(DatabaseError, match="never change"), transaction.atomic():
        PolicyVersion.objects.filter(pk=version.pk).update(body={})
    assert PolicyVersion.objects.get(pk=version.pk).body == version.body
