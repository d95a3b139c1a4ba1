"""The staff care pages: the person page's care panel (never for custody, I6), a decision with
its evidence and the clinician's confirm or override (a denial cites a criterion, I3), the
requests referred for a decision, appeals decided by someone else (I4) — a remote reviewer
sees that appeal only — and the care settings; every page audited with one read (I7)."""

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from django.test import Client

from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.care.demo import GROUP_THERAPY, INDIVIDUAL_THERAPY
from kiteline.care.models import (
    Appeal,
    CareSettings,
    Decision,
    DecisionSource,
    LevelAssignment,
    Outcome,
    Service,
)
from kiteline.care.services import (
    add_service,
    confirm_decision,
    file_appeal,
    name_reviewer,
    publish_policy,
    request_decision,
    save_draft,
)
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person
from kiteline.kites.models import Kite
from kiteline.kites.models import Outcome as KiteOutcome
from kiteline.kites.services import record_contact, record_paper_kite
from kiteline.screening.models import Evaluation, EvaluationKind
from kiteline.screening.services import record_answer, start_administration, submit_screen

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

# Monday 14 January 2030, 09:12 in Chicago (the test facility's zone, UTC-6 in winter).
NOW = datetime(2030, 1, 14, 15, 12, tzinfo=UTC)
RESIDENT = "R0000001"
# PHQ-9 answers (item 9 is 0: a safety answer would make it a crisis, and a review).
PHQ9_TOTAL_12 = (2, 2, 2, 2, 2, 1, 1, 0, 0)
PHQ9_TOTAL_18 = (3, 3, 3, 3, 2, 2, 1, 1, 0)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    """Every part of a request (service, view, session, audit) sees the same fixed time."""
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


def later(**delta: float) -> Any:
    return mock.patch("django.utils.timezone.now", return_value=NOW + timedelta(**delta))


def staff(role: Role, facility: Facility | None, name: str, full_name: str = "") -> User:
    first, _, last = full_name.partition(" ")
    user = User.objects.create_user(username=name, role=role, first_name=first, last_name=last)
    if facility is not None:
        user.facilities.add(facility)
    return user


def book(unit: HousingUnit, number: str = RESIDENT) -> Booking:
    return book_person(
        actor=None,
        details=PersonDetails(
            resident_number=number,
            given_name="Alder",
            family_name="Testfield",
            date_of_birth=date(1990, 1, 1),
        ),
        housing_unit=unit,
        booked_at=NOW - timedelta(days=3),
        booking_number=f"B-{number}",
    )


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response: "Response") -> str:
    """The page as a reader sees it: no tags, entities decoded, spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def messages_of(response: "Response") -> list[str]:
    return [str(message) for message in response.context["messages"]]


def new_events(since: int) -> list[AuditEvent]:
    """What was recorded since, signing in aside."""
    later = AuditEvent.objects.filter(pk__gt=since).exclude(action__startswith="auth.")
    return list(later.order_by("pk"))


def last_event() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def give_phq9(nurse: User, booking: Booking, values: tuple[int, ...]) -> None:
    screening = start_administration(actor=nurse, person=booking.person, instrument="phq9-v1")
    for n, value in enumerate(values, start=1):
        record_answer(actor=nurse, administration=screening, item=f"q{n}", value=value)
    submit_screen(actor=nurse, administration=screening)


# ---- Fixtures ------------------------------------------------------------------------------


@pytest.fixture
def supervisor(facility: Facility) -> User:
    return staff(Role.SUPERVISOR, facility, "test-supervisor", "Sam Supervisor")


@pytest.fixture
def clinician(facility: Facility) -> User:
    return staff(Role.CLINICIAN, facility, "test-clinician", "Casey Clinician")


@pytest.fixture
def second_clinician(facility: Facility) -> User:
    return staff(Role.CLINICIAN, facility, "second-clinician", "Robin Second")


@pytest.fixture
def custody(facility: Facility) -> User:
    return staff(Role.CUSTODY, facility, "test-custody")


@pytest.fixture
def auditor(facility: Facility) -> User:
    return staff(Role.AUDITOR, facility, "test-auditor")


def publish(supervisor: User, facility: Facility, code: str, body: dict[str, Any]) -> Service:
    names = {"individual_therapy": "Individual therapy", "group_therapy": "Group therapy"}
    service = add_service(
        actor=supervisor, facility=facility, code=code, name_en=names[code], name_es=code
    )
    save_draft(actor=supervisor, service=service, body=body)
    publish_policy(actor=supervisor, service=service)
    return service


@pytest.fixture
def therapy(supervisor: User, facility: Facility) -> Service:
    """One-on-one therapy under the demo's policy (PHQ-9 total at least 15), and group
    therapy open to everyone."""
    publish(supervisor, facility, "group_therapy", GROUP_THERAPY)
    return publish(supervisor, facility, "individual_therapy", INDIVIDUAL_THERAPY)


@pytest.fixture
def booking(unit_a: HousingUnit) -> Booking:
    return book(unit_a)


@pytest.fixture
def moderate(nurse: User, booking: Booking) -> Booking:
    """The resident's PHQ-9 total is 12: not enough for one-on-one therapy."""
    give_phq9(nurse, booking, PHQ9_TOTAL_12)
    return booking


@pytest.fixture
def proposed_no(clinician: User, moderate: Booking, therapy: Service) -> Decision:
    return request_decision(actor=clinician, person=moderate.person, service=therapy)


@pytest.fixture
def denied(clinician: User, proposed_no: Decision) -> Decision:
    return confirm_decision(actor=clinician, decision=proposed_no)


@pytest.fixture
def appealed(nurse: User, denied: Decision) -> Appeal:
    return file_appeal(actor=nurse, decision=denied, text="I can't talk about it in a group.")


@pytest.fixture
def elsewhere(other_facility: Facility, south_unit: HousingUnit) -> Decision:
    """A decision, and its appeal, at the other facility."""
    south_supervisor = staff(Role.SUPERVISOR, other_facility, "south-supervisor")
    south_clinician = staff(Role.CLINICIAN, other_facility, "south-clinician")
    south_nurse = staff(Role.NURSE, other_facility, "south-nurse")
    booking = book(south_unit, "R0000009")
    give_phq9(south_nurse, booking, PHQ9_TOTAL_12)
    service = publish(south_supervisor, other_facility, "individual_therapy", INDIVIDUAL_THERAPY)
    decision = request_decision(actor=south_clinician, person=booking.person, service=service)
    confirm_decision(actor=south_clinician, decision=decision)
    file_appeal(actor=south_nurse, decision=decision, text="Please.")
    return decision


# ---- Who may open the pages ------------------------------------------------------------------


def pages(decision: Decision, appeal: Appeal) -> dict[str, str]:
    return {
        "decision": f"/care/decisions/{decision.pk}/",
        "appeal": f"/care/appeals/{appeal.pk}/",
        "referred": "/care/referred/",
        "appeals": "/care/appeals/",
        "settings": "/care/settings/",
    }


ALLOWED = {
    Role.NURSE: {"decision", "appeal"},
    Role.CLINICIAN: {"decision", "appeal", "referred", "appeals"},
    Role.SUPERVISOR: {"decision", "appeal", "appeals", "settings"},
    Role.CUSTODY: set(),
    Role.AUDITOR: set(),
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_each_role_opens_exactly_its_care_pages(
    role: Role, facility: Facility, appealed: Appeal
) -> None:
    client = signed_in(staff(role, facility, f"matrix-{role}"))
    for name, url in pages(appealed.decision, appealed).items():
        expected = 200 if name in ALLOWED[role] else 403
        assert (name, client.get(url).status_code) == (name, expected)


def test_a_resident_is_not_found_and_a_stranger_is_sent_to_sign_in(
    booking: Booking, appealed: Appeal
) -> None:
    resident = User.objects.create_user(
        username="resident", role=Role.RESIDENT, person=booking.person
    )
    for url in pages(appealed.decision, appealed).values():
        assert signed_in(resident).get(url).status_code == 404
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/sign-in/")


def test_custody_and_auditors_cannot_act_either(
    custody: User, auditor: User, proposed_no: Decision
) -> None:
    for user in (custody, auditor):
        client = signed_in(user)
        assert client.post(f"/care/decisions/{proposed_no.pk}/confirm/").status_code == 403
        assert client.post("/care/decisions/ask/", {"resident_number": RESIDENT}).status_code == 403
    proposed_no.refresh_from_db()
    assert proposed_no.decided_at is None


def test_a_decision_or_appeal_at_another_facility_is_not_found(
    clinician: User, supervisor: User, nurse: User, elsewhere: Decision
) -> None:
    since = last_event()
    for user in (clinician, supervisor, nurse):
        client = signed_in(user)
        assert client.get(f"/care/decisions/{elsewhere.pk}/").status_code == 404
        assert client.get(f"/care/appeals/{elsewhere.appeal.pk}/").status_code == 404
    client = signed_in(clinician)
    assert client.post(f"/care/decisions/{elsewhere.pk}/override/", {}).status_code == 404
    assert client.post(f"/care/appeals/{elsewhere.appeal.pk}/decide/", {}).status_code == 404
    assert new_events(since) == []
    assert elsewhere.appeal.number not in text_of(signed_in(supervisor).get("/care/appeals/"))


def test_a_supervisor_cannot_open_another_facilitys_settings(
    supervisor: User, other_facility: Facility
) -> None:
    assert signed_in(supervisor).get("/care/settings/?facility=south").status_code == 404
    response = signed_in(supervisor).post(
        "/care/settings/scheme/",
        {
            "facility": "south",
            "scheme": "bop-care-mh",
            "appeal_window_days": 30,
            "appeal_response_days": 14,
        },
    )
    assert response.status_code == 404
    assert not CareSettings.objects.exists()


# ---- The person page -------------------------------------------------------------------------


def test_custody_sees_no_care_panel_and_nothing_care_is_read(
    custody: User, denied: Decision, clinician: User
) -> None:
    since = last_event()
    response = signed_in(custody).get(f"/people/{RESIDENT}/")
    assert response.status_code == 200
    assert (response.context["care"], response.context["level_form"]) == (None, None)
    page = text_of(response)
    for clinical in ("Level of care", "Service decisions", "Individual therapy", "Not eligible"):
        assert clinical not in page
    assert "/care/" not in response.text
    assert not [event for event in new_events(since) if event.action == "care.read"]


def test_a_clinician_sets_the_level_of_care_after_an_evaluation(
    clinician: User, moderate: Booking
) -> None:
    evaluation = Evaluation.objects.get(kind=EvaluationKind.EVALUATION)
    client = signed_in(clinician)
    page = client.get(f"/people/{RESIDENT}/")
    assert 'action="/care/levels/set/"' in page.text
    assert '<option value="enhanced">Enhanced outpatient</option>' in page.text
    assert f'<option value="{evaluation.pk}">Mental-health evaluation opened' in page.text

    response = client.post(
        "/care/levels/set/",
        {
            "resident_number": RESIDENT,
            "level": "outpatient",
            "reason": "Moderate depression",
            "evaluation": evaluation.pk,
        },
        follow=True,
    )
    assert response.redirect_chain == [(f"/people/{RESIDENT}/#care", 302)]
    assert "Level of care set." in messages_of(response)
    level = LevelAssignment.objects.get()
    assert (level.level, level.reason, level.evaluation, level.assigned_by) == (
        "outpatient",
        "Moderate depression",
        evaluation,
        clinician,
    )
    page_text = text_of(response)
    assert "Outpatient · Moderate depression" in page_text
    assert "Set by Casey Clinician at 2030-01-14 09:12 CST" in page_text


def test_a_level_without_a_reason_is_refused_and_nothing_is_saved(
    clinician: User, booking: Booking
) -> None:
    response = signed_in(clinician).post(
        "/care/levels/set/",
        {"resident_number": RESIDENT, "level": "outpatient", "reason": " "},
        follow=True,
    )
    assert messages_of(response) == ["Give the reason for this level of care."]
    assert not LevelAssignment.objects.exists()


def test_a_nurse_sees_the_panel_but_no_forms_and_cannot_set_a_level(
    nurse: User, denied: Decision
) -> None:
    client = signed_in(nurse)
    response = client.get(f"/people/{RESIDENT}/")
    assert response.context["care"] is not None
    assert (response.context["level_form"], response.context["ask_form"]) == (None, None)
    assert denied.number in text_of(response)
    assert "/care/levels/set/" not in response.text
    data = {"resident_number": RESIDENT, "level": "outpatient", "reason": "x"}
    assert client.post("/care/levels/set/", data).status_code == 403
    assert not LevelAssignment.objects.exists()


def test_the_panel_offers_only_services_with_a_published_policy(
    clinician: User, supervisor: User, facility: Facility, booking: Booking, therapy: Service
) -> None:
    add_service(
        actor=supervisor, facility=facility, code="psychiatry", name_en="Psychiatry", name_es="P"
    )
    form = signed_in(clinician).get(f"/people/{RESIDENT}/").context["ask_form"]
    offered = [label for _, label in form.fields["service"].widget.choices]
    assert offered == ["Group therapy", "Individual therapy"]


def test_a_clinician_asks_for_a_decision_from_the_person_page(
    clinician: User, moderate: Booking, therapy: Service
) -> None:
    evaluation = Evaluation.objects.get(kind=EvaluationKind.EVALUATION)
    response = signed_in(clinician).post(
        "/care/decisions/ask/",
        {
            "resident_number": RESIDENT,
            "service": therapy.pk,
            "evaluation": evaluation.pk,
            "back": "person",
        },
        follow=True,
    )
    decision = Decision.objects.get()
    assert response.redirect_chain == [(f"/care/decisions/{decision.pk}/", 302)]
    assert messages_of(response) == [
        f"Decision {decision.number}: the policy proposes “Not eligible”."
    ]
    assert (decision.source, decision.evaluation, decision.proposed) == (
        DecisionSource.EVALUATION,
        evaluation,
        Outcome.NOT_ELIGIBLE,
    )


def test_asking_for_a_service_held_elsewhere_is_not_found(
    clinician: User, booking: Booking, elsewhere: Decision
) -> None:
    response = signed_in(clinician).post(
        "/care/decisions/ask/", {"resident_number": RESIDENT, "service": elsewhere.service_id}
    )
    assert response.status_code == 404
    assert Decision.objects.count() == 1


def test_the_panel_lists_the_decisions_with_their_appeal_and_records_one_read(
    clinician: User, appealed: Appeal
) -> None:
    since = last_event()
    page = text_of(signed_in(clinician).get(f"/people/{RESIDENT}/"))
    assert f"{appealed.decision.number} 2030-01-14 09:12 CST Individual therapy" in page
    assert f"{appealed.number} · open, due 2030-01-28 09:12 CST" in page
    (event,) = [event for event in new_events(since) if event.action == "care.read"]
    evaluation = Evaluation.objects.get(kind=EvaluationKind.EVALUATION)
    assert event.subjects == [
        f"decision:{appealed.decision_id}",
        f"appeal:{appealed.pk}",
        f"evaluation:{evaluation.pk}",
    ]
    assert event.person_id == appealed.person_id


# ---- A decision ------------------------------------------------------------------------------


def test_the_decision_page_shows_each_criterion_with_its_evidence(
    nurse: User, proposed_no: Decision
) -> None:
    page = text_of(signed_in(nurse).get(f"/care/decisions/{proposed_no.pk}/"))
    assert "Version 1, published by Sam Supervisor at 2030-01-14 09:12 CST" in page
    assert "The policy proposes Not eligible" in page
    assert (
        "phq9-15 cited not met PHQ-9 total 12 on 2030-01-14; at least 15 needed "
        "PHQ-9 total: 12 date of the PHQ-9: 2030-01-14" in page
    )
    assert "recent-crisis sends to a clinician when met met" not in page
    assert "No crisis in the past 30 days" in page
    assert "crises in the past 30 days 0 on watch no" in page
    assert "Offered instead when not eligible Group therapy A new screening in 30 days" in page
    assert "Source Asked directly" in page
    # A nurse reads it; only a clinician signs it off.
    assert "Confirm" not in page
    assert "A clinician of the facility signs the decision off." in page


def test_the_reasons_and_evidence_follow_the_page_language(
    clinician: User, proposed_no: Decision
) -> None:
    response = signed_in(clinician).get(
        f"/care/decisions/{proposed_no.pk}/", headers={"Accept-Language": "es"}
    )
    assert response["Content-Language"] == "es"
    page = text_of(response)
    assert "PHQ-9 total 12 el 2030-01-14; se necesita al menos 15" in page
    assert "puntuación total del PHQ-9: 12" in page
    assert "Terapia de grupo Una nueva evaluación en 30 días" in page


def test_a_missing_fact_shows_as_not_recorded_and_asks_for_review(
    clinician: User, booking: Booking, therapy: Service
) -> None:
    decision = request_decision(actor=clinician, person=booking.person, service=therapy)
    assert decision.proposed == Outcome.CLINICIAN_REVIEW
    response = signed_in(clinician).get(f"/care/decisions/{decision.pk}/")
    page = text_of(response)
    assert "Not recorded: PHQ-9 total, so a clinician decides." in page
    assert "PHQ-9 total: not recorded" in page
    # Nothing to confirm: the clinician chooses, and both outcomes are offered.
    assert f"/care/decisions/{decision.pk}/confirm/" not in response.text
    choices = [
        value for value, _ in response.context["override_form"].fields["outcome"].widget.choices
    ]
    assert choices == ["eligible", "not_eligible"]
    refused = signed_in(clinician).post(f"/care/decisions/{decision.pk}/confirm/", follow=True)
    assert messages_of(refused) == [
        "The policy asks for your review: choose the outcome and say why."
    ]
    decision.refresh_from_db()
    assert decision.decided_at is None


def test_a_clinician_confirms_the_proposal(clinician: User, proposed_no: Decision) -> None:
    response = signed_in(clinician).post(f"/care/decisions/{proposed_no.pk}/confirm/", follow=True)
    assert response.redirect_chain == [(f"/care/decisions/{proposed_no.pk}/", 302)]
    assert messages_of(response) == [f"Confirmed {proposed_no.number}."]
    proposed_no.refresh_from_db()
    assert (proposed_no.outcome, proposed_no.decided_by, proposed_no.decided_at) == (
        Outcome.NOT_ELIGIBLE,
        clinician,
        NOW,
    )
    page = text_of(response)
    assert "Outcome Not eligible By Casey Clinician · 2030-01-14 09:12 CST" in page
    assert "May be appealed until 2030-02-13 09:12 CST" in page
    # Decided: no more sign-off, and a form to file the appeal for the resident.
    assert "Confirm:" not in page
    assert "this appeal is not the facility's formal grievance" in page


def test_a_clinician_overrides_with_a_reason_and_their_words(
    clinician: User, proposed_no: Decision
) -> None:
    client = signed_in(clinician)
    form = client.get(f"/care/decisions/{proposed_no.pk}/").context["override_form"]
    assert [value for value, _ in form.fields["outcome"].widget.choices] == ["eligible"]
    response = client.post(
        f"/care/decisions/{proposed_no.pk}/override/",
        {"outcome": "eligible", "reason": "new_information", "text": "Lost her son last week."},
        follow=True,
    )
    assert messages_of(response) == [
        f"Decided {proposed_no.number}, overriding the policy's proposal."
    ]
    proposed_no.refresh_from_db()
    assert (proposed_no.outcome, proposed_no.override_reason, proposed_no.override_text) == (
        Outcome.ELIGIBLE,
        "new_information",
        "Lost her son last week.",
    )
    page = text_of(response)
    assert "Outcome Eligible overrides the policy" in page
    assert "Reason for the override Information the policy does not cover" in page
    assert "In the clinician's words Lost her son last week." in page


@pytest.mark.parametrize(
    ("data", "refusal"),
    [
        ({"outcome": "eligible", "reason": ""}, "Choose a reason for the override."),
        (
            {"outcome": "eligible", "reason": "other", "text": "  "},
            "Say in your own words why you decide this.",
        ),
        (
            {"outcome": "not_eligible", "reason": "safety"},
            "That is what the policy proposes: confirm it instead.",
        ),
    ],
)
def test_an_override_without_a_reason_is_refused_and_nothing_is_saved(
    clinician: User, proposed_no: Decision, data: dict[str, str], refusal: str
) -> None:
    since = last_event()
    response = signed_in(clinician).post(
        f"/care/decisions/{proposed_no.pk}/override/", data, follow=True
    )
    assert messages_of(response) == [refusal]
    proposed_no.refresh_from_db()
    assert (proposed_no.outcome, proposed_no.decided_at) == ("", None)
    assert [event.action for event in new_events(since)] == ["decision.read"]


def test_a_denial_that_would_cite_no_criterion_is_refused(
    clinician: User, nurse: User, booking: Booking, therapy: Service
) -> None:
    give_phq9(nurse, booking, PHQ9_TOTAL_18)
    decision = request_decision(actor=clinician, person=booking.person, service=therapy)
    assert decision.proposed == Outcome.ELIGIBLE
    client = signed_in(clinician)
    response = client.get(f"/care/decisions/{decision.pk}/")
    # Nothing to choose over "eligible": the page offers no override, and says why.
    assert f"/care/decisions/{decision.pk}/override/" not in response.text
    assert "a denial would cite none" in text_of(response)

    refused = client.post(
        f"/care/decisions/{decision.pk}/override/",
        {"outcome": "not_eligible", "reason": "clinical_judgement", "text": "No."},
        follow=True,
    )
    assert messages_of(refused) == [
        "Every criterion of the published policy is met: a denial would cite none. "
        "Change the policy instead."
    ]
    decision.refresh_from_db()
    assert (decision.outcome, decision.decided_at, decision.override_reason) == ("", None, "")
    assert not AuditEvent.objects.filter(action="decision.override").exists()


def test_a_nurse_cannot_confirm(nurse: User, proposed_no: Decision) -> None:
    assert signed_in(nurse).post(f"/care/decisions/{proposed_no.pk}/confirm/").status_code == 403
    proposed_no.refresh_from_db()
    assert proposed_no.decided_at is None


def test_opening_a_decision_records_one_read_naming_it(
    clinician: User, facility: Facility, appealed: Appeal
) -> None:
    since = last_event()
    signed_in(clinician).get(f"/care/decisions/{appealed.decision_id}/")
    (event,) = new_events(since)
    assert (event.action, event.actor_id, event.person_id, event.chain) == (
        "decision.read",
        clinician.pk,
        appealed.person_id,
        facility.code,
    )
    assert event.subjects == [f"decision:{appealed.decision_id}", f"appeal:{appealed.pk}"]
    # Field names only, never a value or the resident's words (I7).
    assert "record" not in event.detail["fields"]
    assert "appeal.text" in event.detail["fields"]
    assert "group" not in str(event.detail)


def test_staff_file_an_appeal_for_the_resident(nurse: User, denied: Decision) -> None:
    response = signed_in(nurse).post(
        f"/care/decisions/{denied.pk}/appeal/", {"text": "I need to talk alone."}, follow=True
    )
    appeal = Appeal.objects.get()
    assert response.redirect_chain == [(f"/care/appeals/{appeal.pk}/", 302)]
    assert (appeal.text, appeal.filed_by, appeal.due_at) == (
        "I need to talk alone.",
        nurse,
        NOW + timedelta(days=14),
    )


# ---- Requests referred for a decision ------------------------------------------------------


@pytest.fixture
def referred_kite(nurse: User, clinician: User, moderate: Booking) -> Kite:
    kite = record_paper_kite(
        actor=nurse, person=moderate.person, channel="paper", topic="therapy", text="Therapy"
    ).kite
    return record_contact(
        actor=clinician,
        kite=kite,
        seen_at=NOW,
        place="clinic",
        note="Asks for one-on-one therapy.",
        outcome=KiteOutcome.REFERRED_DECISION,
    )


def test_a_kite_referred_for_a_decision_is_listed_until_one_is_asked_for(
    clinician: User, referred_kite: Kite, therapy: Service, elsewhere: Decision
) -> None:
    south_kite = Kite.objects.exclude(pk=referred_kite.pk).first()
    client = signed_in(clinician)
    since = last_event()
    response = client.get("/care/referred/")
    assert [row.kite_id for row in response.context["rows"]] == [referred_kite.pk]
    assert south_kite is None or south_kite.number not in text_of(response)
    (event,) = new_events(since)
    assert (event.action, event.subjects) == ("care_referrals.read", [f"kite:{referred_kite.pk}"])

    asked = client.post(
        "/care/decisions/ask/",
        {"kite": referred_kite.pk, "service": therapy.pk, "back": "referred"},
        follow=True,
    )
    decision = Decision.objects.get(kite=referred_kite)
    assert asked.redirect_chain == [(f"/care/decisions/{decision.pk}/", 302)]
    assert (decision.source, decision.person_id) == (DecisionSource.KITE, referred_kite.person_id)
    assert f"Source A request referred for a decision · {referred_kite.number}" in text_of(asked)
    assert client.get("/care/referred/").context["rows"] == []


def test_a_refused_request_goes_back_to_the_list_with_the_reason(
    clinician: User, supervisor: User, referred_kite: Kite, therapy: Service
) -> None:
    therapy.active = False
    therapy.save()
    response = signed_in(clinician).post(
        "/care/decisions/ask/",
        {"kite": referred_kite.pk, "service": therapy.pk, "back": "referred"},
        follow=True,
    )
    assert response.redirect_chain == [("/care/referred/", 302)]
    assert messages_of(response) == ["Individual therapy is not offered now."]
    assert not Decision.objects.exists()


# ---- Appeals ---------------------------------------------------------------------------------


def test_the_deciding_clinician_sees_the_appeal_but_cannot_decide_it(
    clinician: User, appealed: Appeal
) -> None:
    client = signed_in(clinician)
    response = client.get(f"/care/appeals/{appealed.pk}/")
    assert response.status_code == 200
    assert response.context["decide_form"] is None
    page = text_of(response)
    assert "I can't talk about it in a group." in page
    assert "You made this decision, so another clinician decides its appeal." in page
    assert f"/care/appeals/{appealed.pk}/decide/" not in response.text
    assert appealed.number not in text_of(client.get("/care/appeals/")).split("Decided in")[0]

    since = last_event()
    refused = client.post(
        f"/care/appeals/{appealed.pk}/decide/",
        {"outcome": "upheld", "reason": "I stand by it."},
        follow=True,
    )
    assert messages_of(refused) == [
        "An appeal is decided by a clinician who did not make the decision."
    ]
    appealed.refresh_from_db()
    assert (appealed.outcome, appealed.decided_at, appealed.decided_by) == ("", None, None)
    assert "appeal.decide" not in [event.action for event in new_events(since)]


def test_another_clinician_reviews_the_evidence_and_overturns(
    second_clinician: User, appealed: Appeal
) -> None:
    client = signed_in(second_clinician)
    listing = client.get("/care/appeals/")
    assert [row.appeal_id for row in listing.context["appeals"].open] == [appealed.pk]
    page = client.get(f"/care/appeals/{appealed.pk}/")
    assert page.context["decide_form"] is not None
    assert "PHQ-9 total 12 on 2030-01-14; at least 15 needed" in text_of(page)

    response = client.post(
        f"/care/appeals/{appealed.pk}/decide/",
        {"outcome": "overturned", "reason": "Group is not safe for her now."},
        follow=True,
    )
    assert messages_of(response) == [f"Appeal {appealed.number} decided."]
    appealed.refresh_from_db()
    assert (appealed.outcome, appealed.decided_by, appealed.reason) == (
        "overturned",
        second_clinician,
        "Group is not safe for her now.",
    )
    assert "Decided: Decision overturned, by Robin Second." in text_of(response)
    decided = client.get("/care/appeals/").context["appeals"]
    assert ([row.appeal_id for row in decided.decided], decided.open) == ([appealed.pk], ())


def test_an_appeal_without_a_reason_is_refused(second_clinician: User, appealed: Appeal) -> None:
    response = signed_in(second_clinician).post(
        f"/care/appeals/{appealed.pk}/decide/", {"outcome": "upheld", "reason": ""}, follow=True
    )
    assert messages_of(response) == ["Explain the outcome: the resident reads it."]
    appealed.refresh_from_db()
    assert appealed.decided_at is None


def test_the_supervisor_sees_every_appeal_with_its_deadline_and_overdue(
    supervisor: User, clinician: User, second_clinician: User, appealed: Appeal
) -> None:
    with later(days=15):
        response = signed_in(supervisor).get("/care/appeals/")
    (row,) = response.context["appeals"].open
    assert (row.appeal_id, row.overdue, row.breached) == (appealed.pk, True, False)
    assert "2030-01-28 09:12 CST overdue" in text_of(response)
    # The deciding clinician is never offered as the reviewer (I4).
    assert [label for _, label in row.reviewer_choices] == ["Robin Second"]


def test_the_appeals_list_records_one_read_naming_the_appeals_shown(
    supervisor: User, facility: Facility, appealed: Appeal, elsewhere: Decision
) -> None:
    since = last_event()
    signed_in(supervisor).get("/care/appeals/")
    (event,) = new_events(since)
    assert (event.action, event.chain, event.subjects) == (
        "appeals.read",
        facility.code,
        [f"appeal:{appealed.pk}"],
    )


def test_opening_an_appeal_records_one_read_of_it_and_its_decision(
    second_clinician: User, facility: Facility, appealed: Appeal
) -> None:
    since = last_event()
    signed_in(second_clinician).get(f"/care/appeals/{appealed.pk}/")
    (event,) = new_events(since)
    assert (event.action, event.chain, event.person_id) == (
        "appeal.read",
        facility.code,
        appealed.person_id,
    )
    assert event.subjects == [f"appeal:{appealed.pk}", f"decision:{appealed.decision_id}"]


@pytest.fixture
def remote(other_facility: Facility) -> User:
    return staff(Role.CLINICIAN, other_facility, "remote-clinician", "Rae Remote")


def test_a_supervisor_names_a_remote_reviewer_who_sees_that_appeal_only(
    supervisor: User,
    clinician: User,
    second_clinician: User,
    remote: User,
    appealed: Appeal,
    therapy: Service,
    nurse: User,
    unit_a: HousingUnit,
) -> None:
    other = book(unit_a, "R0000002")
    give_phq9(nurse, other, PHQ9_TOTAL_12)
    other_decision = request_decision(actor=clinician, person=other.person, service=therapy)

    page = signed_in(supervisor).get(f"/care/appeals/{appealed.pk}/")
    labels = dict(page.context["appeal"].reviewer_choices)
    assert labels[remote.pk] == "Rae Remote (remote: sees this appeal only)"
    assert clinician.pk not in labels
    response = signed_in(supervisor).post(
        f"/care/appeals/{appealed.pk}/reviewer/", {"reviewer": remote.pk}, follow=True
    )
    assert response.redirect_chain == [("/care/appeals/", 302)]
    appealed.refresh_from_db()
    assert appealed.reviewer == remote

    client = signed_in(remote)
    listing = client.get("/care/appeals/")
    assert [row.appeal_id for row in listing.context["appeals"].open] == [appealed.pk]
    page = client.get(f"/care/appeals/{appealed.pk}/")
    assert page.status_code == 200
    assert page.context["decide_form"] is not None
    assert "PHQ-9 total 12 on 2030-01-14; at least 15 needed" in text_of(page)
    # No way into the rest of the facility from here.
    assert f"/people/{RESIDENT}/" not in page.text
    assert client.get(f"/care/decisions/{appealed.decision_id}/").status_code == 200
    assert client.get(f"/care/decisions/{other_decision.pk}/").status_code == 404
    assert client.get(f"/people/{RESIDENT}/").status_code == 404
    assert client.get("/care/referred/").context["rows"] == []
    assert client.post(f"/care/decisions/{other_decision.pk}/confirm/").status_code == 404

    # The local clinician is no longer the one to decide it.
    local = signed_in(second_clinician).get(f"/care/appeals/{appealed.pk}/")
    assert local.context["decide_form"] is None
    assert "Rae Remote is named to review this appeal." in text_of(local)

    decided = client.post(
        f"/care/appeals/{appealed.pk}/decide/",
        {"outcome": "upheld", "reason": "The criteria were applied correctly."},
        follow=True,
    )
    assert messages_of(decided) == [f"Appeal {appealed.number} decided."]
    appealed.refresh_from_db()
    assert (appealed.outcome, appealed.decided_by) == ("upheld", remote)


def test_the_deciding_clinician_cannot_be_named_reviewer(
    supervisor: User, clinician: User, appealed: Appeal
) -> None:
    response = signed_in(supervisor).post(
        f"/care/appeals/{appealed.pk}/reviewer/",
        {"reviewer": clinician.pk, "back": "appeal"},
        follow=True,
    )
    assert response.redirect_chain == [(f"/care/appeals/{appealed.pk}/", 302)]
    assert messages_of(response) == [
        "The clinician who made the decision cannot review its appeal."
    ]
    appealed.refresh_from_db()
    assert appealed.reviewer is None


def test_a_clinician_cannot_name_a_reviewer(second_clinician: User, appealed: Appeal) -> None:
    response = signed_in(second_clinician).post(
        f"/care/appeals/{appealed.pk}/reviewer/", {"reviewer": second_clinician.pk}
    )
    assert response.status_code == 403
    appealed.refresh_from_db()
    assert appealed.reviewer is None


def test_reviewing_someone_elses_appeal_named_to_another_is_refused(
    supervisor: User, second_clinician: User, remote: User, appealed: Appeal
) -> None:
    name_reviewer(actor=supervisor, appeal=appealed, reviewer=remote)
    response = signed_in(second_clinician).post(
        f"/care/appeals/{appealed.pk}/decide/",
        {"outcome": "overturned", "reason": "Yes."},
        follow=True,
    )
    assert messages_of(response) == [
        "An appeal is decided by a clinician who did not make the decision — here, its named "
        "reviewer."
    ]
    appealed.refresh_from_db()
    assert appealed.decided_at is None


# ---- Care settings ---------------------------------------------------------------------------


def test_the_settings_show_each_scheme_and_mark_unverified_figures(
    supervisor: User, facility: Facility
) -> None:
    response = signed_in(supervisor).get("/care/settings/")
    page = text_of(response)
    assert "Not set yet: the generic scheme and the default deadlines apply." in page
    assert "Generic levels in force" in page
    assert (
        "EOP (enhanced outpatient) eop Symptoms that impair functioning in general population; "
        "separate housing and far more treatment. Individual contact with a clinician: every "
        "7 days unverified 10 hours a week unverified" in page
    )
    assert (
        "CCCMS (clinic level) cccms Outpatient care in general population with a primary "
        "clinician. Individual contact with a clinician: every 90 days" in page
    )
    assert "eop: clinician every 7 days" in page


def test_a_supervisor_chooses_the_scheme_and_the_appeal_deadlines(
    supervisor: User, clinician: User, facility: Facility, booking: Booking
) -> None:
    response = signed_in(supervisor).post(
        "/care/settings/scheme/",
        {
            "facility": facility.code,
            "scheme": "cdcr-mhsds",
            "appeal_window_days": 21,
            "appeal_response_days": 7,
        },
        follow=True,
    )
    assert response.redirect_chain == [(f"/care/settings/?facility={facility.code}", 302)]
    assert messages_of(response) == ["Care settings saved."]
    settings = CareSettings.objects.get()
    assert (settings.scheme, settings.appeal_window_days, settings.appeal_response_days) == (
        "cdcr-mhsds",
        21,
        7,
    )
    assert "Modelled on CDCR MHSDS (California) in force" in text_of(response)
    levels = signed_in(clinician).get(f"/people/{RESIDENT}/").context["level_form"]
    assert [code for code, _ in levels.fields["level"].widget.choices] == [
        "cccms",
        "eop",
        "mhcb",
        "inpatient",
    ]


def test_a_deadline_out_of_range_is_refused(supervisor: User, facility: Facility) -> None:
    response = signed_in(supervisor).post(
        "/care/settings/scheme/",
        {
            "facility": facility.code,
            "scheme": "generic",
            "appeal_window_days": 0,
            "appeal_response_days": 7,
        },
        follow=True,
    )
    assert messages_of(response) == ["Ensure this value is greater than or equal to 1."]
    assert not CareSettings.objects.exists()


def test_a_supervisor_adds_a_service_and_a_duplicate_is_refused(
    supervisor: User, facility: Facility, therapy: Service
) -> None:
    client = signed_in(supervisor)
    data = {
        "facility": facility.code,
        "code": "peer_support",
        "name_en": "Peer support",
        "name_es": "Apoyo entre pares",
        "capacity_note": "Weekly",
    }
    response = client.post("/care/settings/services/", data, follow=True)
    assert messages_of(response) == [
        "Service added. It needs a published policy before decisions can be asked for."
    ]
    service = Service.objects.get(code="peer_support")
    assert (service.facility, service.name_es, service.capacity_note) == (
        facility,
        "Apoyo entre pares",
        "Weekly",
    )
    page = text_of(response)
    assert "Peer support · Apoyo entre pares peer_support Weekly none" in page
    assert "Individual therapy · individual_therapy individual_therapy — Version 1, by Sam" in page

    again = client.post("/care/settings/services/", data, follow=True)
    assert messages_of(again) == ["north already has a service 'peer_support'."]
    assert Service.objects.filter(code="peer_support").count() == 1
