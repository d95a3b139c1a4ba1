"""The staff screening pages: giving a receiving screen and referring from it, the
evaluations list and its actions, the person page's safety banner and screening panel (never
for custody, I6), assigning a self-screen, and a person's history with its chart, every read
audited (I7)."""

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person, release_person
from kiteline.kites.models import Channel, Kite, Urgency
from kiteline.kites.services import record_contact
from kiteline.screening.models import (
    RECEIVING_SCREEN,
    Administration,
    Answer,
    Evaluation,
    EvaluationKind,
    Mode,
)
from kiteline.screening.services import (
    definition_of,
    record_answer,
    start_administration,
    submit_receiving_screen,
    submit_screen,
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

# Monday 14 January 2030, 09:12 in Chicago (the test facility's zone, UTC-6 in winter).
NOW = datetime(2030, 1, 14, 15, 12, tzinfo=UTC)
RESIDENT = "R0000001"
CLINICAL_READS = ("screening.read", "evaluations.read", "screening_history.read")


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    """Every part of a request (service, view, session, audit) sees the same fixed time."""
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


def staff(role: Role, facility: Facility, name: str | None = None) -> User:
    user = User.objects.create_user(username=name or f"test-{role}", role=role)
    user.facilities.add(facility)
    return user


def book(unit: HousingUnit, number: str = RESIDENT, language: str = "en") -> Booking:
    return book_person(
        actor=None,
        details=PersonDetails(
            resident_number=number,
            given_name="Alder",
            family_name="Testfield",
            date_of_birth=date(1990, 1, 1),
            language=language,
        ),
        housing_unit=unit,
        booked_at=NOW - timedelta(days=3),
        booking_number=f"B-{number}",
    )


@pytest.fixture
def booking(unit_a: HousingUnit) -> Booking:
    return book(unit_a)


@pytest.fixture
def clinician(facility: Facility) -> User:
    return staff(Role.CLINICIAN, facility)


@pytest.fixture
def custody(facility: Facility) -> User:
    return staff(Role.CUSTODY, facility)


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


def reads(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("position"))


def later(**delta: float) -> Any:
    """The clock moved on, for everything a request does."""
    return mock.patch("django.utils.timezone.now", return_value=NOW + timedelta(**delta))


def receiving_screen(
    nurse: User, booking: Booking, yes: tuple[int, ...], **start: Any
) -> Administration:
    screening = start_administration(
        actor=nurse, person=booking.person, instrument=RECEIVING_SCREEN, **start
    )
    for n in range(1, 9):
        record_answer(actor=nurse, administration=screening, item=f"q{n}", value=int(n in yes))
    return screening


def phq9(actor: User, booking: Booking, values: tuple[int, ...], **start: Any) -> Administration:
    screening = start_administration(
        actor=actor, person=booking.person, instrument="phq9-v1", **start
    )
    for n, value in enumerate(values, start=1):
        record_answer(actor=actor, administration=screening, item=f"q{n}", value=value)
    return screening


def whole_form(screening: Administration, yes: tuple[int, ...]) -> dict[str, str]:
    return {f"q_q{n}": str(int(n in yes)) for n in range(1, 9)}


def referred(nurse: User, booking: Booking, yes: tuple[int, ...], urgency: str) -> list[Evaluation]:
    screening = receiving_screen(nurse, booking, yes)
    return list(
        submit_receiving_screen(actor=nurse, administration=screening, urgency=urgency).referrals
    )


def of_kind(kind: str) -> Evaluation:
    return Evaluation.objects.get(kind=kind)


# ---- Giving the receiving screen ---------------------------------------------------------


def test_the_link_from_the_person_page_fills_in_the_resident_and_the_bjmhs(
    nurse: User, booking: Booking
) -> None:
    page = signed_in(nurse).get(f"/screening/new/?resident={RESIDENT}&instrument=bjmhs-v1")
    assert page.status_code == 200
    form = page.context["form"]
    assert (form["resident_number"].value(), form["instrument"].value()) == (RESIDENT, "bjmhs-v1")
    assert '<option value="bjmhs-v1" selected>' in page.text


def test_a_nurse_starts_a_bjmhs_in_a_language_with_an_interpreter(
    nurse: User, booking: Booking
) -> None:
    response = signed_in(nurse).post(
        "/screening/new/",
        {
            "resident_number": RESIDENT,
            "instrument": "bjmhs-v1",
            "language": "es",
            "interpreter": "on",
        },
    )
    screening = Administration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/screening/{screening.pk}/"
    assert (screening.instrument, screening.language, screening.interpreter) == (
        "bjmhs-v1",
        "es",
        True,
    )
    assert (screening.mode, screening.started_by, screening.booking) == (
        Mode.STAFF,
        nurse,
        booking,
    )


def test_a_language_the_instrument_lacks_is_refused_on_the_form(
    nurse: User, booking: Booking
) -> None:
    response = signed_in(nurse).post(
        "/screening/new/",
        {"resident_number": RESIDENT, "instrument": "bjmhs-v1", "language": "vi"},
    )
    assert response.status_code == 200
    assert "bjmhs-v1 has no vi version." in text_of(response)
    assert not Administration.objects.exists()


def test_a_resident_held_elsewhere_cannot_be_screened(nurse: User, south_unit: HousingUnit) -> None:
    book(south_unit, "R0000009")
    response = signed_in(nurse).post(
        "/screening/new/",
        {"resident_number": "R0000009", "instrument": "bjmhs-v1", "language": "en"},
    )
    assert "Nobody with this number is held at your facilities now." in text_of(response)
    assert not Administration.objects.exists()


def test_the_screen_page_shows_every_question_in_its_language_and_flags_an_unvalidated_one(
    nurse: User, booking: Booking
) -> None:
    screening = start_administration(
        actor=nurse, person=booking.person, instrument=RECEIVING_SCREEN, language="es"
    )
    page = text_of(signed_in(nurse).get(f"/screening/{screening.pk}/"))
    spanish = definition_of(RECEIVING_SCREEN).languages["es"]
    for n in range(1, 9):
        assert f"{n}. {spanish.items[f'q{n}']}" in page
    assert "This language version is not validated: read its scores with care." in page
    assert "8 questions still unanswered." in page


def test_answers_posted_with_the_whole_form_are_all_saved(nurse: User, booking: Booking) -> None:
    screening = start_administration(
        actor=nurse, person=booking.person, instrument=RECEIVING_SCREEN
    )
    client = signed_in(nurse)
    response = client.post(f"/screening/{screening.pk}/answer/", whole_form(screening, (1, 7)))
    assert response.status_code == 302
    assert response["Location"] == f"/screening/{screening.pk}/"
    saved = dict(Answer.objects.filter(administration=screening).values_list("item", "value"))
    assert saved == {f"q{n}": int(n in (1, 7)) for n in range(1, 9)}
    page = text_of(client.get(response["Location"]))
    assert "Positive screen: refer for evaluation and choose how soon." in page
    assert "Current psychiatric medication: a medication-continuity check opens" in page


def test_one_answer_sent_by_htmx_returns_only_the_questions(nurse: User, booking: Booking) -> None:
    screening = start_administration(
        actor=nurse, person=booking.person, instrument=RECEIVING_SCREEN
    )
    response = signed_in(nurse).post(
        f"/screening/{screening.pk}/answer/", {"q_q3": "1"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    names = [str(template.name) for template in response.templates]
    assert [name for name in names if not name.startswith("kites/")] == [
        "screening/_questions.html"
    ]
    assert response.text.startswith('<div id="questions">')
    assert "<html" not in response.text
    assert 'name="q_q3" value="1" checked' in response.text
    assert "7 questions still unanswered." in text_of(response)
    assert list(Answer.objects.values_list("item", "value")) == [("q3", 1)]


def test_an_answer_out_of_range_is_refused_with_the_services_words(
    nurse: User, booking: Booking
) -> None:
    screening = start_administration(
        actor=nurse, person=booking.person, instrument=RECEIVING_SCREEN
    )
    response = signed_in(nurse).post(
        f"/screening/{screening.pk}/answer/", {"q_q1": "4"}, headers={"HX-Request": "true"}
    )
    assert "q1" in " ".join(messages_of(response))
    assert not Answer.objects.exists()


@pytest.mark.parametrize("value", ["--1", "²", "yes", "1.0"])
def test_an_answer_that_is_not_a_whole_number_is_ignored(
    nurse: User, booking: Booking, value: str
) -> None:
    screening = start_administration(
        actor=nurse, person=booking.person, instrument=RECEIVING_SCREEN
    )
    response = signed_in(nurse).post(
        f"/screening/{screening.pk}/answer/", {"q_q1": value, "q_q2": "1"}
    )
    assert response.status_code == 302
    assert list(Answer.objects.values_list("item", "value")) == [("q2", 1)]


def test_a_positive_screen_sent_as_urgent_opens_an_evaluation_and_a_medication_check(
    nurse: User, booking: Booking
) -> None:
    screening = receiving_screen(nurse, booking, yes=(1, 2, 7))
    response = signed_in(nurse).post(
        f"/screening/{screening.pk}/submit/",
        {"urgency": "urgent", "discretion_reason": "", "incomplete_reason": ""},
        follow=True,
    )
    assert response.redirect_chain == [(f"/people/{RESIDENT}/", 302)]
    # The facility's urgent deadline (24 hours), in its own time.
    assert messages_of(response) == [
        "Screen saved. Opened: Mental-health evaluation (Urgent) due 2030-01-15 09:12 CST, "
        "Medication-continuity check (Urgent) due 2030-01-15 09:12 CST."
    ]
    evaluation = of_kind(EvaluationKind.EVALUATION)
    check = of_kind(EvaluationKind.MEDICATION_CHECK)
    assert (evaluation.urgency, evaluation.administration) == (Urgency.URGENT, screening)
    assert (check.urgency, check.due_at) == (Urgency.URGENT, NOW + timedelta(hours=24))


def test_the_opened_evaluation_is_on_the_open_list_with_its_urgency_and_the_check(
    nurse: User, booking: Booking
) -> None:
    referred(nurse, booking, yes=(1, 2, 7), urgency="urgent")
    page = signed_in(nurse).get("/screening/evaluations/?show=open")
    shown = {(row.kind, row.urgency) for row in page.context["rows"]}
    assert shown == {
        (EvaluationKind.SCREENING, ""),
        (EvaluationKind.EVALUATION, "urgent"),
        (EvaluationKind.MEDICATION_CHECK, "urgent"),
    }
    words = text_of(page)
    assert "Mental-health evaluation · Urgent" in words
    assert "Medication-continuity check · Urgent" in words
    assert "Current psychiatric medication" in words
    assert "2030-01-15 09:12 CST" in words


def test_without_item_7_no_medication_check_is_opened(nurse: User, booking: Booking) -> None:
    referred(nurse, booking, yes=(1, 2), urgency="routine")
    assert not Evaluation.objects.filter(kind=EvaluationKind.MEDICATION_CHECK).exists()
    page = text_of(signed_in(nurse).get("/screening/evaluations/"))
    assert "Mental-health evaluation · Routine" in page
    assert "Medication-continuity check" not in page


def test_a_negative_screen_with_an_urgency_but_no_reason_is_refused_and_saves_nothing(
    nurse: User, booking: Booking
) -> None:
    screening = receiving_screen(nurse, booking, yes=(3,))
    evaluations = set(Evaluation.objects.values_list("pk", flat=True))
    response = signed_in(nurse).post(
        f"/screening/{screening.pk}/submit/",
        {"urgency": "urgent", "discretion_reason": "", "incomplete_reason": ""},
        follow=True,
    )
    assert response.redirect_chain == [(f"/screening/{screening.pk}/", 302)]
    assert messages_of(response) == [
        "This screen is negative: give a reason to refer at your discretion."
    ]
    screening.refresh_from_db()
    assert (screening.submitted_at, screening.total) == (None, None)
    assert set(Evaluation.objects.values_list("pk", flat=True)) == evaluations
    assert not AuditEvent.objects.filter(action="screening.submit").exists()


def test_a_negative_screen_referred_at_discretion_keeps_the_reason(
    nurse: User, booking: Booking
) -> None:
    screening = receiving_screen(nurse, booking, yes=())
    signed_in(nurse).post(
        f"/screening/{screening.pk}/submit/",
        {"urgency": "routine", "discretion_reason": "Tearful at booking"},
    )
    evaluation = of_kind(EvaluationKind.EVALUATION)
    assert (evaluation.reason, evaluation.discretion_reason) == (
        "discretion",
        "Tearful at booking",
    )
    page = text_of(signed_in(nurse).get("/screening/evaluations/"))
    assert "Screener's discretion: Tearful at booking" in page


def test_a_negative_screen_sent_without_a_referral_says_only_that_it_was_saved(
    nurse: User, booking: Booking
) -> None:
    screening = receiving_screen(nurse, booking, yes=())
    response = signed_in(nurse).post(f"/screening/{screening.pk}/submit/", {}, follow=True)
    assert messages_of(response) == ["Screen saved."]
    screening.refresh_from_db()
    assert screening.submitted_at == NOW
    assert not Evaluation.objects.filter(kind=EvaluationKind.EVALUATION).exists()


def test_a_submitted_screen_offers_no_more_saving_or_submitting(
    nurse: User, booking: Booking
) -> None:
    screening = receiving_screen(nurse, booking, yes=())
    submit_receiving_screen(actor=nurse, administration=screening)
    client = signed_in(nurse)
    page = client.get(f"/screening/{screening.pk}/")
    assert "This screen was submitted." in text_of(page)
    assert "Submit the screen" not in text_of(page)
    response = client.post(f"/screening/{screening.pk}/answer/", {"q_q1": "1"}, follow=True)
    assert messages_of(response) == ["This screening was already submitted."]
    assert Answer.objects.get(administration=screening, item="q1").value == 0


def test_a_screen_at_another_facility_is_not_found(
    nurse: User, other_facility: Facility, south_unit: HousingUnit
) -> None:
    south_nurse = staff(Role.NURSE, other_facility, "south-nurse")
    screening = start_administration(
        actor=south_nurse, person=book(south_unit, "R0000009").person, instrument="phq9-v1"
    )
    client = signed_in(nurse)
    assert client.get(f"/screening/{screening.pk}/").status_code == 404
    assert client.post(f"/screening/{screening.pk}/answer/", {"q_q1": "1"}).status_code == 404
    assert client.post(f"/screening/{screening.pk}/submit/", {}).status_code == 404
    assert not Answer.objects.exists()
    assert reads("screening.read") == []


def test_opening_a_screen_records_one_read_of_it(
    nurse: User, booking: Booking, facility: Facility
) -> None:
    screening = start_administration(
        actor=nurse, person=booking.person, instrument=RECEIVING_SCREEN
    )
    signed_in(nurse).get(f"/screening/{screening.pk}/")
    (event,) = reads("screening.read")
    assert (event.actor_id, event.person_id, event.chain) == (
        nurse.pk,
        booking.person_id,
        facility.code,
    )
    assert event.subjects == [f"screening:{screening.pk}"]
    assert event.detail == {"fields": ["answers"]}


def test_an_answer_by_htmx_records_one_read_of_the_questions_it_returns(
    nurse: User, booking: Booking
) -> None:
    screening = start_administration(
        actor=nurse, person=booking.person, instrument=RECEIVING_SCREEN
    )
    client = signed_in(nurse)
    client.post(f"/screening/{screening.pk}/answer/", {"q_q1": "1"}, headers={"HX-Request": "true"})
    assert [event.subjects for event in reads("screening.read")] == [[f"screening:{screening.pk}"]]
    # A whole-form save shows nothing itself: the page it leads to records the read.
    client.post(f"/screening/{screening.pk}/answer/", {"q_q2": "1"}, follow=True)
    assert len(reads("screening.read")) == 2


# ---- The evaluations list ----------------------------------------------------------------


def test_the_overdue_filter_shows_only_open_items_past_their_deadline(
    nurse: User, booking: Booking
) -> None:
    referred(nurse, booking, yes=(1, 2), urgency="urgent")
    with later(days=2):
        page = signed_in(nurse).get("/screening/evaluations/?show=overdue")
    (row,) = page.context["rows"]
    assert (row.kind, row.state) == (EvaluationKind.EVALUATION, "overdue")
    assert "overdue" in text_of(page)
    # The E-05 screening is not due until day 14.
    with later(days=2):
        still_open = signed_in(nurse).get("/screening/evaluations/?show=open")
    assert {row.kind for row in still_open.context["rows"]} == {
        EvaluationKind.SCREENING,
        EvaluationKind.EVALUATION,
    }


def test_nothing_is_overdue_before_the_deadline(nurse: User, booking: Booking) -> None:
    referred(nurse, booking, yes=(1, 2), urgency="urgent")
    page = signed_in(nurse).get("/screening/evaluations/?show=overdue")
    assert page.context["rows"] == []
    assert "Nothing here." in text_of(page)


def test_a_clinician_records_an_evaluation_as_done_and_it_moves_to_done(
    clinician: User, nurse: User, booking: Booking
) -> None:
    referred(nurse, booking, yes=(1, 2), urgency="urgent")
    evaluation = of_kind(EvaluationKind.EVALUATION)
    client = signed_in(clinician)
    response = client.post(
        f"/screening/evaluations/{evaluation.pk}/done/", {"note": "Seen"}, follow=True
    )
    assert response.redirect_chain == [("/screening/evaluations/", 302)]
    assert messages_of(response) == ["Recorded as done."]
    evaluation.refresh_from_db()
    assert (evaluation.done_by, evaluation.done_at, evaluation.done_note) == (
        clinician,
        NOW,
        "Seen",
    )
    open_ids = [row.evaluation_id for row in client.get("/screening/evaluations/").context["rows"]]
    assert evaluation.pk not in open_ids
    done = client.get("/screening/evaluations/?show=done")
    (row,) = done.context["rows"]
    assert (row.evaluation_id, row.state) == (evaluation.pk, "done")
    assert "done on time" in text_of(done)
    assert "Record as done" not in text_of(done)


def test_a_nurse_cannot_record_an_evaluation_as_done_but_can_a_medication_check(
    nurse: User, booking: Booking
) -> None:
    referred(nurse, booking, yes=(1, 7), urgency="urgent")
    evaluation = of_kind(EvaluationKind.EVALUATION)
    check = of_kind(EvaluationKind.MEDICATION_CHECK)
    client = signed_in(nurse)
    refused = client.post(f"/screening/evaluations/{evaluation.pk}/done/", follow=True)
    assert messages_of(refused) == ["Your role cannot record a Mental-health evaluation."]
    evaluation.refresh_from_db()
    assert evaluation.done_at is None
    done = client.post(f"/screening/evaluations/{check.pk}/done/", follow=True)
    assert messages_of(done) == ["Recorded as done."]
    check.refresh_from_db()
    assert check.done_by == nurse


def test_each_role_is_offered_record_as_done_only_for_what_it_may_record(
    nurse: User, clinician: User, booking: Booking, facility: Facility
) -> None:
    referred(nurse, booking, yes=(1, 7), urgency="urgent")
    check = of_kind(EvaluationKind.MEDICATION_CHECK)
    supervisor = staff(Role.SUPERVISOR, facility)

    def offered(user: User, url: str) -> set[int]:
        page = signed_in(user).get(url).text
        return {int(pk) for pk in re.findall(r'action="/screening/evaluations/(\d+)/done/"', page)}

    everything = set(Evaluation.objects.values_list("pk", flat=True))
    for url in ("/screening/evaluations/", f"/people/{RESIDENT}/"):
        assert offered(clinician, url) == everything
        assert offered(nurse, url) == {check.pk}
        assert offered(supervisor, url) == set()


def test_an_unknown_filter_is_not_found(nurse: User, booking: Booking) -> None:
    assert signed_in(nurse).get("/screening/evaluations/?show=everything").status_code == 404


def test_reading_the_list_records_one_read_with_the_evaluations_shown(
    nurse: User, booking: Booking, facility: Facility
) -> None:
    referred(nurse, booking, yes=(1, 7), urgency="urgent")
    signed_in(nurse).get("/screening/evaluations/")
    (event,) = reads("evaluations.read")
    shown = Evaluation.objects.order_by("due_at", "pk")
    assert (event.actor_id, event.chain) == (nurse.pk, facility.code)
    assert sorted(event.subjects) == sorted(f"evaluation:{e.pk}" for e in shown)
    assert "due_at" in event.detail["fields"]


def test_the_list_shows_only_the_actors_facilities(
    nurse: User, booking: Booking, other_facility: Facility, south_unit: HousingUnit
) -> None:
    book(south_unit, "R0000009")
    rows = signed_in(nurse).get("/screening/evaluations/").context["rows"]
    assert [row.resident_number for row in rows] == [RESIDENT]


def test_custody_cannot_open_the_evaluations(custody: User, booking: Booking) -> None:
    assert signed_in(custody).get("/screening/evaluations/").status_code == 403
    assert reads("evaluations.read") == []


# ---- The person page ---------------------------------------------------------------------


def test_health_staff_see_safety_precautions_until_the_clinician_sees_the_resident(
    nurse: User, clinician: User, booking: Booking
) -> None:
    screening = start_administration(actor=nurse, person=booking.person, instrument="phq9-v1")
    nurses = signed_in(nurse)
    nurses.post(f"/screening/{screening.pk}/answer/", {"q_q9": "2"})
    safety = Evaluation.objects.get(safety=True)
    assert safety.urgency == Urgency.EMERGENT
    for client in (nurses, signed_in(clinician)):
        page = text_of(client.get(f"/people/{RESIDENT}/"))
        assert "Safety precautions until evaluated" in page
        assert "Mental-health evaluation · Emergent" in page

    # One emergency, one record: the evaluation is closed by the contact on its kite.
    kite = Kite.objects.get(channel=Channel.SCREENING)
    response = signed_in(clinician).post(
        f"/screening/evaluations/{safety.pk}/done/", {"back": "person"}, follow=True
    )
    assert f"Record the contact on request {kite.number}" in text_of(response)
    assert Evaluation.objects.get(pk=safety.pk).is_open
    record_contact(
        actor=clinician,
        kite=kite,
        seen_at=timezone.now(),
        place="confidential_room",
        note="Seen.",
        outcome="resolved",
    )
    done = Evaluation.objects.get(pk=safety.pk)
    assert (done.done_by, done.done_at) == (clinician, timezone.now())
    assert "Safety precautions until evaluated" not in text_of(nurses.get(f"/people/{RESIDENT}/"))


def test_the_person_page_records_a_read_of_the_evaluations_it_shows(
    nurse: User, booking: Booking
) -> None:
    signed_in(nurse).get(f"/people/{RESIDENT}/")
    (event,) = reads("evaluations.read")
    (duty,) = Evaluation.objects.all()
    assert (event.person_id, event.subjects) == (booking.person_id, [f"evaluation:{duty.pk}"])


def test_custody_sees_no_banner_no_screening_and_no_scores_on_the_person_page(
    custody: User, nurse: User, clinician: User, booking: Booking
) -> None:
    screening = phq9(nurse, booking, (3, 3, 3, 3, 2, 2, 2, 2, 1))
    submit_screen(actor=nurse, administration=screening)
    assign = signed_in(clinician)
    assign.post("/screening/assign/", {"resident_number": RESIDENT, "instrument": "gad7-v1"})
    assert Evaluation.objects.filter(safety=True, done_at__isnull=True).exists()
    before = AuditEvent.objects.filter(action__in=CLINICAL_READS).count()

    response = signed_in(custody).get(f"/people/{RESIDENT}/")
    assert response.status_code == 200
    assert response.context["screening"] is None
    assert response.context["assign_form"] is None
    page = text_of(response)
    for clinical in (
        "Safety precautions",
        "Screening and evaluations",
        "Mental-health evaluation",
        "emergent",
        "PHQ-9",
        "GAD-7",
        "Total",
        "21",
        "Screening history",
        "Record as done",
    ):
        assert clinical not in page
    assert "/screening/" not in response.text
    # Nothing clinical was read, so no clinical read was recorded.
    assert AuditEvent.objects.filter(action__in=CLINICAL_READS).count() == before


def test_a_clinician_assigns_a_phq9_from_the_person_page(clinician: User, booking: Booking) -> None:
    client = signed_in(clinician)
    page = client.get(f"/people/{RESIDENT}/")
    assert 'action="/screening/assign/"' in page.text
    assert '<option value="phq9-v1">' in page.text
    response = client.post(
        "/screening/assign/", {"resident_number": RESIDENT, "instrument": "phq9-v1"}, follow=True
    )
    assert response.redirect_chain == [(f"/people/{RESIDENT}/", 302)]
    assert messages_of(response) == ["The resident will find the screen at the kiosk."]
    screening = Administration.objects.get()
    assert (screening.instrument, screening.mode, screening.started_by) == (
        "phq9-v1",
        Mode.SELF,
        clinician,
    )
    assert "Waiting at the kiosk: Patient Health Questionnaire-9 (PHQ-9)" in text_of(response)


def test_the_person_page_read_lists_the_self_screens_waiting_beside_the_evaluations(
    clinician: User, booking: Booking
) -> None:
    client = signed_in(clinician)
    client.post("/screening/assign/", {"resident_number": RESIDENT, "instrument": "gad7-v1"})
    AuditEvent.objects.filter(action="evaluations.read").delete()
    client.get(f"/people/{RESIDENT}/")
    (event,) = reads("evaluations.read")
    (duty,) = Evaluation.objects.all()
    (waiting,) = Administration.objects.all()
    assert event.subjects == [f"evaluation:{duty.pk}", f"screening:{waiting.pk}"]
    assert "self_screens_waiting" in event.detail["fields"]


def test_assigning_the_same_screen_twice_shows_the_refusal(
    clinician: User, booking: Booking
) -> None:
    client = signed_in(clinician)
    data = {"resident_number": RESIDENT, "instrument": "phq9-v1"}
    client.post("/screening/assign/", data, follow=True)
    response = client.post("/screening/assign/", data, follow=True)
    assert messages_of(response) == [f"Resident {RESIDENT} already has this screen to do."]
    assert Administration.objects.count() == 1


def test_a_refused_assignment_shows_why_on_the_person_page(
    clinician: User, booking: Booking
) -> None:
    release_person(actor=None, booking=booking, at=NOW - timedelta(hours=1))
    client = signed_in(clinician)
    response = client.post(
        "/screening/assign/", {"resident_number": RESIDENT, "instrument": "phq9-v1"}, follow=True
    )
    assert response.redirect_chain == [(f"/people/{RESIDENT}/", 302)]
    assert "Nobody with this number is held at your facilities now." in text_of(response)
    assert not Administration.objects.exists()


def test_a_nurse_is_not_offered_and_cannot_assign_a_self_screen(
    nurse: User, booking: Booking
) -> None:
    client = signed_in(nurse)
    page = client.get(f"/people/{RESIDENT}/")
    assert "/screening/assign/" not in page.text
    response = client.post(
        "/screening/assign/", {"resident_number": RESIDENT, "instrument": "phq9-v1"}
    )
    assert response.status_code == 403
    assert not Administration.objects.exists()


def test_the_person_page_offers_the_receiving_screen_and_history_only_to_a_clinician(
    nurse: User, clinician: User, booking: Booking
) -> None:
    link = f"/screening/new/?resident={RESIDENT}&amp;instrument=bjmhs-v1"
    history = f"/screening/people/{RESIDENT}/"
    nurse_page = signed_in(nurse).get(f"/people/{RESIDENT}/").text
    clinician_page = signed_in(clinician).get(f"/people/{RESIDENT}/").text
    assert link in nurse_page
    assert history not in nurse_page
    assert history in clinician_page


# ---- History -----------------------------------------------------------------------------


@pytest.fixture
def past_screens(nurse: User, clinician: User, booking: Booking) -> list[Administration]:
    """Two complete PHQ-9s a week apart, a GAD-7 given in Spanish (a translation not
    validated), one PHQ-9 ended early and one never submitted."""
    with later(days=-7):
        first = phq9(nurse, booking, (1, 1, 1, 1, 1, 1, 0, 0, 0))
        submit_screen(actor=nurse, administration=first)
    second = phq9(nurse, booking, (2, 2, 2, 2, 2, 1, 1, 1, 0))
    submit_screen(actor=nurse, administration=second)
    spanish = start_administration(
        actor=nurse, person=booking.person, instrument="gad7-v1", language="es", interpreter=True
    )
    for n in range(1, 8):
        record_answer(actor=nurse, administration=spanish, item=f"q{n}", value=1)
    submit_screen(actor=nurse, administration=spanish)
    ended = phq9(nurse, booking, (1, 1))
    submit_screen(actor=nurse, administration=ended, incomplete_reason="Called to court")
    waiting = phq9(nurse, booking, (0,))
    return [first, second, spanish, ended, waiting]


def test_only_a_clinician_opens_the_history(
    nurse: User, custody: User, booking: Booking, past_screens: list[Administration]
) -> None:
    for user in (nurse, custody):
        assert signed_in(user).get(f"/screening/people/{RESIDENT}/").status_code == 403
    assert reads("screening_history.read") == []


def test_the_history_lists_every_answer_and_the_total(
    clinician: User, past_screens: list[Administration]
) -> None:
    response = signed_in(clinician).get(f"/screening/people/{RESIDENT}/")
    assert response.status_code == 200
    page = text_of(response)
    english = definition_of("phq9-v1").languages["en"]
    labels = english.answer_labels["frequency"]
    for n, value in enumerate((2, 2, 2, 2, 2, 1, 1, 1, 0), start=1):
        assert f"{n} {english.items[f'q{n}']} {labels[value]} ({value})" in page
    assert "Total 13 · moderate" in page
    assert "Total 6 · mild" in page
    assert "Incomplete, not scored: Called to court" in page
    assert "Not submitted: the answers below were saved as given." in page
    screens = response.context["history"].screens
    assert [screen.administration_id for screen in screens] == [
        screening.pk for screening in reversed(past_screens)
    ]
    assert sum(len(screen.items) for screen in screens) == 9 + 9 + 7 + 2 + 1


def test_the_history_marks_a_score_in_a_language_not_validated(
    clinician: User, past_screens: list[Administration]
) -> None:
    response = signed_in(clinician).get(f"/screening/people/{RESIDENT}/")
    spanish = definition_of("gad7-v1").languages["es"]
    assert not spanish.validated
    (gad7,) = [s for s in response.context["history"].screens if s.name.startswith("Generalized")]
    assert (gad7.language, gad7.validated_language, gad7.interpreter) == ("es", False, True)
    page = text_of(response)
    assert spanish.items["q1"] in page
    assert page.count("Given in a language version that is not validated") == 1
    assert "with an interpreter" in page
    # Its total in the chart's table is flagged too.
    assert "7 (translation not validated)" in page


def test_the_history_draws_one_point_per_complete_screen_and_a_table_of_the_numbers(
    clinician: User, past_screens: list[Administration]
) -> None:
    response = signed_in(clinician).get(f"/screening/people/{RESIDENT}/")
    charts = {entry.name: entry.chart for entry in response.context["history"].charts}
    phq = charts["Patient Health Questionnaire-9 (PHQ-9)"]
    assert [point.total for point in phq.points] == [6, 13]
    assert phq.points[0].x < phq.points[1].x
    assert phq.highest == 27
    svg = re.findall(r"<svg\b.*?</svg>", response.text, flags=re.S)
    assert len(svg) == 2
    assert [len(re.findall(r"<circle\b", one)) for one in svg] == [1, 2]
    rows = re.findall(r"<td>(\d{4}-\d{2}-\d{2})</td><td>(\d+)", response.text)
    assert rows == [("2030-01-14", "7"), ("2030-01-07", "6"), ("2030-01-14", "13")]


def test_the_chart_keeps_its_coordinates_numeric_in_spanish(
    clinician: User, past_screens: list[Administration]
) -> None:
    client = signed_in(clinician)
    response = client.get(f"/screening/people/{RESIDENT}/", headers={"Accept-Language": "es"})
    assert response["Content-Language"] == "es"
    coordinates = re.findall(r'\b(?:cx|cy|x|y|y1|y2)="([^"]*)"', response.text)
    assert coordinates
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", value) for value in coordinates)


def test_reading_the_history_writes_one_read_listing_the_screens(
    clinician: User, booking: Booking, facility: Facility, past_screens: list[Administration]
) -> None:
    signed_in(clinician).get(f"/screening/people/{RESIDENT}/")
    (event,) = reads("screening_history.read")
    assert (event.actor_id, event.person_id, event.chain) == (
        clinician.pk,
        booking.person_id,
        facility.code,
    )
    assert sorted(event.subjects) == sorted(f"screening:{s.pk}" for s in past_screens)
    # Field names only, never a score or an answer (I7).
    assert event.detail == {"fields": ["answers", "band", "flags", "total"]}


def test_a_person_outside_the_clinicians_facilities_has_no_history(
    clinician: User, other_facility: Facility, south_unit: HousingUnit
) -> None:
    south = staff(Role.NURSE, other_facility, "south-nurse")
    elsewhere = book(south_unit, "R0000009")
    submit_screen(actor=south, administration=phq9(south, elsewhere, (0,) * 9))
    assert signed_in(clinician).get("/screening/people/R0000009/").status_code == 404
    assert reads("screening_history.read") == []


def test_a_safety_answer_shows_in_the_history(
    clinician: User, nurse: User, booking: Booking
) -> None:
    phq9(nurse, booking, (0, 0, 0, 0, 0, 0, 0, 0, 1))
    assert Kite.objects.filter(person=booking.person, urgency=Urgency.EMERGENT).exists()
    page = text_of(signed_in(clinician).get(f"/screening/people/{RESIDENT}/"))
    assert "A safety answer raised an emergent item." in page


def test_a_receiving_screen_left_unsubmitted_is_listed_until_it_is_submitted(
    nurse: User, booking: Booking
) -> None:
    screening = start_administration(actor=nurse, person=booking.person, instrument="bjmhs-v1")
    record_answer(actor=nurse, administration=screening, item="q7", value=1)
    nurses = signed_in(nurse)
    assert "Screens started and not submitted" not in text_of(nurses.get("/screening/evaluations/"))
    with later(hours=2):
        # Signed in again: the session of two hours ago has timed out.
        nurses = signed_in(nurse)
        page = text_of(nurses.get("/screening/evaluations/"))
        assert "Screens started and not submitted" in page
        assert "Brief Jail Mental Health Screen" in page
        (event,) = [e for e in reads("screening.read") if f"screening:{screening.pk}" in e.subjects]
        assert event.actor_id == nurse.pk
        for n in range(1, 9):
            record_answer(actor=nurse, administration=screening, item=f"q{n}", value=int(n == 7))
        submit_receiving_screen(actor=nurse, administration=screening, urgency="routine")
        page = text_of(nurses.get("/screening/evaluations/"))
        assert "Screens started and not submitted" not in page
