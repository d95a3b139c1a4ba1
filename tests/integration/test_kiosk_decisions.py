"""The resident's care decisions at the kiosk: the outcome in plain words with each reason
and its evidence, in the resident's language (I3); what is offered instead and how and by
when to appeal; a clinician's override beside the words they wrote, shown as written; an
appeal that says first that it is not a grievance, and is one appeal however often it is
sent; only the resident's own decisions (I6), and one read event per page (I7)."""

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from unittest import mock

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from kiteline.accounts.kiosk_services import choose_pin, issue_pin, register_kiosk
from kiteline.accounts.kiosks import KIOSK_COOKIE
from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.care.demo import INDIVIDUAL_THERAPY
from kiteline.care.models import Appeal, Decision, OverrideReason, Service
from kiteline.care.services import (
    add_service,
    confirm_decision,
    decide_appeal,
    file_appeal,
    override_decision,
    publish_policy,
    request_decision,
    save_draft,
)
from kiteline.facilities.models import Facility, HousingUnit, Person
from kiteline.facilities.services import PersonDetails, book_person, rebook_person, release_person
from kiteline.kites.services import submit_kite
from kiteline.screening.services import record_answer, start_administration, submit_screen

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

# Monday 14 January 2030, 09:12 in Chicago (the test facility's zone, UTC-6 in winter).
NOW = datetime(2030, 1, 14, 15, 12, tzinfo=UTC)
PIN = "2580"
# PHQ-9 answers: a total of 8 (below the policy's 15) and of 16, item 9 always 0.
LOW = (1, 1, 1, 1, 1, 1, 1, 1, 0)
HIGH = (2, 2, 2, 2, 2, 2, 2, 2, 0)
NOTICE = (
    "This appeal is not a grievance",
    "Only a formal grievance protects your right to go to court.",
    "To file a grievance, ask an officer for a grievance form. Grievances have time limits, "
    "so ask soon. You can appeal and file a grievance.",
)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    """Every part of a request (service, view, session, audit) sees the same fixed time."""
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


@pytest.fixture
def supervisor(facility: Facility) -> User:
    user = User.objects.create_user(username="test-supervisor", password="x", role=Role.SUPERVISOR)
    user.facilities.add(facility)
    return user


@pytest.fixture
def clinician(facility: Facility) -> User:
    user = User.objects.create_user(username="test-clinician", password="x", role=Role.CLINICIAN)
    user.facilities.add(facility)
    return user


@pytest.fixture
def reviewer(facility: Facility) -> User:
    user = User.objects.create_user(username="test-reviewer", password="x", role=Role.CLINICIAN)
    user.facilities.add(facility)
    return user


@pytest.fixture
def kiosk_token(supervisor: User, facility: Facility) -> str:
    return register_kiosk(actor=supervisor, facility=facility, name="A Pod dayroom")[1]


@pytest.fixture
def therapy(supervisor: User, facility: Facility) -> Service:
    """One-on-one therapy with the demo's published policy: a PHQ-9 of 15 or more."""
    service = add_service(
        actor=supervisor,
        facility=facility,
        code="individual_therapy",
        name_en="Individual therapy",
        name_es="Terapia individual",
    )
    save_draft(actor=supervisor, service=service, body=INDIVIDUAL_THERAPY)
    publish_policy(actor=supervisor, service=service)
    return service


def book(unit: HousingUnit, resident_number: str, language: str) -> Person:
    details = PersonDetails(
        resident_number=resident_number,
        given_name="Test",
        family_name="Resident",
        date_of_birth=date(1990, 5, 17),
        language=language,
    )
    return book_person(
        actor=None,
        details=details,
        housing_unit=unit,
        booked_at=NOW - timedelta(days=60),
        booking_number=f"B-{resident_number}",
    ).person


def signed_in(kiosk_token: str, nurse: User, person: Person) -> Client:
    """A kiosk client with `person` signed in the way a resident does, with their own PIN."""
    choose_pin(person=person, current_pin=issue_pin(actor=nurse, person=person), new_pin=PIN)
    client = Client()
    client.cookies[KIOSK_COOKIE] = kiosk_token
    response = client.post("/kiosk/", {"resident_number": person.resident_number, "pin": PIN})
    assert response["Location"] == "/kiosk/home/"
    return client


def phq9(clinician: User, person: Person, values: tuple[int, ...]) -> None:
    """A PHQ-9 given by the clinician, so the policy has a total to read."""
    screen = start_administration(actor=clinician, person=person, instrument="phq9-v1")
    for number, value in enumerate(values, start=1):
        record_answer(actor=clinician, administration=screen, item=f"q{number}", value=value)
    submit_screen(actor=clinician, administration=screen)


def asked(clinician: User, person: Person, service: Service, values: tuple[int, ...]) -> Decision:
    phq9(clinician, person, values)
    return request_decision(actor=clinician, person=person, service=service)


def decided(
    clinician: User, person: Person, service: Service, values: tuple[int, ...] = LOW
) -> Decision:
    return confirm_decision(actor=clinician, decision=asked(clinician, person, service, values))


@pytest.fixture
def rosa(unit_a: HousingUnit) -> Person:
    return book(unit_a, "R0000001", "en")


@pytest.fixture
def rosa_kiosk(kiosk_token: str, nurse: User, rosa: Person) -> Client:
    return signed_in(kiosk_token, nurse, rosa)


@pytest.fixture
def lucia(unit_a: HousingUnit) -> Person:
    return book(unit_a, "R0000002", "es-MX")


@pytest.fixture
def lucia_kiosk(kiosk_token: str, nurse: User, lucia: Person) -> Client:
    return signed_in(kiosk_token, nurse, lucia)


@pytest.fixture
def denied(clinician: User, rosa: Person, therapy: Service) -> Decision:
    """Rosa's not-eligible decision: PHQ-9 total 8, confirmed by the clinician."""
    return decided(clinician, rosa, therapy)


def text_of(response: "Response") -> str:
    """The page as a reader sees it: no tags, entities decoded, spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def spanish(message: str) -> str:
    """A new string as the Spanish page shows it: its translation once there is one."""
    with translation.override("es"):
        return gettext(message)


def reads() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="decision.read").order_by("position"))


def appeal(client: Client, decision: Decision, text: str) -> "Response":
    return client.post(f"/kiosk/decisions/{decision.pk}/appeal/", {"text": text})


# ---- My decisions --------------------------------------------------------------------------


def test_the_home_page_leads_to_my_decisions_once_one_is_signed_off(
    rosa_kiosk: Client, clinician: User, rosa: Person, therapy: Service
) -> None:
    assert 'href="/kiosk/decisions/"' not in rosa_kiosk.get("/kiosk/home/").text
    decision = asked(clinician, rosa, therapy, LOW)
    # Asked for, not yet signed off: nothing to show yet.
    assert 'href="/kiosk/decisions/"' not in rosa_kiosk.get("/kiosk/home/").text
    confirm_decision(actor=clinician, decision=decision)
    home = rosa_kiosk.get("/kiosk/home/")
    assert 'href="/kiosk/decisions/"' in home.text
    assert "My decisions" in text_of(home)


def test_my_decisions_lists_signed_off_ones_newest_first_in_plain_words(
    rosa_kiosk: Client, clinician: User, rosa: Person, therapy: Service, denied: Decision
) -> None:
    with mock.patch("django.utils.timezone.now", return_value=NOW + timedelta(hours=2)):
        granted = decided(clinician, rosa, therapy, HIGH)
    page = rosa_kiosk.get("/kiosk/decisions/")
    links = re.findall(r'href="/kiosk/decisions/(\d+)/"', page.text)
    assert links == [str(granted.pk), str(denied.pk)]
    text = text_of(page)
    assert text.index("Yes, you can have this care.") < text.index("No, not now.")
    assert "Individual therapy · Monday, January 14" in text
    assert "You can appeal until Wednesday, February 13 at 09:12." in text
    # The reasons stay on each decision's own page.
    assert "at least 15 needed" not in text


def test_a_decision_not_signed_off_shows_no_outcome_and_has_no_page(
    rosa_kiosk: Client, clinician: User, rosa: Person, therapy: Service
) -> None:
    pending = asked(clinician, rosa, therapy, LOW)
    assert pending.proposed == "not_eligible"
    text = text_of(rosa_kiosk.get("/kiosk/decisions/"))
    assert "A clinician is looking at your request." in text
    assert "Individual therapy" in text
    assert "No, not now." not in text
    assert "You have no decisions yet." in text
    assert rosa_kiosk.get(f"/kiosk/decisions/{pending.pk}/").status_code == 404
    assert appeal(rosa_kiosk, pending, "Please").status_code == 404


def test_decisions_of_an_earlier_stay_are_still_the_residents(
    kiosk_token: str,
    nurse: User,
    clinician: User,
    rosa: Person,
    therapy: Service,
    unit_a: HousingUnit,
) -> None:
    with mock.patch("django.utils.timezone.now", return_value=NOW - timedelta(days=10)):
        earlier = decided(clinician, rosa, therapy)
    release_person(actor=None, booking=earlier.booking, at=NOW - timedelta(hours=2))
    rebook_person(
        actor=None, person=rosa, housing_unit=unit_a, booked_at=NOW, booking_number="B-again"
    )
    client = signed_in(kiosk_token, nurse, rosa)
    assert f'href="/kiosk/decisions/{earlier.pk}/"' in client.get("/kiosk/decisions/").text
    assert client.get(f"/kiosk/decisions/{earlier.pk}/").status_code == 200


# ---- A decision, in plain words and the resident's language (I3) ------------------------------


def test_a_no_shows_each_reason_with_its_evidence_what_is_offered_and_how_to_appeal(
    rosa_kiosk: Client, denied: Decision
) -> None:
    page = rosa_kiosk.get(f"/kiosk/decisions/{denied.pk}/")
    text = text_of(page)
    assert "Individual therapy No, not now. Decided on Monday, January 14." in text
    assert "PHQ-9 total 8 on 2030-01-14; at least 15 needed" in text
    assert f"Decision {denied.number}. Rules version 1, from Monday, January 14." in text
    assert "What you can have instead Group therapy A new screening in 30 days" in text
    assert "You can appeal until Wednesday, February 13 at 09:12." in text
    assert f'href="/kiosk/decisions/{denied.pk}/appeal/"' in page.text
    assert re.search(r'class="button big"[^>]*>Appeal</a>', page.text)
    assert "This appeal is not a grievance" in text
    assert "Written by staff" not in text


def test_a_spanish_speaker_reads_the_decision_in_spanish(
    lucia_kiosk: Client, clinician: User, lucia: Person, therapy: Service
) -> None:
    decision = decided(clinician, lucia, therapy)
    page = lucia_kiosk.get(f"/kiosk/decisions/{decision.pk}/")
    assert page["Content-Language"] == "es"
    text = text_of(page)
    assert "Terapia individual" in text
    assert spanish("No, not now.") in text
    # The reason with its evidence, and the offers, from the record's Spanish text.
    assert "PHQ-9 total 8 el 2030-01-14; se necesita al menos 15" in text
    assert "Terapia de grupo" in text
    assert "Una nueva evaluación en 30 días" in text
    assert "at least 15 needed" not in text
    assert "Group therapy" not in text
    assert "lunes 14 de enero" in text
    assert spanish(NOTICE[1]) in text
    listed = text_of(lucia_kiosk.get("/kiosk/decisions/"))
    assert "Terapia individual" in listed
    assert spanish("No, not now.") in listed


def test_a_yes_says_so_with_its_reasons_and_offers_no_appeal(
    rosa_kiosk: Client, clinician: User, rosa: Person, therapy: Service
) -> None:
    decision = decided(clinician, rosa, therapy, HIGH)
    page = rosa_kiosk.get(f"/kiosk/decisions/{decision.pk}/")
    text = text_of(page)
    assert "Yes, you can have this care." in text
    assert "PHQ-9 total 16 on 2030-01-14; at least 15 needed" in text
    assert "What you can have instead" not in text
    assert "/appeal/" not in page.text
    assert "grievance" not in text


def test_an_override_shows_the_translated_reason_beside_the_staff_words_as_written(
    rosa_kiosk: Client,
    lucia_kiosk: Client,
    clinician: User,
    rosa: Person,
    lucia: Person,
    therapy: Service,
) -> None:
    words = "We talked on Monday: weekly sessions <with me> will help.\nSee you Friday."
    for person in (rosa, lucia):
        override_decision(
            actor=clinician,
            decision=asked(clinician, person, therapy, LOW),
            outcome="eligible",
            reason=OverrideReason.CLINICAL_JUDGEMENT,
            text=words,
        )
    english = rosa_kiosk.get(f"/kiosk/decisions/{Decision.objects.get(person=rosa).pk}/")
    text = text_of(english)
    assert "Yes, you can have this care." in text
    assert (
        "A clinician made this decision, for this reason: The clinician's assessment of your needs"
        in text
    )
    # Verbatim, escaped, in the marked box, never given to a translator (I3).
    box = re.search(r'<div class="staff-box">(.*?)</div>', english.text, flags=re.S)
    assert box is not None
    assert "Written by staff" in box.group(1)
    assert (
        '<p translate="no">We talked on Monday: weekly sessions &lt;with me&gt; will help.<br>'
        "See you Friday.</p>" in box.group(1)
    )
    # The policy's own reasons are still shown, under what the rules say.
    assert "What the rules say PHQ-9 total 8 on 2030-01-14; at least 15 needed" in text
    spanish_page = lucia_kiosk.get(f"/kiosk/decisions/{Decision.objects.get(person=lucia).pk}/")
    spanish_text = text_of(spanish_page)
    assert spanish(str(OverrideReason.CLINICAL_JUDGEMENT.label)) in spanish_text
    assert spanish("Written by staff") in spanish_text
    assert "weekly sessions &lt;with me&gt; will help.<br>See you Friday." in spanish_page.text


def test_a_review_settled_as_no_shows_the_staff_words_beside_the_standard_reason(
    rosa_kiosk: Client, clinician: User, rosa: Person, therapy: Service
) -> None:
    # A crisis in the past 30 days sends the policy to a clinician's review.
    submit_kite(actor=User.objects.get(person=rosa), topic="crisis")
    decision = override_decision(
        actor=clinician,
        decision=asked(clinician, rosa, therapy, LOW),
        outcome="not_eligible",
        reason=OverrideReason.SAFETY,
        text="We see you every day this week.",
    )
    page = text_of(rosa_kiosk.get(f"/kiosk/decisions/{decision.pk}/"))
    assert "A clinician made this decision, for this reason: Your safety" in page
    assert "A crisis in the past 30 days: a clinician decides" in page
    assert "Written by staff" in page
    assert "We see you every day this week." in page
    # A no that came from a review still names what is offered instead, from the policy.
    assert "What you can have instead Group therapy" in page


# ---- Appealing (I4): first the grievance notice, then the resident's own words -------------


def test_the_appeal_form_says_it_is_not_a_grievance_before_the_text_box(
    rosa_kiosk: Client, denied: Decision
) -> None:
    page = rosa_kiosk.get(f"/kiosk/decisions/{denied.pk}/appeal/")
    text = text_of(page)
    for sentence in NOTICE:
        assert sentence in text
    assert page.text.index('class="grievance"') < page.text.index("<textarea")
    assert "Why do you think the decision is wrong?" in text
    assert "You can appeal until Wednesday, February 13 at 09:12." in text


def test_the_appeal_form_and_confirmation_say_it_in_spanish(
    lucia_kiosk: Client, clinician: User, lucia: Person, therapy: Service
) -> None:
    decision = decided(clinician, lucia, therapy)
    form = lucia_kiosk.get(f"/kiosk/decisions/{decision.pk}/appeal/")
    assert form["Content-Language"] == "es"
    for sentence in NOTICE:
        assert spanish(sentence) in text_of(form)
    assert form.text.index('class="grievance"') < form.text.index("<textarea")
    sent = lucia_kiosk.get(appeal(lucia_kiosk, decision, "Necesito hablar con alguien")["Location"])
    text = text_of(sent)
    for sentence in NOTICE:
        assert spanish(sentence) in text
    assert "lunes 28 de enero" in text
    assert Appeal.objects.get().text == "Necesito hablar con alguien"


def test_sending_an_appeal_confirms_it_with_the_answer_date_and_the_notice_again(
    rosa_kiosk: Client, denied: Decision, rosa: Person
) -> None:
    response = appeal(rosa_kiosk, denied, "  I feel worse every week and group is not enough.  ")
    assert response.status_code == 302
    assert response["Location"] == f"/kiosk/decisions/{denied.pk}/appeal/sent/"
    filed = Appeal.objects.get()
    assert (filed.person, filed.text) == (rosa, "I feel worse every week and group is not enough.")
    text = text_of(rosa_kiosk.get(response["Location"]))
    assert f"We got your appeal Your appeal number {filed.number}" in text
    assert "You will get an answer by Monday, January 28." in text
    for sentence in NOTICE:
        assert sentence in text
    # The form is not offered again; the decision page shows where the appeal is.
    assert rosa_kiosk.get(f"/kiosk/decisions/{denied.pk}/appeal/")["Location"] == (
        f"/kiosk/decisions/{denied.pk}/appeal/sent/"
    )
    page = text_of(rosa_kiosk.get(f"/kiosk/decisions/{denied.pk}/"))
    assert "Your appeal You appealed on Monday, January 14." in page
    assert "You can appeal until" not in page


def test_the_same_appeal_sent_twice_is_one_appeal(rosa_kiosk: Client, denied: Decision) -> None:
    first = appeal(rosa_kiosk, denied, "Please look again")
    again = appeal(rosa_kiosk, denied, "Please look again")
    assert first["Location"] == again["Location"]
    assert Appeal.objects.count() == 1
    assert AuditEvent.objects.filter(action="appeal.file").count() == 1


def test_other_words_for_an_appealed_decision_are_refused_in_plain_words(
    rosa_kiosk: Client, denied: Decision
) -> None:
    appeal(rosa_kiosk, denied, "Please look again")
    response = appeal(rosa_kiosk, denied, "Something else")
    assert response.status_code == 200
    assert "You already sent an appeal for this decision." in text_of(response)
    assert "<textarea" not in response.text
    assert Appeal.objects.get().text == "Please look again"


def test_an_empty_appeal_is_not_sent(rosa_kiosk: Client, denied: Decision) -> None:
    response = appeal(rosa_kiosk, denied, "   ")
    assert "Write why you think the decision is wrong." in text_of(response)
    assert "<textarea" in response.text
    assert not Appeal.objects.exists()


def test_an_appeal_after_the_deadline_is_refused(
    rosa_kiosk: Client, clinician: User, rosa: Person, therapy: Service
) -> None:
    with mock.patch("django.utils.timezone.now", return_value=NOW - timedelta(days=31)):
        late = decided(clinician, rosa, therapy)
    page = rosa_kiosk.get(f"/kiosk/decisions/{late.pk}/")
    text = text_of(page)
    assert "The time to appeal has ended." in text
    assert "/appeal/" not in page.text
    form = rosa_kiosk.get(f"/kiosk/decisions/{late.pk}/appeal/")
    assert "<textarea" not in form.text
    assert "The time to appeal has ended." in text_of(form)
    refused = appeal(rosa_kiosk, late, "Please look again")
    assert refused.status_code == 200
    assert "The time to appeal has ended." in text_of(refused)
    # Where a grievance may still be possible, the page still says how.
    assert NOTICE[2] in text_of(refused)
    assert not Appeal.objects.exists()


def test_a_yes_cannot_be_appealed(
    rosa_kiosk: Client, clinician: User, rosa: Person, therapy: Service
) -> None:
    granted = decided(clinician, rosa, therapy, HIGH)
    form = rosa_kiosk.get(f"/kiosk/decisions/{granted.pk}/appeal/")
    assert "<textarea" not in form.text
    assert "This decision says yes. There is nothing to appeal." in text_of(form)
    refused = appeal(rosa_kiosk, granted, "I want it anyway")
    assert "This decision says yes. There is nothing to appeal." in text_of(refused)
    assert not Appeal.objects.exists()


def test_a_decided_appeal_shows_its_outcome_with_the_reviewers_words(
    rosa_kiosk: Client, denied: Decision, reviewer: User
) -> None:
    appeal(rosa_kiosk, denied, "Please look again")
    decide_appeal(
        actor=reviewer,
        appeal=Appeal.objects.get(),
        outcome="overturned",
        reason="Your symptoms in my visit call for weekly sessions.",
    )
    page = rosa_kiosk.get(f"/kiosk/decisions/{denied.pk}/")
    text = text_of(page)
    assert "Individual therapy Yes, you can have this care." in text
    assert "Your appeal was granted." in text
    assert "Written by staff Your symptoms in my visit call for weekly sessions." in text
    assert "What you can have instead" not in text
    listed = text_of(rosa_kiosk.get("/kiosk/decisions/"))
    assert "Yes, you can have this care. Your appeal was granted." in listed


def test_an_appeal_not_granted_says_so_and_the_answer_stays_no(
    rosa_kiosk: Client, denied: Decision, reviewer: User
) -> None:
    appeal(rosa_kiosk, denied, "Please look again")
    decide_appeal(
        actor=reviewer, appeal=Appeal.objects.get(), outcome="upheld", reason="Group first."
    )
    text = text_of(rosa_kiosk.get(f"/kiosk/decisions/{denied.pk}/"))
    assert "No, not now." in text
    assert "Your appeal was not granted. Written by staff Group first." in text
    assert "What you can have instead Group therapy" in text


def test_a_late_answer_to_an_appeal_is_called_late(
    rosa_kiosk: Client, clinician: User, nurse: User, rosa: Person, therapy: Service
) -> None:
    with mock.patch("django.utils.timezone.now", return_value=NOW - timedelta(days=20)):
        decision = decided(clinician, rosa, therapy)
    with mock.patch("django.utils.timezone.now", return_value=NOW - timedelta(days=15)):
        # Filed by a nurse for the resident: the answer was due yesterday.
        file_appeal(actor=nurse, decision=decision, text="Filed on paper")
    text = text_of(rosa_kiosk.get(f"/kiosk/decisions/{decision.pk}/"))
    assert "You will get an answer by Sunday, January 13." in text
    assert "The answer is late. You can ask an officer for a grievance form." in text


# ---- Only the resident's own (I6), never staff, one read event per page (I7) -----------------


def test_another_residents_decision_is_not_found(lucia_kiosk: Client, denied: Decision) -> None:
    for url in (
        f"/kiosk/decisions/{denied.pk}/",
        f"/kiosk/decisions/{denied.pk}/appeal/",
        f"/kiosk/decisions/{denied.pk}/appeal/sent/",
    ):
        assert lucia_kiosk.get(url).status_code == 404
    assert appeal(lucia_kiosk, denied, "Mine now").status_code == 404
    assert denied.number not in lucia_kiosk.get("/kiosk/decisions/").text
    assert not Appeal.objects.exists()
    # Refused pages read nothing, so they record no read.
    assert reads() == []


def test_staff_cannot_use_the_pages(
    kiosk_token: str, clinician: User, nurse: User, denied: Decision, rosa: Person
) -> None:
    at_kiosk = Client()
    at_kiosk.cookies[KIOSK_COOKIE] = kiosk_token
    at_kiosk.force_login(clinician)
    elsewhere = Client()
    elsewhere.force_login(clinician)
    for url in ("/kiosk/decisions/", f"/kiosk/decisions/{denied.pk}/"):
        assert at_kiosk.get(url)["Location"] == "/kiosk/"
        assert elsewhere.get(url).status_code == 404
    # Nor the resident's own account away from a kiosk.
    issue_pin(actor=nurse, person=rosa)
    away = Client()
    away.force_login(User.objects.get(person=rosa))
    assert away.get("/kiosk/decisions/").status_code == 404
    assert reads() == []


def test_every_page_records_one_read_listing_what_it_shows(
    rosa_kiosk: Client, clinician: User, rosa: Person, therapy: Service, denied: Decision
) -> None:
    with mock.patch("django.utils.timezone.now", return_value=NOW + timedelta(hours=1)):
        pending = asked(clinician, rosa, therapy, LOW)
    rosa_kiosk.get("/kiosk/decisions/")
    rosa_kiosk.get(f"/kiosk/decisions/{denied.pk}/")
    rosa_kiosk.get(f"/kiosk/decisions/{denied.pk}/appeal/")
    appeal(rosa_kiosk, denied, "Please look again")
    rosa_kiosk.get(f"/kiosk/decisions/{denied.pk}/appeal/sent/")
    filed = Appeal.objects.get()
    events = reads()
    assert [event.subjects for event in events] == [
        [f"decision:{denied.pk}", f"decision:{pending.pk}"],
        [f"decision:{denied.pk}"],
        [f"decision:{denied.pk}"],
        [f"decision:{denied.pk}", f"appeal:{filed.pk}"],
    ]
    user = User.objects.get(person=rosa)
    assert {(event.actor_id, event.person_id) for event in events} == {(user.pk, rosa.pk)}
    assert "record.reasons" in events[1].detail["fields"]
    assert "record.reasons" not in events[0].detail["fields"]
    # Identifiers and field names only: no words of the decision's in the log.
    assert "PHQ-9" not in str([event.detail for event in events])


def test_a_resident_with_nothing_decided_reads_nothing(rosa_kiosk: Client) -> None:
    assert "You have no decisions yet." in text_of(rosa_kiosk.get("/kiosk/decisions/"))
    assert reads() == []
