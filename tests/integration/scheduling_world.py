"""A small facility for the scheduling tests: a supervisor, two clinicians with weekday
hours, rooms, session types, and people on a level of care whose contacts fall due."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.care.models import Decision, LevelAssignment, Service
from kiteline.care.services import add_service, assign_level, confirm_decision, request_decision
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.scheduling.capacity_services import (
    SessionTypeDetails,
    add_room,
    add_session_type,
    set_weekly_hours,
    update_session_type,
)
from kiteline.scheduling.models import Room, ScheduleRun, SessionType
from kiteline.scheduling.problem_source import local_date
from kiteline.scheduling.services import propose_schedule, publish_schedule
from tests.integration.care_world import book, criterion, publish, staff, text

NINE, NOON, ONE, FIVE = 9 * 60, 12 * 60, 13 * 60, 17 * 60
WEEKDAYS = range(5)


@dataclass
class World:
    facility: Facility
    unit: HousingUnit
    supervisor: User
    clinician: User
    clinician2: User
    custody: User
    room: Room
    room2: Room
    individual: SessionType
    psychiatry: SessionType

    def today(self) -> date:
        return local_date(self.facility, timezone.now())

    def next_monday(self) -> date:
        today = self.today()
        return today + timedelta(days=7 - today.weekday())

    def on_level(self, number: int, level: str = "enhanced") -> Booking:
        booking = book(self.unit, number)
        assign_level(actor=self.clinician, person=booking.person, level=level, reason="Seen.")
        return booking

    def on_level_since(self, number: int, days_ago: int, level: str = "enhanced") -> Booking:
        """On a level set `days_ago` days ago: enhanced's weekly contact is overdue after 7."""
        booking = self.on_level(number, level)
        LevelAssignment.objects.filter(booking=booking).update(
            assigned_at=timezone.now() - timedelta(days=days_ago)
        )
        return booking

    def propose(self, start: date | None = None, days: int = 7) -> ScheduleRun:
        """A greedy schedule from `start` (next Monday when left out), proposed."""
        return propose_schedule(
            actor=self.supervisor,
            facility=self.facility,
            start=start or self.next_monday(),
            days=days,
            method="greedy",
        )

    def publish(self, start: date | None = None, days: int = 7) -> ScheduleRun:
        """A greedy schedule from `start` (next Monday when left out), published."""
        return publish_schedule(actor=self.supervisor, run=self.propose(start, days))

    def set_active(self, session: SessionType, *, active: bool) -> None:
        """The session type switched on or off, the rest as it is."""
        update_session_type(
            actor=self.supervisor,
            session=session,
            details=SessionTypeDetails(
                name=session.name,
                kind=session.kind,
                minutes=session.minutes,
                seats=session.seats,
                clinicians=list(session.clinicians.all()),
                service=session.service,
                every_days=session.every_days,
                active=active,
            ),
        )


def weekday_hours(user: User, facility: Facility, supervisor: User) -> None:
    set_weekly_hours(
        actor=supervisor,
        facility=facility,
        clinician=user,
        windows=[(d, NINE, NOON) for d in WEEKDAYS] + [(d, ONE, FIVE) for d in WEEKDAYS],
    )


def build_world(facility: Facility, unit: HousingUnit) -> World:
    supervisor = staff(Role.SUPERVISOR, facility, "sched-supervisor")
    clinician = staff(Role.CLINICIAN, facility, "sched-clinician")
    clinician2 = staff(Role.CLINICIAN, facility, "sched-clinician2")
    custody = staff(Role.CUSTODY, facility, "sched-custody")
    for user in (clinician, clinician2):
        weekday_hours(user, facility, supervisor)
    room = add_room(
        actor=supervisor, facility=facility, code="r1", name="Health unit, room 1", seats=1
    )
    room2 = add_room(
        actor=supervisor, facility=facility, code="r2", name="Health unit, room 2", seats=1
    )
    individual = add_session_type(
        actor=supervisor,
        facility=facility,
        code="individual",
        details=SessionTypeDetails(
            name="Individual session",
            kind="individual",
            minutes=45,
            seats=1,
            clinicians=[clinician, clinician2],
        ),
    )
    psychiatry = add_session_type(
        actor=supervisor,
        facility=facility,
        code="psychiatry",
        details=SessionTypeDetails(
            name="Psychiatry", kind="psychiatry", minutes=30, seats=1, clinicians=[clinician2]
        ),
    )
    return World(
        facility=facility,
        unit=unit,
        supervisor=supervisor,
        clinician=clinician,
        clinician2=clinician2,
        custody=custody,
        room=room,
        room2=room2,
        individual=individual,
        psychiatry=psychiatry,
    )


# A policy that grants its service to anyone: the decision is not what scheduling is about.
GRANT_ALL: dict[str, object] = {
    "criteria": [criterion("anyone", "true")],
    "rule": {"combine": "all"},
    "offered_instead": [text("Group therapy", "Terapia de grupo")],
}


def offer_service(world: World, name_en: str, name_es: str, session_name: str) -> Service:
    """A service that every decision grants, delivered by a session type of its own."""
    service = add_service(
        actor=world.supervisor,
        facility=world.facility,
        code="granted_service",
        name_en=name_en,
        name_es=name_es,
    )
    publish(world.supervisor, service, GRANT_ALL)
    add_session_type(
        actor=world.supervisor,
        facility=world.facility,
        code="granted",
        details=SessionTypeDetails(
            name=session_name,
            kind="individual",
            minutes=45,
            seats=1,
            clinicians=[world.clinician],
            service=service,
        ),
    )
    return service


def grant(world: World, booking: Booking, service: Service) -> Decision:
    """The service granted to the person of `booking`, as a clinician signs it off."""
    asked = request_decision(actor=world.clinician, person=booking.person, service=service)
    return confirm_decision(actor=world.clinician, decision=asked)
