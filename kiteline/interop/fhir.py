"""FHIR export of screening instruments and administrations (pure core, no Django).

Built on ``fhir.resources`` with its default FHIR R5 models, so every resource is validated
by the package as it is built. Resources are assembled as plain JSON-shaped data and handed
to the model's validator; nothing here is stored or sent anywhere.

- ``questionnaire``: an instrument definition as a Questionnaire (skip logic as enableWhen).
- ``questionnaire_response``: one administration; every answer given is kept, and the status
  is ``completed`` only when every visible item is answered, ``in-progress`` otherwise.
- ``total_observation``: the total as an Observation, only for a complete administration.
- ``administration_bundle``: both, as a Bundle of type ``collection``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fhir.resources.bundle import Bundle
from fhir.resources.observation import Observation
from fhir.resources.questionnaire import Questionnaire
from fhir.resources.questionnaireresponse import QuestionnaireResponse
from fhir.resources.resource import Resource

from kiteline.screening.definitions import (
    AllOf,
    AnyOf,
    Condition,
    Definition,
    Item,
    ItemIs,
    Language,
)
from kiteline.screening.scoring import RawAnswers, ScoreResult, score

FHIR_RELEASE = "R5"
LOINC = "http://loinc.org"
# Placeholder canonical base: replace with the deployment's published address before export.
CANONICAL_BASE = "https://kiteline.example.org/fhir"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


class ExportError(ValueError):
    """A definition or administration that cannot be expressed faithfully in FHIR."""


def questionnaire_url(definition: Definition) -> str:
    return f"{CANONICAL_BASE}/Questionnaire/{definition.id}"


def answer_system(definition: Definition, set_id: str) -> str:
    return f"{CANONICAL_BASE}/CodeSystem/{definition.id}-{set_id}"


def _language(definition: Definition, language: str) -> Language:
    if language not in definition.languages:
        raise ExportError(f"{definition.key}: no {language!r} version of this instrument")
    return definition.languages[language]


def _fhir_name(definition: Definition) -> str:
    # FHIR wants a computer-friendly name: a capital letter, then letters, digits or "_".
    parts = re.split(r"[^A-Za-z0-9]+", definition.id)
    name = "".join(part[:1].upper() + part[1:] for part in parts if part)
    return name if name[:1].isalpha() else f"Q{name}"


def _instant(moment: datetime, what: str) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ExportError(f"{what} must be timezone-aware (FHIR dateTime needs an offset)")
    return moment.isoformat()


def _coding(definition: Definition, item: Item, value: int, language: Language) -> dict[str, Any]:
    option = next(option for option in item.answers.options if option.value == value)
    coding: dict[str, Any] = {
        "system": answer_system(definition, item.answers.id),
        "code": option.key,
        "display": language.answer_labels[item.answers.id][value],
    }
    if item.scored:
        coding["extension"] = [{"url": ITEM_WEIGHT, "valueDecimal": value}]
    return coding


def _answer(definition: Definition, item: Item, value: int, language: Language) -> dict[str, Any]:
    if item.answers.is_yes_no:
        return {"valueBoolean": bool(value)}
    return {"valueCoding": _coding(definition, item, value, language)}


def _enable_when(
    definition: Definition, condition: Condition, language: Language
) -> tuple[list[dict[str, Any]], str]:
    """The enableWhen entries and enableBehavior for a skip rule, or ExportError."""

    def entries(one: ItemIs) -> list[dict[str, Any]]:
        item = definition.item(one.item)
        matching = [
            value
            for value in item.answers.values
            if (one.op == "equals" and value == one.value)
            or (one.op == "at_least" and value >= one.value)
            or (one.op == "above" and value > one.value)
        ]
        return [
            {"question": item.id, "operator": "=", **_answer_as(definition, item, v, language)}
            for v in matching
        ]

    match condition:
        case ItemIs():
            return entries(condition), "any"
        case AnyOf(conditions=parts) if all(isinstance(p, ItemIs) for p in parts):
            found = [e for p in parts if isinstance(p, ItemIs) for e in entries(p)]
            return found, "any"
        case AllOf(conditions=parts) if all(isinstance(p, ItemIs) for p in parts):
            per_part = [entries(p) for p in parts if isinstance(p, ItemIs)]
            if all(len(found) == 1 for found in per_part):
                return [found[0] for found in per_part], "all"
    raise ExportError(f"{definition.key}: skip rule {condition!r} has no enableWhen form")


def _answer_as(
    definition: Definition, item: Item, value: int, language: Language
) -> dict[str, Any]:
    answer = _answer(definition, item, value, language)
    if "valueBoolean" in answer:
        return {"answerBoolean": answer["valueBoolean"]}
    coding = {k: v for k, v in answer["valueCoding"].items() if k in ("system", "code")}
    return {"answerCoding": coding}


def questionnaire(definition: Definition, language: str = "en") -> Questionnaire:
    """The instrument as a FHIR R5 Questionnaire in one language."""
    lang = _language(definition, language)
    items: list[dict[str, Any]] = []
    for item in definition.items:
        entry: dict[str, Any] = {"linkId": item.id, "text": lang.items[item.id]}
        if item.loinc is not None:
            entry["code"] = [{"system": LOINC, "code": item.loinc}]
        if item.answers.is_yes_no:
            entry["type"] = "boolean"
        else:
            entry["type"] = "coding"
            entry["answerConstraint"] = "optionsOnly"
            entry["answerOption"] = [
                {"valueCoding": _coding(definition, item, option.value, lang)}
                for option in item.answers.options
            ]
        if item.show_when is not None:
            enable_when, behaviour = _enable_when(definition, item.show_when, lang)
            entry["enableWhen"] = enable_when
            if len(enable_when) > 1:
                entry["enableBehavior"] = behaviour
        items.append(entry)
    data: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "url": questionnaire_url(definition),
        "version": str(definition.version),
        "name": _fhir_name(definition),
        "title": definition.name,
        "status": "active",
        "language": language,
        "description": lang.instructions,
        "copyright": definition.licence,
        "item": items,
    }
    if definition.loinc_panel is not None:
        data["code"] = [
            {"system": LOINC, "code": definition.loinc_panel, "display": definition.name}
        ]
    return Questionnaire.model_validate(data)


def questionnaire_response(
    definition: Definition,
    answers: RawAnswers,
    *,
    subject_reference: str,
    authored: datetime,
    language: str = "en",
    submitted: bool = True,
) -> QuestionnaireResponse:
    """One administration; every answer given is kept. ``completed`` only when submitted
    with every visible item answered; else ``in-progress``."""
    lang = _language(definition, language)
    result = score(definition, answers, language)
    items = [
        {
            "linkId": item.id,
            "text": lang.items[item.id],
            "answer": [_answer(definition, item, result.answers[item.id], lang)],
        }
        for item in definition.items
        if item.id in result.answers
    ]
    data: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{questionnaire_url(definition)}|{definition.version}",
        "status": "completed" if result.complete and submitted else "in-progress",
        "subject": {"reference": subject_reference},
        "authored": _instant(authored, "authored"),
        "language": language,
    }
    if items:
        data["item"] = items
    return QuestionnaireResponse.model_validate(data)


def total_observation(
    definition: Definition,
    result: ScoreResult,
    *,
    subject_reference: str,
    effective: datetime,
) -> Observation | None:
    """The total score, or None when incomplete or the instrument has no total."""
    if (result.instrument, result.version) != (definition.id, definition.version):
        raise ExportError(f"{definition.key}: result is for {result.instrument}-v{result.version}")
    if not result.complete or result.total is None:
        return None
    code: dict[str, Any] = {"text": f"{definition.name} total score"}
    if definition.loinc_total is not None:
        code["coding"] = [{"system": LOINC, "code": definition.loinc_total}]
    data: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
        ],
        "code": code,
        "subject": {"reference": subject_reference},
        "effectiveDateTime": _instant(effective, "effective"),
        "valueInteger": result.total,
    }
    if not result.validated_language:
        # Flagged wherever the score goes: a translation no one has validated.
        data["note"] = [{"text": f"Given in a {result.language!r} version that is not validated."}]
    return Observation.model_validate(data)


def administration_bundle(
    definition: Definition,
    answers: RawAnswers,
    *,
    subject_reference: str,
    authored: datetime,
    language: str,
    submitted: bool,
) -> Bundle:
    """One administration to hand to another system: its QuestionnaireResponse and, once
    submitted complete, the Observation of its total. An unsubmitted one is in progress
    whatever its answers, so it carries no total."""
    response = questionnaire_response(
        definition,
        answers,
        subject_reference=subject_reference,
        authored=authored,
        language=language,
        submitted=submitted,
    )
    resources: list[Resource] = [response]
    if submitted:
        result = score(definition, answers, language)
        observation = total_observation(
            definition, result, subject_reference=subject_reference, effective=authored
        )
        if observation is not None:
            resources.append(observation)
    entries = [{"resource": resource.model_dump(mode="json")} for resource in resources]
    return Bundle.model_validate({"resourceType": "Bundle", "type": "collection", "entry": entries})


def to_json(resource: Resource) -> str:
    """The resource as FHIR JSON (empty elements omitted, as FHIR requires)."""
    return resource.model_dump_json()


__all__ = [
    "CANONICAL_BASE",
    "FHIR_RELEASE",
    "ExportError",
    "administration_bundle",
    "questionnaire",
    "questionnaire_response",
    "to_json",
    "total_observation",
]
