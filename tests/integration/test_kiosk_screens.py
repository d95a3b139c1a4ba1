"""Self-screens at the kiosk: offered when a clinician assigned one, one question per page
with large answer buttons and a way back, an item-9 answer that shows where to get help at
once and raises the emergent item before anything is sent (I2), saving and sending that
are harmless to repeat, Spanish, and only the resident's own self-screens (I6, I7)."""

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from unittest import mock

import pytest
from django.test import Client

from kiteline.accounts.kiosk_services import choose_pin, issue_pin, register_kiosk
from kiteline.accounts.kiosks import KIOSK_COOKIE
from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Facility, HousingUnit, Person
from kiteline.facilities.services import PersonDetails, book_person, rebook_person, release_person
from kiteline.kites.models import Alert, Kite, SupportResource, Urgency, WelfareCheck
from kiteline.kites.standards import schedule_on_call
from kiteline.screening.models import Administration, Answer, Evaluation, EvaluationKind
from kiteline.screening.services import (
    assign_self_screen,
    definition_of,
    record_answer,
    start_administration,
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

# Monday 14 January 2030, 09:12 in Chicago (the test facility's zone, UTC-6 in winter).
NOW = datetime(2030, 1, 14, 15, 12, tzinfo=UTC)
PIN = "2580"
PHQ9 = definition_of("phq9-v1")


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


@pytest.fixture
def phq9(clinician: User, rosa: Person) -> Administration:
    return assign_self_screen(actor=clinician, person=rosa, instrument="phq9-v1")


def text_of(response: "Response") -> str:
    """The page as a reader sees it: no tags, entities decoded, spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def question_url(screen: Administration, number: int) -> str:
    return f"/kiosk/screens/{screen.pk}/{number}/"


def answer(client: Client, screen: Administration, number: int, value: int) -> "Response":
    return client.post(question_url(screen, number), {"answer": str(value)})


def answer_all(
    client: Client, screen: Administration, values: tuple[int, ...] = (1,) * 8 + (0,)
) -> None:
    for number, value in enumerate(values, start=1):
        answer(client, screen, number, value)


def saved(screen: Administration) -> dict[str, int]:
    return dict(Answer.objects.filter(administration=screen).values_list("item", "value"))


def buttons(response: "Response") -> list[tuple[str, str]]:
    return re.findall(
        r'<button type="submit" name="answer" value="(\d+)"[^>]*>([^<]+)</button>', response.text
    )


# ---- Offering and listing ----------------------------------------------------------------


def test_the_home_page_offers_the_questions_only_while_a_self_screen_waits(
    rosa_kiosk: Client, clinician: User, rosa: Person
) -> None:
    assert "Questions from your care team" not in text_of(rosa_kiosk.get("/kiosk/home/"))
    assign_self_screen(actor=clinician, person=rosa, instrument="gad7-v1")
    home = rosa_kiosk.get("/kiosk/home/")
    assert "Questions from your care team" in text_of(home)
    assert 'href="/kiosk/screens/"' in home.text


def test_the_home_page_stops_offering_them_once_sent(
    rosa_kiosk: Client, phq9: Administration
) -> None:
    answer_all(rosa_kiosk, phq9)
    rosa_kiosk.post(f"/kiosk/screens/{phq9.pk}/send/")
    assert "Questions from your care team" not in text_of(rosa_kiosk.get("/kiosk/home/"))


def test_the_list_names_each_waiting_screen_and_leads_to_its_first_question(
    rosa_kiosk: Client, clinician: User, rosa: Person, phq9: Administration
) -> None:
    gad7 = assign_self_screen(actor=clinician, person=rosa, instrument="gad7-v1")
    page = rosa_kiosk.get("/kiosk/screens/")
    assert re.findall(r'href="(/kiosk/screens/\d+/1/)">([^<]+)</a>', page.text) == [
        (question_url(phq9, 1), "Patient Health Questionnaire-9 (PHQ-9)"),
        (question_url(gad7, 1), "Generalized Anxiety Disorder-7 (GAD-7)"),
    ]
    (event,) = AuditEvent.objects.filter(action="screening.read")
    assert event.subjects == [f"screening:{phq9.pk}", f"screening:{gad7.pk}"]


def test_with_nothing_waiting_the_list_says_so_and_records_no_read(rosa_kiosk: Client) -> None:
    assert "There is nothing for you to answer now." in text_of(rosa_kiosk.get("/kiosk/screens/"))
    assert not AuditEvent.objects.filter(action="screening.read").exists()


# ---- One question at a time ----------------------------------------------------------------


def test_each_question_is_shown_alone_with_its_answer_buttons_and_a_way_back(
    rosa_kiosk: Client, phq9: Administration
) -> None:
    english = PHQ9.languages["en"]
    page = rosa_kiosk.get(question_url(phq9, 2))
    words = text_of(page)
    assert "Question 2 of 9" in words
    assert english.items["q2"] in words
    assert english.items["q1"] not in words
    assert english.items["q3"] not in words
    assert buttons(page) == [
        (str(value), label) for value, label in english.answer_labels["frequency"].items()
    ]
    assert f'href="{question_url(phq9, 1)}"' in page.text
    first = rosa_kiosk.get(question_url(phq9, 1))
    assert 'href="/kiosk/screens/"' in first.text


def test_answering_saves_at_once_and_moves_to_the_next_question(
    rosa_kiosk: Client, phq9: Administration
) -> None:
    response = answer(rosa_kiosk, phq9, 1, 2)
    assert response.status_code == 302
    assert response["Location"] == question_url(phq9, 2)
    assert saved(phq9) == {"q1": 2}


def test_going_back_shows_the_answer_chosen_and_lets_it_change(
    rosa_kiosk: Client, phq9: Administration
) -> None:
    answer(rosa_kiosk, phq9, 1, 2)
    page = rosa_kiosk.get(question_url(phq9, 1))
    assert re.search(r'value="2"[^>]*aria-pressed="true"', page.text)
    assert len(re.findall(r'aria-pressed="true"', page.text)) == 1
    answer(rosa_kiosk, phq9, 1, 0)
    assert saved(phq9) == {"q1": 0}


def test_the_last_answer_leads_to_the_review(rosa_kiosk: Client, phq9: Administration) -> None:
    answer_all(rosa_kiosk, phq9, (0,) * 8)
    assert answer(rosa_kiosk, phq9, 9, 0)["Location"] == f"/kiosk/screens/{phq9.pk}/review/"


def test_pressing_the_same_answer_twice_keeps_one_answer(
    rosa_kiosk: Client, phq9: Administration
) -> None:
    first = answer(rosa_kiosk, phq9, 3, 1)
    again = answer(rosa_kiosk, phq9, 3, 1)
    assert first["Location"] == again["Location"] == question_url(phq9, 4)
    assert Answer.objects.filter(administration=phq9).count() == 1
    assert AuditEvent.objects.filter(action="screening.answer").count() == 1


def test_an_answer_that_is_not_one_of_the_buttons_is_asked_again(
    rosa_kiosk: Client, phq9: Administration
) -> None:
    for value in ("4", "-1", "²", "yes", ""):
        response = rosa_kiosk.post(question_url(phq9, 1), {"answer": value})
        assert response.status_code == 200
        assert "Choose one of the answers." in text_of(response)
    assert saved(phq9) == {}


def test_a_question_past_the_last_is_not_found(rosa_kiosk: Client, phq9: Administration) -> None:
    assert rosa_kiosk.get(question_url(phq9, 10)).status_code == 404
    assert rosa_kiosk.get(question_url(phq9, 0)).status_code == 404


# ---- A safety answer (I2) ------------------------------------------------------------------


def test_an_item_9_answer_goes_at_once_to_help_and_raises_the_emergent_item_before_sending(
    rosa_kiosk: Client,
    rosa: Person,
    phq9: Administration,
    facility: Facility,
    clinician: User,
    supervisor: User,
) -> None:
    schedule_on_call(
        actor=supervisor,
        facility=facility,
        clinician=clinician,
        starts_at=NOW - timedelta(hours=1),
        ends_at=NOW + timedelta(hours=8),
    )
    SupportResource.objects.create(
        facility=facility, language="en", title="Crisis line", detail="Dial 988.", order=0
    )
    response = answer(rosa_kiosk, phq9, 9, 2)
    assert response["Location"] == f"/kiosk/screens/{phq9.pk}/9/help/"

    # Nothing was sent, and the emergent item, its alert and welfare check already exist.
    phq9.refresh_from_db()
    assert phq9.submitted_at is None
    kite = Kite.objects.get(person=rosa)
    assert (phq9.safety_kite, kite.urgency, kite.channel) == (kite, Urgency.EMERGENT, "screening")
    alert = Alert.objects.get(kite=kite)
    assert alert.recipient == clinician
    assert WelfareCheck.objects.filter(kite=kite).exists()
    assert Evaluation.objects.filter(safety=True, administration=phq9).exists()

    page = text_of(rosa_kiosk.get(response["Location"]))
    assert "Do this now" in page
    assert "Tell an officer now. Press the call button in your cell" in page
    assert "Someone from mental health has been told." in page
    assert "Crisis line Dial 988." in page
    assert page.index("Do this now") < page.index("Your answer was saved.")


def test_the_help_page_goes_on_to_the_next_question_or_the_review(
    rosa_kiosk: Client, phq9: Administration
) -> None:
    # Item 9 answered first, then the rest: help leads to the review after the last item.
    assert answer(rosa_kiosk, phq9, 9, 1)["Location"] == f"/kiosk/screens/{phq9.pk}/9/help/"
    after_last = rosa_kiosk.get(f"/kiosk/screens/{phq9.pk}/9/help/")
    assert f'href="/kiosk/screens/{phq9.pk}/review/"' in after_last.text
    midway = rosa_kiosk.get(f"/kiosk/screens/{phq9.pk}/4/help/")
    assert f'href="{question_url(phq9, 5)}"' in midway.text


def test_answers_after_the_safety_answer_move_on_and_the_steps_stay_on_the_review(
    rosa_kiosk: Client, phq9: Administration
) -> None:
    answer(rosa_kiosk, phq9, 9, 1)
    # Going back to change an earlier answer does not send the resident to help again...
    assert answer(rosa_kiosk, phq9, 1, 1)["Location"] == question_url(phq9, 2)
    assert Kite.objects.count() == 1
    # ...and the steps stay in front of them until the end.
    review = text_of(rosa_kiosk.get(f"/kiosk/screens/{phq9.pk}/review/"))
    steps = review.index("Do this now")
    assert steps < review.index("Check your answers", steps)


def test_an_item_9_answer_of_0_raises_nothing(rosa_kiosk: Client, phq9: Administration) -> None:
    assert answer(rosa_kiosk, phq9, 9, 0)["Location"] == f"/kiosk/screens/{phq9.pk}/review/"
    assert not Kite.objects.exists()


# ---- Review and send -----------------------------------------------------------------------


def test_the_review_lists_each_answer_with_a_link_to_change_it(
    rosa_kiosk: Client, phq9: Administration
) -> None:
    answer_all(rosa_kiosk, phq9, (3, 2, 1, 0, 0, 0, 0, 0))
    response = rosa_kiosk.get(f"/kiosk/screens/{phq9.pk}/review/")
    labels = PHQ9.languages["en"].answer_labels["frequency"]
    page = text_of(response)
    assert f"{PHQ9.languages['en'].items['q1']} {labels[3]} Change" in page
    assert f"{PHQ9.languages['en'].items['q2']} {labels[2]} Change" in page
    assert f"{PHQ9.languages['en'].items['q9']} Not answered yet Change" in page
    links = re.findall(rf'href="(/kiosk/screens/{phq9.pk}/\d+/)">Change</a>', response.text)
    assert links == [question_url(phq9, n) for n in range(1, 10)]


def test_sending_with_a_missing_answer_shows_a_message_and_sends_nothing(
    rosa_kiosk: Client, phq9: Administration
) -> None:
    answer_all(rosa_kiosk, phq9, (1,) * 8)
    response = rosa_kiosk.post(f"/kiosk/screens/{phq9.pk}/send/")
    assert response.status_code == 200
    assert "Please answer every question before you send." in text_of(response)
    phq9.refresh_from_db()
    assert phq9.submitted_at is None
    assert not AuditEvent.objects.filter(action="screening.submit").exists()
    assert rosa_kiosk.get(f"/kiosk/screens/{phq9.pk}/sent/")["Location"] == (
        f"/kiosk/screens/{phq9.pk}/review/"
    )


def test_sending_says_the_answers_went_to_the_mental_health_team(
    rosa_kiosk: Client, phq9: Administration
) -> None:
    answer_all(rosa_kiosk, phq9)  # a total of 8: nothing to evaluate
    response = rosa_kiosk.post(f"/kiosk/screens/{phq9.pk}/send/", follow=True)
    assert response.redirect_chain == [(f"/kiosk/screens/{phq9.pk}/sent/", 302)]
    page = text_of(response)
    assert "Your answers went to the mental-health team." in page
    assert "The clinician who asked you will go over your answers with you" in page
    assert "will see you by" not in page
    phq9.refresh_from_db()
    assert (phq9.submitted_at, phq9.complete, phq9.total) == (NOW, True, 8)


def test_a_screen_that_opens_an_evaluation_says_by_when_someone_will_see_them(
    rosa_kiosk: Client, phq9: Administration
) -> None:
    answer_all(rosa_kiosk, phq9, (2,) * 8 + (0,))  # 16: an evaluation, routine
    page = text_of(rosa_kiosk.post(f"/kiosk/screens/{phq9.pk}/send/", follow=True))
    evaluation = Evaluation.objects.get(kind=EvaluationKind.EVALUATION)
    # Routine: 48 hours, on the facility's calendar.
    assert evaluation.due_at == NOW + timedelta(hours=48)
    assert "Your answers went to the mental-health team." in page
    assert "Someone from the team will see you by Wednesday, January 16." in page


def test_sending_twice_changes_nothing(rosa_kiosk: Client, phq9: Administration) -> None:
    answer_all(rosa_kiosk, phq9, (2,) * 8 + (0,))
    first = rosa_kiosk.post(f"/kiosk/screens/{phq9.pk}/send/")
    submits = AuditEvent.objects.filter(action="screening.submit").count()
    evaluations = Evaluation.objects.count()
    again = rosa_kiosk.post(f"/kiosk/screens/{phq9.pk}/send/")
    assert first["Location"] == again["Location"] == f"/kiosk/screens/{phq9.pk}/sent/"
    assert AuditEvent.objects.filter(action="screening.submit").count() == submits == 1
    assert Evaluation.objects.count() == evaluations


def test_once_sent_the_questions_and_review_lead_to_the_sent_page(
    rosa_kiosk: Client, phq9: Administration
) -> None:
    answer_all(rosa_kiosk, phq9)
    rosa_kiosk.post(f"/kiosk/screens/{phq9.pk}/send/")
    sent = f"/kiosk/screens/{phq9.pk}/sent/"
    assert rosa_kiosk.get(question_url(phq9, 1))["Location"] == sent
    assert answer(rosa_kiosk, phq9, 1, 3)["Location"] == sent
    assert rosa_kiosk.get(f"/kiosk/screens/{phq9.pk}/review/")["Location"] == sent
    assert saved(phq9)["q1"] == 1


# ---- Spanish -------------------------------------------------------------------------------


def test_a_spanish_speaker_gets_the_phq9_in_spanish(
    kiosk_token: str, nurse: User, clinician: User, unit_a: HousingUnit
) -> None:
    person = book(unit_a, "R0000006", "es")
    client = signed_in(kiosk_token, nurse, person)
    screen = assign_self_screen(actor=clinician, person=person, instrument="phq9-v1")
    assert screen.language == "es"
    spanish = PHQ9.languages["es"]
    page = client.get(question_url(screen, 9))
    assert page["Content-Language"] == "es"
    words = text_of(page)
    assert spanish.items["q9"] in words
    assert PHQ9.languages["en"].items["q9"] not in words
    assert [label for _, label in buttons(page)] == list(
        spanish.answer_labels["frequency"].values()
    )
    help_page = text_of(client.get(answer(client, screen, 9, 1)["Location"]))
    assert "Haga esto ahora" in help_page
    assert "Avise a un oficial ahora." in help_page


# ---- Only the resident's own self-screens (I6) ---------------------------------------------


def test_another_residents_screen_is_not_found(
    kiosk_token: str, nurse: User, unit_a: HousingUnit, phq9: Administration
) -> None:
    other = signed_in(kiosk_token, nurse, book(unit_a, "R0000002", "en"))
    for url in (
        question_url(phq9, 1),
        f"/kiosk/screens/{phq9.pk}/1/help/",
        f"/kiosk/screens/{phq9.pk}/review/",
        f"/kiosk/screens/{phq9.pk}/sent/",
    ):
        assert other.get(url).status_code == 404
    assert answer(other, phq9, 1, 1).status_code == 404
    assert other.post(f"/kiosk/screens/{phq9.pk}/send/").status_code == 404
    assert saved(phq9) == {}
    assert "PHQ-9" not in text_of(other.get("/kiosk/screens/"))
    assert not AuditEvent.objects.filter(action="screening.read").exists()


def test_a_screen_left_unsent_in_an_earlier_stay_is_not_found(
    kiosk_token: str, nurse: User, rosa: Person, unit_a: HousingUnit, phq9: Administration
) -> None:
    release_person(actor=None, booking=phq9.booking, at=NOW - timedelta(hours=1))
    rebook_person(
        actor=None, person=rosa, housing_unit=unit_a, booked_at=NOW, booking_number="B-again"
    )
    client = signed_in(kiosk_token, nurse, rosa)
    assert client.get(question_url(phq9, 1)).status_code == 404
    assert answer(client, phq9, 1, 1).status_code == 404
    assert saved(phq9) == {}
    assert "Questions from your care team" not in text_of(client.get("/kiosk/home/"))


def test_a_screen_given_by_staff_is_not_found_at_the_kiosk(
    rosa_kiosk: Client, rosa: Person, nurse: User
) -> None:
    given = start_administration(actor=nurse, person=rosa, instrument="phq9-v1")
    record_answer(actor=nurse, administration=given, item="q1", value=2)
    for url in (question_url(given, 1), f"/kiosk/screens/{given.pk}/review/"):
        assert rosa_kiosk.get(url).status_code == 404
    assert answer(rosa_kiosk, given, 2, 1).status_code == 404
    assert rosa_kiosk.post(f"/kiosk/screens/{given.pk}/send/").status_code == 404
    assert saved(given) == {"q1": 2}
    assert "Questions from your care team" not in text_of(rosa_kiosk.get("/kiosk/home/"))


def test_the_screens_need_a_resident_signed_in_at_a_kiosk(
    client: Client, nurse: User, phq9: Administration
) -> None:
    client.force_login(nurse)
    assert client.get(question_url(phq9, 1)).status_code == 404
    assert client.get("/kiosk/screens/").status_code == 404


# ---- Reads (I7) ----------------------------------------------------------------------------


def test_each_question_and_review_page_records_one_read_of_the_screen(
    rosa_kiosk: Client, rosa: Person, facility: Facility, phq9: Administration
) -> None:
    rosa_kiosk.get(question_url(phq9, 1))
    rosa_kiosk.get(f"/kiosk/screens/{phq9.pk}/review/")
    events = list(AuditEvent.objects.filter(action="screening.read").order_by("position"))
    assert len(events) == 2
    for event in events:
        assert (event.person_id, event.chain) == (rosa.pk, facility.code)
        assert event.actor_id == User.objects.get(person=rosa).pk
        assert event.subjects == [f"screening:{phq9.pk}"]
