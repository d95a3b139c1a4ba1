"""The staff pages for kites: entering one, the triage queue, the kite page and its actions,
alerts, the on-call rota, the standard, the downtime packet and the sweep banner."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from kiteline.accounts.models import Role, User
from kiteline.accounts.navigation import menu_for
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person
from kiteline.kites import selectors
from kiteline.kites.forms import LOCAL_INPUT
from kiteline.kites.models import (
    Alert,
    CrisisSignal,
    FacilityStandard,
    Kite,
    OnCallShift,
    Status,
    Urgency,
)
from kiteline.kites.services import (
    record_contact,
    record_paper_kite,
    triage_kite,
)
from kiteline.kites.standards import publish_standard, schedule_on_call
from kiteline.kites.sweep import sweep
from kiteline.kites.watch import set_watch

CHICAGO = ZoneInfo("America/Chicago")
CRISIS_TEXT = "Please help, I want to kill myself tonight"


def staff(role: Role, facility: Facility, name: str | None = None) -> User:
    user = User.objects.create_user(username=name or f"test-{role}", role=role)
    user.facilities.add(facility)
    return user


def book(unit: HousingUnit, n: int, family_name: str = "Testfield") -> Booking:
    return book_person(
        actor=None,
        details=PersonDetails(
            resident_number=f"R{n:07d}",
            given_name="Alder",
            family_name=family_name,
            date_of_birth=date(1990, 1, 1),
        ),
        housing_unit=unit,
        booked_at=timezone.now() - timedelta(days=3),
        booking_number=f"B{n}",
    )


@pytest.fixture
def booking(unit_a: HousingUnit) -> Booking:
    return book(unit_a, 1)


@pytest.fixture
def clinician(facility: Facility) -> User:
    return staff(Role.CLINICIAN, facility)


@pytest.fixture
def supervisor(facility: Facility) -> User:
    return staff(Role.SUPERVISOR, facility)


def paper_kite(
    nurse: User, booking: Booking, text: str = "I cannot sleep", hours_ago: float = 0
) -> Kite:
    received = timezone.now() - timedelta(hours=hours_ago)
    return record_paper_kite(
        actor=nurse,
        person=booking.person,
        channel="paper",
        topic="talk",
        text=text,
        received_at=received,
        backdate_reason="entered late" if hours_ago else "",
    ).kite


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def local_input(moment: datetime) -> str:
    return moment.astimezone(CHICAGO).strftime(LOCAL_INPUT)


def messages_of(response: object) -> list[str]:
    return [str(message) for message in response.context["messages"]]  # type: ignore[attr-defined]


# ---- Entering a paper or spoken kite ---------------------------------------------------


def new_kite_form(client: Client, **changes: str) -> dict[str, str]:
    form = client.get(reverse("kite-new")).context["form"]
    data = {
        "resident_number": "R0000001",
        "channel": "paper",
        "topic": "therapy",
        "received_at": "",
        "backdate_reason": "",
        "text": "I would like to talk to someone",
        "request_key": form.initial["request_key"],
    }
    return {**data, **changes}


def test_a_nurse_enters_a_paper_kite_and_gets_a_printable_receipt(
    client: Client, nurse: User, booking: Booking
) -> None:
    signed_in(client, nurse)
    response = client.post(reverse("kite-new"), new_kite_form(client), follow=True)
    kite = Kite.objects.get()
    assert response.redirect_chain == [(f"/kites/{kite.pk}/receipt/", 302)]
    assert (kite.channel, kite.entered_by, kite.text) == (
        "paper",
        nurse,
        "I would like to talk to someone",
    )
    page = response.content.decode()
    local = kite.received_at.astimezone(CHICAGO)
    assert kite.number in page
    assert f"{local:%Y-%m-%d %H:%M %Z}" in page  # CST or CDT: the facility's own time
    assert "R0000001" in page
    assert "Testfield, Alder" in page
    assert "What happens next" in page
    assert "24 hours" in page
    assert "/static/kiosk/print.js" in page
    assert "<style" not in page
    assert " style=" not in page
    assert "<script>" not in page


def test_a_kite_received_earlier_keeps_its_facility_time_and_needs_a_reason(
    client: Client, nurse: User, booking: Booking
) -> None:
    signed_in(client, nurse)
    earlier = timezone.now() - timedelta(hours=3)
    form = new_kite_form(client, received_at=local_input(earlier))

    response = client.post(reverse("kite-new"), form)
    assert response.status_code == 200
    assert "Say why the request is entered later" in response.content.decode()
    assert not Kite.objects.exists()

    client.post(reverse("kite-new"), {**form, "backdate_reason": "screens were down"})
    kite = Kite.objects.get()
    assert kite.received_at == earlier.replace(second=0, microsecond=0)
    assert kite.backdate_reason == "screens were down"


def test_a_received_time_in_the_future_is_refused_with_the_services_words(
    client: Client, nurse: User, booking: Booking
) -> None:
    signed_in(client, nurse)
    later = timezone.now() + timedelta(hours=2)
    response = client.post(
        reverse("kite-new"), new_kite_form(client, received_at=local_input(later))
    )
    assert "cannot be in the future" in response.content.decode()
    assert not Kite.objects.exists()


def test_saving_the_same_form_twice_makes_one_kite(
    client: Client, nurse: User, booking: Booking
) -> None:
    signed_in(client, nurse)
    form = new_kite_form(client)
    first = client.post(reverse("kite-new"), form)
    again = client.post(reverse("kite-new"), form)
    assert Kite.objects.count() == 1
    assert first["Location"] == again["Location"]


def test_a_resident_held_elsewhere_cannot_be_entered(
    client: Client, nurse: User, south_unit: HousingUnit
) -> None:
    book(south_unit, 9)
    signed_in(client, nurse)
    response = client.post(reverse("kite-new"), new_kite_form(client, resident_number="R0000009"))
    assert "Nobody with this number is held at your facilities" in response.content.decode()
    assert not Kite.objects.exists()


# ---- The triage queue ------------------------------------------------------------------


def test_the_queue_puts_emergent_then_urgent_then_the_rest_by_next_deadline(
    client: Client, nurse: User, unit_a: HousingUnit
) -> None:
    routine_late = paper_kite(nurse, book(unit_a, 1), hours_ago=1)
    routine_early = paper_kite(nurse, book(unit_a, 2), hours_ago=5)
    urgent = paper_kite(nurse, book(unit_a, 3))
    triage_kite(
        actor=nurse, kite=urgent, urgency="urgent", symptom_described=False, route="mental_health"
    )
    emergent = paper_kite(nurse, book(unit_a, 4), text=CRISIS_TEXT)
    closed = paper_kite(nurse, book(unit_a, 5))
    triage_kite(
        actor=nurse,
        kite=closed,
        urgency="routine",
        symptom_described=False,
        route="medical",
        route_reason="a sore knee",
    )

    page = signed_in(client, nurse).get(reverse("kite-queue")).context["page"]
    assert [row.number for row in page.rows] == [
        emergent.number,
        urgent.number,
        routine_early.number,
        routine_late.number,
    ]
    assert page.rows[0].emergent


def test_the_queue_highlights_clocks_due_soon_and_breached(
    client: Client, nurse: User, unit_a: HousingUnit
) -> None:
    breached = paper_kite(nurse, book(unit_a, 1), hours_ago=30)
    soon = paper_kite(nurse, book(unit_a, 2), hours_ago=23)
    fresh = paper_kite(nurse, book(unit_a, 3))
    response = signed_in(client, nurse).get(reverse("kite-queue"))
    rows = {row.number: row for row in response.context["page"].rows}
    assert rows[breached.number].breached
    assert (rows[soon.number].due_soon, rows[soon.number].breached) == (True, False)
    assert not rows[fresh.number].due_soon
    assert not rows[fresh.number].breached
    page = response.content.decode()
    assert "is-breached" in page
    assert "is-due-soon" in page
    assert "left" in page


def test_the_queue_shows_only_open_kites_of_the_actors_facilities(
    client: Client, nurse: User, booking: Booking, south_unit: HousingUnit
) -> None:
    mine = paper_kite(nurse, booking)
    southerner = staff(Role.NURSE, south_unit.facility, "south-nurse")
    paper_kite(southerner, book(south_unit, 7))
    rows = signed_in(client, nurse).get(reverse("kite-queue")).context["page"].rows
    assert [row.number for row in rows] == [mine.number]


def test_the_queue_pages(
    client: Client, nurse: User, unit_a: HousingUnit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "QUEUE_PAGE_SIZE", 2)
    for n in range(1, 6):
        paper_kite(nurse, book(unit_a, n))
    signed_in(client, nurse)
    pages = [client.get(reverse("kite-queue"), {"page": n}).context["page"] for n in (1, 2, 3)]
    assert [len(page.rows) for page in pages] == [2, 2, 1]
    assert pages[0].total == 5
    assert pages[1].has_previous
    assert pages[1].has_next


def queue_kites(nurse: User, unit: HousingUnit, count: int, start: int) -> None:
    for n in range(start, start + count):
        kite = paper_kite(nurse, book(unit, n), hours_ago=n % 30)
        if n % 3 == 0:
            triage_kite(
                actor=nurse,
                kite=kite,
                urgency="urgent",
                symptom_described=True,
                route="mental_health",
            )


def test_the_queue_takes_the_same_number_of_queries_for_5_and_for_50_kites(
    client: Client,
    nurse: User,
    unit_a: HousingUnit,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    signed_in(client, nurse)
    queue_kites(nurse, unit_a, 5, start=1)
    with CaptureQueriesContext(connection) as five:
        assert client.get(reverse("kite-queue")).status_code == 200
    queue_kites(nurse, unit_a, 45, start=6)
    with django_assert_num_queries(len(five.captured_queries)):
        response = client.get(reverse("kite-queue"))
    assert response.context["page"].total == 50


def test_reading_the_queue_is_recorded_with_the_kites_shown(
    client: Client, nurse: User, booking: Booking
) -> None:
    kite = paper_kite(nurse, booking)
    signed_in(client, nurse).get(reverse("kite-queue"))
    event = AuditEvent.objects.get(action="kite_queue.read")
    assert event.subjects == [f"kite:{kite.pk}"]
    assert event.actor_id == nurse.pk


# ---- The kite page ---------------------------------------------------------------------


def test_the_kite_page_shows_the_words_and_records_one_read(
    client: Client, nurse: User, booking: Booking
) -> None:
    kite = paper_kite(nurse, booking, text="I hear voices at night", hours_ago=2)
    response = signed_in(client, nurse).get(reverse("kite-detail", args=[kite.pk]))
    page = response.content.decode()
    assert "I hear voices at night" in page
    assert "Paper slip" in page
    assert "entered late" in page
    (event,) = AuditEvent.objects.filter(action="kite.read")
    assert event.subjects == [f"kite:{kite.pk}"]
    assert event.person_id == booking.person_id
    assert "text" in event.detail["fields"]


def test_crisis_words_are_highlighted_where_they_matched(
    client: Client, nurse: User, booking: Booking
) -> None:
    kite = paper_kite(nurse, booking, text=CRISIS_TEXT)
    signal = CrisisSignal.objects.get(kite=kite, source="text")
    assert signal.start is not None
    assert signal.end is not None
    matched = CRISIS_TEXT[signal.start : signal.end]
    page = signed_in(client, nurse).get(reverse("kite-detail", args=[kite.pk])).content.decode()
    before, after = CRISIS_TEXT[: signal.start], CRISIS_TEXT[signal.end :]
    assert f"{before}<mark>{matched}</mark>{after}" in page


def test_highlighting_merges_overlapping_spans_and_keeps_the_rest() -> None:
    pieces = selectors.highlight("abcdefgh", [(2, 4), (3, 6), (7, 20)])
    assert [(piece.text, piece.matched) for piece in pieces] == [
        ("ab", False),
        ("cdef", True),
        ("g", False),
        ("h", True),
    ]


def test_a_breach_still_shows_after_the_kite_is_answered(
    client: Client, nurse: User, clinician: User, booking: Booking
) -> None:
    kite = paper_kite(nurse, booking, hours_ago=30)
    record_contact(
        actor=clinician,
        kite=kite,
        seen_at=timezone.now(),
        place="clinic",
        note="",
        outcome="resolved",
    )
    response = signed_in(client, nurse).get(reverse("kite-detail", args=[kite.pk]))
    (clock,) = response.context["kite"].clocks
    assert clock.breached
    assert "Met late: breached" in response.content.decode()


def test_a_clock_met_in_time_shows_so(client: Client, nurse: User, booking: Booking) -> None:
    kite = paper_kite(nurse, booking)
    triage_kite(
        actor=nurse, kite=kite, urgency="routine", symptom_described=False, route="mental_health"
    )
    page = signed_in(client, nurse).get(reverse("kite-detail", args=[kite.pk])).content.decode()
    assert "Met on time" in page


def test_a_nurse_triages_from_the_kite_page(client: Client, nurse: User, booking: Booking) -> None:
    kite = paper_kite(nurse, booking)
    signed_in(client, nurse)
    response = client.post(
        reverse("kite-triage", args=[kite.pk]),
        {"urgency": "urgent", "symptom_described": "yes", "route": "mental_health"},
        follow=True,
    )
    assert response.redirect_chain == [(f"/kites/{kite.pk}/", 302)]
    kite.refresh_from_db()
    assert (kite.status, kite.urgency, kite.symptom_described) == (Status.TRIAGED, "urgent", True)
    assert f"Triaged {kite.number}." in messages_of(response)


def test_lowering_an_emergent_kite_shows_the_services_refusal(
    client: Client, nurse: User, booking: Booking
) -> None:
    kite = paper_kite(nurse, booking, text=CRISIS_TEXT)
    response = signed_in(client, nurse).post(
        reverse("kite-triage", args=[kite.pk]),
        {"urgency": "routine", "symptom_described": "no", "route": "mental_health"},
        follow=True,
    )
    assert any("cannot lower" in message for message in messages_of(response))
    assert "cannot lower" in response.content.decode()
    kite.refresh_from_db()
    assert (kite.urgency, kite.status) == (Urgency.EMERGENT, Status.RECEIVED)


def test_sending_a_kite_elsewhere_needs_a_reason(
    client: Client, nurse: User, booking: Booking
) -> None:
    kite = paper_kite(nurse, booking)
    signed_in(client, nurse)
    url = reverse("kite-triage", args=[kite.pk])
    data = {"urgency": "routine", "symptom_described": "no", "route": "dental"}
    response = client.post(url, data, follow=True)
    assert any("Say why" in message for message in messages_of(response))
    client.post(url, {**data, "route_reason": "tooth ache"})
    kite.refresh_from_db()
    assert (kite.status, kite.close_code) == (Status.CLOSED, "routed_elsewhere")


def test_an_incomplete_triage_form_says_what_is_missing(
    client: Client, nurse: User, booking: Booking
) -> None:
    kite = paper_kite(nurse, booking)
    response = signed_in(client, nurse).post(
        reverse("kite-triage", args=[kite.pk]), {"route": "mental_health"}, follow=True
    )
    assert "This field is required." in messages_of(response)
    assert Kite.objects.get().status == Status.RECEIVED


def test_a_clinician_records_a_contact_at_the_facilitys_time(
    client: Client, nurse: User, clinician: User, booking: Booking
) -> None:
    kite = paper_kite(nurse, booking, hours_ago=2)
    seen = timezone.now() - timedelta(hours=1)
    signed_in(client, clinician).post(
        reverse("kite-contact", args=[kite.pk]),
        {
            "seen_at": local_input(seen),
            "place": "confidential_room",
            "note": "Talked about sleep.",
            "outcome": "resolved",
            "late_reason": "Entered after the round.",
        },
    )
    kite.refresh_from_db()
    assert kite.status == Status.CLOSED
    assert kite.contact_late_reason == "Entered after the round."
    assert kite.seen_at == seen.replace(second=0, microsecond=0)
    assert (kite.contact_place, kite.outcome, kite.seen_by) == (
        "confidential_room",
        "resolved",
        clinician,
    )


def test_a_contact_with_no_time_given_was_seen_just_now(
    client: Client, nurse: User, clinician: User, booking: Booking
) -> None:
    # Received moments ago: a time rounded down to the minute could fall before it.
    kite = paper_kite(nurse, booking)
    before = timezone.now()
    response = signed_in(client, clinician).post(
        reverse("kite-contact", args=[kite.pk]),
        {"seen_at": "", "place": "cell_front", "note": "", "outcome": "refused"},
        follow=True,
    )
    assert f"Recorded the contact for {kite.number}." in messages_of(response)
    kite.refresh_from_db()
    assert kite.seen_at is not None
    assert before <= kite.seen_at <= timezone.now()


def test_a_nurse_closes_a_kite_without_a_visit(
    client: Client, nurse: User, booking: Booking
) -> None:
    kite = paper_kite(nurse, booking)
    signed_in(client, nurse).post(
        reverse("kite-close", args=[kite.pk]), {"close_code": "withdrawn"}
    )
    kite.refresh_from_db()
    assert (kite.status, kite.close_code) == (Status.CLOSED, "withdrawn")


def test_an_emergent_kite_is_not_closed_without_a_visit_and_the_page_says_why(
    client: Client, nurse: User, booking: Booking
) -> None:
    kite = paper_kite(nurse, booking, text=CRISIS_TEXT)
    response = signed_in(client, nurse).post(
        reverse("kite-close", args=[kite.pk]), {"close_code": "withdrawn"}, follow=True
    )
    assert any("only by seeing" in message for message in messages_of(response))


def test_a_kite_is_linked_as_a_repeat_of_the_same_persons_earlier_kite(
    client: Client, nurse: User, booking: Booking, unit_a: HousingUnit
) -> None:
    first = paper_kite(nurse, booking, hours_ago=5)
    second = paper_kite(nurse, booking)
    someone_else = paper_kite(nurse, book(unit_a, 2))
    signed_in(client, nurse)
    detail = client.get(reverse("kite-detail", args=[second.pk])).context["kite"]
    assert [ref.number for ref in detail.other_kites] == [first.number]

    client.post(reverse("kite-link", args=[second.pk]), {"same_matter_as": first.pk})
    second.refresh_from_db()
    assert second.linked_to == first
    response = client.post(
        reverse("kite-link", args=[second.pk]), {"same_matter_as": someone_else.pk}, follow=True
    )
    assert any("same resident" in message for message in messages_of(response))


def test_a_clinician_marks_a_false_alarm_with_a_reason(
    client: Client, nurse: User, clinician: User, booking: Booking
) -> None:
    kite = paper_kite(nurse, booking, text=CRISIS_TEXT)
    signal = CrisisSignal.objects.get(kite=kite)
    signed_in(client, clinician)
    url = reverse("kite-false-alarm", args=[signal.pk])
    response = client.post(url, {"reason": ""}, follow=True)
    assert "This field is required." in messages_of(response)
    client.post(url, {"reason": "quoting a song lyric"})
    signal.refresh_from_db()
    assert (signal.false_alarm_by, signal.false_alarm_reason) == (clinician, "quoting a song lyric")
    page = client.get(reverse("kite-detail", args=[kite.pk])).content.decode()
    assert "quoting a song lyric" in page
    assert Kite.objects.get().urgency == Urgency.EMERGENT


def test_only_a_clinician_is_offered_the_contact_and_false_alarm_forms(
    client: Client, nurse: User, clinician: User, booking: Booking
) -> None:
    kite = paper_kite(nurse, booking, text=CRISIS_TEXT)
    url = reverse("kite-detail", args=[kite.pk])
    as_nurse = signed_in(client, nurse).get(url).content.decode()
    assert reverse("kite-contact", args=[kite.pk]) not in as_nurse
    assert "Mark false alarm" not in as_nurse
    assert reverse("kite-triage", args=[kite.pk]) in as_nurse
    as_clinician = signed_in(Client(), clinician).get(url).content.decode()
    assert reverse("kite-contact", args=[kite.pk]) in as_clinician
    assert "Mark false alarm" in as_clinician


def test_a_kite_at_another_facility_is_not_found(
    client: Client, nurse: User, south_unit: HousingUnit
) -> None:
    southerner = staff(Role.NURSE, south_unit.facility, "south-nurse")
    kite = paper_kite(southerner, book(south_unit, 7))
    signed_in(client, nurse)
    assert client.get(reverse("kite-detail", args=[kite.pk])).status_code == 404
    assert client.get(reverse("kite-receipt", args=[kite.pk])).status_code == 404
    response = client.post(reverse("kite-close", args=[kite.pk]), {"close_code": "withdrawn"})
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="kite.read").exists()


# ---- Alerts ----------------------------------------------------------------------------


def on_call(supervisor: User, clinician: User, backup: User | None = None) -> None:
    schedule_on_call(
        actor=supervisor,
        facility=clinician.facilities.get(),
        clinician=clinician,
        backup=backup,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=8),
    )


def test_the_on_call_clinician_sees_the_alert_and_acknowledges_it(
    client: Client, nurse: User, clinician: User, supervisor: User, booking: Booking
) -> None:
    on_call(supervisor, clinician)
    kite = paper_kite(nurse, booking, text=CRISIS_TEXT)
    signed_in(client, clinician)
    (row,) = client.get(reverse("kite-alerts")).context["alerts"]
    assert (row.number, row.resident_number, row.level) == (kite.number, "R0000001", "On call")

    response = client.post(reverse("kite-alert-acknowledge", args=[row.alert_id]), follow=True)
    assert response.redirect_chain == [("/kites/alerts/", 302)]
    assert response.context["alerts"] == []
    assert Alert.objects.get().acknowledged_by == clinician


def test_alerts_go_to_the_recipient_and_to_the_group_the_level_names(
    nurse: User, clinician: User, supervisor: User, facility: Facility, unit_a: HousingUnit
) -> None:
    other_clinician = staff(Role.CLINICIAN, facility, "other-clinician")
    # Nobody on call: the alert starts with the supervisors.
    for_supervisors = paper_kite(nurse, book(unit_a, 1), text=CRISIS_TEXT)
    on_call(supervisor, clinician)
    for_on_call = paper_kite(nurse, book(unit_a, 3), text=CRISIS_TEXT)

    def numbers(user: User) -> set[str]:
        return {row.number for row in selectors.my_alerts(actor=user, now=timezone.now())}

    assert numbers(supervisor) == {for_supervisors.number}
    assert numbers(clinician) == {for_on_call.number}
    assert numbers(other_clinician) == set()


def test_an_escalated_alert_is_one_row_per_kite_and_stays_with_the_first_clinician(
    nurse: User, clinician: User, supervisor: User, facility: Facility, booking: Booking
) -> None:
    backup = staff(Role.CLINICIAN, facility, "backup")
    on_call(supervisor, clinician, backup)
    kite = paper_kite(nurse, booking, text=CRISIS_TEXT)
    later = timezone.now() + timedelta(minutes=16)
    sweep(later)
    sweep(later + timedelta(minutes=16))
    sweep(later + timedelta(minutes=32))
    assert kite.alerts.filter(level=2).count() == 2
    for user in (clinician, backup, supervisor):
        (row,) = selectors.my_alerts(actor=user, now=later + timedelta(minutes=40))
        assert row.number == kite.number
        assert row.overdue is (user != supervisor)


# ---- On-call rota and the standard -----------------------------------------------------


def test_a_supervisor_adds_a_shift_in_facility_time_and_sees_the_next_two_weeks(
    client: Client, supervisor: User, clinician: User, facility: Facility
) -> None:
    backup = staff(Role.CLINICIAN, facility, "backup")
    starts = (
        (timezone.now() + timedelta(days=1))
        .astimezone(CHICAGO)
        .replace(hour=8, minute=0, second=0, microsecond=0)
    )
    signed_in(client, supervisor)
    response = client.post(
        reverse("kite-on-call"),
        {
            "facility": facility.pk,
            "clinician": clinician.pk,
            "backup": backup.pk,
            "starts_at": starts.strftime(LOCAL_INPUT),
            "ends_at": (starts + timedelta(hours=12)).strftime(LOCAL_INPUT),
        },
        follow=True,
    )
    shift = OnCallShift.objects.get()
    assert shift.starts_at == starts
    assert (shift.clinician, shift.backup, shift.created_by) == (clinician, backup, supervisor)
    (rota,) = response.context["rota"]
    (view,) = rota.shifts
    assert view.starts_at.hour == 8
    assert "The shift is on the rota." in messages_of(response)

    far = timezone.now() + timedelta(days=20)
    schedule_on_call(
        actor=supervisor,
        facility=facility,
        clinician=clinician,
        starts_at=far,
        ends_at=far + timedelta(hours=8),
    )
    (rota,) = client.get(reverse("kite-on-call")).context["rota"]
    assert len(rota.shifts) == 1


def test_a_shift_the_rota_refuses_shows_why(
    client: Client, supervisor: User, clinician: User, facility: Facility
) -> None:
    starts = timezone.now() + timedelta(days=1)
    response = signed_in(client, supervisor).post(
        reverse("kite-on-call"),
        {
            "facility": facility.pk,
            "clinician": clinician.pk,
            "backup": clinician.pk,
            "starts_at": local_input(starts),
            "ends_at": local_input(starts + timedelta(hours=8)),
        },
    )
    assert "The backup must be another clinician." in response.content.decode()
    assert not OnCallShift.objects.exists()


def test_before_any_publication_the_standard_page_shows_the_ncchc_defaults(
    client: Client, supervisor: User
) -> None:
    page = signed_in(client, supervisor).get(reverse("kite-standard")).content.decode()
    assert "NCCHC E-07 defaults, not yet published." in page


def test_a_supervisor_publishes_a_new_version_with_holidays(
    client: Client, supervisor: User, facility: Facility
) -> None:
    signed_in(client, supervisor)
    data = {
        "facility": facility.pk,
        "triage_hours": 12,
        "face_to_face_hours": 48,
        "face_to_face_weekend_hours": 72,
        "urgent_hours": 24,
        "emergent_minutes": 30,
        "alert_ack_minutes": 10,
        "holidays": "2026-12-25\n2027-01-01",
    }
    response = client.post(reverse("kite-standard"), data, follow=True)
    standard = FacilityStandard.objects.get()
    assert (standard.version, standard.triage_hours, standard.published_by) == (1, 12, supervisor)
    assert standard.holidays == ["2026-12-25", "2027-01-01"]
    page = response.content.decode()
    assert "Published version 1 for North Test Jail." in page
    assert "Version 1, published by" in page

    response = client.post(reverse("kite-standard"), {**data, "holidays": "25/12/2026"})
    assert "is not a date such as 2026-12-25" in response.content.decode()
    response = client.post(reverse("kite-standard"), {**data, "urgent_hours": 96})
    assert "cannot be longer" in response.content.decode()
    assert FacilityStandard.objects.count() == 1


def test_republishing_the_standard_page_as_shown_keeps_what_is_in_force(
    client: Client, supervisor: User, facility: Facility
) -> None:
    custom = {"triage_hours": 12, "urgent_hours": 8, "emergent_minutes": 30}
    publish_standard(actor=supervisor, facility=facility, holidays=[date(2026, 12, 25)], **custom)
    form = signed_in(client, supervisor).get(reverse("kite-standard")).context["form"]
    shown = {name: form[name].value() for name in form.fields}
    assert shown["facility"] == facility.pk
    assert shown["holidays"] == "2026-12-25"
    # The supervisor only adds New Year's Day.
    data = {**shown, "holidays": "2026-12-25\n2027-01-01"}
    client.post(reverse("kite-standard"), data, follow=True)
    standard = FacilityStandard.objects.get(version=2)
    assert {key: getattr(standard, key) for key in custom} == custom
    assert standard.holidays == ["2026-12-25", "2027-01-01"]


# ---- Downtime packet -------------------------------------------------------------------


def test_the_downtime_page_offers_the_actors_housing_units(
    client: Client, nurse: User, unit_a: HousingUnit, unit_b: HousingUnit, south_unit: HousingUnit
) -> None:
    units = signed_in(client, nurse).get(reverse("kite-downtime")).context["units"]
    assert [unit.name for unit in units] == ["A Pod", "B Pod"]


def test_the_downtime_packet_has_what_the_unit_needs_on_paper(
    client: Client,
    nurse: User,
    clinician: User,
    unit_a: HousingUnit,
    unit_b: HousingUnit,
) -> None:
    crisis = paper_kite(nurse, book(unit_a, 1), text=CRISIS_TEXT)
    due_soon = paper_kite(nurse, book(unit_a, 2), hours_ago=20)
    later = paper_kite(nurse, book(unit_a, 3))
    elsewhere = paper_kite(nurse, book(unit_b, 4), text=CRISIS_TEXT)
    set_watch(actor=clinician, booking=crisis.booking, level="close", check_minutes=15)

    response = signed_in(client, nurse).get(reverse("kite-downtime"), {"unit": unit_a.pk})
    packet = response.context["packet"]
    assert [item.number for item in packet.emergent] == [crisis.number]
    assert {clock.number for clock in packet.clocks_due} == {crisis.number, due_soon.number}
    assert later.number not in {clock.number for clock in packet.clocks_due}
    assert [watch.resident_number for watch in packet.watches] == ["R0000001"]
    assert [check.resident_number for check in packet.checks] == ["R0000001"]
    page = response.content.decode()
    assert elsewhere.number not in page
    assert CRISIS_TEXT not in page
    assert "Printed" in page
    assert packet.printed_at.tzinfo == CHICAGO
    assert "/static/kiosk/print.js" in page
    # Clinical items print on the health sheet, before the unit's safety-only sheet.
    health, unit = page.index("Health unit sheet"), page.index("Unit sheet")
    assert health < page.index("Emergent requests") < unit < page.index("Watch list")
    event = AuditEvent.objects.get(action="downtime_packet.read")
    assert set(event.subjects) == {f"kite:{crisis.pk}", f"kite:{due_soon.pk}"}


def test_a_unit_of_another_facility_has_no_packet(
    client: Client, nurse: User, south_unit: HousingUnit
) -> None:
    signed_in(client, nurse)
    assert client.get(reverse("kite-downtime"), {"unit": south_unit.pk}).status_code == 404
    assert client.get(reverse("kite-downtime"), {"unit": "A"}).status_code == 404


# ---- The sweep banner and the menu -----------------------------------------------------

BANNER = "The background sweep is not running"


def test_staff_see_a_red_banner_when_the_sweep_has_stopped(client: Client, nurse: User) -> None:
    response = signed_in(client, nurse).get(reverse("roster"))
    assert response.context["sweep_stale"] is True
    assert BANNER in response.content.decode()


def test_the_banner_is_gone_while_the_sweep_beats(client: Client, nurse: User) -> None:
    sweep(timezone.now())
    response = signed_in(client, nurse).get(reverse("roster"))
    assert response.context["sweep_stale"] is False
    assert BANNER not in response.content.decode()


def test_the_sign_in_page_shows_no_banner(client: Client, db: None) -> None:
    assert BANNER not in client.get(reverse("login")).content.decode()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            Role.NURSE,
            [
                "Roster",
                "Triage",
                "Enter a request",
                "Evaluations",
                "Waitlist",
                "Schedules",
                "Downtime",
            ],
        ),
        (
            Role.CLINICIAN,
            [
                "Roster",
                "Triage",
                "Enter a request",
                "Evaluations",
                "Referred for a decision",
                "Appeals",
                "Appointments",
                "Waitlist",
                "Schedules",
                "Draft policies",
                "Alerts",
                "Downtime",
            ],
        ),
        (Role.CUSTODY, ["Roster", "Custody notices", "Escort list", "Movement"]),
        (
            Role.AUDITOR,
            ["Roster", "Compliance", "Equity", "Public report", "Audit log", "Case review"],
        ),
    ],
)
def test_the_menu_offers_each_kite_page_only_to_roles_allowed(
    facility: Facility, role: Role, expected: list[str]
) -> None:
    assert [item.label for item in menu_for(staff(role, facility))] == expected


def test_a_supervisor_gets_every_kite_page_in_the_menu(supervisor: User) -> None:
    labels = [item.label for item in menu_for(supervisor)]
    for label in ("Triage", "Enter a request", "Alerts", "Custody notices", "On call", "Downtime"):
        assert label in labels


# ---- Who may post ----------------------------------------------------------------------

# POST-only pages → the roles that may post to them; everyone else gets 403.
POSTERS: dict[str, set[str]] = {
    "kite-triage": {Role.NURSE, Role.CLINICIAN, Role.SUPERVISOR},
    "kite-link": {Role.NURSE, Role.CLINICIAN, Role.SUPERVISOR},
    "kite-close": {Role.NURSE, Role.CLINICIAN, Role.SUPERVISOR},
    "kite-contact": {Role.CLINICIAN},
    "kite-false-alarm": {Role.CLINICIAN},
    "kite-alert-acknowledge": {Role.CLINICIAN, Role.SUPERVISOR},
    "kite-watch-set": {Role.CLINICIAN},
    "kite-watch-clear": {Role.CLINICIAN},
    "kite-welfare-done": {Role.CUSTODY},
}
ARGUMENT = {
    "kite-triage": "kite_id",
    "kite-link": "kite_id",
    "kite-close": "kite_id",
    "kite-contact": "kite_id",
    "kite-false-alarm": "signal_id",
    "kite-alert-acknowledge": "alert_id",
    "kite-watch-clear": "watch_id",
    "kite-welfare-done": "check_id",
}
ROLES = [Role.NURSE, Role.CLINICIAN, Role.CUSTODY, Role.SUPERVISOR, Role.AUDITOR]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(POSTERS))
def test_post_only_kite_pages_refuse_every_other_role(
    client: Client, facility: Facility, db: None, name: str, role: Role
) -> None:
    kwargs = {ARGUMENT[name]: 999_999} if name in ARGUMENT else {}
    response = signed_in(client, staff(role, facility)).post(reverse(name, kwargs=kwargs))
    if role in POSTERS[name]:
        # Let in: the record does not exist, or the empty form is refused with a message.
        assert response.status_code in (302, 404)
    else:
        assert response.status_code == 403


def test_a_get_to_an_action_is_not_allowed(client: Client, nurse: User, booking: Booking) -> None:
    kite = paper_kite(nurse, booking)
    response = signed_in(client, nurse).get(reverse("kite-triage", args=[kite.pk]))
    assert response.status_code == 405
