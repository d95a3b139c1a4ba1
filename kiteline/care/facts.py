"""The documented facts about a person that an eligibility criterion may read (pure core).

A policy's criteria read nothing else: an expression naming anything outside ``FACTS`` is
refused when the policy is checked, so the list below (and docs/policies.md, which a test
keeps in step with it) is the whole of what a decision can depend on.

A fact may be *missing* — not recorded, or not knowable (no release date set). Missing is
not zero and not empty: a person with no PHQ-9 has no ``phq9_total``, while a person with
no open requests has ``open_kites`` 0. In a ``Facts`` value a missing fact is simply absent;
at the edges (JSON, the raw mapping the app builds) it may also be written as ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from types import MappingProxyType

type JsonValue = bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None

# Wide enough for any count or day span, narrow enough that CEL keeps it an int (it turns
# Python ints beyond 64 bits into doubles).
INT_LIMIT = 1_000_000_000
_CODE = re.compile(r"[a-z][a-z0-9_-]{0,63}\Z")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*\Z")


class FactError(ValueError):
    """A fact value the app built wrongly; the message names the fact and the fault.

    This is a programming error in whatever gathered the facts, never a missing fact.
    """


@dataclass(frozen=True)
class Text:
    """A short text in every language a resident is told things in (English and Spanish)."""

    en: str
    es: str

    def get(self, language: str) -> str:
        """The text in ``language``; Spanish for Spanish, English for everything else."""
        return self.es if language == "es" else self.en

    def as_dict(self) -> dict[str, JsonValue]:
        return {"en": self.en, "es": self.es}


class FactType(StrEnum):
    INT = "int"
    STRING = "string"
    BOOL = "bool"
    DATE = "date"
    STRINGS = "list of strings"
    DECISIONS = "list of decisions"


@dataclass(frozen=True)
class Fact:
    name: str
    type: FactType
    meaning: str
    label: Text
    # For a fact with a fixed set of values: each value with its words for a resident.
    choices: Mapping[str, Text] = field(default_factory=lambda: MappingProxyType({}))
    # Counts and elapsed days are never negative; days to release may be (a date passed).
    minimum: int | None = 0


def _choices(**words: tuple[str, str]) -> Mapping[str, Text]:
    return MappingProxyType({value: Text(en, es) for value, (en, es) in words.items()})


# The C-SSRS screener's own rules (see the screening instrument): no yes at all; a yes that
# calls for referral; or imminent risk (yes to Q4 or Q5, or behaviour in the past 3 months).
CSSRS_RISKS = _choices(
    none=("none", "ninguno"),
    refer=("referral", "derivación"),
    imminent=("imminent risk", "riesgo inminente"),
)
# Outcomes an earlier, signed-off decision can have. A pending clinician review is not a
# decision yet, so it never appears among a person's earlier decisions.
DECISION_OUTCOMES = _choices(
    eligible=("eligible", "elegible"), not_eligible=("not eligible", "no elegible")
)


@dataclass(frozen=True)
class EarlierDecision:
    """A signed-off decision about this person, as a criterion sees it."""

    service: str
    outcome: str
    days_ago: int


type FactValue = int | bool | str | date | tuple[str, ...] | tuple[EarlierDecision, ...]


def _fact(
    name: str,
    kind: FactType,
    meaning: str,
    en: str,
    es: str,
    *,
    choices: Mapping[str, Text] | None = None,
    minimum: int | None = 0,
) -> Fact:
    return Fact(name, kind, meaning, Text(en, es), choices or MappingProxyType({}), minimum)


def _screen(code: str, title: str) -> tuple[Fact, ...]:
    return (
        _fact(
            f"{code}_date",
            FactType.DATE,
            f"Day the latest complete {title} was given (facility time).",
            f"date of the {title}",
            f"fecha del {title}",
        ),
        _fact(
            f"days_since_{code}",
            FactType.INT,
            f"Whole days from the latest complete {title} to the day of the decision.",
            f"days since the {title}",
            f"días desde el {title}",
        ),
    )


_FACTS: tuple[Fact, ...] = (
    _fact(
        "level_of_care",
        FactType.STRING,
        "Code of the person's current level of care in the facility's scheme (e.g. cccms).",
        "level of care",
        "nivel de atención",
    ),
    _fact(
        "phq9_total",
        FactType.INT,
        "Total (0-27) of the latest complete PHQ-9 depression screen.",
        "PHQ-9 total",
        "puntuación total del PHQ-9",
    ),
    *_screen("phq9", "PHQ-9"),
    _fact(
        "gad7_total",
        FactType.INT,
        "Total (0-21) of the latest complete GAD-7 anxiety screen.",
        "GAD-7 total",
        "puntuación total del GAD-7",
    ),
    *_screen("gad7", "GAD-7"),
    _fact(
        "pcl5_total",
        FactType.INT,
        "Total (0-80) of the latest complete PCL-5 PTSD checklist.",
        "PCL-5 total",
        "puntuación total del PCL-5",
    ),
    *_screen("pcl5", "PCL-5"),
    _fact(
        "cssrs_risk",
        FactType.STRING,
        "Result of the latest C-SSRS screener: none (every answer no), refer (a yes that "
        "calls for referral) or imminent (yes to Q4 or Q5, or suicidal behaviour in the past "
        "3 months).",
        "C-SSRS risk level",
        "nivel de riesgo del C-SSRS",
        choices=CSSRS_RISKS,
    ),
    *_screen("cssrs", "C-SSRS"),
    _fact(
        "open_kites",
        FactType.INT,
        "Number of the person's mental-health requests not yet resolved.",
        "open requests",
        "solicitudes abiertas",
    ),
    _fact(
        "days_since_booking",
        FactType.INT,
        "Whole days from booking to the day of the decision (booking day is day one).",
        "days since booking",
        "días desde el ingreso",
        minimum=1,
    ),
    _fact(
        "days_to_release",
        FactType.INT,
        "Whole days from the day of the decision to the expected release; missing when no "
        "release date is set (negative once the date has passed).",
        "days to release",
        "días hasta la salida",
        minimum=None,
    ),
    _fact(
        "current_services",
        FactType.STRINGS,
        "Codes of the services the person receives now (e.g. group_therapy, psychiatry).",
        "current services",
        "servicios actuales",
    ),
    _fact(
        "crises_past_30_days",
        FactType.INT,
        "Number of crisis signals or emergent items for the person in the past 30 days.",
        "crises in the past 30 days",
        "crisis en los últimos 30 días",
    ),
    _fact(
        "earlier_decisions",
        FactType.DECISIONS,
        "Signed-off decisions in this booking, each a map with service, outcome "
        "(eligible or not_eligible) and days_ago.",
        "earlier decisions",
        "decisiones anteriores",
    ),
    _fact(
        "language",
        FactType.STRING,
        "Code of the person's preferred language (e.g. en, es).",
        "language",
        "idioma",
    ),
    _fact(
        "on_watch",
        FactType.BOOL,
        "Whether the person is on suicide or mental-health watch now.",
        "on watch",
        "bajo vigilancia",
    ),
)

FACTS: Mapping[str, Fact] = MappingProxyType({fact.name: fact for fact in _FACTS})


@dataclass(frozen=True)
class Facts:
    """What is known about one person, checked against ``FACTS``.

    ``values`` holds known facts only (a missing fact is absent); ``cel`` holds the same
    values as the CEL library takes them, converted once so that every criterion of every
    policy evaluated for this person reuses them. Build it with ``check_facts``.
    """

    values: Mapping[str, FactValue]
    cel: Mapping[str, object]

    def to_json(self, names: tuple[str, ...]) -> dict[str, JsonValue]:
        """The named facts as plain JSON values, ``None`` for a missing one."""
        return {name: _to_json(self.values.get(name)) for name in names}


def check_facts(raw: Mapping[str, object]) -> Facts:
    """Facts from the app's mapping of name to value; ``None`` or absent means missing."""
    values: dict[str, FactValue] = {}
    for name, value in raw.items():
        fact = FACTS.get(name)
        if fact is None:
            raise FactError(f"unknown fact {name!r}")
        if value is not None:
            values[name] = _checked(fact, value)
    return Facts(
        values=MappingProxyType(values),
        cel=MappingProxyType({name: _to_cel(value) for name, value in values.items()}),
    )


def facts_from_json(data: Mapping[str, JsonValue]) -> Facts:
    """Facts as ``Facts.to_json`` wrote them (dates as ISO strings, decisions as objects)."""
    raw: dict[str, object] = {}
    for name, value in data.items():
        fact = FACTS.get(name)
        if fact is None:
            raise FactError(f"unknown fact {name!r}")
        raw[name] = _from_json(fact, value)
    return check_facts(raw)


def render_value(name: str, value: FactValue | None, language: str) -> str:
    """A fact's value as a resident reads it in a reason."""
    if value is None:
        return "no registrado" if language == "es" else "not recorded"
    if isinstance(value, bool):
        return ("sí" if value else "no") if language == "es" else ("yes" if value else "no")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        if not value:
            return "ninguno" if language == "es" else "none"
        return ", ".join(
            f"{item.service}: {DECISION_OUTCOMES[item.outcome].get(language)}"
            if isinstance(item, EarlierDecision)
            else item
            for item in value
        )
    choice = FACTS[name].choices.get(str(value))
    return choice.get(language) if choice else str(value)


# --- checking and converting one value --------------------------------------------------


def _checked(fact: Fact, value: object) -> FactValue:
    match fact.type:
        case FactType.INT:
            # bool is an int in Python; a yes/no where a count belongs is a bug upstream.
            if not isinstance(value, int) or isinstance(value, bool):
                raise FactError(f"{fact.name}: expected a whole number, got {value!r}")
            low = -INT_LIMIT if fact.minimum is None else fact.minimum
            if not low <= value <= INT_LIMIT:
                raise FactError(f"{fact.name}: {value} is outside {low}..{INT_LIMIT}")
            return value
        case FactType.BOOL:
            if not isinstance(value, bool):
                raise FactError(f"{fact.name}: expected true or false, got {value!r}")
            return value
        case FactType.STRING:
            return _checked_string(fact, value)
        case FactType.DATE:
            # A datetime is a date too, but a time of day (and its zone) has no place here.
            if not isinstance(value, date) or isinstance(value, datetime):
                raise FactError(f"{fact.name}: expected a date, got {value!r}")
            return value
        case FactType.STRINGS:
            if not isinstance(value, list | tuple):
                raise FactError(f"{fact.name}: expected a list of codes, got {value!r}")
            return tuple(_checked_code(fact.name, item) for item in value)
        case FactType.DECISIONS:
            if not isinstance(value, list | tuple):
                raise FactError(f"{fact.name}: expected a list of decisions, got {value!r}")
            return tuple(_checked_decision(fact.name, item) for item in value)


def _checked_string(fact: Fact, value: object) -> str:
    if not isinstance(value, str):
        raise FactError(f"{fact.name}: expected a string, got {value!r}")
    if fact.choices and value not in fact.choices:
        raise FactError(f"{fact.name}: {value!r} is not one of {', '.join(fact.choices)}")
    pattern = _LANGUAGE if fact.name == "language" else _CODE
    if not fact.choices and not pattern.match(value):
        raise FactError(f"{fact.name}: {value!r} is not a code")
    return value


def _checked_code(name: str, value: object) -> str:
    if not isinstance(value, str) or not _CODE.match(value):
        raise FactError(f"{name}: {value!r} is not a code")
    return value


def _checked_decision(name: str, value: object) -> EarlierDecision:
    if isinstance(value, EarlierDecision):
        value = {"service": value.service, "outcome": value.outcome, "days_ago": value.days_ago}
    if not isinstance(value, Mapping) or set(value) != {"service", "outcome", "days_ago"}:
        raise FactError(f"{name}: each decision needs exactly service, outcome and days_ago")
    service, outcome, days_ago = value["service"], value["outcome"], value["days_ago"]
    if not isinstance(outcome, str) or outcome not in DECISION_OUTCOMES:
        choices = ", ".join(DECISION_OUTCOMES)
        raise FactError(f"{name}: outcome {outcome!r} is not one of {choices}")
    if not isinstance(days_ago, int) or isinstance(days_ago, bool) or days_ago < 0:
        raise FactError(f"{name}: days_ago must be a whole number from 0, got {days_ago!r}")
    return EarlierDecision(_checked_code(name, service), outcome, days_ago)


def _to_cel(value: FactValue) -> object:
    # The CEL library takes no plain dates: a date becomes its midnight in UTC, which
    # compares and subtracts correctly against other dates converted the same way.
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    if isinstance(value, tuple):
        return [
            {"service": item.service, "outcome": item.outcome, "days_ago": item.days_ago}
            if isinstance(item, EarlierDecision)
            else item
            for item in value
        ]
    return value


def _to_json(value: FactValue | None) -> JsonValue:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [
            {"service": item.service, "outcome": item.outcome, "days_ago": item.days_ago}
            if isinstance(item, EarlierDecision)
            else item
            for item in value
        ]
    return value


def _from_json(fact: Fact, value: JsonValue) -> object:
    if fact.type is FactType.DATE and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise FactError(f"{fact.name}: {value!r} is not a date (YYYY-MM-DD)") from None
    return value
