"""The supervisor's policy editor (issue 7, points 3 and 7): drafts kept as typed, every
problem shown beside where it is, hostile CEL answered with a clear error and never a crash,
a draft tried on one person (an audited read), the diff against the published version, and
publishing a new version that leaves earlier ones as they were (I9)."""

import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from django.test import Client

from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.care.fact_sources import facts_for
from kiteline.care.models import Outcome, PolicyDraft, PolicyVersion, Service
from kiteline.care.policy import evaluate
from kiteline.care.services import add_service, check_draft, publish_policy, save_draft
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person
from kiteline.screening.models import Administration

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 1, 14, 15, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


def staff(role: Role, facility: Facility, name: str | None = None) -> User:
    user = User.objects.create_user(username=name or f"test-{role}", role=role)
    user.facilities.add(facility)
    return user


def text(en: str) -> dict[str, str]:
    return {"en": en, "es": en}


def policy(threshold: int = 15, expression: str | None = None) -> dict[str, Any]:
    return {
        "criteria": [
            {
                "id": "phq9-high",
                "expression": expression or f"phq9_total >= {threshold}",
                "met_text": text("PHQ-9 total {phq9_total}"),
                "not_met_text": text("PHQ-9 total {phq9_total}"),
            },
            {
                "id": "recent-crisis",
                "expression": "crises_past_30_days > 0 || on_watch",
                "met_text": text("A crisis"),
                "not_met_text": text("No crisis"),
            },
        ],
        "rule": {"combine": "all", "review_when_met": ["recent-crisis"]},
        "offered_instead": [text("Group therapy")],
    }


@pytest.fixture
def supervisor(facility: Facility) -> User:
    return staff(Role.SUPERVISOR, facility)


@pytest.fixture
def service(supervisor: User, facility: Facility) -> Service:
    """Individual therapy with version 1 published (PHQ-9 at least 15)."""
    service = add_service(
        actor=supervisor,
        facility=facility,
        code="individual_therapy",
        name_en="Individual therapy",
        name_es="Terapia individual",
    )
    save_draft(actor=supervisor, service=service, body=policy(15))
    publish_policy(actor=supervisor, service=service)
    # The editor starts from the published body when no draft is being worked on.
    PolicyDraft.objects.filter(service=service).delete()
    return service


@pytest.fixture
def signed_in(client: Client, supervisor: User) -> Client:
    client.force_login(supervisor)
    return client


def editor_url(service: Service) -> str:
    return f"/policies/{service.pk}/"


def post(client: Client, service: Service, body: str, action: str, **extra: str) -> "Response":
    return client.post(editor_url(service), {"body": body, "action": action, **extra})


def page_text(response: "Response") -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def book(unit: HousingUnit, number: str, phq9: int | None) -> Booking:
    booking = book_person(
        actor=None,
        details=PersonDetails(
            resident_number=number,
            given_name="Alder",
            family_name="Testfield",
            date_of_birth=date(1990, 1, 1),
        ),
        housing_unit=unit,
        booked_at=NOW - timedelta(days=5),
        booking_number=f"B-{number}",
    )
    if phq9 is not None:
        nurse = User.objects.get_or_create(username="phq9-giver", defaults={"role": Role.NURSE})[0]
        Administration.objects.create(
            person=booking.person,
            booking=booking,
            facility=booking.facility,
            instrument="phq9-v1",
            language="en",
            started_by=nurse,
            started_at=NOW - timedelta(days=2),
            submitted_at=NOW - timedelta(days=2),
            submitted_by=nurse,
            complete=True,
            total=phq9,
        )
    return booking


# ---- who may open the pages ------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.NURSE, Role.CLINICIAN, Role.CUSTODY, Role.AUDITOR])
def test_it_refuses_every_role_but_the_supervisor(
    client: Client, facility: Facility, service: Service, role: Role
) -> None:
    client.force_login(staff(role, facility))
    for url in (
        "/policies/",
        editor_url(service),
        f"/policies/{service.pk}/versions/1/",
        f"/policies/{service.pk}/simulate/",
    ):
        assert client.get(url).status_code == 403, url
    assert post(client, service, json.dumps(policy(10)), "save").status_code == 403
    assert client.post(f"/policies/{service.pk}/publish/").status_code == 403
    assert PolicyVersion.objects.count() == 1
    assert not PolicyDraft.objects.exists()


def test_a_supervisor_of_another_facility_does_not_find_the_service(
    client: Client, other_facility: Facility, service: Service
) -> None:
    client.force_login(staff(Role.SUPERVISOR, other_facility, "south-supervisor"))
    assert client.get(editor_url(service)).status_code == 404
    assert client.post(f"/policies/{service.pk}/publish/").status_code == 404
    assert "Individual therapy" not in page_text(client.get("/policies/"))


def test_publishing_is_post_only(signed_in: Client, service: Service) -> None:
    assert signed_in.get(f"/policies/{service.pk}/publish/").status_code == 405


# ---- the list and the editor -----------------------------------------------------------


def test_the_list_shows_each_service_with_its_published_version_and_draft(
    signed_in: Client, supervisor: User, service: Service
) -> None:
    text = page_text(signed_in.get("/policies/"))
    assert "Individual therapy" in text
    assert "Version 1" in text
    assert supervisor.username in text
    assert "No draft" in text
    save_draft(actor=supervisor, service=service, body=policy(10))
    assert "A draft with changes" in page_text(signed_in.get("/policies/"))


def test_the_editor_starts_from_the_published_version_without_its_identity(
    signed_in: Client, service: Service
) -> None:
    response = signed_in.get(editor_url(service))
    assert response.status_code == 200
    typed = response.context["form"].initial["body"]
    assert json.loads(typed) == policy(15)
    # In the format's order, whatever order the database keeps the keys in.
    assert typed.index('"criteria"') < typed.index('"rule"') < typed.index('"offered_instead"')
    assert typed.index('"id"') < typed.index('"expression"') < typed.index('"met_text"')
    assert "No draft saved: the text starts from the published version." in page_text(response)


def test_saving_keeps_the_draft_and_publishes_nothing(
    signed_in: Client, supervisor: User, service: Service
) -> None:
    response = post(signed_in, service, json.dumps(policy(10)), "save")
    assert response.status_code == 200
    assert "Draft saved." in page_text(response)
    draft = PolicyDraft.objects.get(service=service)
    assert draft.body == policy(10)
    assert draft.edited_by == supervisor
    assert PolicyVersion.objects.filter(service=service).count() == 1
    assert AuditEvent.objects.filter(action="policy.draft").count() == 2


def test_invalid_json_is_kept_as_typed_shown_with_its_line_and_column_and_not_saved(
    signed_in: Client, service: Service
) -> None:
    typed = '{\n  "criteria": [\n    {"id": x}\n  ]\n}'
    response = post(signed_in, service, typed, "save")
    assert response.status_code == 200
    assert response.context["form"]["body"].value() == typed
    text = page_text(response)
    assert "Not saved" in text
    assert "line 3, column 12 of the text" in text
    assert not PolicyDraft.objects.exists()


@pytest.mark.parametrize(
    "typed",
    [
        '{"criteria": NaN}',
        '{"criteria": "\\u0000"}',
        '{"criteria": "\\ud800"}',
        "[" * 100_000 + "]" * 100_000,
        '["a policy is an object"]',
        '{"version": ' + "9" * 5000 + "}",
    ],
    ids=["nan", "nul", "lone-surrogate", "deep-json", "not-an-object", "huge-number"],
)
def test_json_the_database_cannot_hold_is_refused_without_a_crash(
    signed_in: Client, service: Service, typed: str
) -> None:
    response = post(signed_in, service, typed, "save")
    assert response.status_code == 200
    assert "Not saved" in page_text(response)
    assert not PolicyDraft.objects.exists()


def test_a_draft_that_does_not_check_is_saved_with_every_problem_beside_its_criterion(
    signed_in: Client, service: Service
) -> None:
    body = policy(expression="phq10_total >= 15")
    body["offered_instead"] = []
    response = post(signed_in, service, json.dumps(body), "save")
    assert PolicyDraft.objects.get(service=service).body == body
    problems = {(p.criterion, p.field) for p in response.context["problems"]}
    assert problems == {("phq9-high", "expression"), ("", "offered_instead")}
    assert "unknown fact 'phq10_total'" in page_text(response)


HOSTILE = {
    # A megabyte: refused on length before the CEL library sees it.
    "one-megabyte": ("phq9_total >= 1 && " * 60_000)[:1_000_000],
    # Ten thousand parentheses deep: refused on length too, before any parser recursion.
    "ten-thousand-parentheses": "(" * 10_000 + "true" + ")" * 10_000,
    # Within the length cap, so refused by the nesting cap, where it goes over.
    "too-deep": "(" * 40 + "true" + ")" * 40,
    "unknown-fact": "phq9_total >= 15 && shoe_size > 40",
    "syntax-error": "phq9_total >=\n  >= 15",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_cel_gets_a_clear_error_with_its_position_and_nothing_is_published(
    signed_in: Client, supervisor: User, service: Service, name: str
) -> None:
    body = policy(expression=HOSTILE[name])
    response = post(signed_in, service, json.dumps(body), "check")
    assert response.status_code == 200
    (problem,) = response.context["problems"]
    assert (problem.criterion, problem.field) == ("phq9-high", "expression")
    assert problem.message in page_text(response)
    if name in ("too-deep", "unknown-fact", "syntax-error"):
        assert problem.line is not None
        assert problem.column is not None
        assert f"line {problem.line}, column {problem.column}" in page_text(response)
        assert problem.caret.endswith("^")
    expected_position = {"too-deep": (1, 17), "unknown-fact": (1, 21), "syntax-error": (2, 3)}
    if name in expected_position:
        assert (problem.line, problem.column) == expected_position[name]
    # Saved as typed when it is short enough to keep, but never publishable.
    post(signed_in, service, json.dumps(body), "save")
    response = signed_in.post(f"/policies/{service.pk}/publish/", follow=True)
    assert response.status_code == 200
    assert PolicyVersion.objects.filter(service=service).count() == 1
    if name == "one-megabyte":
        assert not PolicyDraft.objects.exists()
    else:
        assert "The draft does not check" in page_text(response)


def test_a_draft_that_checks_says_which_version_it_would_be(
    signed_in: Client, service: Service
) -> None:
    response = post(signed_in, service, json.dumps(policy(10)), "check")
    assert response.context["problems"] == []
    assert "it can be published as version 2" in page_text(response)


# ---- diff ------------------------------------------------------------------------------


def test_the_diff_shows_a_changed_expression(signed_in: Client, service: Service) -> None:
    response = post(signed_in, service, json.dumps(policy(10)), "diff")
    content = response.content.decode()
    assert "<del>-" in content
    assert "phq9_total &gt;= 15" in content.split("<del>", 2)[1]
    assert "phq9_total &gt;= 10" in content.split("<ins>", 2)[1]
    (change,) = response.context["diff"].criteria
    assert (change.criterion, change.before, change.after) == (
        "phq9-high",
        "phq9_total >= 15",
        "phq9_total >= 10",
    )
    unchanged = post(signed_in, service, json.dumps(policy(15)), "diff")
    assert unchanged.context["diff"].lines == ()
    assert "No difference." in page_text(unchanged)


# ---- try on a person -------------------------------------------------------------------


def test_trying_on_a_person_gives_the_engines_outcome_and_one_read_event(
    signed_in: Client, supervisor: User, service: Service, unit_a: HousingUnit
) -> None:
    booking = book(unit_a, "R0000012", phq9=12)
    before = AuditEvent.objects.count()
    response = post(signed_in, service, json.dumps(policy(10)), "try", resident_number="r0000012")
    assert response.status_code == 200
    tried = response.context["tried"]
    facts = facts_for(booking, NOW)
    expected_draft = evaluate(check_draft(service, policy(10)), facts)
    expected_published = evaluate(check_draft(service, policy(15)), facts)
    assert tried.draft.outcome == expected_draft.outcome.value == Outcome.ELIGIBLE
    assert tried.published.outcome == expected_published.outcome.value == Outcome.NOT_ELIGIBLE
    assert [r.status for r in tried.draft.results] == [
        r.status.value for r in expected_draft.results
    ]
    assert ("PHQ-9 total", "12") in tried.draft.results[0].values
    text = page_text(response)
    assert "Eligible" in text
    assert "Not eligible" in text
    assert "PHQ-9 total 12" in text
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.get(action="policy.try")
    assert event.actor_id == supervisor.pk
    assert event.person_id == booking.person_id
    assert f"booking:{booking.pk}" in event.subjects
    assert "phq9_total" in event.detail["fields"]
    # Trying reads and shows; it neither saves nor publishes.
    assert not PolicyDraft.objects.exists()
    assert PolicyVersion.objects.count() == 1


def test_trying_on_someone_not_held_here_is_refused_and_reads_nothing(
    signed_in: Client, service: Service, south_unit: HousingUnit
) -> None:
    book(south_unit, "R0000099", phq9=20)
    response = post(signed_in, service, json.dumps(policy(10)), "try", resident_number="R0000099")
    assert response.status_code == 200
    assert response.context["tried"] is None
    assert "Nobody with this number is held at North Test Jail now." in page_text(response)
    assert not AuditEvent.objects.filter(action="policy.try").exists()


def test_a_draft_that_does_not_check_is_not_tried(
    signed_in: Client, service: Service, unit_a: HousingUnit
) -> None:
    book(unit_a, "R0000012", phq9=12)
    body = json.dumps(policy(expression="phq9_total >="))
    response = post(signed_in, service, body, "try", resident_number="R0000012")
    assert response.context["tried"] is None
    assert "Fix the problems below" in page_text(response)
    assert not AuditEvent.objects.filter(action="policy.try").exists()


# ---- publishing and versions -----------------------------------------------------------


def test_publishing_makes_the_next_version_and_leaves_earlier_ones_unchanged(
    signed_in: Client, supervisor: User, service: Service
) -> None:
    first = PolicyVersion.objects.get(service=service, version=1)
    first_body = json.loads(json.dumps(first.body))
    for threshold, version in ((10, 2), (12, 3)):
        post(signed_in, service, json.dumps(policy(threshold)), "save")
        response = signed_in.post(f"/policies/{service.pk}/publish/", follow=True)
        assert f"Version {version} is published under your name." in page_text(response)
        published = PolicyVersion.objects.get(service=service, version=version)
        assert published.body == {**policy(threshold), "service": service.code, "version": version}
        assert published.published_by == supervisor
    first.refresh_from_db()
    assert first.body == first_body
    assert PolicyVersion.objects.get(service=service, version=2).body["criteria"][0][
        "expression"
    ] == ("phq9_total >= 10")
    events = AuditEvent.objects.filter(action="policy.publish").order_by("position")
    assert [event.detail["version"] for event in events] == [1, 2, 3]
    assert all(event.actor_id == supervisor.pk for event in events)


def test_publishing_without_a_draft_is_refused(signed_in: Client, service: Service) -> None:
    response = signed_in.post(f"/policies/{service.pk}/publish/", follow=True)
    assert "There is no draft to publish." in page_text(response)
    assert PolicyVersion.objects.filter(service=service).count() == 1


def test_a_published_version_is_shown_read_only(signed_in: Client, service: Service) -> None:
    response = signed_in.get(f"/policies/{service.pk}/versions/1/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "<textarea" not in content
    assert 'method="post"' not in content.split("<main>", 1)[1]
    assert "phq9_total &gt;= 15" in content
    assert signed_in.get(f"/policies/{service.pk}/versions/2/").status_code == 404


@pytest.mark.parametrize(
    "text",
    ['{"criteria": [], "x": 1e400}', '{"x": ' + "[" * 2500 + "]" * 2500 + "}"],
    ids=["an infinite number", "2,500 levels deep"],
)
def test_json_the_database_cannot_store_is_refused_with_a_message_not_a_crash(
    text: str, signed_in: Client, service: Service
) -> None:
    response = post(signed_in, service, text, "save")
    assert response.status_code == 200
    assert not PolicyDraft.objects.filter(service=service).exists()
