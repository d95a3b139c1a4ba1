"""Screening instruments as data: the definition-file format and its validating loader.

A definition is one JSON file per instrument and version (``phq9-v1.json``). The loader
rejects anything it does not understand, naming the file and the fault, so that a typo in a
definition can never silently change who is flagged. This module is a pure core: no Django.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

FORMAT_VERSION = 1
ACTIONS = frozenset({"emergent", "refer", "evaluate", "provisional"})
# How a language entry's text relates to the instrument's publisher:
#   published  - the publisher's own text, confirmed against a public copy (may be validated);
#   paraphrase - close to the publisher's questions, exact wording not confirmed;
#   translation - written by the project team, not a published text.
# Only "published" text can be validated; every score on the others reports
# validated_language=False.
WORDINGS = frozenset({"published", "paraphrase", "translation"})

INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"


class DefinitionError(ValueError):
    """A definition file that cannot be trusted; the message names the file and the fault."""


# --- conditions -------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemIs:
    """An answered item compared with a value; an unanswered item never satisfies it."""

    item: str
    op: Literal["above", "at_least", "equals"]
    value: int


@dataclass(frozen=True)
class CountOf:
    """At least ``at_least`` of ``items`` answered with a value of ``each_at_least`` or more."""

    items: tuple[str, ...]
    each_at_least: int
    at_least: int


@dataclass(frozen=True)
class TotalAtLeast:
    """The total of scored items is at least ``value`` (only on a complete administration)."""

    value: int


@dataclass(frozen=True)
class ClustersMet:
    """Every named cluster meets its own requirement (only on a complete administration)."""

    clusters: tuple[str, ...]


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class AllOf:
    conditions: tuple[Condition, ...]


type Condition = ItemIs | CountOf | TotalAtLeast | ClustersMet | AnyOf | AllOf


def condition_items(condition: Condition) -> frozenset[str]:
    """The items a condition reads."""
    match condition:
        case ItemIs(item=item):
            return frozenset({item})
        case CountOf(items=items):
            return frozenset(items)
        case AnyOf(conditions=parts) | AllOf(conditions=parts):
            return frozenset().union(*(condition_items(part) for part in parts))
        case _:
            return frozenset()


def needs_complete(condition: Condition) -> bool:
    """Whether a condition reads the total or clusters, which exist only when complete."""
    match condition:
        case TotalAtLeast() | ClustersMet():
            return True
        case AnyOf(conditions=parts) | AllOf(conditions=parts):
            return any(needs_complete(part) for part in parts)
        case _:
            return False


# --- the definition ---------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerOption:
    value: int
    key: str


@dataclass(frozen=True)
class AnswerSet:
    id: str
    options: tuple[AnswerOption, ...]

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(option.value for option in self.options)

    @property
    def is_yes_no(self) -> bool:
        return self.values == (0, 1)


@dataclass(frozen=True)
class Item:
    id: str
    loinc: str | None
    answers: AnswerSet
    scored: bool
    show_when: Condition | None


@dataclass(frozen=True)
class Band:
    id: str
    low: int
    high: int


@dataclass(frozen=True)
class Cluster:
    id: str
    name: str
    items: tuple[str, ...]
    endorsed_at: int
    need: int


@dataclass(frozen=True)
class Rule:
    id: str
    when: Condition
    action: str
    safety: bool


@dataclass(frozen=True)
class Language:
    code: str
    validated: bool
    wording: str
    instructions: str
    items: Mapping[str, str]
    answer_labels: Mapping[str, Mapping[int, str]]


@dataclass(frozen=True)
class Definition:
    id: str
    version: int
    name: str
    licence: str
    source_text: str
    source_url: str
    loinc_panel: str | None
    loinc_total: str | None
    items: tuple[Item, ...]
    languages: Mapping[str, Language]
    scoring: Literal["sum"] | None
    bands: tuple[Band, ...]
    clusters: tuple[Cluster, ...]
    rules: tuple[Rule, ...]

    @property
    def key(self) -> str:
        return f"{self.id}-v{self.version}"

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    @property
    def total_range(self) -> tuple[int, int]:
        scored = [item.answers.values for item in self.items if item.scored]
        return sum(v[0] for v in scored), sum(v[-1] for v in scored)


# --- parsing ----------------------------------------------------------------------------


class _Parser:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, fault: str) -> DefinitionError:
        return DefinitionError(f"{self.path}: {where}: {fault}")

    def obj(
        self, raw: object, where: str, required: set[str], optional: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(where, "must be an object")
        unknown = sorted(set(raw) - required - optional)
        if unknown:
            raise self.fail(where, f"unknown key(s) {', '.join(unknown)}")
        missing = sorted(required - set(raw))
        if missing:
            raise self.fail(where, f"missing key(s) {', '.join(missing)}")
        return raw

    def text(self, raw: object, where: str) -> str:
        if not isinstance(raw, str) or not raw.strip():
            raise self.fail(where, "must be a non-empty string")
        return raw

    def integer(self, raw: object, where: str) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise self.fail(where, "must be an integer")
        return raw

    def boolean(self, raw: object, where: str) -> bool:
        if not isinstance(raw, bool):
            raise self.fail(where, "must be true or false")
        return raw

    def array(self, raw: object, where: str, *, empty: bool = False) -> list[Any]:
        if not isinstance(raw, list) or (not raw and not empty):
            raise self.fail(where, "must be a non-empty list" if not empty else "must be a list")
        return raw

    def unique(self, ids: list[str], where: str) -> None:
        seen: set[str] = set()
        for one in ids:
            if one in seen:
                raise self.fail(where, f"duplicate id {one!r}")
            seen.add(one)

    def condition(self, raw: object, where: str) -> Condition:
        if not isinstance(raw, dict):
            raise self.fail(where, "a condition must be an object")
        if "any" in raw or "all" in raw:
            key = "any" if "any" in raw else "all"
            data = self.obj(raw, where, {key})
            parts = tuple(
                self.condition(part, f"{where}.{key}[{n}]")
                for n, part in enumerate(self.array(data[key], f"{where}.{key}"))
            )
            return AnyOf(parts) if key == "any" else AllOf(parts)
        if "count_of" in raw:
            data = self.obj(raw, where, {"count_of", "each_at_least", "at_least"})
            items = tuple(
                self.text(one, f"{where}.count_of")
                for one in self.array(data["count_of"], f"{where}.count_of")
            )
            return CountOf(
                items,
                self.integer(data["each_at_least"], f"{where}.each_at_least"),
                self.integer(data["at_least"], f"{where}.at_least"),
            )
        if "total_at_least" in raw:
            data = self.obj(raw, where, {"total_at_least"})
            return TotalAtLeast(self.integer(data["total_at_least"], f"{where}.total_at_least"))
        if "clusters_met" in raw:
            data = self.obj(raw, where, {"clusters_met"})
            names = self.array(data["clusters_met"], f"{where}.clusters_met")
            return ClustersMet(tuple(self.text(one, f"{where}.clusters_met") for one in names))
        if "item" in raw:
            ops = [op for op in ("above", "at_least", "equals") if op in raw]
            if len(ops) != 1:
                raise self.fail(
                    where, "an item condition needs exactly one of above, at_least, equals"
                )
            op = ops[0]
            data = self.obj(raw, where, {"item", op})
            value = self.integer(data[op], f"{where}.{op}")
            item = self.text(data["item"], f"{where}.item")
            if op == "above":
                return ItemIs(item, "above", value)
            return ItemIs(item, "at_least" if op == "at_least" else "equals", value)
        raise self.fail(where, f"unknown condition keys {', '.join(sorted(raw))}")


_TOP_REQUIRED = {
    "format",
    "id",
    "version",
    "name",
    "licence",
    "source",
    "answer_sets",
    "items",
    "languages",
    "scoring",
    "bands",
    "rules",
}
_TOP_OPTIONAL = frozenset({"loinc", "clusters"})


def _duplicate_keys_rejected(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def load_definition(path: Path | str) -> Definition:
    """Read and validate one definition file; raise DefinitionError naming file and fault."""
    path = Path(path)
    p = _Parser(path)
    try:
        raw = json.loads(
            path.read_text(encoding="utf-8"), object_pairs_hook=_duplicate_keys_rejected
        )
    except (OSError, ValueError) as error:
        raise p.fail("file", f"not readable JSON ({error})") from error
    top = p.obj(raw, "definition", _TOP_REQUIRED, _TOP_OPTIONAL)
    if top["format"] != FORMAT_VERSION:
        raise p.fail("format", f"must be {FORMAT_VERSION}")
    instrument = p.text(top["id"], "id")
    version = p.integer(top["version"], "version")
    if path.suffix == ".json" and path.stem != f"{instrument}-v{version}":
        raise p.fail("id", f"file must be named {instrument}-v{version}.json")
    source = p.obj(top["source"], "source", {"text", "url"})
    source_url = p.text(source["url"], "source.url")
    if not source_url.startswith("https://"):
        raise p.fail("source.url", "must be an https:// address")
    loinc = p.obj(top.get("loinc", {}), "loinc", set(), frozenset({"panel", "total"}))

    # Answer sets: strictly ascending integer values, unique keys.
    if not isinstance(top["answer_sets"], dict) or not top["answer_sets"]:
        raise p.fail("answer_sets", "must be a non-empty object")
    answer_sets: dict[str, AnswerSet] = {}
    for set_id, options_raw in top["answer_sets"].items():
        where = f"answer_sets.{set_id}"
        options: list[AnswerOption] = []
        for n, option_raw in enumerate(p.array(options_raw, where)):
            option = p.obj(option_raw, f"{where}[{n}]", {"value", "key"})
            options.append(
                AnswerOption(
                    p.integer(option["value"], f"{where}[{n}].value"),
                    p.text(option["key"], f"{where}[{n}].key"),
                )
            )
        values = [option.value for option in options]
        if any(b <= a for a, b in itertools.pairwise(values)):
            raise p.fail(where, f"answer values out of order {values} (must strictly ascend)")
        p.unique([option.key for option in options], where)
        answer_sets[set_id] = AnswerSet(set_id, tuple(options))

    # Items, with skip logic reading only earlier items.
    items: list[Item] = []
    for n, item_raw in enumerate(p.array(top["items"], "items")):
        where = f"items[{n}]"
        data = p.obj(
            item_raw, where, {"id", "answers", "scored"}, frozenset({"loinc", "show_when"})
        )
        item_id = p.text(data["id"], f"{where}.id")
        where = f"item {item_id}"
        if any(item.id == item_id for item in items):
            raise p.fail("items", f"duplicate id {item_id!r}")
        set_id = p.text(data["answers"], f"{where}.answers")
        if set_id not in answer_sets:
            raise p.fail(where, f"unknown answer set {set_id!r}")
        show_when = None
        if "show_when" in data:
            show_when = p.condition(data["show_when"], f"{where}.show_when")
            if needs_complete(show_when):
                raise p.fail(where, "skip logic may read only earlier answers")
            earlier = {item.id for item in items}
            for named in sorted(condition_items(show_when)):
                if named not in earlier:
                    raise p.fail(
                        f"{where}.show_when", f"skip rule names unknown or later item {named!r}"
                    )
        items.append(
            Item(
                item_id,
                p.text(data["loinc"], f"{where}.loinc") if "loinc" in data else None,
                answer_sets[set_id],
                p.boolean(data["scored"], f"{where}.scored"),
                show_when,
            )
        )
    item_ids = [item.id for item in items]
    known = set(item_ids)

    scoring = top["scoring"]
    if scoring not in ("sum", None):
        raise p.fail("scoring", 'must be "sum" or null')
    if scoring == "sum" and not any(item.scored for item in items):
        raise p.fail("scoring", "a sum needs at least one scored item")
    if scoring is None and any(item.scored for item in items):
        raise p.fail("scoring", "scored items need a scoring method")
    low = sum(item.answers.values[0] for item in items if item.scored)
    high = sum(item.answers.values[-1] for item in items if item.scored)

    # Bands: inclusive, ascending, no gap, no overlap, covering the whole total range.
    bands: list[Band] = []
    for n, band_raw in enumerate(p.array(top["bands"], "bands", empty=True)):
        data = p.obj(band_raw, f"bands[{n}]", {"id", "min", "max"})
        band = Band(
            p.text(data["id"], f"bands[{n}].id"),
            p.integer(data["min"], f"bands[{n}].min"),
            p.integer(data["max"], f"bands[{n}].max"),
        )
        if band.high < band.low:
            raise p.fail(f"band {band.id}", "max is below min")
        bands.append(band)
    p.unique([band.id for band in bands], "bands")
    if bands:
        if scoring is None:
            raise p.fail("bands", "bands need a scoring method")
        if bands[0].low != low:
            raise p.fail(f"band {bands[0].id}", f"must start at the lowest total {low}")
        for before, after in itertools.pairwise(bands):
            if after.low > before.high + 1:
                raise p.fail(f"band {after.id}", f"gap after band {before.id} ({before.high})")
            if after.low <= before.high:
                raise p.fail(f"band {after.id}", f"overlaps band {before.id} ({before.high})")
        if bands[-1].high != high:
            raise p.fail(f"band {bands[-1].id}", f"must end at the highest total {high}")

    clusters: list[Cluster] = []
    for n, cluster_raw in enumerate(p.array(top.get("clusters", []), "clusters", empty=True)):
        where = f"clusters[{n}]"
        data = p.obj(cluster_raw, where, {"id", "name", "items", "endorsed_at", "need"})
        members = tuple(p.text(one, f"{where}.items") for one in p.array(data["items"], where))
        for named in members:
            if named not in known:
                raise p.fail(where, f"names unknown item {named!r}")
        clusters.append(
            Cluster(
                p.text(data["id"], f"{where}.id"),
                p.text(data["name"], f"{where}.name"),
                members,
                p.integer(data["endorsed_at"], f"{where}.endorsed_at"),
                p.integer(data["need"], f"{where}.need"),
            )
        )
    p.unique([cluster.id for cluster in clusters], "clusters")
    cluster_ids = {cluster.id for cluster in clusters}

    rules: list[Rule] = []
    for n, rule_raw in enumerate(p.array(top["rules"], "rules", empty=True)):
        data = p.obj(rule_raw, f"rules[{n}]", {"id", "when", "action", "safety"})
        rule_id = p.text(data["id"], f"rules[{n}].id")
        where = f"rule {rule_id}"
        when = p.condition(data["when"], f"{where}.when")
        for named in sorted(condition_items(when)):
            if named not in known:
                raise p.fail(where, f"names unknown item {named!r}")
        _check_cluster_names(p, when, cluster_ids, where)
        if needs_complete(when) and scoring is None:
            raise p.fail(where, "reads the total but the instrument has no scoring")
        action = p.text(data["action"], f"{where}.action")
        if action not in ACTIONS:
            raise p.fail(where, f"unknown action {action!r}")
        safety = p.boolean(data["safety"], f"{where}.safety")
        if safety and needs_complete(when):
            raise p.fail(where, "a safety rule must read answers only, never the total")
        if safety and action != "emergent":
            raise p.fail(where, "a safety rule must be emergent")
        rules.append(Rule(rule_id, when, action, safety))
    p.unique([rule.id for rule in rules], "rules")

    languages: dict[str, Language] = {}
    if not isinstance(top["languages"], dict) or "en" not in top["languages"]:
        raise p.fail("languages", "must be an object including en")
    for code, language_raw in top["languages"].items():
        where = f"languages.{code}"
        data = p.obj(
            language_raw, where, {"validated", "wording", "instructions", "items", "answers"}
        )
        wording = p.text(data["wording"], f"{where}.wording")
        if wording not in WORDINGS:
            raise p.fail(where, f"wording must be one of {', '.join(sorted(WORDINGS))}")
        validated = p.boolean(data["validated"], f"{where}.validated")
        if validated and wording != "published":
            raise p.fail(where, f"a {wording} cannot be validated (only published text can)")
        texts = p.obj(data["items"], f"{where}.items", set(item_ids))
        labels_raw = p.obj(data["answers"], f"{where}.answers", set(answer_sets))
        labels: dict[str, Mapping[int, str]] = {}
        for set_id, answer_set in answer_sets.items():
            expected = {str(value) for value in answer_set.values}
            per_value = p.obj(labels_raw[set_id], f"{where}.answers.{set_id}", expected)
            labels[set_id] = MappingProxyType(
                {int(v): p.text(t, f"{where}.answers.{set_id}.{v}") for v, t in per_value.items()}
            )
        languages[code] = Language(
            code,
            validated,
            wording,
            p.text(data["instructions"], f"{where}.instructions"),
            MappingProxyType({k: p.text(v, f"{where}.items.{k}") for k, v in texts.items()}),
            MappingProxyType(labels),
        )

    return Definition(
        id=instrument,
        version=version,
        name=p.text(top["name"], "name"),
        licence=p.text(top["licence"], "licence"),
        source_text=p.text(source["text"], "source.text"),
        source_url=source_url,
        loinc_panel=p.text(loinc["panel"], "loinc.panel") if "panel" in loinc else None,
        loinc_total=p.text(loinc["total"], "loinc.total") if "total" in loinc else None,
        items=tuple(items),
        languages=MappingProxyType(languages),
        scoring=scoring,
        bands=tuple(bands),
        clusters=tuple(clusters),
        rules=tuple(rules),
    )


def _check_cluster_names(p: _Parser, condition: Condition, known: set[str], where: str) -> None:
    match condition:
        case ClustersMet(clusters=names):
            for name in names:
                if name not in known:
                    raise p.fail(where, f"names unknown cluster {name!r}")
        case AnyOf(conditions=parts) | AllOf(conditions=parts):
            for part in parts:
                _check_cluster_names(p, part, known, where)
        case _:
            pass


def load_all(directory: Path | str = INSTRUMENTS_DIR) -> dict[str, Definition]:
    """Every ``*.json`` definition in a directory, keyed ``<id>-v<version>``."""
    definitions: dict[str, Definition] = {}
    for path in sorted(Path(directory).glob("*.json")):
        definition = load_definition(path)
        definitions[definition.key] = definition
    return definitions
