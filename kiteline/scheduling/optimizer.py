"""The optimizer: OR-Tools CP-SAT, solved in three stages. Pure core.

``kiteline.scheduling.model`` builds the model (which day each requirement is seen, and how
many sessions of each kind each piece of each clinician's day holds); docs/scheduling.md
describes it. The objective is lexicographic, solved in stages, each holding the parts
before it at the values found: (1) missed, then late, mandatory contacts, weighted by
acuity; (2) days waited * days until seen; (3) sessions with another clinician than last
time.

The first stage starts from the better of two greedy schedules (the first-come baseline
and ``urgent_first``), so CP-SAT is never worse than greedy on (1). Between stages the
schedule is polished (``greedy.polish``: sessions moved or traded to earlier dates, which
never worsens (1) or (2)), and each stage starts from the one before.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from kiteline.scheduling.calendar import build_calendar
from kiteline.scheduling.greedy import first_come, polish, urgent_first
from kiteline.scheduling.model import OBJECTIVES, Model, Values
from kiteline.scheduling.problem import Problem
from kiteline.scheduling.schedule import (
    Part,
    Schedule,
    SchedulingError,
    Score,
    SolveStatus,
    bookings,
    make_schedule,
    score,
)

# How the time limit is shared between the three solves (missed and late, then waiting,
# then continuity); time a solve leaves unused goes on to those after it.
SHARES = (0.5, 0.3, 0.2)
# Seconds kept back from the solves for laying the schedule out after the last one.
LAYOUT = 0.5


@dataclass(frozen=True, slots=True)
class SolveOptions:
    time_limit: float = 30.0  # seconds, for all three solves together
    workers: int = 2
    seed: int = 0


@dataclass(frozen=True, slots=True)
class ModelSize:
    variables: int
    constraints: int


@dataclass(frozen=True, slots=True)
class Solve:
    """One of the three solves: the part of the objective it minimized, how it ended."""

    objective: str
    status: SolveStatus
    seconds: float
    bound: float  # on that part, as CP-SAT proved it (-inf when it proved nothing)


@dataclass(frozen=True)
class Solution:
    schedule: Schedule
    size: ModelSize
    solves: tuple[Solve, ...]


def optimize(problem: Problem, options: SolveOptions | None = None) -> Solution:
    """The best schedule CP-SAT finds within the time limit, with a bound on each part of
    the objective.

    ProblemError for inconsistent input; SchedulingError should the solver reject the model
    or find it infeasible (a bug, never bad data: seeing nobody is always feasible)."""
    options = options or SolveOptions()
    if options.time_limit <= 0 or options.workers < 1:
        raise ValueError("The time limit must be positive and at least one worker is needed.")
    started = time.perf_counter()
    calendar = build_calendar(problem)
    model = Model(calendar)
    size = ModelSize(len(model.model.proto.variables), len(model.model.proto.constraints))
    # The search starts from the better of two greedy schedules: first come (the baseline)
    # and urgent first, which usually leaves far fewer contacts late.
    baseline = min(
        (first_come(calendar), urgent_first(calendar)),
        key=lambda placements: score(calendar, bookings(placements)).key,
    )
    values = model.values_of(baseline)
    solves: list[Solve] = []
    for number, name in enumerate(OBJECTIVES):
        objective = model.objectives[name]
        left = options.time_limit - LAYOUT - (time.perf_counter() - started)
        share = SHARES[number] / sum(SHARES[number:])
        solve, found = _solve(model, name, values, left * share, options)
        solves.append(solve)
        if found is None:
            break
        values = found
        if number < len(OBJECTIVES) - 1:
            # Polishing never worsens missed, late or waiting; continuity comes last.
            values = model.values_of(polish(calendar, model.placements(values)))
        model.model.add(objective.expression <= objective.value(values))
        if name == "waiting":
            # Continuity is sought with every date kept: among the clinicians who work then.
            for seen in model.seen.values():
                model.model.add(seen == values[seen.index])
    if solves[0].status is SolveStatus.NOT_SOLVED:
        status, placements = SolveStatus.NOT_SOLVED, baseline
    else:
        proved = len(solves) == len(OBJECTIVES) and all(
            solve.status is SolveStatus.OPTIMAL for solve in solves
        )
        status = SolveStatus.OPTIMAL if proved else SolveStatus.FEASIBLE
        placements = model.placements(values)
    schedule = make_schedule(
        calendar,
        placements,
        method="cp-sat",
        status=status,
        seconds=time.perf_counter() - started,
    )
    schedule = replace(schedule, parts=_parts(calendar.missed_weight, schedule.score, solves))
    return Solution(schedule, size, tuple(solves))


def _parts(missed_weight: int, score: Score, solves: list[Solve]) -> tuple[Part, ...]:
    """Each part's value in the schedule and the bound the solves proved for it.

    The first solve bounds missed_weight * missed + late, with late below missed_weight:
    so missed >= (bound - missed_weight + 1) / missed_weight, and with missed at its value
    m, late >= bound - missed_weight * m. The other solves held the parts before them."""
    proved = [solve.bound for solve in solves] + [-math.inf] * (3 - len(solves))
    urgent, waiting, continuity = (
        math.ceil(bound - 1e-9) if math.isfinite(bound) else 0 for bound in proved
    )
    found = (
        ("missed", score.missed_acuity, -((missed_weight - 1 - urgent) // missed_weight)),
        ("late", score.late_acuity, urgent - missed_weight * score.missed_acuity),
        ("waiting", score.waiting, waiting),
        ("continuity", score.other_clinician, continuity),
    )
    return tuple(Part(name, value, max(0, min(value, bound))) for name, value, bound in found)


def _solve(
    model: Model, name: str, start: Values, limit: float, options: SolveOptions
) -> tuple[Solve, Values | None]:
    """Minimizes one part from ``start`` within ``limit`` seconds: how it went, and the
    assignment found (None when nothing was found in time)."""
    objective = model.objectives[name]
    cp = model.model
    cp.proto.clear_solution_hint()
    for variable in model.variables:
        cp.add_hint(variable, start[variable.index])
    cp.minimize(objective.expression)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, limit)
    solver.parameters.num_workers = options.workers
    solver.parameters.random_seed = options.seed
    status = solver.solve(cp)
    bound = solver.best_objective_bound
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        found = {v.index: solver.value(v) for v in model.variables}
        if objective.value(found) != round(solver.objective_value):
            raise SchedulingError(f"The {name} objective does not add up.")
        optimal = status == cp_model.OPTIMAL
        solved = SolveStatus.OPTIMAL if optimal else SolveStatus.FEASIBLE
        return Solve(name, solved, solver.wall_time, bound), found
    if status == cp_model.UNKNOWN:
        # Out of time before a first schedule: what was proved still stands.
        return Solve(name, SolveStatus.NOT_SOLVED, solver.wall_time, bound), None
    problem = cp.validate() or "seeing nobody should always be feasible"
    raise SchedulingError(f"CP-SAT says {solver.status_name(status)}: {problem}")
