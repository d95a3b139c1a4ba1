"""The public report's real tables (their keys and columns as `gather_release` makes them),
filled with generated records again and again, through the same assembly, suppression and
check as a build, then read by an independent model of what a reader knows, written from
the records' side: no count from 1 to 10 can be derived or confined, and no suppressed
figure derived.

The reader here knows nothing of the declared links (public.COUNTS and RELATIONS): it knows
that every request is in one of the states the request workflow allows (of triage, of the
face-to-face visit, of closing: kites/services.py), each with a topic, a channel and a
resident; that every decision has one outcome, an override reason when overridden, and is
a denial only when not eligible; and the merging rule the report states. A table added to
the report without what it counts, or a relation between tables left undeclared, shows up
here as a leak. (The generator draws topics, channels and residents independently of the
workflow; docs/reports.md says which rules of the workflow the check does not model.)
"""

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from ortools.sat.python import cp_model

from kiteline.facilities.models import Facility
from kiteline.kites.models import CloseCode
from kiteline.reports.equity import ANOTHER, ATTRIBUTES
from kiteline.reports.figures import (
    CLOSED_UNSEEN,
    CLOSED_UNTRIAGED,
    LATE,
    NOT_YET_DUE,
    ON_TIME,
    OVERDUE,
)
from kiteline.reports.periods import parse_period
from kiteline.reports.public import assemble, gather_release
from kiteline.reports.suppression import SuppressionError, protect
from kiteline.reports.tables import (
    SMALL,
    TOTAL,
    CellRef,
    Ledger,
    Merged,
    ProtectedRelease,
    ProtectedTable,
    Release,
    Suppressed,
)

PERIOD = parse_period("2026Q2")
NOW = datetime(2026, 7, 15, tzinfo=UTC)
HIGH = 10**6
ROUTED = str(CloseCode.ROUTED_ELSEWHERE.label)
ELIGIBLE, NOT_ELIGIBLE = (
    ("eligible as proposed", "eligible, overridden"),
    (
        "not eligible as proposed",
        "not eligible, overridden",
    ),
)
OVERRIDDEN = ("eligible, overridden", "not eligible, overridden")


@dataclass(frozen=True)
class Shapes:
    """The real report's tables: each one's categories (columns of a figure by facility,
    rows of an equity figure)."""

    keys: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]

    def of(self, key: str) -> tuple[str, ...]:
        return self.categories[key]


def shapes_of(release: Release) -> Shapes:
    categories = {}
    for table in release.tables:
        equity = any(table.key.endswith(f"_by_{a.key}") for a in ATTRIBUTES)
        categories[table.key] = table.rows if equity else table.columns
    return Shapes(tuple(t.key for t in release.tables), categories)


# ---- The world: records and the states they can be in -------------------------------------


@dataclass(frozen=True)
class Request:
    triage: str
    visit: str | None  # the face-to-face clock's state; None without one
    closed: str | None  # the close code of a request closed without a visit
    topic: str
    channel: str
    resident: tuple[str, ...]  # a category of each attribute


@dataclass(frozen=True)
class Decision:
    outcome: str
    reason: str | None  # the override's reason
    denied: bool
    resident: tuple[str, ...]


def request_states(close_codes: Sequence[str]) -> list[tuple[str, str | None, str | None]]:
    """(triage, visit, closed) as the request workflow allows them."""
    others = [c for c in close_codes if c != ROUTED]
    states: list[tuple[str, str | None, str | None]] = [
        (OVERDUE, None, None),  # open, not triaged
        (NOT_YET_DUE, None, None),
    ]
    states += [(t, None, k) for t in (CLOSED_UNTRIAGED, OVERDUE) for k in others]
    for t in (ON_TIME, LATE):
        states += [(t, None, None), (t, None, ROUTED)]  # seen before triage; routed elsewhere
        states += [(t, None, k) for k in others]  # no symptom, closed without a visit
        states += [(t, g, None) for g in (ON_TIME, LATE, OVERDUE, NOT_YET_DUE)]
        states += [(t, g, k) for g in (CLOSED_UNSEEN, OVERDUE) for k in others]
    return states


def decision_states(reasons: Sequence[str]) -> list[tuple[str, str | None, bool]]:
    states: list[tuple[str, str | None, bool]] = []
    for outcome in (*ELIGIBLE, *NOT_ELIGIBLE):
        for reason in reasons if outcome in OVERRIDDEN else (None,):
            states += [(outcome, reason, False)]
            if outcome in NOT_ELIGIBLE:
                states += [(outcome, reason, True)]
    return states


@dataclass
class World:
    """Generated records at each facility."""

    requests: dict[str, list[Request]] = field(default_factory=dict)
    decisions: dict[str, list[Decision]] = field(default_factory=dict)
    appeals: dict[str, list[tuple[str, tuple[str, ...]]]] = field(default_factory=dict)
    other: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (key, facility)


OTHER_TABLES = ("e05_screening", "evaluations", "required_contacts")


def size(rng: random.Random) -> int:
    return rng.choice([0, rng.randint(1, SMALL), rng.randint(11, 40), rng.randint(30, 120)])


def skewed(rng: random.Random, options: Sequence[str]) -> list[float]:
    """Weights that leave some categories small or empty."""
    return [rng.choice([0, 0.05, 0.3, 1, 3]) + 0.001 for _ in options]


def generate(rng: random.Random, shapes: Shapes, facilities: Sequence[str]) -> World:
    world = World()
    req_states = request_states(shapes.of("closed_unseen"))
    dec_states = decision_states(shapes.of("overrides"))
    categories = [shapes.of(f"requests_by_{a.key}") for a in ATTRIBUTES]
    for f in facilities:
        weights = [skewed(rng, c) for c in categories]

        def resident(weights: list[list[float]] = weights) -> tuple[str, ...]:
            return tuple(rng.choices(c, w)[0] for c, w in zip(categories, weights, strict=True))

        state_weights = skewed(rng, [str(s) for s in req_states])
        topic_w, channel_w = (
            skewed(rng, shapes.of("kites_by_topic")),
            skewed(rng, shapes.of("kites_by_channel")),
        )
        world.requests[f] = [
            Request(
                *rng.choices(req_states, state_weights)[0],
                topic=rng.choices(shapes.of("kites_by_topic"), topic_w)[0],
                channel=rng.choices(shapes.of("kites_by_channel"), channel_w)[0],
                resident=resident(),
            )
            for _ in range(size(rng))
        ]
        decision_weights = skewed(rng, [str(s) for s in dec_states])
        world.decisions[f] = [
            Decision(*rng.choices(dec_states, decision_weights)[0], resident=resident())
            for _ in range(size(rng))
        ]
        appeal_w = skewed(rng, shapes.of("appeals"))
        world.appeals[f] = [
            (rng.choices(shapes.of("appeals"), appeal_w)[0], resident()) for _ in range(size(rng))
        ]
        for key in OTHER_TABLES:
            w = skewed(rng, shapes.of(key))
            world.other[key, f] = [rng.choices(shapes.of(key), w)[0] for _ in range(size(rng))]
    return world


def changed(rng: random.Random, world: World) -> World:
    """The same world before some late entries and transfers: a few records missing."""

    def some[T](records: list[T]) -> list[T]:
        return [r for r in records if rng.random() > 0.08]

    return World(
        {f: some(r) for f, r in world.requests.items()},
        {f: some(r) for f, r in world.decisions.items()},
        {f: some(r) for f, r in world.appeals.items()},
        {k: some(r) for k, r in world.other.items()},
    )


# ---- Counting the world as the figures do -------------------------------------------------


@dataclass(frozen=True)
class Counted:
    """A figure counted by facility (figures.CountTable's shape)."""

    key: str
    columns: tuple[str, ...]
    counts: Mapping[tuple[str, str], int]

    def count(self, row: str, column: str) -> int:
        return self.counts.get((row, column), 0)


def tally(pairs: Iterator[tuple[str, str | None]]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for f, category in pairs:
        if category is not None:
            counts[f, category] = counts.get((f, category), 0) + 1
    return counts


def figures_of(world: World, shapes: Shapes) -> list[Counted]:
    req = [(f, r) for f, records in world.requests.items() for r in records]
    dec = [(f, d) for f, records in world.decisions.items() for d in records]
    app = [(f, a) for f, records in world.appeals.items() for a in records]
    by_key: dict[str, dict[tuple[str, str], int]] = {
        "triage_24h": tally((f, r.triage) for f, r in req),
        "face_to_face": tally((f, r.visit) for f, r in req),
        "closed_unseen": tally((f, r.closed) for f, r in req),
        "kites_by_topic": tally((f, r.topic) for f, r in req),
        "kites_by_channel": tally((f, r.channel) for f, r in req),
        "decisions": tally((f, d.outcome) for f, d in dec),
        "overrides": tally((f, d.reason) for f, d in dec),
        "appeals": tally((f, outcome) for f, (outcome, _) in app),
    }
    for key in OTHER_TABLES:
        by_key[key] = tally(
            (f, c) for (k, f), records in world.other.items() if k == key for c in records
        )
    for i, attribute in enumerate(ATTRIBUTES):
        by_key[f"requests_by_{attribute.key}"] = tally((f, r.resident[i]) for f, r in req)
        by_key[f"decisions_by_{attribute.key}"] = tally((f, d.resident[i]) for f, d in dec)
        by_key[f"denials_by_{attribute.key}"] = tally(
            (f, d.resident[i]) for f, d in dec if d.denied
        )
        by_key[f"appeals_by_{attribute.key}"] = tally((f, who[i]) for f, (_, who) in app)
    assert set(by_key) == set(shapes.keys), "the generator knows what every table counts"
    return [Counted(key, shapes.of(key), by_key[key]) for key in shapes.keys]


# ---- The reader: what the records and the published figures allow -------------------------


class Reader:
    """A CP-SAT model whose variables are numbers of records in each state, at each
    facility: a world the reader holds possible."""

    def __init__(self, shapes: Shapes, facilities: Sequence[str]) -> None:
        self.cp = cp_model.CpModel()
        self.shapes, self.facilities = shapes, facilities
        req_states = request_states(shapes.of("closed_unseen"))
        dec_states = decision_states(shapes.of("overrides"))
        self.cell: dict[tuple[str, str, str], cp_model.LinearExprT] = {}
        for f in facilities:
            requests = {s: self._var() for s in req_states}
            decisions = {s: self._var() for s in dec_states}
            total = sum(requests.values())
            for key, part in (("triage_24h", 0), ("face_to_face", 1), ("closed_unseen", 2)):
                for c in shapes.of(key):
                    self.cell[key, f, c] = sum(v for s, v in requests.items() if s[part] == c)
            for key in ("kites_by_topic", "kites_by_channel"):
                self._split(key, f, total)
            for key in ("decisions", "overrides"):
                part = 0 if key == "decisions" else 1
                for c in shapes.of(key):
                    self.cell[key, f, c] = sum(v for s, v in decisions.items() if s[part] == c)
            appeals = self._split("appeals", f, None)
            for key in OTHER_TABLES:
                self._split(key, f, None)
            for attribute in ATTRIBUTES:
                self._split(f"requests_by_{attribute.key}", f, total)
                self._split(f"appeals_by_{attribute.key}", f, appeals)
                self._split(
                    f"denials_by_{attribute.key}", f, sum(v for s, v in decisions.items() if s[2])
                )
                kept = {c: self._var() for c in shapes.of(f"decisions_by_{attribute.key}")}
                self.cp.add(sum(kept.values()) == sum(v for s, v in decisions.items() if not s[2]))
                for c, var in kept.items():
                    self.cell[f"decisions_by_{attribute.key}", f, c] = cp_model.LinearExpr.sum(
                        [var, self.cell[f"denials_by_{attribute.key}", f, c]]
                    )

    def _var(self) -> cp_model.IntVar:
        return self.cp.new_int_var(0, HIGH, "")

    def _split(self, key: str, f: str, total: cp_model.LinearExprT | None) -> cp_model.LinearExprT:
        """Records of a category each, adding up to ``total`` when it is given."""
        parts = {c: self._var() for c in self.shapes.of(key)}
        for c, var in parts.items():
            self.cell[key, f, c] = var
        if total is not None:
            self.cp.add(sum(parts.values()) == total)
        return sum(parts.values())

    def figure(self, shown: ProtectedTable, row: str, column: str) -> cp_model.LinearExprT:
        """A published figure as records: a merged row's records are in the row it names."""
        equity = shown.rows == self.shapes.of(shown.key)
        rows = [
            r
            for r, line in zip(shown.rows, shown.shown, strict=False)
            if r == row or row == TOTAL or line[0] == Merged(row)
        ]
        columns = shown.columns if column == TOTAL else (column,)
        return sum(
            self.cell[(shown.key, c, r) if equity else (shown.key, r, c)]
            for r in rows
            for c in columns
        )

    def reads(self, protected: ProtectedRelease) -> None:
        """What a release publishes, and what its merging says."""
        for shown in protected.tables:
            equity = shown.rows == self.shapes.of(shown.key)
            for ref, value in shown.figures():
                if isinstance(value, int):
                    self.cp.add(self.figure(shown, ref.row, ref.column) == value)
                elif isinstance(value, Suppressed):
                    self.cp.add(self.figure(shown, ref.row, ref.column) >= 1)
            # Categories merge when small, but denials merge where decisions do (the
            # methods note says so), which tells nothing more of their size.
            if not equity or shown.key.startswith("denials_by_"):
                continue
            for row, line in zip(shown.rows, shown.shown, strict=False):
                own = sum(self.cell[shown.key, f, row] for f in shown.columns)
                if isinstance(line[0], Merged):
                    self.cp.add(own <= SMALL)  # merged because small
                elif row != ANOTHER:
                    self.cp.add(self.figure(shown, row, TOTAL) >= SMALL + 1)

    def remembers(self, earlier: ProtectedRelease, truth: Release) -> None:
        """An earlier release's figures, where they still hold (the reader assumes the worst:
        that they know which have not changed)."""
        for shown in earlier.tables:
            current = truth.table(shown.key, shown.period)
            for ref, value in shown.figures():
                if not isinstance(value, int):
                    continue
                rows = [
                    r
                    for r, line in zip(shown.rows, shown.shown, strict=False)
                    if ref.row in (r, TOTAL) or line[0] == Merged(ref.row)
                ]
                columns = shown.columns if ref.column == TOTAL else (ref.column,)
                count = sum(
                    current.counts[current.rows.index(r)][current.columns.index(c)]
                    for r in rows
                    for c in columns
                )
                if count == value:
                    self.cp.add(self.figure(shown, ref.row, ref.column) == value)

    def leaks(self, truth: Release, protected: ProtectedRelease) -> list[str]:
        """The suppressed figures a reader can derive, or confine when from 1 to 10. Each
        world found is one the reader holds possible, so a figure already seen at two
        values, one above 10, needs no search of its own."""
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        hidden = {
            ref: (self.figure(shown, ref.row, ref.column), table.count(ref.row, ref.column))
            for table, shown in zip(truth.tables, protected.tables, strict=True)
            for ref, value in shown.figures()
            if isinstance(value, Suppressed)
        }
        seen: dict[CellRef, set[int]] = {ref: set() for ref in hidden}

        def solve(maximize: bool, expr: cp_model.LinearExprT) -> int:
            (self.cp.maximize if maximize else self.cp.minimize)(expr)
            assert solver.solve(self.cp) == cp_model.OPTIMAL
            for ref, (figure, _) in hidden.items():
                seen[ref].add(solver.value(figure))
            return round(solver.objective_value)

        everything = sum(figure for figure, _ in hidden.values())
        solve(True, everything)
        solve(False, everything)
        found = []
        for ref, (figure, count) in hidden.items():
            if len(seen[ref]) > 1 and (count > SMALL or max(seen[ref]) > SMALL):
                continue
            low, high = solve(False, figure), solve(True, figure)
            if low == high or (count <= SMALL and high <= SMALL):
                found.append(f"{ref} = {count}, in [{low}, {high}]")
        return found


@pytest.mark.parametrize("seed", range(40))
def test_no_release_of_the_real_tables_lets_a_reader_confine_a_small_count(
    facility: Facility, seed: int
) -> None:
    shapes = shapes_of(gather_release([facility], PERIOD, NOW))
    rng = random.Random(seed)  # noqa: S311 -- generated test data, reproducible by seed
    facilities = [f"f{i}" for i in range(rng.randint(1, 3))]
    world = generate(rng, shapes, facilities)
    true = assemble(figures_of(world, shapes), PERIOD.label, facilities)
    earlier_world = changed(rng, world) if seed % 2 else None
    ledger, earlier = Ledger(), None
    if earlier_world is not None:
        before = assemble(figures_of(earlier_world, shapes), PERIOD.label, facilities)
        earlier = protect(before, Ledger())
        ledger = ledger.record(earlier)
    try:
        protected = protect(true, ledger)
    except SuppressionError:
        return  # refused rather than published
    for shown in protected.tables:
        for ref, value in shown.figures():
            assert not (isinstance(value, int) and 1 <= value <= SMALL), ref
    reader = Reader(shapes, facilities)
    reader.reads(protected)
    if earlier is not None:
        reader.remembers(earlier, true)
    assert reader.leaks(true, protected) == []


def test_the_generator_follows_every_table_of_the_report(facility: Facility) -> None:
    """A table added to the report must be added here too, with what it counts."""
    shapes = shapes_of(gather_release([facility], PERIOD, NOW))
    world = generate(random.Random(1), shapes, ["f0"])  # noqa: S311 -- test data
    assert [c.key for c in figures_of(world, shapes)] == list(shapes.keys)
