"""Watch status: set and cleared by a clinician of the facility, one open watch per stay,
every change audited; the watch list page and the watch form on the kite page."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person, release_person
from kiteline.kites.models import WatchStatus
from kiteline.kites.notice_selectors import watch_list
from kiteline.kites.services import record_paper_kite
from kiteline.kites.watch import WatchError, clear_watch, set_watch


def staff(role: Role, facility: Facility, name: str | None = None) -> User:
    user = User.objects.create_user(username=name or f"test-{role}", role=role)
    user.facilities.add(facility)
    return user


def book(unit: HousingUnit, n: int) -> Booking:
    return book_person(
        actor=None,
        details=PersonDetails(
            resident_number=f"R{n:07d}",
            given_name="Wren",
            family_name="Sampleton",
            date_of_birth=date(1985, 1, 1),
        ),
        housing_unit=unit,
        booked_at=timezone.now() - timedelta(days=2),
        booking_number=f"B{n}",
    )


@pytest.fixture
def booking(unit_a: HousingUnit) -> Booking:
    return book(unit_a, 1)


@pytest.fixture
def clinician(facility: Facility) -> User:
    return staff(Role.CLINICIAN, facility)


def test_a_clinician_sets_a_watch_and_it_is_audited(clinician: User, booking: Booking) -> None:
    watch = set_watch(actor=clinician, booking=booking, level="close", check_minutes=15)
    assert (watch.level, watch.check_minutes, watch.set_by) == ("close", 15, clinician)
    event = AuditEvent.objects.get(action="watch.set")
    assert event.subjects == [f"watch:{watch.pk}", f"booking:{booking.pk}"]
    assert event.detail == {"fields": ["level", "check_minutes"]}
    assert event.person_id == booking.person_id
    assert event.chain == "north"


def test_a_new_watch_replaces_the_open_one_by_clearing_it_first(
    clinician: User, booking: Booking
) -> None:
    first = set_watch(actor=clinician, booking=booking, level="close", check_minutes=15)
    second = set_watch(actor=clinician, booking=booking, level="constant", check_minutes=5)
    first.refresh_from_db()
    assert first.cleared_at is not None
    assert first.cleared_by == clinician
    assert WatchStatus.objects.get(cleared_at__isnull=True) == second
    actions = list(
        AuditEvent.objects.filter(action__startswith="watch.").values_list("action", flat=True)
    )
    assert actions == ["watch.set", "watch.clear", "watch.set"]


def test_a_clinician_clears_a_watch_once(clinician: User, booking: Booking) -> None:
    watch = set_watch(actor=clinician, booking=booking, level="close", check_minutes=15)
    clear_watch(actor=clinician, watch=watch)
    assert not WatchStatus.objects.filter(cleared_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="watch.clear").count() == 1
    with pytest.raises(WatchError, match="already cleared"):
        clear_watch(actor=clinician, watch=watch)


@pytest.mark.parametrize("role", [Role.NURSE, Role.SUPERVISOR, Role.CUSTODY, Role.AUDITOR])
def test_only_a_clinician_sets_or_clears_a_watch(
    facility: Facility, clinician: User, booking: Booking, role: Role
) -> None:
    other = staff(role, facility)
    with pytest.raises(WatchError, match="Only a clinician"):
        set_watch(actor=other, booking=booking, level="close", check_minutes=15)
    watch = set_watch(actor=clinician, booking=booking, level="close", check_minutes=15)
    with pytest.raises(WatchError, match="Only a clinician"):
        clear_watch(actor=other, watch=watch)


def test_a_clinician_of_another_facility_cannot_set_a_watch(
    other_facility: Facility, booking: Booking
) -> None:
    stranger = staff(Role.CLINICIAN, other_facility, "south-clinician")
    with pytest.raises(WatchError, match="not at your facilities"):
        set_watch(actor=stranger, booking=booking, level="close", check_minutes=15)
    assert not WatchStatus.objects.exists()
    assert not AuditEvent.objects.filter(action="watch.set").exists()


def test_a_stay_that_has_ended_takes_no_watch(clinician: User, booking: Booking) -> None:
    release_person(actor=None, booking=booking, at=timezone.now())
    booking.refresh_from_db()
    with pytest.raises(WatchError, match="has ended"):
        set_watch(actor=clinician, booking=booking, level="close", check_minutes=15)


@pytest.mark.parametrize(("level", "minutes"), [("sometimes", 15), ("close", 0), ("close", 121)])
def test_a_watch_needs_a_known_level_and_a_sensible_interval(
    clinician: User, booking: Booking, level: str, minutes: int
) -> None:
    with pytest.raises(WatchError):
        set_watch(actor=clinician, booking=booking, level=level, check_minutes=minutes)


def test_the_watch_list_shows_who_is_on_watch_and_a_clinician_clears_from_it(
    client: Client, clinician: User, booking: Booking, unit_a: HousingUnit
) -> None:
    watch = set_watch(actor=clinician, booking=booking, level="constant", check_minutes=5)
    cleared = set_watch(actor=clinician, booking=book(unit_a, 2), level="close", check_minutes=30)
    clear_watch(actor=clinician, watch=cleared)
    client.force_login(clinician)
    response = client.get(reverse("kite-watch"))
    (row,) = response.context["watches"]
    assert (row.notice.resident_number, row.notice.level, row.notice.check_minutes) == (
        "R0000001",
        "Constant observation",
        5,
    )
    assert row.notice.housing_unit == "A Pod"
    assert reverse("kite-watch-clear", args=[watch.pk]) in response.content.decode()

    response = client.post(reverse("kite-watch-clear", args=[watch.pk]), follow=True)
    assert response.redirect_chain == [("/kites/watch/", 302)]
    assert response.context["watches"] == []


def test_a_clinician_sets_a_watch_from_the_list_page(
    client: Client, clinician: User, booking: Booking
) -> None:
    client.force_login(clinician)
    client.post(
        reverse("kite-watch-set"),
        {"resident_number": "r0000001", "level": "close", "check_minutes": "15"},
    )
    assert WatchStatus.objects.get().booking == booking


def test_a_nurse_sees_the_list_without_the_forms(
    client: Client, nurse: User, clinician: User, booking: Booking
) -> None:
    watch = set_watch(actor=clinician, booking=booking, level="close", check_minutes=15)
    client.force_login(nurse)
    response = client.get(reverse("kite-watch"))
    assert len(response.context["watches"]) == 1
    page = response.content.decode()
    assert reverse("kite-watch-clear", args=[watch.pk]) not in page
    assert reverse("kite-watch-set") not in page


def test_the_watch_form_on_the_kite_page_comes_back_to_the_kite(
    client: Client, nurse: User, clinician: User, booking: Booking
) -> None:
    kite = record_paper_kite(
        actor=nurse, person=booking.person, channel="voice", topic="talk", text="low mood"
    ).kite
    here = reverse("kite-detail", args=[kite.pk])
    client.force_login(clinician)
    assert client.get(here).context["kite"].watch is None
    response = client.post(
        reverse("kite-watch-set"),
        {"resident_number": "R0000001", "level": "close", "check_minutes": "10", "next": here},
        follow=True,
    )
    assert response.redirect_chain == [(here, 302)]
    watch = response.context["kite"].watch
    assert (watch.level, watch.check_minutes) == ("Close observation", 10)


def test_a_watch_form_never_sends_anyone_off_the_site(
    client: Client, clinician: User, booking: Booking
) -> None:
    client.force_login(clinician)
    response = client.post(
        reverse("kite-watch-set"),
        {
            "resident_number": "R0000001",
            "level": "close",
            "check_minutes": "10",
            "next": "https://elsewhere.example/",
        },
    )
    assert response["Location"] == "/kites/watch/"


def test_a_watch_for_someone_held_elsewhere_is_not_found(
    client: Client, clinician: User, south_unit: HousingUnit
) -> None:
    book(south_unit, 5)
    client.force_login(clinician)
    response = client.post(
        reverse("kite-watch-set"),
        {"resident_number": "R0000005", "level": "close", "check_minutes": "10"},
    )
    assert response.status_code == 404
    assert not WatchStatus.objects.exists()


def test_a_bad_interval_is_shown_as_a_message(
    client: Client, clinician: User, booking: Booking
) -> None:
    client.force_login(clinician)
    response = client.post(
        reverse("kite-watch-set"),
        {"resident_number": "R0000001", "level": "close", "check_minutes": "500"},
        follow=True,
    )
    assert any("120" in str(message) for message in response.context["messages"])
    assert not WatchStatus.objects.exists()


def test_reading_the_watch_list_is_audited(clinician: User, booking: Booking) -> None:
    watch = set_watch(actor=clinician, booking=booking, level="close", check_minutes=15)
    rows = watch_list(actor=clinician)
    assert [row.watch_id for row in rows] == [watch.pk]
    event = AuditEvent.objects.get(action="watch.read")
    assert event.subjects == [f"watch:{watch.pk}"]
