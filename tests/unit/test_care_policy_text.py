"""A criterion's text: fact placeholders rendered safely, in the resident's language."""

from datetime import date

import pytest

from kiteline.care.facts import check_facts
from kiteline.care.policy_text import MAX_TEXT_CHARS, TemplateError, parse_template, render

FACTS = check_facts({"phq9_total": 16, "phq9_date": date(2026, 11, 20), "on_watch": True})


def test_placeholders_show_the_evidence() -> None:
    template = parse_template("PHQ-9 total {phq9_total} on {phq9_date}; at least 15 needed")
    assert template.shows == ("phq9_total", "phq9_date")
    assert (
        render(template, FACTS.values, "en") == "PHQ-9 total 16 on 2026-11-20; at least 15 needed"
    )


def test_a_value_is_written_in_the_language_asked_for() -> None:
    template = parse_template("Bajo vigilancia: {on_watch}")
    assert render(template, FACTS.values, "es") == "Bajo vigilancia: sí"


def test_a_placeholder_for_a_missing_fact_says_it_is_not_recorded() -> None:
    template = parse_template("GAD-7 total {gad7_total}")
    assert render(template, FACTS.values, "en") == "GAD-7 total not recorded"
    assert render(template, FACTS.values, "es") == "GAD-7 total no registrado"


def test_doubled_braces_write_literal_braces() -> None:
    template = parse_template("{{phq9_total}} is {phq9_total}")
    assert render(template, FACTS.values, "en") == "{phq9_total} is 16"


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("{phq9_total.__class__}", "unknown fact {phq9_total.__class__}"),
        ("{phq9_total.__class__.__mro__}", "unknown fact"),
        ("{phq9_total[0]}", "unknown fact"),
        ("{phq9_total:>10}", "unknown fact"),
        ("{0}", "unknown fact {0}"),
        ("{}", "unknown fact {}"),
        ("{phq10_total}", "unknown fact {phq10_total}"),
        ("total {", "a lone '{' at character 7"),
        ("total }", "a lone '}' at character 7"),
        ("", "the text is empty"),
        ("x" * (MAX_TEXT_CHARS + 1), "longer than"),
    ],
)
def test_anything_but_a_fact_name_in_braces_is_refused(text: str, fault: str) -> None:
    with pytest.raises(TemplateError) as refused:
        parse_template(text)
    assert fault in str(refused.value)
