"""The facts a criterion may read: documented, typed, and missing kept apart from zero."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiteline.care.facts import (
    CSSRS_RISKS,
    DECISION_OUTCOMES,
    FACTS,
    EarlierDecision,
    FactError,
    FactType,
    check_facts,
    facts_from_json,
    render_value,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "policies.md"

# Ranges a person's facts really take, so that generated people cross every threshold a
# test policy uses.
_CODES = st.sampled_from(["group_therapy", "psychiatry", "individual_therapy", "peer_support"])
FACT_VALUES: dict[str, st.SearchStrategy[object]] = {
    "level_of_care": st.sampled_from(["none", "cccms", "eop", "mhcb"]),
    "phq9_total": st.integers(0, 27),
    "gad7_total": st.integers(0, 21),
    "pcl5_total": st.integers(0, 80),
    "cssrs_risk": st.sampled_from(list(CSSRS_RISKS)),
    "open_kites": st.integers(0, 6),
    "days_since_booking": st.integers(1, 400),
    "days_to_release": st.integers(-5, 400),
    "current_services": st.lists(_CODES, max_size=3, unique=True),
    "crises_past_30_days": st.integers(0, 3),
    "earlier_decisions": st.lists(
        st.builds(
            EarlierDecision,
            service=_CODES,
            outcome=st.sampled_from(list(DECISION_OUTCOMES)),
            days_ago=st.integers(0, 200),
        ),
        max_size=2,
    ),
    "language": st.sampled_from(["en", "es", "vi", "zh-Hant"]),
    "on_watch": st.booleans(),
    **{
        name: st.dates(date(2025, 1, 1), date(2027, 12, 31))
        for name, fact in FACTS.items()
        if fact.type is FactType.DATE
    },
    **{
        name: st.integers(0, 120)
        for name in FACTS
        if name.startswith("days_since_") and name != "days_since_booking"
    },
}


def raw_facts(*, complete: bool = False) -> st.SearchStrategy[dict[str, object]]:
    """A person's facts as the app passes them: unless complete, some are missing, either
    left out or given as None."""
    full = st.fixed_dictionaries(FACT_VALUES)
    if complete:
        return full
    names = st.sets(st.sampled_from(sorted(FACTS)))
    return st.tuples(full, names, names).map(
        lambda drawn: {
            name: None if name in drawn[2] else value
            for name, value in drawn[0].items()
            if name not in drawn[1]
        }
    )


def test_every_documented_fact_has_a_value_strategy_in_these_tests() -> None:
    assert set(FACT_VALUES) == set(FACTS)


def test_the_facts_the_issue_names_are_all_there_with_their_types() -> None:
    expected = {
        "level_of_care": FactType.STRING,
        "phq9_total": FactType.INT,
        "phq9_date": FactType.DATE,
        "gad7_total": FactType.INT,
        "gad7_date": FactType.DATE,
        "pcl5_total": FactType.INT,
        "pcl5_date": FactType.DATE,
        "cssrs_risk": FactType.STRING,
        "open_kites": FactType.INT,
        "days_since_booking": FactType.INT,
        "days_to_release": FactType.INT,
        "current_services": FactType.STRINGS,
        "crises_past_30_days": FactType.INT,
        "earlier_decisions": FactType.DECISIONS,
        "language": FactType.STRING,
        "on_watch": FactType.BOOL,
    }
    assert {name: FACTS[name].type for name in expected} == expected


def test_every_fact_has_a_one_sentence_meaning_and_a_label_in_english_and_spanish() -> None:
    for fact in FACTS.values():
        assert fact.meaning.endswith(".")
        assert fact.label.en.strip()
        assert fact.label.es.strip()


def test_the_policy_guide_lists_every_fact_with_its_type() -> None:
    guide = DOCS.read_text(encoding="utf-8")
    for fact in FACTS.values():
        assert f"| `{fact.name}` | {fact.type.value} |" in guide, fact.name


def test_a_missing_fact_is_absent_while_zero_and_empty_are_known() -> None:
    facts = check_facts({"phq9_total": None, "open_kites": 0, "current_services": []})
    assert dict(facts.values) == {"open_kites": 0, "current_services": ()}
    assert facts.to_json(("phq9_total", "open_kites", "current_services")) == {
        "phq9_total": None,
        "open_kites": 0,
        "current_services": [],
    }


def test_an_unknown_fact_is_refused_naming_it() -> None:
    with pytest.raises(FactError, match="unknown fact 'phq10_total'"):
        check_facts({"phq10_total": 3})


@pytest.mark.parametrize(
    ("name", "value", "fault"),
    [
        ("phq9_total", True, "expected a whole number"),
        ("phq9_total", "16", "expected a whole number"),
        ("phq9_total", 16.0, "expected a whole number"),
        ("open_kites", -1, "outside 0"),
        ("days_since_booking", 0, "outside 1"),
        ("phq9_total", 10**12, "outside"),
        ("on_watch", 1, "expected true or false"),
        ("phq9_date", datetime(2026, 11, 20, tzinfo=UTC), "expected a date"),
        ("phq9_date", "2026-11-20", "expected a date"),
        ("cssrs_risk", "high", "not one of none, refer, imminent"),
        ("level_of_care", "Level 2", "not a code"),
        ("language", "English", "not a code"),
        ("current_services", "group_therapy", "expected a list"),
        ("current_services", ["Group Therapy"], "not a code"),
        ("earlier_decisions", [{"service": "group_therapy"}], "exactly service, outcome"),
        (
            "earlier_decisions",
            [{"service": "group_therapy", "outcome": "maybe", "days_ago": 3}],
            "outcome 'maybe'",
        ),
        (
            "earlier_decisions",
            [{"service": "group_therapy", "outcome": "eligible", "days_ago": -3}],
            "days_ago",
        ),
    ],
)
def test_a_wrongly_built_value_is_refused_naming_the_fact(
    name: str, value: object, fault: str
) -> None:
    with pytest.raises(FactError, match=name) as refused:
        check_facts({name: value})
    assert fault in str(refused.value)


def test_days_to_release_may_be_negative_once_the_date_has_passed() -> None:
    assert check_facts({"days_to_release": -2}).values["days_to_release"] == -2


def test_a_date_reaches_cel_as_its_midnight_in_utc() -> None:
    facts = check_facts({"phq9_date": date(2026, 11, 20)})
    assert facts.cel["phq9_date"] == datetime(2026, 11, 20, tzinfo=UTC)


def test_earlier_decisions_reach_cel_as_maps() -> None:
    facts = check_facts(
        {"earlier_decisions": [{"service": "psychiatry", "outcome": "eligible", "days_ago": 4}]}
    )
    assert facts.values["earlier_decisions"] == (EarlierDecision("psychiatry", "eligible", 4),)
    assert facts.cel["earlier_decisions"] == [
        {"service": "psychiatry", "outcome": "eligible", "days_ago": 4}
    ]


@given(raw_facts())
def test_facts_survive_a_round_trip_through_json(raw: dict[str, object]) -> None:
    facts = check_facts(raw)
    stored = json.loads(json.dumps(facts.to_json(tuple(FACTS))))
    assert facts_from_json(stored) == facts


def test_a_stored_date_that_is_not_a_date_is_refused() -> None:
    with pytest.raises(FactError, match="phq9_date: '20 Nov' is not a date"):
        facts_from_json({"phq9_date": "20 Nov"})


@pytest.mark.parametrize(
    ("name", "value", "english", "spanish"),
    [
        ("phq9_total", 16, "16", "16"),
        ("phq9_date", date(2026, 11, 20), "2026-11-20", "2026-11-20"),
        ("on_watch", True, "yes", "sí"),
        ("on_watch", False, "no", "no"),
        ("current_services", (), "none", "ninguno"),
        ("current_services", ("group_therapy", "psychiatry"), "group_therapy, psychiatry", None),
        ("cssrs_risk", "imminent", "imminent risk", "riesgo inminente"),
        ("phq9_total", None, "not recorded", "no registrado"),
        (
            "earlier_decisions",
            (EarlierDecision("psychiatry", "not_eligible", 3),),
            "psychiatry: not eligible",
            "psychiatry: no elegible",
        ),
    ],
)
def test_a_value_is_shown_to_a_resident_in_their_language(
    name: str, value: object, english: str, spanish: str | None
) -> None:
    facts = check_facts({name: value})
    shown = facts.values.get(name)
    assert render_value(name, shown, "en") == english
    assert render_value(name, shown, "es") == (spanish or english)
