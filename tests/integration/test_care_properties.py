"""Properties of care decisions over many drawn cases, through the services and the
database: no bare "no" (I3), independent appeals (I4), published policies that never change
and a missing fact that never says no (I9). Each example rolls back what it wrote."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiteline.accounts.models import Role, User
from kiteline.care.facts import facts_from_json
from kiteline.care.models import Appeal, Decision, Outcome, PolicyDraft, PolicyVersion
from kiteline.care.policy import evaluate
from kiteline.care.services import (
    CareError,
    compiled,
    confirm_decision,
    decide_appeal,
    denial_reasons,
    file_appeal,
    name_reviewer,
    override_decision,
    publish_policy,
    request_decision,
    save_draft,
)
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.kites.models import Status, Urgency
from tests.integration.care_world import (
    book,
    criterion,
    kite,
    publish,
    screen,
    service_of,
    staff,
    text,
    therapy_policy,
)

EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    # Each example runs in a transaction it rolls back, so the fixtures' rows are shared
    # safely between examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def supervisor(facility: Facility) -> User:
    return staff(Role.SUPERVISOR, facility, "test-supervisor")


@pytest.fixture
def clinicians(facility: Facility) -> list[User]:
    return [staff(Role.CLINICIAN, facility, f"clinician-{n}") for n in range(4)]


@pytest.fixture
def booking(unit_a: HousingUnit) -> Booking:
    return book(unit_a, 1)


def policy(phq9: int, gad7: int, combine: str) -> dict[str, object]:
    return {
        "criteria": [
            criterion("phq9", f"phq9_total >= {phq9}", "PHQ-9 {phq9_total} on {phq9_date}"),
            criterion("gad7", f"gad7_total >= {gad7}", "GAD-7 {gad7_total}"),
            criterion("crisis", "crises_past_30_days > 0 || on_watch"),
        ],
        "rule": {"combine": combine, "review_when_met": ["crisis"]},
        "offered_instead": [text("Group therapy", "Terapia de grupo"), text("Re-screening")],
    }


totals = st.one_of(st.none(), st.integers(min_value=0, max_value=21))


@EXAMPLES
@given(
    phq9=totals,
    gad7=totals,
    crises=st.integers(min_value=0, max_value=2),
    phq9_needed=st.integers(min_value=0, max_value=27),
    gad7_needed=st.integers(min_value=0, max_value=21),
    combine=st.sampled_from(["all", "any"]),
    settle=st.sampled_from(["confirm", "eligible", "not_eligible"]),
)
def test_every_signed_no_cites_a_published_criterion_offers_something_and_can_be_appealed(
    supervisor: User,
    clinicians: list[User],
    facility: Facility,
    booking: Booking,
    phq9: int | None,
    gad7: int | None,
    crises: int,
    phq9_needed: int,
    gad7_needed: int,
    combine: str,
    settle: str,
) -> None:
    clinician = clinicians[0]
    with transaction.atomic():
        therapy = service_of(supervisor, facility)
        version = publish(supervisor, therapy, policy(phq9_needed, gad7_needed, combine))
        when = timezone.now() - timedelta(days=1)
        if phq9 is not None:
            screen(booking, "phq9-v1", when, by=clinician, total=phq9)
        if gad7 is not None:
            screen(booking, "gad7-v1", when, by=clinician, total=gad7)
        for n in range(crises):
            kite(booking, when - timedelta(days=n), urgency=Urgency.EMERGENT, status=Status.CLOSED)
        decision = request_decision(actor=clinician, person=booking.person, service=therapy)

        # The engine decided from the facts it stored, and decides the same again (I9).
        stored = Decision.objects.get(pk=decision.pk)
        assert stored.policy_version == version
        again = evaluate(compiled(version.pk), facts_from_json(stored.facts))
        assert again.to_record() == stored.record
        # What this policy says, worked out by hand; a missing total is never a no.
        met = [
            None if total is None else total >= needed
            for total, needed in ((phq9, phq9_needed), (gad7, gad7_needed))
        ]
        if crises:
            expected = Outcome.CLINICIAN_REVIEW
        elif combine == "all":
            expected = (
                Outcome.NOT_ELIGIBLE
                if False in met
                else Outcome.ELIGIBLE
                if all(met)
                else Outcome.CLINICIAN_REVIEW
            )
        else:
            expected = (
                Outcome.ELIGIBLE
                if True in met
                else Outcome.NOT_ELIGIBLE
                if met == [False, False]
                else Outcome.CLINICIAN_REVIEW
            )
        assert stored.proposed == expected
        if phq9 is None and gad7 is None:
            assert stored.proposed != Outcome.NOT_ELIGIBLE

        outcome = stored.proposed if settle == "confirm" else settle
        if stored.proposed == Outcome.ELIGIBLE and outcome == Outcome.NOT_ELIGIBLE:
            # Nothing to cite: a denial of someone every criterion admits is refused (I3).
            with pytest.raises(CareError, match="would cite none"):
                override_decision(
                    actor=clinician, decision=stored, outcome=outcome, reason="clinical_judgement"
                )
        elif settle == "confirm" and stored.proposed != Outcome.CLINICIAN_REVIEW:
            confirm_decision(actor=clinician, decision=stored)
        elif outcome in (Outcome.ELIGIBLE, Outcome.NOT_ELIGIBLE) and outcome != stored.proposed:
            override_decision(
                actor=clinician,
                decision=stored,
                outcome=outcome,
                reason="safety",
                text="Seen today; the team decides after the crisis plan.",
            )

        for signed in Decision.objects.filter(outcome=Outcome.NOT_ELIGIBLE):
            body = signed.policy_version.body
            ids = {c["id"] for c in body["criteria"]}
            reasons = denial_reasons(signed)
            assert reasons
            assert all(
                r["criterion"] in ids and r["policy_version"] == body["version"] for r in reasons
            )
            assert body["offered_instead"]
            assert signed.appeal_by is not None
            assert signed.decided_at is not None
            assert signed.appeal_by > signed.decided_at
            if signed.proposed == Outcome.NOT_ELIGIBLE:
                assert signed.record["offered_instead"] == body["offered_instead"]
        transaction.set_rollback(True)


@EXAMPLES
@given(
    decider=st.integers(min_value=0, max_value=3),
    actor=st.integers(min_value=0, max_value=3),
    reviewer=st.one_of(st.none(), st.integers(min_value=0, max_value=3)),
)
def test_whoever_decided_can_never_decide_the_appeal(
    supervisor: User,
    clinicians: list[User],
    facility: Facility,
    booking: Booking,
    decider: int,
    actor: int,
    reviewer: int | None,
) -> None:
    with transaction.atomic():
        therapy = service_of(supervisor, facility)
        publish(supervisor, therapy, therapy_policy(15))
        screen(booking, "phq9-v1", timezone.now() - timedelta(days=1), by=supervisor, total=3)
        decision = request_decision(actor=clinicians[actor], person=booking.person, service=therapy)
        decision = confirm_decision(actor=clinicians[decider], decision=decision)
        appeal = file_appeal(actor=supervisor, decision=decision, text="Please look again.")
        if reviewer is not None:
            if reviewer == decider:
                with pytest.raises(CareError, match="cannot review its appeal"):
                    name_reviewer(actor=supervisor, appeal=appeal, reviewer=clinicians[reviewer])
                reviewer = None
            else:
                name_reviewer(actor=supervisor, appeal=appeal, reviewer=clinicians[reviewer])
        allowed = actor != decider and (reviewer is None or actor == reviewer)
        if allowed:
            decided = decide_appeal(
                actor=clinicians[actor], appeal=appeal, outcome="overturned", reason="Seen again."
            )
            assert decided.decided_by != decision.decided_by
        else:
            with pytest.raises(CareError, match="did not make the decision"):
                decide_appeal(
                    actor=clinicians[actor], appeal=appeal, outcome="upheld", reason="Mine."
                )
            assert Appeal.objects.get(pk=appeal.pk).decided_at is None
        # Whatever happened, no appeal is ever decided by its decision's maker.
        for settled in Appeal.objects.filter(decided_at__isnull=False).select_related("decision"):
            assert settled.decided_by_id != settled.decision.decided_by_id
        transaction.set_rollback(True)


def _stored_bodies() -> dict[int, object]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, body FROM {PolicyVersion._meta.db_table}"  # noqa: S608 -- the table name is Django's own
        )
        return dict(cursor.fetchall())


@EXAMPLES
@given(
    steps=st.lists(
        st.one_of(st.integers(min_value=0, max_value=27), st.just("publish")),
        min_size=1,
        max_size=8,
    )
)
def test_a_published_version_never_changes_whatever_is_drafted_or_published_after(
    supervisor: User, facility: Facility, steps: list[int | str]
) -> None:
    with transaction.atomic():
        therapy = service_of(supervisor, facility)
        save_draft(actor=supervisor, service=therapy, body=therapy_policy(15))
        kept: dict[int, object] = {}
        for step in steps:
            if step == "publish":
                latest = therapy.versions.order_by("-version").first()
                draft = PolicyDraft.objects.get(service=therapy).body
                unchanged = latest is not None and all(
                    latest.body[key] == draft[key] for key in draft if key != "version"
                )
                if unchanged:
                    # Publishing the same text twice (a double click) makes no new version.
                    with pytest.raises(CareError, match="nothing to publish"):
                        publish_policy(actor=supervisor, service=therapy)
                    continue
                version = publish_policy(actor=supervisor, service=therapy)
                kept[version.pk] = _stored_bodies()[version.pk]
                assert version.version == len(kept)
            else:
                assert isinstance(step, int)
                save_draft(actor=supervisor, service=therapy, body=therapy_policy(step))
            bodies = _stored_bodies()
            assert {pk: bodies[pk] for pk in kept} == kept
        transaction.set_rollback(True)


def _nested(depth: int) -> str:
    return "(" * depth + "phq9_total > 1" + ")" * depth


def _long(terms: int) -> str:
    return " && ".join(["phq9_total >= 1"] * max(1, terms))


expressions = st.one_of(
    st.text(max_size=60),
    st.text(
        alphabet="()[]{}!?.:&|=<>+-*/% '\"\\abcdefghijklmnopqrstuvwxyz_0123456789", max_size=80
    ),
    st.integers(min_value=0, max_value=12_000).map(_nested),
    st.integers(min_value=1, max_value=70_000).map(_long),
    st.sampled_from(
        ["phq10_total > 1", "phq9_total >", "'unterminated", "size(", "phq9_total.foo.bar"]
    ),
)


@EXAMPLES
@given(expression=expressions)
def test_any_expression_is_published_or_refused_with_a_clear_error_never_a_crash(
    supervisor: User, facility: Facility, expression: str
) -> None:
    with transaction.atomic():
        therapy = service_of(supervisor, facility)
        refusal: CareError | None = None
        try:
            save_draft(
                actor=supervisor, service=therapy, body=therapy_policy(expression=expression)
            )
            published = publish_policy(actor=supervisor, service=therapy)
        except CareError as error:
            refusal = error
        if refusal is None:
            assert published.body["criteria"][0]["expression"] == expression
            compiled(published.pk)
        else:
            message = str(refusal)
            # Refused when saved (text the database cannot store, such as NUL) or published.
            assert message.startswith(
                ("The draft does not check: criteria[0] (phq9-high)", "The draft holds text")
            )
            assert len(message) < 2_000
            assert not PolicyVersion.objects.filter(service=therapy).exists()
        transaction.set_rollback(True)
