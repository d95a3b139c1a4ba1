"""Screening definitions: every shipped instrument loads, and a broken definition file is
refused with a message naming the file and the fault."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from kiteline.screening.definitions import (
    INSTRUMENTS_DIR,
    WORDINGS,
    DefinitionError,
    load_all,
    load_definition,
)

SHIPPED = {"phq9-v1", "gad7-v1", "cssrs-screener-v1", "bjmhs-v1", "pcl5-v1"}


def good() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((INSTRUMENTS_DIR / "phq9-v1.json").read_text("utf-8"))
    return raw


def write(tmp_path: Path, raw: dict[str, Any], name: str = "phq9-v1.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def test_every_shipped_definition_loads() -> None:
    assert set(load_all()) == SHIPPED


def test_every_shipped_definition_has_english_text_for_every_item() -> None:
    for definition in load_all().values():
        english = definition.languages["en"]
        assert set(english.items) == {item.id for item in definition.items}
        assert definition.source_url.startswith("https://")


def test_every_shipped_definition_has_spanish_text_for_every_item_and_answer() -> None:
    for definition in load_all().values():
        spanish = definition.languages["es"]
        assert spanish.instructions.strip(), definition.key
        assert set(spanish.items) == {item.id for item in definition.items}, definition.key
        assert all(text.strip() for text in spanish.items.values()), definition.key
        for item in definition.items:
            labels = spanish.answer_labels[item.answers.id]
            assert set(labels) == set(item.answers.values), (definition.key, item.id)
            assert all(label.strip() for label in labels.values()), (definition.key, item.id)


def test_spanish_instructions_are_short_for_residents_with_low_literacy() -> None:
    for definition in load_all().values():
        assert len(definition.languages["es"].instructions.split()) <= 25, definition.key


# Which Spanish texts are the publisher's and which the team wrote (docs/screening.md,
# "Instruments shipped"). Changing a row here must come with a source in the docs.
SPANISH_WORDING = {
    "phq9-v1": ("published", True),
    "gad7-v1": ("translation", False),
    "pcl5-v1": ("translation", False),
    "cssrs-screener-v1": ("translation", False),
    "bjmhs-v1": ("translation", False),
}


def test_spanish_is_marked_published_only_where_a_public_source_confirmed_it() -> None:
    shipped = {
        key: (definition.languages["es"].wording, definition.languages["es"].validated)
        for key, definition in load_all().items()
    }
    assert shipped == SPANISH_WORDING


def test_only_published_text_is_ever_marked_validated() -> None:
    for definition in load_all().values():
        for language in definition.languages.values():
            assert language.wording in WORDINGS
            assert language.validated is False or language.wording == "published"


def test_the_wordings_are_published_paraphrase_and_translation() -> None:
    assert frozenset({"published", "paraphrase", "translation"}) == WORDINGS


def test_phq9_carries_the_loinc_codes_of_the_domain_notes() -> None:
    phq9 = load_all()["phq9-v1"]
    assert phq9.loinc_panel == "44249-1"
    assert phq9.loinc_total == "44261-6"
    assert phq9.item("q1").loinc == "44250-9"
    assert phq9.item("q9").loinc == "44260-8"


def test_the_unchanged_copy_of_a_shipped_definition_loads_from_anywhere(tmp_path: Path) -> None:
    assert load_definition(write(tmp_path, good())).key == "phq9-v1"


def break_unknown_top_key(raw: dict[str, Any]) -> None:
    raw["colour"] = "blue"


def break_missing_item_text(raw: dict[str, Any]) -> None:
    del raw["languages"]["en"]["items"]["q4"]


def break_answer_order(raw: dict[str, Any]) -> None:
    raw["answer_sets"]["frequency"][1]["value"] = 5


def break_band_gap(raw: dict[str, Any]) -> None:
    raw["bands"][1]["min"] = 6


def break_band_overlap(raw: dict[str, Any]) -> None:
    raw["bands"][1]["min"] = 4


def break_band_short_of_top(raw: dict[str, Any]) -> None:
    raw["bands"][-1]["max"] = 26


def break_skip_rule(raw: dict[str, Any]) -> None:
    raw["items"][2]["show_when"] = {"item": "q99", "equals": 1}


def break_skip_rule_forward(raw: dict[str, Any]) -> None:
    raw["items"][2]["show_when"] = {"item": "q5", "equals": 1}


def break_rule_item(raw: dict[str, Any]) -> None:
    raw["rules"][0]["when"] = {"item": "q10", "above": 0}


def break_duplicate_item(raw: dict[str, Any]) -> None:
    raw["items"][1]["id"] = "q1"


def break_duplicate_rule(raw: dict[str, Any]) -> None:
    raw["rules"][1]["id"] = raw["rules"][0]["id"]


def break_safety_on_total(raw: dict[str, Any]) -> None:
    raw["rules"][1]["safety"] = True


def break_unknown_action(raw: dict[str, Any]) -> None:
    raw["rules"][0]["action"] = "ignore"


def break_validated_paraphrase(raw: dict[str, Any]) -> None:
    raw["languages"]["en"]["wording"] = "paraphrase"


def break_validated_translation(raw: dict[str, Any]) -> None:
    raw["languages"]["es"]["wording"] = "translation"
    raw["languages"]["es"]["validated"] = True


def break_unknown_wording(raw: dict[str, Any]) -> None:
    raw["languages"]["es"]["wording"] = "machine"


def break_missing_spanish_item_text(raw: dict[str, Any]) -> None:
    del raw["languages"]["es"]["items"]["q9"]


def break_missing_spanish_answer_label(raw: dict[str, Any]) -> None:
    del raw["languages"]["es"]["answers"]["frequency"]["0"]


def break_missing_answer_label(raw: dict[str, Any]) -> None:
    del raw["languages"]["en"]["answers"]["frequency"]["3"]


def break_unknown_item_key(raw: dict[str, Any]) -> None:
    raw["items"][0]["weight"] = 2


BREAKS = [
    (break_unknown_top_key, "unknown key(s) colour"),
    (break_missing_item_text, "missing key(s) q4"),
    (break_answer_order, "answer values out of order"),
    (break_band_gap, "gap after band minimal"),
    (break_band_overlap, "overlaps band minimal"),
    (break_band_short_of_top, "must end at the highest total 27"),
    (break_skip_rule, "skip rule names unknown or later item 'q99'"),
    (break_skip_rule_forward, "skip rule names unknown or later item 'q5'"),
    (break_rule_item, "names unknown item 'q10'"),
    (break_duplicate_item, "duplicate id 'q1'"),
    (break_duplicate_rule, "duplicate id 'phq9-item9'"),
    (break_safety_on_total, "a safety rule must read answers only"),
    (break_unknown_action, "unknown action 'ignore'"),
    (break_validated_paraphrase, "a paraphrase cannot be validated"),
    (break_validated_translation, "languages.es: a translation cannot be validated"),
    (break_unknown_wording, "wording must be one of paraphrase, published, translation"),
    (break_missing_spanish_item_text, "languages.es.items: missing key(s) q9"),
    (break_missing_spanish_answer_label, "languages.es.answers.frequency: missing key(s) 0"),
    (break_missing_answer_label, "missing key(s) 3"),
    (break_unknown_item_key, "unknown key(s) weight"),
]


@pytest.mark.parametrize(("breaker", "fault"), BREAKS, ids=[b.__name__ for b, _ in BREAKS])
def test_a_broken_definition_is_refused_naming_the_file_and_the_fault(
    tmp_path: Path, breaker: Any, fault: str
) -> None:
    raw = copy.deepcopy(good())
    breaker(raw)
    path = write(tmp_path, raw)
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    assert str(path) in str(caught.value)
    assert fault in str(caught.value)


def test_a_validated_translation_is_refused_with_a_definition_error_naming_the_file(
    tmp_path: Path,
) -> None:
    raw = copy.deepcopy(good())
    raw["languages"]["es"].update(wording="translation", validated=True)
    path = write(tmp_path, raw)
    with pytest.raises(DefinitionError, match=r"a translation cannot be validated") as caught:
        load_definition(path)
    assert str(caught.value).startswith(f"{path}: languages.es: ")


def test_an_unvalidated_translation_loads(tmp_path: Path) -> None:
    raw = copy.deepcopy(good())
    raw["languages"]["es"].update(wording="translation", validated=False)
    spanish = load_definition(write(tmp_path, raw)).languages["es"]
    assert (spanish.wording, spanish.validated) == ("translation", False)


def test_a_file_named_for_another_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match=r"phq9-v2\.json: id: file must be named"):
        load_definition(write(tmp_path, good(), name="phq9-v2.json"))


def test_a_duplicate_json_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "phq9-v1.json"
    path.write_text('{"id": "phq9", "id": "gad7"}', encoding="utf-8")
    with pytest.raises(DefinitionError, match="duplicate key 'id'"):
        load_definition(path)


def test_load_all_stops_at_the_first_broken_file_and_names_it(tmp_path: Path) -> None:
    write(tmp_path, good())
    (tmp_path / "zz-v1.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"zz-v1\.json: file: not readable JSON"):
        load_all(tmp_path)
