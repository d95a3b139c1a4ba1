"""Kites from receipt to answer: idempotency (I1), crisis signals (I2), honest clocks (I5)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import (
    PersonDetails,
    book_person,
    release_person,
    transfer_person,
)
from kiteline.kites.models import (
    Alert,
    Breach,
    ClockKind,
    Kite,
    Outcome,
    Route,
    Status,
    Urgency,
    WelfareCheck,
)
from kiteline.kites.services import (
    KiteError,
    acknowledge_alert,
    close_kite,
    link_kites,
    record_contact,
    record_paper_kite,
    submit_kite,
    triage_kite,
)
from kiteline.kites.standards import StandardError, publish_standard, schedule_on_call
from kiteline.kites.sweep import heartbeat_is_stale, sweep


@pytest.fixture
def booking(unit_a: HousingUnit) -> Booking:
    return book_person(
        actor=None,
        details=PersonDetails(
            resident_number="R0000001",
            given_name="Alder",
            family_name="Testfield",
            date_of_birth=date(1990, 1, 1),
            language="es",
        ),
        housing_unit=unit_a,
        booked_at=timezone.now() - timedelta(days=3),
        booking_number="B1",
    )


@pytest.fixture
def resident(booking: Booking) -> User:
    return User.objects.create_user(
        username="resident-R0000001", role=Role.RESIDENT, person=booking.person
    )


def staff(role: Role, facility: Facility, name: str) -> User:
    user = User.objects.create_user(username=name, role=role)
    user.facilities.add(facility)
    return user


@pytest.fixture
def clinician(facility: Facility) -> User:
    return staff(Role.CLINICIAN, facility, "test-clinician")


def test_a_resubmitted_request_with_the_same_key_is_the_same_request(resident: User) -> None:
    first = submit_kite(
        actor=resident, topic="therapy", text="I would like therapy", idempotency_key="k1"
    )
    again = submit_kite(
        actor=resident, topic="therapy", text="I would like therapy", idempotency_key="k1"
    )
    assert first.created
    assert not again.created
    assert again.kite.pk == first.kite.pk
    assert Kite.objects.count() == 1


def test_a_key_reused_for_different_words_is_refused(resident: User) -> None:
    submit_kite(actor=resident, topic="therapy", text="one thing", idempotency_key="k1")
    with pytest.raises(KiteError, match="already used"):
        submit_kite(actor=resident, topic="therapy", text="another", idempotency_key="k1")


def test_the_same_key_from_another_resident_is_another_request(
    resident: User, unit_a: HousingUnit
) -> None:
    other = book_person(
        actor=None,
        details=PersonDetails(
            resident_number="R0000002",
            given_name="Wren",
            family_name="Sampleton",
            date_of_birth=date(1985, 1, 1),
        ),
        housing_unit=unit_a,
        booked_at=timezone.now() - timedelta(days=1),
        booking_number="B2",
    )
    other_user = User.objects.create_user(username="r2", role=Role.RESIDENT, person=other.person)
    submit_kite(actor=resident, topic="talk", idempotency_key="same")
    submit_kite(actor=other_user, topic="talk", idempotency_key="same")
    assert Kite.objects.count() == 2


def test_a_routine_request_gets_a_triage_clock_counted_from_receipt(resident: User) -> None:
    kite = submit_kite(actor=resident, topic="therapy", text="quiero terapia").kite
    (clock,) = kite.clocks.all()
    assert clock.kind == ClockKind.TRIAGE
    assert clock.due_at == kite.received_at + timedelta(hours=24)
    assert kite.urgency == ""
    assert not Alert.objects.exists()


@pytest.mark.parametrize(
    ("topic", "text"),
    [("crisis", ""), ("talk", "ya no quiero vivir"), ("other", "I WANT TO KILL MYSELF")],
)
def test_a_crisis_makes_the_request_emergent_with_its_alert_and_a_welfare_check(
    resident: User, clinician: User, facility: Facility, topic: str, text: str
) -> None:
    schedule_on_call(
        actor=staff(Role.SUPERVISOR, facility, "boss"),
        facility=facility,
        clinician=clinician,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=8),
    )
    kite = submit_kite(actor=resident, topic=topic, text=text).kite
    assert kite.urgency == Urgency.EMERGENT
    (alert,) = kite.alerts.all()
    assert (alert.level, alert.recipient) == (0, clinician)
    (check,) = WelfareCheck.objects.all()
    assert (check.person, check.housing_unit.code) == (kite.person, "A")
    assert kite.clocks.filter(kind=ClockKind.EMERGENT).exists()


def test_triage_can_never_lower_an_emergent_request(resident: User, nurse: User) -> None:
    kite = submit_kite(actor=resident, topic="crisis").kite
    with pytest.raises(KiteError, match="cannot lower"):
        triage_kite(
            actor=nurse, kite=kite, urgency="routine", symptom_described=True, route="mental_health"
        )


def test_a_described_symptom_starts_the_face_to_face_clock_from_receipt(
    resident: User, nurse: User
) -> None:
    kite = submit_kite(actor=resident, topic="therapy", text="no puedo dormir").kite
    triaged = triage_kite(
        actor=nurse, kite=kite, urgency="routine", symptom_described=True, route="mental_health"
    )
    face = triaged.clocks.get(kind=ClockKind.FACE_TO_FACE)
    allowed = face.due_at - kite.received_at
    assert allowed in (timedelta(hours=48), timedelta(hours=72))
    assert triaged.clocks.get(kind=ClockKind.TRIAGE).met_at == triaged.triaged_at


def test_a_paper_kite_entered_late_keeps_its_receipt_time_and_needs_a_reason(
    booking: Booking, nurse: User
) -> None:
    received = timezone.now() - timedelta(hours=30)
    with pytest.raises(KiteError, match="Say why"):
        record_paper_kite(
            actor=nurse,
            person=booking.person,
            channel="paper",
            topic="talk",
            text="x",
            received_at=received,
        )
    kite = record_paper_kite(
        actor=nurse,
        person=booking.person,
        channel="paper",
        topic="talk",
        text="x",
        received_at=received,
        backdate_reason="screens were down",
    ).kite
    assert kite.received_at == received
    assert kite.clocks.get().due_at == received + timedelta(hours=24)
    with pytest.raises(KiteError, match="future"):
        record_paper_kite(
            actor=nurse,
            person=booking.person,
            channel="paper",
            topic="talk",
            text="x",
            received_at=timezone.now() + timedelta(hours=1),
        )


def test_a_breach_is_recorded_by_the_sweep_and_survives_a_late_triage(
    booking: Booking, nurse: User
) -> None:
    kite = record_paper_kite(
        actor=nurse,
        person=booking.person,
        channel="paper",
        topic="talk",
        text="x",
        received_at=timezone.now() - timedelta(hours=30),
        backdate_reason="late",
    ).kite
    assert sweep(timezone.now()).breaches == 1
    triage_kite(
        actor=nurse, kite=kite, urgency="routine", symptom_described=False, route="mental_health"
    )
    (breach,) = Breach.objects.all()
    assert breach.clock.kind == ClockKind.TRIAGE
    assert breach.facility == booking.facility
    assert sweep(timezone.now()).breaches == 0


def test_a_transfer_carries_open_requests_and_leaves_earlier_breaches_behind(
    booking: Booking, nurse: User, south_unit: HousingUnit
) -> None:
    kite = record_paper_kite(
        actor=nurse,
        person=booking.person,
        channel="paper",
        topic="talk",
        text="x",
        received_at=timezone.now() - timedelta(hours=30),
        backdate_reason="late",
    ).kite
    transfer_person(actor=None, booking=booking, to_unit=south_unit, at=timezone.now())
    assert Breach.objects.get().facility.code == "north"
    assert Kite.objects.get(pk=kite.pk).facility.code == "south"


def test_an_unacknowledged_alert_escalates_to_the_backup_then_the_supervisors(
    resident: User, clinician: User, facility: Facility
) -> None:
    backup = staff(Role.CLINICIAN, facility, "backup")
    schedule_on_call(
        actor=staff(Role.SUPERVISOR, facility, "boss"),
        facility=facility,
        clinician=clinician,
        backup=backup,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=8),
    )
    kite = submit_kite(actor=resident, topic="crisis").kite
    later = timezone.now() + timedelta(minutes=16)
    assert sweep(later).escalations == 1
    assert sweep(later + timedelta(minutes=16)).escalations == 1
    levels = list(kite.alerts.order_by("created_at").values_list("level", "recipient__username"))
    assert levels == [(0, "test-clinician"), (1, "backup"), (2, None)]
    acknowledge_alert(actor=backup, alert=kite.alerts.get(level=1))
    assert sweep(later + timedelta(hours=2)).escalations == 0
    assert not kite.alerts.filter(acknowledged_at__isnull=True).exists()


def test_the_contact_answers_the_request_and_stops_its_clocks(
    resident: User, nurse: User, clinician: User
) -> None:
    kite = submit_kite(actor=resident, topic="therapy", text="need help sleeping").kite
    triage_kite(
        actor=nurse, kite=kite, urgency="urgent", symptom_described=True, route="mental_health"
    )
    seen = record_contact(
        actor=clinician,
        kite=kite,
        seen_at=timezone.now(),
        place="confidential_room",
        note="Sleep hygiene discussed.",
        outcome=Outcome.RESOLVED,
    )
    assert seen.status == Status.CLOSED
    assert not seen.clocks.filter(met_at__isnull=True).exists()
    assert not Breach.objects.exists()


def test_a_request_routed_elsewhere_is_closed_with_its_reason(resident: User, nurse: User) -> None:
    kite = submit_kite(actor=resident, topic="other", text="my tooth hurts").kite
    with pytest.raises(KiteError, match="Say why"):
        triage_kite(
            actor=nurse, kite=kite, urgency="routine", symptom_described=True, route=Route.DENTAL
        )
    closed = triage_kite(
        actor=nurse,
        kite=kite,
        urgency="routine",
        symptom_described=True,
        route=Route.DENTAL,
        route_reason="dental pain",
    )
    assert (closed.status, closed.close_code) == (Status.CLOSED, "routed_elsewhere")


def test_an_emergent_request_is_not_closed_without_seeing_the_resident(
    resident: User, nurse: User
) -> None:
    kite = submit_kite(actor=resident, topic="crisis").kite
    with pytest.raises(KiteError, match="only by seeing"):
        close_kite(actor=nurse, kite=kite, close_code="withdrawn")


def test_the_heartbeat_goes_stale_without_a_sweep(db: None) -> None:
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert heartbeat_is_stale(now)
    sweep(now)
    assert not heartbeat_is_stale(now + timedelta(minutes=2))
    assert heartbeat_is_stale(now + timedelta(minutes=4))


def test_a_standard_is_published_under_a_supervisors_name_with_its_tiers_in_order(
    facility: Facility, nurse: User
) -> None:
    supervisor = staff(Role.SUPERVISOR, facility, "boss")
    with pytest.raises(StandardError, match="Only a supervisor"):
        publish_standard(actor=nurse, facility=facility, urgent_hours=12)
    with pytest.raises(StandardError, match="emergent deadline cannot be longer"):
        publish_standard(actor=supervisor, facility=facility, urgent_hours=1, emergent_minutes=90)
    first = publish_standard(actor=supervisor, facility=facility, urgent_hours=12)
    second = publish_standard(actor=supervisor, facility=facility, emergent_minutes=30)
    assert (first.version, second.version) == (1, 2)
    assert (second.urgent_hours, second.emergent_minutes) == (12, 30)
    assert second.published_by == supervisor


def test_a_kite_keeps_the_standard_that_set_its_deadlines(
    resident: User, facility: Facility
) -> None:
    supervisor = staff(Role.SUPERVISOR, facility, "boss")
    publish_standard(actor=supervisor, facility=facility, triage_hours=12, urgent_hours=12)
    kite = submit_kite(actor=resident, topic="talk").kite
    publish_standard(actor=supervisor, facility=facility, triage_hours=20, urgent_hours=12)
    kite.refresh_from_db()
    assert kite.standard is not None
    assert kite.standard.version == 1
    assert kite.clocks.get().due_at == kite.received_at + timedelta(hours=12)


def test_a_transfer_hands_an_open_alert_and_welfare_check_to_the_receiving_facility(
    resident: User, clinician: User, facility: Facility, south_unit: HousingUnit
) -> None:
    kite = submit_kite(actor=resident, topic="crisis").kite
    south_clinician = staff(Role.CLINICIAN, south_unit.facility, "south-clinician")
    schedule_on_call(
        actor=staff(Role.SUPERVISOR, south_unit.facility, "south-boss"),
        facility=south_unit.facility,
        clinician=south_clinician,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=8),
    )
    transfer_person(actor=None, booking=kite.booking, to_unit=south_unit, at=timezone.now())
    live = kite.alerts.get(escalated_at__isnull=True)
    assert (live.facility, live.recipient) == (south_unit.facility, south_clinician)
    check = WelfareCheck.objects.get()
    assert (check.facility, check.housing_unit) == (south_unit.facility, south_unit)


def test_triage_cannot_route_an_emergent_request_away_from_mental_health(
    resident: User, nurse: User
) -> None:
    crisis = submit_kite(actor=resident, topic="crisis").kite
    with pytest.raises(KiteError, match="stays with mental health"):
        triage_kite(
            actor=nurse,
            kite=crisis,
            urgency="emergent",
            symptom_described=True,
            route=Route.CUSTODY,
            route_reason="cell move",
        )
    other = submit_kite(actor=resident, topic="other", text="help").kite
    with pytest.raises(KiteError, match="stays with mental health"):
        triage_kite(
            actor=nurse,
            kite=other,
            urgency="emergent",
            symptom_described=True,
            route=Route.MEDICAL,
            route_reason="x",
        )
    assert Kite.objects.get(pk=crisis.pk).status == Status.RECEIVED


def test_words_without_a_topic_are_still_received_and_a_crisis_in_them_counts(
    resident: User,
) -> None:
    kite = submit_kite(actor=resident, topic="", text="I want to kill myself").kite
    assert (kite.topic, kite.urgency) == ("other", "emergent")
    with pytest.raises(KiteError, match="Choose what"):
        submit_kite(actor=resident, topic="", text="   ")


def test_closing_a_request_stops_its_clocks_so_the_sweep_records_no_breach_later(
    resident: User, nurse: User
) -> None:
    kite = submit_kite(actor=resident, topic="talk").kite
    close_kite(actor=nurse, kite=kite, close_code="withdrawn")
    assert sweep(timezone.now() + timedelta(days=3)).breaches == 0
    assert not kite.clocks.filter(met_at__isnull=True).exists()


def test_released_is_only_for_someone_released_and_a_release_closes_open_requests(
    resident: User, nurse: User, booking: Booking
) -> None:
    kite = submit_kite(actor=resident, topic="crisis").kite
    with pytest.raises(KiteError, match="still in custody"):
        close_kite(actor=nurse, kite=kite, close_code="released")
    release_person(actor=None, booking=booking, at=timezone.now())
    closed = Kite.objects.get(pk=kite.pk)
    assert (closed.status, closed.close_code) == (Status.CLOSED, "released")
    assert not closed.alerts.filter(acknowledged_at__isnull=True).exists()
    assert sweep(timezone.now() + timedelta(days=3)).escalations == 0


def test_seeing_the_resident_settles_the_alerts(resident: User, clinician: User) -> None:
    kite = submit_kite(actor=resident, topic="crisis").kite
    record_contact(
        actor=clinician,
        kite=kite,
        seen_at=timezone.now(),
        place="cell_front",
        note="ok",
        outcome=Outcome.REFERRED_EVALUATION,
    )
    assert sweep(timezone.now() + timedelta(hours=2)).escalations == 0


def test_a_duplicate_must_name_the_open_request_it_repeats(resident: User, nurse: User) -> None:
    first = submit_kite(actor=resident, topic="talk", text="one").kite
    second = submit_kite(actor=resident, topic="talk", text="two").kite
    with pytest.raises(KiteError, match="Link the request"):
        close_kite(actor=nurse, kite=second, close_code="duplicate")
    link_kites(actor=nurse, kite=second, same_matter_as=first)
    with pytest.raises(KiteError, match="already linked"):
        link_kites(actor=nurse, kite=first, same_matter_as=second)
    assert close_kite(actor=nurse, kite=second, close_code="duplicate").status == Status.CLOSED


def test_a_contact_entered_long_after_it_took_place_needs_a_reason(
    resident: User, clinician: User
) -> None:
    kite = submit_kite(actor=resident, topic="talk").kite
    long_ago = timezone.now() - timedelta(minutes=1)
    Kite.objects.filter(pk=kite.pk).update(received_at=long_ago - timedelta(hours=2))
    kite.refresh_from_db()
    earlier = timezone.now() - timedelta(hours=1)
    with pytest.raises(KiteError, match="Say why the contact"):
        record_contact(
            actor=clinician,
            kite=kite,
            seen_at=earlier,
            place="clinic",
            note="",
            outcome=Outcome.RESOLVED,
        )
    seen = record_contact(
        actor=clinician,
        kite=kite,
        seen_at=earlier,
        place="clinic",
        note="",
        outcome=Outcome.RESOLVED,
        late_reason="The screens were down.",
    )
    assert seen.contact_late_reason == "The screens were down."
