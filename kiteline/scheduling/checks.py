"""Whether appointments keep every hard constraint: for a proposed schedule, and for one a
supervisor edited by hand. Pure core.

The rules checked are the facility's, in minutes, not the optimizer's coarser ones: each
session inside one movement period and the clinician's hours, clear of the restrictions of
its date for the person's unit and the facility; nobody (person, clinician, room) in two
sessions at once; no more people in a session than its type seats, or in a room than it
seats. A person seen twice on one day at different times passes here; the optimizer's own
rule of one session per person per day is stricter.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from itertools import pairwise

from kiteline.scheduling.problem import Problem, Window
from kiteline.scheduling.schedule import Appointment

type Session = tuple[str, date, int]  # clinician, date, start


def violations(problem: Problem, appointments: Iterable[Appointment]) -> tuple[str, ...]:
    """Every broken rule, one line each; empty when the appointments are sound."""
    found: list[str] = []
    requirements = {r.id: r for r in problem.requirements}
    sessions = {s.id: s for s in problem.session_types}
    clinicians = {c.id: c for c in problem.clinicians}
    rooms = {r.id: r for r in problem.rooms}
    booked: set[str] = set()
    meetings: dict[Session, list[Appointment]] = {}
    for appointment in appointments:
        where = f"{appointment.requirement} on {appointment.date} at {appointment.start}"
        requirement = requirements.get(appointment.requirement)
        if requirement is None:
            found.append(f"{where}: no such requirement.")
            continue
        if appointment.session_type not in sessions:
            # A session type no longer in the problem (switched off since): nothing of its
            # rules to check it against, so it is a break of its own.
            found.append(f"{where}: no such session type {appointment.session_type!r}.")
            continue
        if appointment.requirement in booked:
            found.append(f"{where}: booked more than once.")
        booked.add(appointment.requirement)
        copied = (requirement.person, requirement.unit, requirement.session_type, requirement.group)
        if copied != (
            appointment.person,
            appointment.unit,
            appointment.session_type,
            appointment.group,
        ):
            found.append(f"{where}: does not match its requirement.")
        session = sessions[requirement.session_type]
        clinician = clinicians.get(appointment.clinician)
        window = Window(appointment.start, appointment.end)
        if appointment.minutes != session.minutes:
            found.append(f"{where}: lasts {appointment.minutes} minutes, not {session.minutes}.")
        if not problem.start <= appointment.date <= problem.last_date:
            found.append(f"{where}: outside the horizon.")
        if appointment.date < requirement.earliest:
            found.append(f"{where}: before its earliest date {requirement.earliest}.")
        if appointment.room not in rooms:
            found.append(f"{where}: no such room {appointment.room!r}.")
        if clinician is None or clinician.id not in session.clinicians:
            found.append(f"{where}: {appointment.clinician!r} does not hold this session type.")
        elif not any(w.contains(window) for w in clinician.windows_on(appointment.date)):
            found.append(f"{where}: outside {clinician.id}'s hours.")
        if not any(period.contains(window) for period in problem.periods):
            found.append(f"{where}: not inside one movement period.")
        for restriction in problem.restrictions:
            if (
                restriction.date == appointment.date
                and restriction.unit in (None, appointment.unit)
                and restriction.window.overlaps(window)
            ):
                found.append(f"{where}: movement is restricted then ({restriction.reason}).")
        key = (appointment.clinician, appointment.date, appointment.start)
        meetings.setdefault(key, []).append(appointment)
    found += _sessions(problem, meetings)
    return tuple(found)


def _sessions(problem: Problem, meetings: dict[Session, list[Appointment]]) -> list[str]:
    """One session per clinician, date and start: its people, its room, and overlaps."""
    found = []
    sessions = {s.id: s for s in problem.session_types}
    seats = {r.id: r.capacity for r in problem.rooms}
    for (clinician, day, start), attending in meetings.items():
        where = f"{clinician}'s session on {day} at {start}"
        first = attending[0]
        alike = {(a.session_type, a.group, a.room, a.minutes) for a in attending}
        if len(alike) > 1:
            found.append(f"{where}: mixes session types, groups, rooms or lengths.")
        if len(attending) > sessions[first.session_type].capacity:
            found.append(f"{where}: more people than the session type seats.")
        if len(attending) > seats.get(first.room, len(attending)):
            found.append(f"{where}: more people than room {first.room} seats.")
    clinicians: dict[tuple[str, date], list[Appointment]] = {}
    rooms: dict[tuple[str, date], list[Appointment]] = {}
    for (clinician, day, _), attending in meetings.items():
        clinicians.setdefault((clinician, day), []).append(attending[0])
        rooms.setdefault((attending[0].room, day), []).append(attending[0])
    found += _overlaps("clinician", clinicians) + _overlaps("room", rooms)
    people: dict[tuple[str, date], list[Appointment]] = {}
    for attending in meetings.values():
        for appointment in attending:
            people.setdefault((appointment.person, appointment.date), []).append(appointment)
    found += _overlaps("person", people)
    return found


def _overlaps(label: str, busy: dict[tuple[str, date], list[Appointment]]) -> list[str]:
    found = []
    for (who, day), appointments in sorted(busy.items()):
        ordered = sorted(appointments, key=lambda a: (a.start, a.end))
        for earlier, later in pairwise(ordered):
            if later.start < earlier.end:
                found.append(f"The {label} {who} is in two sessions at once on {day}.")
    return found
