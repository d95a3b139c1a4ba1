"""Exact scoring of one administration of a screening instrument (pure core, no Django).

Every answer given is kept. An incomplete administration gets no total and no band — it is
never scored as if complete — but safety rules (I2) are evaluated on whatever answers exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from kiteline.screening.definitions import (
    AllOf,
    AnyOf,
    ClustersMet,
    Condition,
    CountOf,
    Definition,
    ItemIs,
    TotalAtLeast,
)

type RawAnswers = Mapping[str, int | bool | None]


class AnswerError(ValueError):
    """An answer that does not fit the definition; the message names the item."""


@dataclass(frozen=True)
class Flag:
    rule: str
    action: str
    safety: bool  # a safety rule: no policy, role or setting can switch it off (I2)


@dataclass(frozen=True)
class ClusterResult:
    id: str
    score: int
    endorsed: int
    need: int
    met: bool


@dataclass(frozen=True)
class ScoreResult:
    instrument: str
    version: int
    language: str
    validated_language: bool
    answers: Mapping[str, int]
    complete: bool
    missing: tuple[str, ...]
    total: int | None
    band: str | None
    clusters: tuple[ClusterResult, ...]
    flags: tuple[Flag, ...]

    @property
    def actions(self) -> frozenset[str]:
        return frozenset(flag.action for flag in self.flags)

    @property
    def safety_flags(self) -> tuple[Flag, ...]:
        return tuple(flag for flag in self.flags if flag.safety)


def normalise(definition: Definition, answers: RawAnswers) -> dict[str, int]:
    """The given answers as integers, in definition order; ``None`` means not answered."""
    known = {item.id: item for item in definition.items}
    for item_id in answers:
        if item_id not in known:
            raise AnswerError(f"{definition.key}: unknown item {item_id!r}")
    result: dict[str, int] = {}
    for item in definition.items:
        raw = answers.get(item.id)
        if raw is None:
            continue
        if isinstance(raw, bool):
            if not item.answers.is_yes_no:
                raise AnswerError(f"{definition.key}: item {item.id} takes a number, not yes/no")
            value = int(raw)
        elif isinstance(raw, int):
            value = raw
        else:
            raise AnswerError(f"{definition.key}: item {item.id} answer must be an integer")
        if value not in item.answers.values:
            raise AnswerError(
                f"{definition.key}: item {item.id} answer {value} is not one of "
                f"{list(item.answers.values)}"
            )
        result[item.id] = value
    return result


def _holds(
    condition: Condition,
    answers: Mapping[str, int],
    total: int | None,
    clusters: Mapping[str, ClusterResult],
) -> bool:
    match condition:
        case ItemIs(item=item, op=op, value=value):
            given = answers.get(item)
            if given is None:
                return False
            if op == "above":
                return given > value
            if op == "at_least":
                return given >= value
            return given == value
        case CountOf(items=items, each_at_least=each, at_least=at_least):
            return sum(1 for one in items if answers.get(one, each - 1) >= each) >= at_least
        case TotalAtLeast(value=value):
            return total is not None and total >= value
        case ClustersMet(clusters=names):
            return all(name in clusters and clusters[name].met for name in names)
        case AnyOf(conditions=parts):
            return any(_holds(part, answers, total, clusters) for part in parts)
        case AllOf(conditions=parts):
            return all(_holds(part, answers, total, clusters) for part in parts)


def _visible(definition: Definition, answers: Mapping[str, int]) -> tuple[str, ...]:
    shown: list[str] = []
    for item in definition.items:
        # Skip logic reads only answers to items that are themselves shown.
        seen = {one: answers[one] for one in shown if one in answers}
        if item.show_when is None or _holds(item.show_when, seen, None, {}):
            shown.append(item.id)
    return tuple(shown)


def visible_items(definition: Definition, answers: RawAnswers) -> tuple[str, ...]:
    """The items to show, in order, given the answers so far (skip logic)."""
    return _visible(definition, normalise(definition, answers))


def certain_flags(definition: Definition, answers: RawAnswers) -> tuple[Flag, ...]:
    """The rules that hold whatever the unanswered questions would have been: every rule
    only grows with the answers (sums, counts, "at least", "above"), so reading each
    unanswered question as its lowest answer gives the flags a screen ended early has
    certainly earned. Never the flags of a complete score on made-up answers."""
    filled = normalise(definition, answers)
    lowest = {item.id: item.answers.options[0].value for item in definition.items}
    while missing := [one for one in _visible(definition, filled) if one not in filled]:
        filled.update((one, lowest[one]) for one in missing)
    return score(definition, filled).flags


def score(definition: Definition, answers: RawAnswers, language: str = "en") -> ScoreResult:
    """Score one administration exactly; see the module docstring for incomplete ones."""
    if language not in definition.languages:
        raise AnswerError(f"{definition.key}: no {language!r} version of this instrument")
    given = normalise(definition, answers)
    shown = _visible(definition, given)
    missing = tuple(one for one in shown if one not in given)
    complete = not missing
    counted = {one: given[one] for one in shown if one in given}

    # Safety rules first, on every answer given (a hidden answer can still raise, never lower).
    flags = [
        Flag(rule.id, rule.action, True)
        for rule in definition.rules
        if rule.safety and _holds(rule.when, given, None, {})
    ]
    total: int | None = None
    band: str | None = None
    cluster_results: tuple[ClusterResult, ...] = ()
    if complete:
        if definition.scoring == "sum":
            total = sum(counted.get(item.id, 0) for item in definition.items if item.scored)
            band = next((b.id for b in definition.bands if b.low <= total <= b.high), None)
        cluster_results = tuple(
            ClusterResult(
                cluster.id,
                score=sum(counted.get(one, 0) for one in cluster.items),
                endorsed=(
                    endorsed := sum(
                        1 for one in cluster.items if counted.get(one, 0) >= cluster.endorsed_at
                    )
                ),
                need=cluster.need,
                met=endorsed >= cluster.need,
            )
            for cluster in definition.clusters
        )
        by_id = {result.id: result for result in cluster_results}
        flags.extend(
            Flag(rule.id, rule.action, False)
            for rule in definition.rules
            if not rule.safety and _holds(rule.when, counted, total, by_id)
        )
    return ScoreResult(
        instrument=definition.id,
        version=definition.version,
        language=language,
        validated_language=definition.languages[language].validated,
        answers=MappingProxyType(dict(given)),
        complete=complete,
        missing=missing,
        total=total,
        band=band,
        clusters=cluster_results,
        flags=tuple(flags),
    )
