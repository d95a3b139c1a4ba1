"""The resident's requests at the kiosk: asking (I1), the crisis steps (I2), my requests,
answers with where to get help, Spanish, and one read event per page (I7)."""

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from unittest import mock

import pytest
from django.db import transaction
from django.http import HttpResponseRedirect
from django.test import Client
from django.urls import reverse

from kiteline.accounts.kiosk_services import choose_pin, issue_pin, register_kiosk
from kiteline.accounts.kiosks import KIOSK_COOKIE
from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Facility, HousingUnit, Person
from kiteline.facilities.services import PersonDetails, book_person
from kiteline.kites import kiosk_views
from kiteline.kites.models import (
    CloseCode,
    Kite,
    Outcome,
    Route,
    SupportResource,
    Topic,
    Urgency,
)
from kiteline.kites.services import (
    close_kite,
    link_kites,
    record_contact,
    submit_kite,
    triage_kite,
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

# Monday 14 January 2030, 09:12 in Chicago (the test facility's zone, UTC-6 in winter).
NOW = datetime(2030, 1, 14, 15, 12, tzinfo=UTC)
PIN = "2580"


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
def kiosk_token(supervisor: User, facility: Facility) -> str:
    return register_kiosk(actor=supervisor, facility=facility, name="A Pod dayroom")[1]


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
        booked_at=NOW - timedelta(days=3),
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


@pytest.fixture
def rosa(unit_a: HousingUnit) -> Person:
    return book(unit_a, "R0000001", "en")


@pytest.fixture
def rosa_kiosk(kiosk_token: str, nurse: User, rosa: Person) -> Client:
    return signed_in(kiosk_token, nurse, rosa)


def account(person: Person) -> User:
    return User.objects.get(person=person)


def text_of(response: "Response") -> str:
    """The page as a reader sees it: no tags, entities decoded, spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def form_key(client: Client) -> str:
    found = re.search(r'name="key" value="([0-9a-f]{32})"', client.get("/kiosk/requests/new/").text)
    assert found is not None
    return found.group(1)


def ask(client: Client, topic: str, text: str = "", key: str | None = None) -> "Response":
    data = {"topic": topic, "text": text, "key": key or form_key(client)}
    return client.post("/kiosk/requests/new/", data)


def reads() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="kite.read").order_by("position"))


# Asking: the form, the receipt, and the same request sent twice (I1)


def test_the_home_page_leads_to_asking_and_to_my_requests(rosa_kiosk: Client) -> None:
    page = rosa_kiosk.get("/kiosk/home/").text
    assert 'href="/kiosk/requests/new/"' in page
    assert 'href="/kiosk/requests/"' in page
    assert "disabled" not in page


def test_the_form_offers_the_five_topics_and_a_new_key_each_time(rosa_kiosk: Client) -> None:
    page = rosa_kiosk.get("/kiosk/requests/new/")
    assert re.findall(r'name="topic" value="(\w+)"', page.text) == list(Topic.values)
    assert "Ask to see someone" in text_of(page)
    assert form_key(rosa_kiosk) != form_key(rosa_kiosk)


def test_sending_redirects_to_the_receipt_with_the_number_and_local_time(
    rosa_kiosk: Client,
) -> None:
    response = ask(rosa_kiosk, "therapy", "I would like to talk to a therapist")
    kite = Kite.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/kiosk/requests/{kite.pk}/receipt/"
    receipt = text_of(rosa_kiosk.get(response["Location"]))
    assert f"Your request number {kite.number}" in receipt
    assert "Received Monday, January 14 at 09:12." in receipt
    assert "A nurse will read your request by Tuesday, January 15 at 09:12." in receipt
    assert "Do this now" not in receipt
    assert (kite.topic, kite.text, kite.channel) == ("therapy", kite.text, "kiosk")


def test_the_same_key_twice_is_one_request_and_the_same_receipt(rosa_kiosk: Client) -> None:
    key = form_key(rosa_kiosk)
    first = ask(rosa_kiosk, "talk", "Please", key=key)
    again = ask(rosa_kiosk, "talk", "Please", key=key)
    assert first["Location"] == again["Location"]
    assert Kite.objects.count() == 1
    # Reloading the receipt reads it again and sends nothing.
    rosa_kiosk.get(first["Location"])
    rosa_kiosk.get(first["Location"])
    assert Kite.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_receipt_is_redirected_to_only_after_the_request_is_committed(
    rosa_kiosk: Client,
) -> None:
    committed_at_redirect: list[bool] = []

    def redirect(to: str, **kwargs: int) -> HttpResponseRedirect:
        committed_at_redirect.append(
            not transaction.get_connection().in_atomic_block and Kite.objects.exists()
        )
        return HttpResponseRedirect(reverse(to, kwargs=kwargs))

    with mock.patch.object(kiosk_views, "redirect", redirect):
        response = ask(rosa_kiosk, "therapy")
    assert response.status_code == 302
    assert committed_at_redirect == [True]


def test_another_resident_cannot_open_the_receipt_or_the_request(
    rosa_kiosk: Client, kiosk_token: str, nurse: User, unit_a: HousingUnit
) -> None:
    receipt_url = ask(rosa_kiosk, "talk")["Location"]
    kite = Kite.objects.get()
    other = signed_in(kiosk_token, nurse, book(unit_a, "R0000002", "en"))
    assert other.get(receipt_url).status_code == 404
    assert other.get(f"/kiosk/requests/{kite.pk}/").status_code == 404
    assert kite.number not in other.get("/kiosk/requests/").text
    # Refused pages read nothing, so they record no read.
    assert reads() == []


def test_words_without_a_topic_are_sent_and_a_crisis_in_them_shows_what_to_do(
    rosa_kiosk: Client,
) -> None:
    response = rosa_kiosk.post(
        "/kiosk/requests/new/",
        {"text": "ya no quiero vivir", "key": form_key(rosa_kiosk), "topic": ""},
        follow=True,
    )
    kite = Kite.objects.get()
    assert (kite.topic, kite.urgency) == ("other", "emergent")
    assert 'role="alert"' in response.text


def test_an_empty_form_is_not_sent_and_keeps_its_key(rosa_kiosk: Client) -> None:
    key = form_key(rosa_kiosk)
    response = rosa_kiosk.post("/kiosk/requests/new/", {"text": "  ", "key": key, "topic": ""})
    assert response.status_code == 200
    assert "Choose what your request is about." in text_of(response)
    assert f'value="{key}"' in response.text
    assert not Kite.objects.exists()


def test_a_form_without_a_usable_key_gets_a_new_one_and_sends_nothing(
    rosa_kiosk: Client,
) -> None:
    response = rosa_kiosk.post("/kiosk/requests/new/", {"topic": "talk", "key": "not-a-key"})
    assert "press Send again" in text_of(response)
    assert re.search(r'name="key" value="[0-9a-f]{32}"', response.text)
    assert not Kite.objects.exists()


def test_a_key_reused_for_other_words_is_refused_in_plain_words(rosa_kiosk: Client) -> None:
    key = form_key(rosa_kiosk)
    ask(rosa_kiosk, "talk", "first words", key=key)
    response = ask(rosa_kiosk, "talk", "other words", key=key)
    assert response.status_code == 200
    assert "We could not send your request." in text_of(response)
    assert f'value="{key}"' not in response.text
    assert Kite.objects.count() == 1


def test_a_resident_with_the_slip_pin_chooses_their_own_first(
    kiosk_token: str, nurse: User, rosa: Person
) -> None:
    client = Client()
    client.cookies[KIOSK_COOKIE] = kiosk_token
    slip_pin = issue_pin(actor=nurse, person=rosa)
    client.post("/kiosk/", {"resident_number": rosa.resident_number, "pin": slip_pin})
    for url in ("/kiosk/requests/", "/kiosk/requests/new/"):
        assert client.get(url)["Location"] == "/kiosk/new-pin/"


def test_the_pages_need_a_signed_in_resident_at_a_kiosk(
    kiosk_token: str, rosa: Person, nurse: User
) -> None:
    issue_pin(actor=nurse, person=rosa)
    kiosk = Client()
    kiosk.cookies[KIOSK_COOKIE] = kiosk_token
    assert kiosk.get("/kiosk/requests/")["Location"] == "/kiosk/"
    elsewhere = Client()
    elsewhere.force_login(account(rosa))
    assert elsewhere.get("/kiosk/requests/").status_code == 404


def test_the_pages_are_never_cached_and_sign_out_when_idle(rosa_kiosk: Client) -> None:
    receipt_url = ask(rosa_kiosk, "talk")["Location"]
    kite = Kite.objects.get()
    for url in (
        "/kiosk/requests/",
        "/kiosk/requests/new/",
        receipt_url,
        f"/kiosk/requests/{kite.pk}/",
    ):
        response = rosa_kiosk.get(url)
        assert response["Cache-Control"] == "no-store"
        assert "data-idle-sign-out" in response.text
        assert 'data-idle-seconds="' in response.text


# A crisis: what to do this minute comes first (I2)


def test_the_crisis_topic_shows_what_to_do_now_above_the_receipt(rosa_kiosk: Client) -> None:
    receipt = text_of(rosa_kiosk.get(ask(rosa_kiosk, "crisis")["Location"]))
    assert Kite.objects.get().urgency == Urgency.EMERGENT
    steps = receipt.index("Do this now")
    assert steps < receipt.index("We got your request", steps)
    assert "Tell an officer now. Press the call button in your cell" in receipt
    assert "Someone from mental health has been told." in receipt


def test_crisis_words_in_spanish_show_what_to_do_now_in_spanish(
    kiosk_token: str, nurse: User, unit_a: HousingUnit
) -> None:
    client = signed_in(kiosk_token, nurse, book(unit_a, "R0000003", "es-MX"))
    response = ask(client, "talk", "Ya no quiero vivir aquí")
    assert Kite.objects.get().urgency == Urgency.EMERGENT
    receipt = text_of(client.get(response["Location"]))
    steps = receipt.index("Haga esto ahora")
    assert steps < receipt.index("Recibimos su pedido", steps)
    assert "Avise a un oficial ahora." in receipt
    assert "Ya avisamos a alguien de salud mental." in receipt


def test_my_requests_repeat_the_crisis_steps_while_an_emergent_request_is_open(
    rosa_kiosk: Client,
) -> None:
    ask(rosa_kiosk, "crisis")
    page = text_of(rosa_kiosk.get("/kiosk/requests/"))
    assert page.index("Do this now") < page.index("My requests", page.index("Do this now"))
    assert "You will see someone from mental health by Monday, January 14 at 10:12." in page


# My requests: own only, newest first, in plain words with a time in local time


def test_my_requests_list_only_my_own_newest_first(
    rosa_kiosk: Client, rosa: Person, unit_a: HousingUnit, nurse: User, kiosk_token: str
) -> None:
    older = submit_kite(actor=account(rosa), topic="talk").kite
    other = book(unit_a, "R0000002", "en")
    signed_in(kiosk_token, nurse, other)
    theirs = submit_kite(actor=account(other), topic="medication").kite
    with mock.patch("django.utils.timezone.now", return_value=NOW + timedelta(hours=1)):
        newer = submit_kite(actor=account(rosa), topic="therapy").kite
    page = rosa_kiosk.get("/kiosk/requests/").text
    numbers = re.findall(r"<strong>(K\d{6})</strong>", page)
    assert numbers == [newer.number, older.number]
    assert theirs.number not in page


def test_a_new_request_waits_for_a_nurse_by_a_time_in_local_time(
    rosa_kiosk: Client, rosa: Person
) -> None:
    submit_kite(actor=account(rosa), topic="therapy", text="private words")
    page = text_of(rosa_kiosk.get("/kiosk/requests/"))
    assert "Sent. Waiting to be read." in page
    assert "A nurse will read your request by Tuesday, January 15 at 09:12." in page
    # The list keeps the resident's own words off the first screen of a shared device.
    assert "private words" not in page


def test_after_triage_with_a_symptom_it_says_when_they_will_be_seen(
    rosa_kiosk: Client, rosa: Person, nurse: User
) -> None:
    kite = submit_kite(actor=account(rosa), topic="therapy").kite
    triage_kite(
        actor=nurse, kite=kite, urgency="routine", symptom_described=True, route="mental_health"
    )
    page = text_of(rosa_kiosk.get("/kiosk/requests/"))
    assert "Read by the health team." in page
    assert "You will see someone from mental health by Wednesday, January 16 at 09:12." in page


def test_after_triage_without_a_deadline_it_promises_no_time(
    rosa_kiosk: Client, rosa: Person, nurse: User
) -> None:
    kite = submit_kite(actor=account(rosa), topic="talk").kite
    triage_kite(
        actor=nurse, kite=kite, urgency="routine", symptom_described=False, route="mental_health"
    )
    page = text_of(rosa_kiosk.get("/kiosk/requests/"))
    assert "Someone from mental health will answer you." in page
    assert "will read your request by" not in page
    assert "You will see someone" not in page


def test_a_late_request_says_it_is_late(rosa_kiosk: Client, rosa: Person) -> None:
    with mock.patch("django.utils.timezone.now", return_value=NOW - timedelta(days=2)):
        submit_kite(actor=account(rosa), topic="talk")
    page = text_of(rosa_kiosk.get("/kiosk/requests/"))
    assert "A nurse will read your request by Sunday, January 13 at 09:12." in page
    assert "This is late. If you need help now, tell an officer." in page


def test_a_request_routed_elsewhere_says_where_and_why_in_staffs_words(
    rosa_kiosk: Client, rosa: Person, nurse: User
) -> None:
    kite = submit_kite(actor=account(rosa), topic="medication").kite
    triage_kite(
        actor=nurse,
        kite=kite,
        urgency="routine",
        symptom_described=False,
        route=Route.MEDICAL,
        route_reason="Blood pressure pills are a medical matter",
    )
    page = text_of(rosa_kiosk.get(f"/kiosk/requests/{kite.pk}/"))
    assert "Sent to another team." in page
    assert "We sent your request to medical." in page
    assert "Staff wrote: Blood pressure pills are a medical matter" in page
    assert page.index("Staff wrote") < page.index("Where to get help now")


# Answers, and where to get help now at the end of every answer


@pytest.mark.parametrize(
    ("outcome", "words"),
    [
        (Outcome.RESOLVED, "This request is done."),
        (Outcome.REFERRED_EVALUATION, "Next: a full mental-health evaluation."),
        (Outcome.REFERRED_DECISION, "You will get the decision with the reasons."),
        (Outcome.REFUSED, "You said no to the visit."),
    ],
)
def test_an_answered_request_shows_the_answer_then_where_to_get_help(
    rosa_kiosk: Client, rosa: Person, clinician: User, outcome: str, words: str
) -> None:
    kite = submit_kite(actor=account(rosa), topic="therapy").kite
    record_contact(
        actor=clinician,
        kite=kite,
        seen_at=NOW,
        place="confidential_room",
        note="a clinical note the resident is not shown here",
        outcome=outcome,
    )
    for url in (f"/kiosk/requests/{kite.pk}/", "/kiosk/requests/"):
        page = text_of(rosa_kiosk.get(url))
        assert "Answered." in page
        assert "You met with someone from mental health on Monday, January 14." in page
        assert words in page
        assert page.index(words) < page.index("Where to get help now")
        assert "a clinical note" not in page


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (CloseCode.WITHDRAWN, "You took this request back."),
        (CloseCode.ANSWERED_IN_WRITING, "Staff answered you on paper."),
    ],
)
def test_a_request_closed_without_a_visit_says_why_and_where_to_get_help(
    rosa_kiosk: Client, rosa: Person, nurse: User, code: str, words: str
) -> None:
    kite = submit_kite(actor=account(rosa), topic="talk").kite
    close_kite(actor=nurse, kite=kite, close_code=code)
    page = text_of(rosa_kiosk.get(f"/kiosk/requests/{kite.pk}/"))
    assert "Closed." in page
    assert words in page
    assert "If you still need help, you can ask again." in page
    assert 'href="/kiosk/requests/new/"' in rosa_kiosk.get(f"/kiosk/requests/{kite.pk}/").text
    assert page.index(words) < page.index("Where to get help now")
    assert "Tell an officer now if you are in danger." in page


def test_a_repeat_request_names_the_one_it_repeats(
    rosa_kiosk: Client, rosa: Person, nurse: User
) -> None:
    first = submit_kite(actor=account(rosa), topic="talk").kite
    repeat = submit_kite(actor=account(rosa), topic="talk", text="again").kite
    link_kites(actor=nurse, kite=repeat, same_matter_as=first)
    close_kite(actor=nurse, kite=repeat, close_code=CloseCode.DUPLICATE)
    page = text_of(rosa_kiosk.get(f"/kiosk/requests/{repeat.pk}/"))
    assert f"This is the same as your request {first.number}. We answer it there." in page


def test_help_is_the_facilitys_own_in_the_residents_language_or_else_english(
    kiosk_token: str, nurse: User, unit_a: HousingUnit, facility: Facility
) -> None:
    SupportResource.objects.create(
        facility=facility, language="en", title="Crisis line", detail="Dial 988.", order=0
    )
    english_only = text_of(
        signed_in(kiosk_token, nurse, book(unit_a, "R0000004", "vi")).get("/kiosk/requests/")
    )
    assert "Crisis line Dial 988." in english_only
    assert "Tell an officer now if you are in danger." not in english_only

    SupportResource.objects.create(
        facility=facility, language="es", title="Línea de crisis", detail="Marque 988.", order=0
    )
    spanish = text_of(
        signed_in(kiosk_token, nurse, book(unit_a, "R0000005", "es-MX")).get("/kiosk/requests/")
    )
    assert "Línea de crisis Marque 988." in spanish
    assert "Crisis line" not in spanish


# Spanish


def test_my_requests_speak_spanish_to_a_spanish_speaker(
    kiosk_token: str, nurse: User, unit_a: HousingUnit
) -> None:
    person = book(unit_a, "R0000006", "es")
    client = signed_in(kiosk_token, nurse, person)
    home = text_of(client.get("/kiosk/home/"))
    assert "Pedir ver a alguien" in home
    form = client.get("/kiosk/requests/new/")
    assert form["Content-Language"] == "es"
    assert "Terapia" in text_of(form)
    receipt = text_of(client.get(ask(client, "therapy")["Location"]))
    assert "Recibido el lunes 14 de enero a las 09:12." in receipt
    page = client.get("/kiosk/requests/")
    assert page["Content-Language"] == "es"
    words = text_of(page)
    assert "Mis pedidos" in words
    assert "Enviado. Esperando que lo lean." in words
    assert "Una enfermera leerá su pedido antes del martes 15 de enero a las 09:12." in words
    assert "Dónde pedir ayuda ahora" in words


# Reads: one event per page that shows requests (I7)


def test_each_page_that_shows_requests_records_one_read(
    rosa_kiosk: Client, rosa: Person, facility: Facility
) -> None:
    receipt_url = ask(rosa_kiosk, "therapy", "my own words")["Location"]
    assert reads() == []
    older = Kite.objects.get()
    newer = submit_kite(actor=account(rosa), topic="talk").kite

    rosa_kiosk.get(receipt_url)
    rosa_kiosk.get("/kiosk/requests/")
    rosa_kiosk.get(f"/kiosk/requests/{older.pk}/")
    receipt, listing, detail = reads()

    user = account(rosa)
    for event in (receipt, listing, detail):
        assert (event.actor_id, event.person_id, event.chain) == (user.pk, rosa.pk, facility.code)
    assert receipt.subjects == [f"kite:{older.pk}"]
    assert listing.subjects == [f"kite:{newer.pk}", f"kite:{older.pk}"]
    assert "text" not in listing.detail["fields"]
    assert detail.subjects == [f"kite:{older.pk}"]
    assert "text" in detail.detail["fields"]


def test_an_empty_list_records_no_read(rosa_kiosk: Client) -> None:
    page = text_of(rosa_kiosk.get("/kiosk/requests/"))
    assert "You have not sent a request yet." in page
    assert reads() == []
