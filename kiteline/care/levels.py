"""Levels-of-care schemes as data: presets, a facility's own figures, validation (pure core).

A facility chooses a scheme; each level, from least to most intensive, carries the contacts
it requires and how often. The presets are *modelled on* CDCR's Mental Health Services
Delivery System and the Federal Bureau of Prisons' CARE-MH levels (see /work/shared
DOMAIN.md, "Levels of care"). Every default figure no public source here confirms carries
``unverified=True`` — the screens show it as such until the facility sets its own figure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType

from kiteline.care.facts import JsonValue, Text

MAX_DAYS = 366
MAX_WEEKLY_HOURS = 60
_CODE = re.compile(r"[a-z][a-z0-9_-]{0,31}\Z")


class LevelError(ValueError):
    """A scheme that cannot be used; the message names the level and the fault."""


class ContactKind(StrEnum):
    CLINICIAN = "clinician"
    PSYCHIATRY = "psychiatry"
    TREATMENT_PLAN = "treatment_plan"


CONTACT_NAMES: Mapping[ContactKind, Text] = MappingProxyType(
    {
        ContactKind.CLINICIAN: Text(
            "Individual contact with a clinician", "Contacto individual con un profesional clínico"
        ),
        ContactKind.PSYCHIATRY: Text("Psychiatry visit", "Consulta de psiquiatría"),
        ContactKind.TREATMENT_PLAN: Text(
            "Treatment plan review", "Revisión del plan de tratamiento"
        ),
    }
)


@dataclass(frozen=True)
class Figure:
    value: int
    # A default no public source here confirms; a facility's own figure is never unverified.
    unverified: bool = False


@dataclass(frozen=True)
class Contact:
    kind: ContactKind
    every_days: Figure
    as_needed: bool = False  # required only for those who need it (psychiatry: on medication)


@dataclass(frozen=True)
class Level:
    code: str
    name: Text
    description: Text
    contacts: tuple[Contact, ...] = ()
    weekly_structured_hours: Figure | None = None

    def contact(self, kind: ContactKind) -> Contact | None:
        return next((contact for contact in self.contacts if contact.kind is kind), None)


@dataclass(frozen=True)
class Scheme:
    code: str
    name: Text
    source: str
    levels: tuple[Level, ...]  # from least to most intensive

    def level(self, code: str) -> Level:
        for level in self.levels:
            if level.code == code:
                return level
        raise LevelError(f"{self.code}: no level {code!r}")


def unverified_figures(scheme: Scheme) -> tuple[str, ...]:
    """Each unverified figure, described for a supervisor ("eop: clinician every 7 days")."""
    found = []
    for level in scheme.levels:
        for contact in level.contacts:
            if contact.every_days.unverified:
                found.append(f"{level.code}: {contact.kind} every {contact.every_days.value} days")
        hours = level.weekly_structured_hours
        if hours is not None and hours.unverified:
            found.append(f"{level.code}: {hours.value} hours of structured activity a week")
    return tuple(found)


def set_contact(
    scheme: Scheme,
    level: str,
    kind: ContactKind,
    every_days: int | None,
    *,
    as_needed: bool = False,
) -> Scheme:
    """The scheme with the facility's own frequency for one contact (None: not required)."""
    target = scheme.level(level)
    kept = tuple(contact for contact in target.contacts if contact.kind is not kind)
    if every_days is not None:
        kept += (Contact(kind, Figure(every_days), as_needed),)
    changed = replace(
        target, contacts=tuple(sorted(kept, key=lambda c: list(ContactKind).index(c.kind)))
    )
    levels = tuple(changed if one.code == level else one for one in scheme.levels)
    return check_scheme(replace(scheme, levels=levels))


def check_scheme(scheme: Scheme) -> Scheme:
    """The scheme unchanged, or LevelError naming the first fault."""
    if not _CODE.match(scheme.code):
        raise LevelError(f"{scheme.code!r} is not a scheme code")
    _check_text(scheme.name, scheme.code)
    if not scheme.levels:
        raise LevelError(f"{scheme.code}: a scheme needs at least one level")
    seen: set[str] = set()
    for level in scheme.levels:
        where = f"{scheme.code}/{level.code}"
        if not _CODE.match(level.code):
            raise LevelError(f"{where}: not a level code")
        if level.code in seen:
            raise LevelError(f"{where}: the code is used twice")
        seen.add(level.code)
        _check_text(level.name, f"{where} name")
        _check_text(level.description, f"{where} description")
        kinds = [contact.kind for contact in level.contacts]
        if len(set(kinds)) != len(kinds):
            raise LevelError(f"{where}: a contact kind is listed twice")
        for contact in level.contacts:
            if not 1 <= contact.every_days.value <= MAX_DAYS:
                raise LevelError(f"{where}: {contact.kind} every {contact.every_days.value} days")
        hours = level.weekly_structured_hours
        if hours is not None and not 0 < hours.value <= MAX_WEEKLY_HOURS:
            raise LevelError(f"{where}: {hours.value} structured hours a week")
    return scheme


def scheme_to_dict(scheme: Scheme) -> dict[str, JsonValue]:
    return {
        "code": scheme.code,
        "name": scheme.name.as_dict(),
        "source": scheme.source,
        "levels": [
            {
                "code": level.code,
                "name": level.name.as_dict(),
                "description": level.description.as_dict(),
                "contacts": [
                    {
                        "kind": contact.kind.value,
                        "every_days": contact.every_days.value,
                        "unverified": contact.every_days.unverified,
                        "as_needed": contact.as_needed,
                    }
                    for contact in level.contacts
                ],
                "weekly_structured_hours": _figure_dict(level.weekly_structured_hours),
            }
            for level in scheme.levels
        ],
    }


def parse_scheme(data: Mapping[str, JsonValue]) -> Scheme:
    """A scheme as ``scheme_to_dict`` writes it (a facility's own, stored as data)."""
    try:
        levels = tuple(_parse_level(_mapping(level)) for level in _list(data["levels"]))
        scheme = Scheme(
            code=_str(data["code"]),
            name=_parse_text(data["name"]),
            source=_str(data["source"]),
            levels=levels,
        )
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, LevelError):
            raise
        raise LevelError(f"not a levels-of-care scheme: {error!r}") from None
    return check_scheme(scheme)


def _parse_level(data: Mapping[str, JsonValue]) -> Level:
    hours = data.get("weekly_structured_hours")
    return Level(
        code=_str(data["code"]),
        name=_parse_text(data["name"]),
        description=_parse_text(data["description"]),
        contacts=tuple(
            Contact(
                kind=ContactKind(_str(contact["kind"])),
                every_days=Figure(_int(contact["every_days"]), _bool(contact["unverified"])),
                as_needed=_bool(contact["as_needed"]),
            )
            for contact in map(_mapping, _list(data["contacts"]))
        ),
        weekly_structured_hours=None
        if hours is None
        else Figure(_int(_mapping(hours)["value"]), _bool(_mapping(hours)["unverified"])),
    )


def _figure_dict(figure: Figure | None) -> JsonValue:
    return None if figure is None else {"value": figure.value, "unverified": figure.unverified}


def _check_text(text: Text, where: str) -> None:
    if not text.en.strip() or not text.es.strip():
        raise LevelError(f"{where}: needs text in English and Spanish")


def _parse_text(value: JsonValue) -> Text:
    data = _mapping(value)
    return Text(_str(data["en"]), _str(data["es"]))


def _mapping(value: JsonValue) -> Mapping[str, JsonValue]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {value!r}")
    return value


def _list(value: JsonValue) -> list[JsonValue]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {value!r}")
    return value


def _str(value: JsonValue) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _int(value: JsonValue) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected a whole number, got {value!r}")
    return value


def _bool(value: JsonValue) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


# --- presets ----------------------------------------------------------------------------


def _contact(kind: ContactKind, days: int, *, unverified: bool, as_needed: bool = False) -> Contact:
    return Contact(kind, Figure(days, unverified), as_needed)


_CLINICIAN, _PSYCHIATRY, _PLAN = (
    ContactKind.CLINICIAN,
    ContactKind.PSYCHIATRY,
    ContactKind.TREATMENT_PLAN,
)

CDCR_MHSDS = Scheme(
    code="cdcr-mhsds",
    name=Text("Modelled on CDCR MHSDS (California)", "Basado en el MHSDS del CDCR (California)"),
    source="CDCR Mental Health Program Guide (2009 rev.); CDCR MHSDS training material",
    levels=(
        Level(
            "cccms",
            Text("CCCMS (clinic level)", "CCCMS (nivel de clínica)"),
            Text(
                "Outpatient care in general population with a primary clinician.",
                "Atención ambulatoria en población general con un profesional clínico asignado.",
            ),
            (
                _contact(_CLINICIAN, 90, unverified=False),
                _contact(_PSYCHIATRY, 90, unverified=False, as_needed=True),
                _contact(_PLAN, 365, unverified=False),
            ),
        ),
        Level(
            "eop",
            Text("EOP (enhanced outpatient)", "EOP (ambulatorio intensivo)"),
            Text(
                "Symptoms that impair functioning in general population; separate housing "
                "and far more treatment.",
                "Síntomas que impiden desenvolverse en población general; alojamiento aparte "
                "y mucho más tratamiento.",
            ),
            (_contact(_CLINICIAN, 7, unverified=True),),
            Figure(10, unverified=True),
        ),
        Level(
            "mhcb",
            Text("MHCB (crisis bed)", "MHCB (cama de crisis)"),
            Text("Short-term crisis care.", "Atención de crisis a corto plazo."),
            (_contact(_CLINICIAN, 1, unverified=True),),
        ),
        Level(
            "inpatient",
            Text("Inpatient (intermediate or acute)", "Hospitalización (intermedia o aguda)"),
            Text("Inpatient psychiatric care.", "Atención psiquiátrica hospitalaria."),
            (_contact(_CLINICIAN, 1, unverified=True),),
        ),
    ),
)

BOP_CARE_MH = Scheme(
    code="bop-care-mh",
    name=Text("Modelled on BOP CARE-MH (federal)", "Basado en CARE-MH del BOP (federal)"),
    source="Federal Bureau of Prisons Program Statement 5310.16 (2014); "
    "contact frequencies unverified",
    levels=(
        Level(
            "care1-mh",
            Text("CARE1-MH", "CARE1-MH"),
            Text(
                "No significant impairment; no need for regular mental-health intervention.",
                "Sin deterioro importante; no necesita atención de salud mental regular.",
            ),
        ),
        Level(
            "care2-mh",
            Text("CARE2-MH", "CARE2-MH"),
            Text(
                "Routine outpatient care and/or brief crisis care.",
                "Atención ambulatoria de rutina o atención breve de crisis.",
            ),
            (_contact(_CLINICIAN, 90, unverified=True),),
        ),
        Level(
            "care3-mh",
            Text("CARE3-MH", "CARE3-MH"),
            Text(
                "Enhanced outpatient or residential care.",
                "Atención ambulatoria intensiva o residencial.",
            ),
            (_contact(_CLINICIAN, 7, unverified=True),),
        ),
        Level(
            "care4-mh",
            Text("CARE4-MH", "CARE4-MH"),
            Text("Inpatient psychiatric care.", "Atención psiquiátrica hospitalaria."),
            (_contact(_CLINICIAN, 1, unverified=True),),
        ),
    ),
)

# Kiteline's own plain scheme: no outside source, so every figure is unverified.
GENERIC = Scheme(
    code="generic",
    name=Text("Generic levels", "Niveles genéricos"),
    source="Kiteline default; set the facility's own figures",
    levels=(
        Level(
            "none",
            Text("No mental-health care", "Sin atención de salud mental"),
            Text("No regular contact needed.", "No necesita contacto regular."),
        ),
        Level(
            "outpatient",
            Text("Outpatient", "Ambulatorio"),
            Text(
                "Regular contact with a clinician.", "Contacto regular con un profesional clínico."
            ),
            (_contact(_CLINICIAN, 30, unverified=True),),
        ),
        Level(
            "enhanced",
            Text("Enhanced outpatient", "Ambulatorio intensivo"),
            Text("Weekly contact and structured activity.", "Contacto semanal y actividades."),
            (_contact(_CLINICIAN, 7, unverified=True),),
        ),
        Level(
            "crisis",
            Text("Crisis care", "Atención de crisis"),
            Text("Short-term crisis care.", "Atención de crisis a corto plazo."),
            (_contact(_CLINICIAN, 1, unverified=True),),
        ),
        Level(
            "inpatient",
            Text("Inpatient", "Hospitalización"),
            Text("Inpatient psychiatric care.", "Atención psiquiátrica hospitalaria."),
            (_contact(_CLINICIAN, 1, unverified=True),),
        ),
    ),
)

PRESETS: Mapping[str, Scheme] = MappingProxyType(
    {scheme.code: check_scheme(scheme) for scheme in (CDCR_MHSDS, BOP_CARE_MH, GENERIC)}
)
