"""Eligibility policies as data (I9), evaluated with reasons and evidence (I3). Pure core.

A policy is, for one service, a list of criteria — each a CEL expression over the facts of
``kiteline.care.facts`` with plain-language text for met and not met — and a rule:

- ``combine: "all"``: eligible when every deciding criterion is met;
  ``combine: "any"``: eligible when at least one is;
- ``review_when_met``: ids of criteria that send the decision to a clinician when met
  ("a crisis in the past 30 days"); every other criterion is a deciding one.

A criterion is met, not met or *unknown* (a fact it reads is missing, or it fails when
run). Unknowns are resolved the safe way (I9): the outcome is clinician review whenever an
unknown criterion could change it, so an outcome of not eligible always stands whatever the
missing facts turn out to be, and cites only criteria that were actually not met.

Policies are parsed and checked from plain JSON-able dicts (``parse_policy``), compiled
once (``compile_policy``) and evaluated many times (``evaluate``, ``simulate``). The
evaluation is a plain record the app stores; evaluating the stored facts again with the
same policy gives the same record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from kiteline.care.facts import FACTS, Facts, JsonValue, Text
from kiteline.care.policy_cel import CompiledExpression, is_library_failure
from kiteline.care.policy_format import (
    Combine,
    Criterion,
    Policy,
    PolicyError,
    Problem,
    Rule,
    compile_criterion,
    parse_policy,
    policy_to_dict,
)
from kiteline.care.policy_text import Template, render

# The format (parse_policy, policy_to_dict, the problem types) lives in policy_format; it is
# re-exported so that the app imports the whole engine from here.
__all__ = [
    "Change",
    "Combine",
    "CompiledCriterion",
    "CompiledPolicy",
    "Criterion",
    "CriterionResult",
    "Evaluation",
    "Outcome",
    "Policy",
    "PolicyError",
    "Problem",
    "Reason",
    "Rule",
    "Simulation",
    "Status",
    "Tally",
    "compile_policy",
    "decide",
    "evaluate",
    "parse_policy",
    "policy_to_dict",
    "simulate",
]

_UNRECORDED = Text(
    "Not recorded: {}, so a clinician decides.",
    "No consta: {}, así que decide un profesional clínico.",
)
_UNCHECKED = Text(
    "This requirement could not be checked, so a clinician decides.",
    "Este requisito no se pudo comprobar, así que decide un profesional clínico.",
)
_MAX_ERROR_CHARS = 300


class Outcome(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    CLINICIAN_REVIEW = "clinician_review"


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CompiledCriterion:
    criterion: Criterion
    expression: CompiledExpression
    met: tuple[Template, Template]  # en, es
    not_met: tuple[Template, Template]
    shows: tuple[str, ...]  # facts read or shown in its texts: its evidence
    needs: frozenset[str]  # the facts it reads, to find a missing one in one set operation


@dataclass(frozen=True)
class CompiledPolicy:
    policy: Policy
    criteria: tuple[CompiledCriterion, ...]
    facts: tuple[str, ...]  # every fact any criterion reads or shows, in FACTS order
    # Positions in ``criteria`` of the review criteria and of the deciding ones.
    review: tuple[int, ...]
    deciding: tuple[int, ...]


def compile_policy(policy: Policy) -> CompiledPolicy:
    """Each criterion compiled once, to evaluate many times.

    The policy goes through every check of ``parse_policy`` first, so that a ``Policy``
    built by hand (or changed with ``dataclasses.replace``) cannot skip one: PolicyError.
    """
    parse_policy(policy_to_dict(policy))
    problems: list[Problem] = []
    compiled = []
    for index, criterion in enumerate(policy.criteria):
        one = compile_criterion(criterion, f"criteria[{index}] ({criterion.id})", problems)
        if one is not None:
            expression, met, not_met = one
            shows = {*expression.reads, *(name for t in (*met, *not_met) for name in t.shows)}
            compiled.append(
                CompiledCriterion(
                    criterion,
                    expression,
                    met,
                    not_met,
                    _in_fact_order(shows),
                    frozenset(expression.reads),
                )
            )
    if problems:
        raise PolicyError(problems)
    used = {name for criterion in compiled for name in criterion.shows}
    review = policy.rule.review_when_met
    return CompiledPolicy(
        policy,
        tuple(compiled),
        _in_fact_order(used),
        review=tuple(n for n, c in enumerate(policy.criteria) if c.id in review),
        deciding=tuple(n for n, c in enumerate(policy.criteria) if c.id not in review),
    )


def _in_fact_order(names: set[str]) -> tuple[str, ...]:
    return tuple(name for name in FACTS if name in names)


# --- evaluation -------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionResult:
    criterion: str
    status: Status
    values: Mapping[str, JsonValue]  # its evidence: each fact it read or shows, None if missing
    missing: tuple[str, ...]  # facts it reads that are missing
    error: str | None  # why it could not be run, for staff
    text: Text  # the plain-language reason, evidence filled in


@dataclass(frozen=True)
class Reason:
    """One reason for the outcome, citing the criterion and the policy version (I3)."""

    criterion: str
    service: str
    policy_version: int
    status: Status
    text: Text


@dataclass(frozen=True)
class Evaluation:
    service: str
    policy_version: int
    outcome: Outcome
    reasons: tuple[Reason, ...]  # the criteria that decided the outcome, at least one
    results: tuple[CriterionResult, ...]  # every criterion, in the policy's order
    offered_instead: tuple[Text, ...]  # set when the outcome is not eligible
    facts: Mapping[str, JsonValue]  # every fact the policy read or shows, None if missing

    def to_record(self) -> dict[str, JsonValue]:
        """The evaluation as plain JSON values, to store with the decision."""
        return {
            "service": self.service,
            "policy_version": self.policy_version,
            "outcome": self.outcome.value,
            "reasons": [
                {
                    "criterion": reason.criterion,
                    "service": reason.service,
                    "policy_version": reason.policy_version,
                    "status": reason.status.value,
                    "text": reason.text.as_dict(),
                }
                for reason in self.reasons
            ],
            "results": [
                {
                    "criterion": result.criterion,
                    "status": result.status.value,
                    "values": dict(result.values),
                    "missing": list(result.missing),
                    "error": result.error,
                    "text": result.text.as_dict(),
                }
                for result in self.results
            ],
            "offered_instead": [text.as_dict() for text in self.offered_instead],
            "facts": dict(self.facts),
        }


def evaluate(compiled: CompiledPolicy, facts: Facts) -> Evaluation:
    """The policy's outcome for one person, with every criterion's result and evidence."""
    policy = compiled.policy
    checked = [_check(criterion, facts) for criterion in compiled.criteria]
    outcome, deciding = _outcome(compiled, [status for status, _, _ in checked])
    results = tuple(
        _result(criterion, facts, status, missing, error)
        for criterion, (status, missing, error) in zip(compiled.criteria, checked, strict=True)
    )
    return Evaluation(
        service=policy.service,
        policy_version=policy.version,
        outcome=outcome,
        reasons=tuple(
            Reason(
                results[n].criterion,
                policy.service,
                policy.version,
                results[n].status,
                results[n].text,
            )
            for n in deciding
        ),
        results=results,
        offered_instead=policy.offered_instead if outcome is Outcome.NOT_ELIGIBLE else (),
        facts=MappingProxyType(facts.to_json(compiled.facts)),
    )


def decide(compiled: CompiledPolicy, facts: Facts) -> Outcome:
    """The outcome alone: what ``evaluate`` decides, without building the record."""
    return _outcome(compiled, [_check(c, facts)[0] for c in compiled.criteria])[0]


def _check(
    criterion: CompiledCriterion, facts: Facts
) -> tuple[Status, tuple[str, ...], str | None]:
    """(status, missing facts, error) for one criterion."""
    reads = criterion.expression.reads
    if not facts.values.keys() >= criterion.needs:
        # Not run at all: CEL would let `missing || true` through, but an answer that
        # depends on how an expression is written would be hard to explain or audit.
        return Status.UNKNOWN, tuple(name for name in reads if name not in facts.values), None
    values = facts.cel
    try:
        result = criterion.expression.program.execute({name: values[name] for name in reads})
    except BaseException as error:
        if not is_library_failure(error):
            raise
        message = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        return Status.UNKNOWN, (), message[:_MAX_ERROR_CHARS]
    if result is True:
        return Status.MET, (), None
    if result is False:
        return Status.NOT_MET, (), None
    return Status.UNKNOWN, (), f"the expression gave {result!r:.100}, not true or false"


def _outcome(
    compiled: CompiledPolicy, statuses: Sequence[Status]
) -> tuple[Outcome, tuple[int, ...]]:
    """The rule applied to the criteria's results: the outcome, and the positions of the
    criteria that decided it."""
    review_met = tuple(n for n in compiled.review if statuses[n] is Status.MET)
    if review_met:
        return Outcome.CLINICIAN_REVIEW, review_met
    met: list[int] = []
    not_met: list[int] = []
    unknown: list[int] = []
    for n in compiled.deciding:
        status = statuses[n]
        (met if status is Status.MET else not_met if status is Status.NOT_MET else unknown).append(
            n
        )
    if compiled.policy.rule.combine is Combine.ALL:
        decided = Outcome.NOT_ELIGIBLE if not_met else None if unknown else Outcome.ELIGIBLE
    else:
        decided = Outcome.ELIGIBLE if met else None if unknown else Outcome.NOT_ELIGIBLE
    # An unknown review criterion could still send it to review, whatever the rest say.
    review_unknown = tuple(n for n in compiled.review if statuses[n] is Status.UNKNOWN)
    if decided is None or review_unknown:
        return Outcome.CLINICIAN_REVIEW, review_unknown + (
            tuple(unknown) if decided is None else ()
        )
    return decided, tuple(met if decided is Outcome.ELIGIBLE else not_met)


def _result(
    criterion: CompiledCriterion,
    facts: Facts,
    status: Status,
    missing: tuple[str, ...],
    error: str | None,
) -> CriterionResult:
    if status is Status.UNKNOWN:
        if missing:
            text = Text(
                _UNRECORDED.en.format(", ".join(FACTS[name].label.en for name in missing)),
                _UNRECORDED.es.format(", ".join(FACTS[name].label.es for name in missing)),
            )
        else:
            text = _UNCHECKED
    else:
        en, es = criterion.met if status is Status.MET else criterion.not_met
        text = Text(render(en, facts.values, "en"), render(es, facts.values, "es"))
    return CriterionResult(
        criterion=criterion.criterion.id,
        status=status,
        values=MappingProxyType(facts.to_json(criterion.shows)),
        missing=missing,
        error=error,
        text=text,
    )


# --- what-if ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    people: int
    gained: int  # eligible under the draft and not under the published policy
    lost: int  # eligible under the published policy and not under the draft
    changed: int  # any other outcome than before, gains and losses included


@dataclass(frozen=True)
class Change[K]:
    person: K
    before: Outcome | None  # None when nothing is published yet
    after: Outcome


@dataclass(frozen=True)
class Simulation[K]:
    total: Tally
    groups: Mapping[str, Tally]  # by the key ``group`` gave, e.g. housing unit
    changes: tuple[Change[K], ...]  # who changes, for the clinicians' view of why


def simulate[K](
    draft: CompiledPolicy,
    published: CompiledPolicy | None,
    people: Iterable[tuple[K, Facts]],
    *,
    group: Callable[[K], str] | None = None,
) -> Simulation[K]:
    """How many people would gain or lose eligibility if ``draft`` replaced ``published``.

    Each policy is compiled once (by the caller) and each person's facts are built once
    and read by both. ``group`` maps a person to a key (a housing unit, say) to count by.
    """
    if published is not None and published.policy.service != draft.policy.service:
        raise ValueError("a draft is simulated against the published policy of its own service")
    counts: dict[str, list[int]] = {}
    total = [0, 0, 0, 0]
    changes: list[Change[K]] = []
    for person, facts in people:
        before = None if published is None else decide(published, facts)
        after = decide(draft, facts)
        gained = after is Outcome.ELIGIBLE and before is not Outcome.ELIGIBLE
        lost = before is Outcome.ELIGIBLE and after is not Outcome.ELIGIBLE
        changed = after is not before
        row = (1, int(gained), int(lost), int(changed))
        keyed = counts.setdefault(group(person), [0, 0, 0, 0]) if group else None
        for index, value in enumerate(row):
            total[index] += value
            if keyed is not None:
                keyed[index] += value
        if changed:
            changes.append(Change(person, before, after))
    return Simulation(
        total=Tally(*total),
        groups=MappingProxyType({key: Tally(*value) for key, value in sorted(counts.items())}),
        changes=tuple(changes),
    )
