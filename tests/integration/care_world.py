"""A small world for the care tests: staff, stays, records written as the services or the
screens would leave them, and a therapy policy whose threshold a test chooses."""

from datetime import date, datetime, timedelta

from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.care.models import PolicyVersion, Service
from kiteline.care.services import add_service, publish_policy, save_draft
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person
from kiteline.kites.models import Channel, Kite, Status, Topic, Urgency
from kiteline.screening.models import Administration


def staff(role: Role, facility: Facility | None, name: str) -> User:
    user = User.objects.create_user(username=name, role=role)
    if facility is not None:
        user.facilities.add(facility)
    return user


def book(
    unit: HousingUnit,
    number: int,
    *,
    booked_at: datetime | None = None,
    language: str = "en",
) -> Booking:
    return book_person(
        actor=None,
        details=PersonDetails(
            resident_number=f"R{number:07d}",
            given_name="Alder",
            family_name=f"Testfield{number}",
            date_of_birth=date(1990, 1, 1),
            language=language,
        ),
        housing_unit=unit,
        booked_at=booked_at or timezone.now() - timedelta(days=3),
        booking_number=f"B{number}",
    )


def text(en: str, es: str | None = None) -> dict[str, str]:
    return {"en": en, "es": es or en}


def criterion(name: str, expression: str, shown: str = "") -> dict[str, object]:
    return {
        "id": name,
        "expression": expression,
        "met_text": text(f"{name} met {shown}".strip()),
        "not_met_text": text(f"{name} not met {shown}".strip()),
    }


def therapy_policy(threshold: int = 15, *, expression: str | None = None) -> dict[str, object]:
    """One-on-one therapy for a PHQ-9 total at the threshold or above; a crisis or a watch
    sends the decision to a clinician; group therapy offered instead."""
    return {
        "criteria": [
            criterion(
                "phq9-high",
                f"phq9_total >= {threshold}" if expression is None else expression,
                "PHQ-9 total {phq9_total} on {phq9_date}",
            ),
            criterion("recent-crisis", "crises_past_30_days > 0 || on_watch"),
        ],
        "rule": {"combine": "all", "review_when_met": ["recent-crisis"]},
        "offered_instead": [text("Group therapy", "Terapia de grupo")],
    }


def service_of(supervisor: User, facility: Facility, code: str = "individual_therapy") -> Service:
    return add_service(actor=supervisor, facility=facility, code=code, name_en=code, name_es=code)


def publish(supervisor: User, service: Service, body: dict[str, object]) -> PolicyVersion:
    save_draft(actor=supervisor, service=service, body=body)
    return publish_policy(actor=supervisor, service=service)


def screen(
    booking: Booking,
    instrument: str,
    at: datetime,
    *,
    by: User,
    total: int | None = None,
    flags: tuple[str, ...] = (),
    complete: bool = True,
) -> Administration:
    """A screen as `submit_screen` leaves it, submitted at `at`."""
    return Administration.objects.create(
        person=booking.person,
        booking=booking,
        facility=booking.facility,
        instrument=instrument,
        language="en",
        started_by=by,
        started_at=at - timedelta(minutes=10),
        submitted_at=at,
        submitted_by=by,
        complete=complete,
        total=total,
        flags=list(flags),
    )


def kite(
    booking: Booking,
    at: datetime,
    *,
    urgency: str = Urgency.ROUTINE,
    status: str = Status.RECEIVED,
) -> Kite:
    """A request as the kites services leave it (a closed one answered)."""
    closed = status == Status.CLOSED
    return Kite.objects.create(
        person=booking.person,
        booking=booking,
        facility=booking.facility,
        channel=Channel.PAPER,
        topic=Topic.TALK,
        received_at=at,
        entered_at=at,
        urgency=urgency,
        status=status,
        closed_at=at + timedelta(hours=1) if closed else None,
        close_code="answered_in_writing" if closed else "",
    )
