"""Custody notices: welfare checks and the watch list, with no clinical content (I6).

Custody gets who, where and how often, never why: the selector builds its records from
allow-listed fields without reading a kite, and no page custody can open shows a kite's
words, topic, urgency or the crisis words that matched."""

from dataclasses import fields
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from kiteline.accounts.allowlists import CUSTODY_ALLOWED_FIELDS
from kiteline.accounts.authz import Audience, rule_of
from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.care.services import assign_level
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person
from kiteline.kites.models import CrisisSignal, Kite, WelfareCheck
from kiteline.kites.notice_selectors import (
    CustodyNotices,
    WatchNotice,
    WelfareCheckNotice,
    custody_notices,
)
from kiteline.kites.services import record_paper_kite
from kiteline.kites.watch import WatchError, complete_welfare_check, set_watch
from kiteline.scheduling.models import Appointment
from kiteline.scheduling.problem_source import local_date
from kiteline.scheduling.services import propose_schedule, publish_schedule
from tests.integration.scheduling_world import build_world
from tests.integration.test_access_rules import POST_ONLY

CRISIS_TEXT = "I want to kill myself tonight, I saw the therapist"
RECORD_KINDS = {WelfareCheckNotice: "welfare_check", WatchNotice: "watch"}


def staff(role: Role, facility: Facility, name: str | None = None) -> User:
    user = User.objects.create_user(username=name or f"test-{role}", role=role)
    user.facilities.add(facility)
    return user


def book(unit: HousingUnit, n: int) -> Booking:
    return book_person(
        actor=None,
        details=PersonDetails(
            resident_number=f"R{n:07d}",
            given_name="Alder",
            family_name="Testfield",
            date_of_birth=date(1990, 1, 1),
        ),
        housing_unit=unit,
        booked_at=timezone.now() - timedelta(days=2),
        booking_number=f"B{n}",
    )


@pytest.fixture
def custody(facility: Facility) -> User:
    return staff(Role.CUSTODY, facility)


@pytest.fixture
def crisis_kite(nurse: User, facility: Facility, unit_a: HousingUnit) -> Kite:
    """A kite with crisis words, an open welfare check, and its resident on watch."""
    booking = book(unit_a, 1)
    kite = record_paper_kite(
        actor=nurse, person=booking.person, channel="paper", topic="therapy", text=CRISIS_TEXT
    ).kite
    clinician = staff(Role.CLINICIAN, facility)
    set_watch(actor=clinician, booking=booking, level="constant", check_minutes=5)
    return kite


def clinical_words(kite: Kite) -> list[str]:
    """What custody must never see of this kite."""
    matched = [
        kite.text[signal.start : signal.end]
        for signal in CrisisSignal.objects.filter(kite=kite, start__isnull=False)
        if signal.start is not None and signal.end is not None
    ]
    assert matched, "the fixture's words should match the crisis phrase list"
    return [
        kite.text,
        *matched,
        kite.get_topic_display(),
        "I am in crisis now",
        "Emergent",
        "emergent",
        "crisis",
        kite.number,
    ]


def test_custody_see_the_welfare_check_and_the_watch_list(
    client: Client, custody: User, crisis_kite: Kite
) -> None:
    client.force_login(custody)
    response = client.get(reverse("kite-custody"))
    (check,) = response.context["checks"]
    assert (check.resident_number, check.name, check.housing_unit) == (
        "R0000001",
        "Testfield, Alder",
        "A Pod",
    )
    (watch,) = response.context["watches"]
    assert (watch.level, watch.check_minutes, watch.housing_unit) == (
        "Constant observation",
        5,
        "A Pod",
    )
    page = response.content.decode()
    assert "Welfare checks now" in page
    assert reverse("kite-welfare-done", args=[check.check_id]) in page


@pytest.mark.parametrize("record", [WelfareCheckNotice, WatchNotice])
def test_each_custody_record_type_has_only_allow_listed_fields(record: type) -> None:
    names = {field.name for field in fields(record)}
    assert names <= CUSTODY_ALLOWED_FIELDS[RECORD_KINDS[record]]


def test_the_custody_selector_returns_only_allow_listed_records(
    custody: User, crisis_kite: Kite
) -> None:
    notices = custody_notices(actor=custody)
    assert type(notices) is CustodyNotices
    records: list[Any] = [*notices.checks, *notices.watches]
    assert len(records) == 2
    for record in records:
        assert set(vars(record)) <= CUSTODY_ALLOWED_FIELDS[RECORD_KINDS[type(record)]]


def test_every_record_the_custody_page_hands_its_template_is_allow_listed(
    client: Client, custody: User, crisis_kite: Kite
) -> None:
    client.force_login(custody)
    response = client.get(reverse("kite-custody"))
    for key in ("checks", "watches"):
        assert response.context[key]
        for record in response.context[key]:
            kind = RECORD_KINDS[type(record)]
            assert set(vars(record)) <= CUSTODY_ALLOWED_FIELDS[kind]
    assert type(response.context["may_mark_done"]) is bool


def test_the_custody_selector_never_reads_a_kite(custody: User, crisis_kite: Kite) -> None:
    with CaptureQueriesContext(connection) as queries:
        custody_notices(actor=custody)
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "kites_kite" not in sql
    assert "kite_id" not in sql


def custody_pages(resident_number: str) -> list[str]:
    """Every page custody may open with GET, found from the access rules."""
    arguments = {"resident_number": resident_number}
    urls = []

    def walk(patterns: list[URLPattern | URLResolver]) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
                continue
            rule = rule_of(pattern.callback)
            if rule is None or rule.audience != Audience.STAFF or Role.CUSTODY not in rule.roles:
                continue
            if pattern.name in POST_ONLY:
                continue
            names = list(pattern.pattern.regex.groupindex)
            assert set(names) <= set(arguments), f"give {pattern.name} its arguments here"
            urls.append(reverse(pattern.name, kwargs={name: arguments[name] for name in names}))

    walk(get_resolver().url_patterns)
    return urls


# Pages custody may open that list no resident at all: movement restrictions are by unit.
PAGES_ABOUT_NO_RESIDENT = {"/scheduling/capacity/restrictions/"}


def test_no_page_custody_can_open_shows_anything_clinical_about_a_kite(
    client: Client, custody: User, crisis_kite: Kite, unit_a: HousingUnit
) -> None:
    # The resident also has a session today, so the escort list names them too.
    world = build_world(crisis_kite.facility, unit_a)
    assign_level(actor=world.clinician, person=crisis_kite.person, level="enhanced", reason="-")
    run = propose_schedule(
        actor=world.supervisor,
        facility=world.facility,
        start=world.next_monday(),
        days=7,
        method="greedy",
    )
    publish_schedule(actor=world.supervisor, run=run)
    Appointment.objects.update(date=local_date(world.facility, timezone.now()))
    client.force_login(custody)
    urls = custody_pages(crisis_kite.person.resident_number)
    assert reverse("kite-custody") in urls
    assert reverse("roster") in urls
    assert reverse("scheduling-escorts") in urls
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        if url not in PAGES_ABOUT_NO_RESIDENT:
            assert "R0000001" in page, url
        for words in [*clinical_words(crisis_kite), world.individual.name, "sched-clinician"]:
            assert words not in page, f"{words!r} on {url}"


def kite_pages_closed_to_custody(kite: Kite) -> list[tuple[str, str]]:
    """(method, URL) of every kite page whose rule leaves custody out."""
    ids = {
        "kite_id": kite.pk,
        "signal_id": CrisisSignal.objects.filter(kite=kite).values_list("pk", flat=True)[0],
        "alert_id": kite.alerts.values_list("pk", flat=True)[0],
        "watch_id": 1,
        "check_id": 1,
    }
    found = []
    for pattern in get_resolver().url_patterns:
        if not isinstance(pattern, URLResolver) or str(pattern.pattern) != "kites/":
            continue
        for page in pattern.url_patterns:
            assert isinstance(page, URLPattern)
            rule = rule_of(page.callback)
            assert rule is not None
            if Role.CUSTODY in rule.roles:
                continue
            names = list(page.pattern.regex.groupindex)
            url = reverse(str(page.name), kwargs={name: ids[name] for name in names})
            found.append(("post" if page.name in POST_ONLY else "get", url))
    return found


def test_custody_are_refused_every_other_kite_page(
    client: Client, custody: User, crisis_kite: Kite
) -> None:
    client.force_login(custody)
    pages = kite_pages_closed_to_custody(crisis_kite)
    assert ("get", reverse("kite-detail", args=[crisis_kite.pk])) in pages
    assert ("get", reverse("kite-queue")) in pages
    for method, url in pages:
        response = client.post(url) if method == "post" else client.get(url)
        assert response.status_code == 403, url
        for words in clinical_words(crisis_kite):
            assert words not in response.content.decode()


def test_an_officer_marks_a_welfare_check_done_and_it_is_audited(
    client: Client, custody: User, crisis_kite: Kite
) -> None:
    check = WelfareCheck.objects.get()
    client.force_login(custody)
    response = client.post(reverse("kite-welfare-done", args=[check.pk]), follow=True)
    assert response.redirect_chain == [("/kites/custody/", 302)]
    assert response.context["checks"] == ()
    check.refresh_from_db()
    assert check.done_by == custody
    assert check.done_at is not None
    event = AuditEvent.objects.get(action="welfare_check.done")
    assert event.subjects == [f"welfare_check:{check.pk}"]
    assert event.actor_id == custody.pk

    response = client.post(reverse("kite-welfare-done", args=[check.pk]), follow=True)
    assert any("already" in str(message) for message in response.context["messages"])


def test_a_supervisor_sees_the_notices_but_only_custody_mark_them_done(
    client: Client, facility: Facility, crisis_kite: Kite
) -> None:
    supervisor = staff(Role.SUPERVISOR, facility)
    client.force_login(supervisor)
    response = client.get(reverse("kite-custody"))
    assert len(response.context["checks"]) == 1
    assert response.context["may_mark_done"] is False
    check = WelfareCheck.objects.get()
    assert client.post(reverse("kite-welfare-done", args=[check.pk])).status_code == 403
    with pytest.raises(WatchError, match="Only a custody officer"):
        complete_welfare_check(actor=supervisor, check=check)


def test_officers_of_another_facility_see_no_notice_of_this_one(
    client: Client, other_facility: Facility, crisis_kite: Kite
) -> None:
    stranger = staff(Role.CUSTODY, other_facility, "south-officer")
    client.force_login(stranger)
    response = client.get(reverse("kite-custody"))
    assert response.context["checks"] == ()
    assert response.context["watches"] == ()
    check = WelfareCheck.objects.get()
    assert client.post(reverse("kite-welfare-done", args=[check.pk])).status_code == 404


def test_reading_the_notices_is_recorded_with_the_records_shown(
    client: Client, custody: User, crisis_kite: Kite
) -> None:
    client.force_login(custody)
    client.get(reverse("kite-custody"))
    event = AuditEvent.objects.get(action="custody_notices.read")
    check = WelfareCheck.objects.get()
    assert f"welfare_check:{check.pk}" in event.subjects
    assert all(not subject.startswith("kite:") for subject in event.subjects)
