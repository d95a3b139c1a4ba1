"""The CP-SAT model of a scheduling problem: days and counts, not people and minutes.

Requirements that share a session type and, on that date, the same open periods are
interchangeable for capacity: they take the same minutes of the same clinicians in the
same pieces of their days. So the model decides *which day* each requirement is seen, and
*how many* sessions of each kind each piece of each clinician's day holds; who sees whom
follows from the counts without search (``Model.placements``). That keeps the model to
about (requirements x days) + (clinician pieces x kinds) variables, not (requirements x
clinicians x days):

- seen[r, d]: requirement r is seen on date d (dates from its earliest on which some
  clinician who holds its session type has a piece it may use);
- count[c, d, piece, kind]: sessions of that kind in that piece of clinician c's day; a
  kind is a session type (or one group) and the periods open to the people's units;
- meets[g, c, d]: group g meets with clinician c on date d;
- same[r, d]: r is seen on d by its last clinician (only where that clinician works);
- room[c, d, period, seats]: c holds a room seating that many in that period (only where
  rooms could run short).

Constraints: each requirement seen at most once and each person at most once a day; on
each date, as many sessions of a kind are counted as requirements of that kind are seen
(for a group, one count per meeting, and no more members than its meetings seat); each
piece's counted minutes fit its length; a clinician's ``same`` requirements are no more
than the sessions of that kind they hold; for every seat count, the clinicians needing a
room that large in a period are no more than such rooms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ortools.sat.python import cp_model

from kiteline.scheduling.calendar import Calendar, Item, Slot
from kiteline.scheduling.schedule import Placement

type Kind = tuple[str, frozenset[int]]  # session type id or group item key, open periods
type Values = dict[int, int]  # variable index → value: a complete assignment
type Var = cp_model.IntVar

OBJECTIVES = ("missed_and_late", "waiting", "continuity")


@dataclass(frozen=True)
class Linear:
    """An objective part, kept as terms so it can be evaluated on any assignment."""

    variables: list[Var]
    coefficients: list[int]
    constant: int

    @property
    def expression(self) -> cp_model.LinearExpr:
        return cp_model.LinearExpr.weighted_sum(self.variables, self.coefficients) + self.constant

    def value(self, values: Values) -> int:
        terms = zip(self.variables, self.coefficients, strict=True)
        return self.constant + sum(c * values[v.index] for v, c in terms)


class Model:
    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self.model = cp_model.CpModel()
        self.variables: list[Var] = []
        self.seen: dict[tuple[str, date], Var] = {}
        self.same: dict[tuple[str, date], Var] = {}
        self.meets: dict[tuple[str, str, date], Var] = {}
        self.counts: dict[tuple[str, date, int, Kind], Var] = {}
        self.rooms: dict[tuple[str, date, int, int], Var] = {}
        self.kinds: dict[tuple[str, date], Kind] = {}  # (item key, date) → its kind
        self.items: dict[Kind, Item] = {}  # a kind's first item: its minutes and seats
        self._demand: dict[tuple[date, Kind], list[Var]] = {}
        self._supply: dict[tuple[date, Kind], set[tuple[str, int]]] = {}
        self._continuity: dict[tuple[str, date, Kind], list[Var]] = {}
        for item in calendar.items:
            by_day: dict[date, list[Slot]] = {}
            for slot in calendar.slots[item.key]:
                by_day.setdefault(slot.date, []).append(slot)
            for day, slots in by_day.items():
                self._item_day(item, day, slots)
        self._counts()
        self._once()
        self._room_sizes()
        self.objectives = self._objectives()

    def _bool(self) -> Var:
        variable = self.model.new_bool_var("")
        self.variables.append(variable)
        return variable

    def _item_day(self, item: Item, day: date, slots: list[Slot]) -> None:
        key = item.key if item.group is not None else item.session.id
        kind: Kind = (key, self.calendar.open_periods(item.units, day))
        self.kinds[item.key, day] = kind
        self.items.setdefault(kind, item)
        supply = self._supply.setdefault((day, kind), set())
        supply.update((slot.clinician, n) for slot in slots for n in slot.pieces)
        clinicians = sorted({slot.clinician for slot in slots})
        if item.group is None:
            (requirement,) = item.requirements
            seen = self.seen[requirement.id, day] = self._bool()
            self._demand.setdefault((day, kind), []).append(seen)
            last = requirement.last_clinician
            if self.calendar.continuity_possible(requirement) and last in clinicians:
                same = self.same[requirement.id, day] = self._bool()
                self.model.add_implication(same, seen)
                self._continuity.setdefault((str(last), day, kind), []).append(same)
            return
        model = self.model
        meets = {c: self._bool() for c in clinicians}
        for clinician, meeting in meets.items():
            self.meets[item.key, clinician, day] = meeting
        members = []
        for requirement in item.requirements:
            if day < requirement.earliest:
                continue
            seen = self.seen[requirement.id, day] = self._bool()
            members.append(seen)
            last = requirement.last_clinician
            if self.calendar.continuity_possible(requirement) and last in meets:
                same = self.same[requirement.id, day] = self._bool()
                model.add_implication(same, seen)
                model.add_implication(same, meets[last])
                self._continuity.setdefault((last, day, kind), []).append(same)
        attending = cp_model.LinearExpr.sum(members)
        meetings = cp_model.LinearExpr.sum(list(meets.values()))
        model.add(attending <= item.session.capacity * meetings)
        # A meeting with nobody in it would hold a clinician and a room for nothing.
        model.add(meetings <= attending)

    def _counts(self) -> None:
        model, pieces = self.model, self.calendar.pieces
        used: dict[tuple[str, date, int], list[tuple[Var, int]]] = {}
        for (day, kind), places in sorted(self._supply.items(), key=lambda pair: pair[0]):
            item = self.items[kind]
            group = item.group is not None
            most = 1 if group else len(self._demand[day, kind])
            for clinician, n in sorted(places):
                length = pieces[clinician, day][n].window.minutes
                count = model.new_int_var(0, min(most, length // item.minutes), "")
                self.variables.append(count)
                self.counts[clinician, day, n, kind] = count
                used.setdefault((clinician, day, n), []).append((count, item.minutes))
            held: dict[str, list[Var]] = {}
            for clinician, n in sorted(places):
                held.setdefault(clinician, []).append(self.counts[clinician, day, n, kind])
            if group:
                for clinician, counts in held.items():
                    meeting = self.meets[item.key, clinician, day]
                    model.add(cp_model.LinearExpr.sum(counts) == meeting)
            else:
                everyone = [count for counts in held.values() for count in counts]
                seen = cp_model.LinearExpr.sum(self._demand[day, kind])
                model.add(cp_model.LinearExpr.sum(everyone) == seen)
            for clinician, counts in held.items():
                same = self._continuity.get((clinician, day, kind))
                if same:
                    seats = item.session.capacity if group else 1
                    model.add(
                        cp_model.LinearExpr.sum(same) <= seats * cp_model.LinearExpr.sum(counts)
                    )
        for (clinician, day, n), terms in used.items():
            minutes = cp_model.LinearExpr.weighted_sum(*zip(*terms, strict=True))
            model.add(minutes <= pieces[clinician, day][n].window.minutes)

    def _once(self) -> None:
        """Each requirement at most once; each person at most once a day."""
        people = {r.id: r.person for r in self.calendar.problem.requirements}
        by_requirement: dict[str, list[Var]] = {}
        by_person_day: dict[tuple[str, date], list[Var]] = {}
        for (requirement, day), seen in self.seen.items():
            by_requirement.setdefault(requirement, []).append(seen)
            by_person_day.setdefault((people[requirement], day), []).append(seen)
        for variables in (*by_requirement.values(), *by_person_day.values()):
            if len(variables) > 1:
                self.model.add_at_most_one(variables)

    def _room_sizes(self) -> None:
        """For each period and seat count, no more clinicians needing it than rooms."""
        pieces, rooms = self.calendar.pieces, self.calendar.problem.rooms
        wanted: dict[tuple[date, int], dict[str, list[tuple[Var, int]]]] = {}
        for (clinician, day, n, kind), count in self.counts.items():
            period = pieces[clinician, day][n].period
            need = self.items[kind].room_need
            wanted.setdefault((day, period), {}).setdefault(clinician, []).append((count, need))
        for (day, period), clinicians in sorted(wanted.items()):
            for size in sorted({need for held in clinicians.values() for _, need in held}):
                available = sum(room.capacity >= size for room in rooms)
                who = sorted(c for c, held in clinicians.items() if any(n >= size for _, n in held))
                if len(who) <= available:
                    continue  # enough rooms whoever works
                flags = []
                for clinician in who:
                    flag = self.rooms[clinician, day, period, size] = self._bool()
                    flags.append(flag)
                    for count, need in clinicians[clinician]:
                        if need >= size:
                            self.model.add(count == 0).only_enforce_if(~flag)
                self.model.add(cp_model.LinearExpr.sum(flags) <= available)

    def _objectives(self) -> dict[str, Linear]:
        calendar = self.calendar
        horizon = len(calendar.dates)
        terms: dict[str, tuple[list[Var], list[int]]] = {name: ([], []) for name in OBJECTIVES}
        constants = dict.fromkeys(OBJECTIVES, 0)
        days: dict[str, list[date]] = {}
        for requirement_id, day in self.seen:
            days.setdefault(requirement_id, []).append(day)
        weight = calendar.missed_weight

        def add(name: str, variable: Var, coefficient: int) -> None:
            if coefficient:
                terms[name][0].append(variable)
                terms[name][1].append(coefficient)

        for requirement in calendar.problem.requirements:
            wait = calendar.wait(requirement)
            missable = requirement.mandatory and calendar.due_in_horizon(requirement)
            constants["waiting"] += wait * horizon
            if missable:
                constants["missed_and_late"] += weight * requirement.acuity
            continuity = calendar.continuity_possible(requirement)
            for day in days.get(requirement.id, []):
                seen = self.seen[requirement.id, day]
                late = requirement.mandatory and day > requirement.due
                add(
                    "missed_and_late",
                    seen,
                    requirement.acuity * (late - weight * missable),
                )
                add("waiting", seen, -wait * (horizon - calendar.offset(day)))
                if continuity:
                    add("continuity", seen, 1)
                    same = self.same.get((requirement.id, day))
                    if same is not None:
                        add("continuity", same, -1)
        return {
            name: Linear(variables, coefficients, constants[name])
            for name, (variables, coefficients) in terms.items()
        }

    def values_of(self, placements: list[Placement]) -> Values:
        """The complete assignment standing for a schedule given as placements."""
        values = dict.fromkeys((v.index for v in self.variables), 0)
        for placement in placements:
            day, clinician, item = placement.date, placement.clinician, placement.item
            kind = self.kinds[item.key, day]
            for requirement in placement.attendees:
                values[self.seen[requirement.id, day].index] = 1
                same = self.same.get((requirement.id, day))
                if same is not None and requirement.last_clinician == clinician:
                    values[same.index] = 1
            if item.group is not None:
                values[self.meets[item.key, clinician, day].index] = 1
            values[self.counts[clinician, day, placement.piece, kind].index] += 1
            period = self.calendar.pieces[clinician, day][placement.piece].period
            for size in range(1, item.room_need + 1):
                flag = self.rooms.get((clinician, day, period, size))
                if flag is not None:
                    values[flag.index] = 1
        return values

    def placements(self, values: Values) -> list[Placement]:
        """The schedule an assignment stands for: on each date and for each kind, the
        requirements seen are shared out among the sessions counted (``_share``); each
        clinician's sessions fill their pieces in order."""
        chosen: dict[tuple[date, Kind], list[str]] = {}  # item keys seen
        for (requirement, day), seen in sorted(self.seen.items()):
            if values[seen.index]:
                item_key = self.calendar.requirement_items[requirement]
                kind = self.kinds[item_key, day]
                chosen.setdefault((day, kind), []).append(requirement)
        places: dict[tuple[date, Kind], dict[str, list[int]]] = {}  # clinician → pieces
        for (clinician, day, n, kind), count in sorted(self.counts.items(), key=_count_order):
            pieces = places.setdefault((day, kind), {}).setdefault(clinician, [])
            pieces += [n] * values[count.index]
        found = []
        for (day, kind), requirements in sorted(chosen.items(), key=lambda pair: pair[0][0]):
            found += self._share(day, kind, requirements, places[day, kind])
        return found

    def _share(
        self,
        day: date,
        kind: Kind,
        requirements: list[str],
        places: dict[str, list[int]],
    ) -> list[Placement]:
        """The requirements of one kind seen on one date, given to the sessions counted:
        each to their last clinician while that clinician has sessions (or seats) left, which
        gives as many their last clinician as any sharing could; the rest in order."""
        by_id = self.calendar.requirements
        item = self.items[kind]
        seats = item.session.capacity
        given: dict[str, list[str]] = {clinician: [] for clinician in places}
        rest = []
        for requirement in requirements:
            last = by_id[requirement].last_clinician
            if last in places and len(given[last]) < len(places[last]) * seats:
                given[last].append(requirement)
            else:
                rest.append(requirement)
        for clinician, pieces in sorted(places.items()):
            room = len(pieces) * seats - len(given[clinician])
            given[clinician] += rest[:room]
            rest = rest[room:]
        placements = []
        for clinician, pieces in sorted(places.items()):
            people = [by_id[r] for r in given[clinician]]
            if item.group is not None:
                if people:  # a meeting nobody attends is not held
                    group = self.calendar.items_by_key[kind[0]]
                    placements.append(Placement(group, tuple(people), clinician, day, pieces[0]))
                continue
            for person, piece in zip(people, pieces, strict=True):
                single = self.calendar.items_by_key[person.id]
                placements.append(Placement(single, (person,), clinician, day, piece))
        return placements


def _count_order(pair: tuple[tuple[str, date, int, Kind], Var]) -> tuple[str, date, int]:
    (clinician, day, n, _), _ = pair
    return (clinician, day, n)
