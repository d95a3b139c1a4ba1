"""Levels-of-care schemes: the presets, their unverified figures, a facility's own figures,
and schemes stored as data."""

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from kiteline.care.facts import Text
from kiteline.care.levels import (
    BOP_CARE_MH,
    CDCR_MHSDS,
    GENERIC,
    PRESETS,
    ContactKind,
    Level,
    LevelError,
    Scheme,
    check_scheme,
    parse_scheme,
    scheme_to_dict,
    set_contact,
    unverified_figures,
)


def test_the_presets_are_modelled_on_cdcr_and_bop_with_a_generic_scheme() -> None:
    assert {code: [level.code for level in scheme.levels] for code, scheme in PRESETS.items()} == {
        "cdcr-mhsds": ["cccms", "eop", "mhcb", "inpatient"],
        "bop-care-mh": ["care1-mh", "care2-mh", "care3-mh", "care4-mh"],
        "generic": ["none", "outpatient", "enhanced", "crisis", "inpatient"],
    }


@pytest.mark.parametrize("scheme", list(PRESETS.values()), ids=list(PRESETS))
def test_every_level_is_named_and_described_in_english_and_spanish(scheme: Scheme) -> None:
    for level in scheme.levels:
        for text in (level.name, level.description):
            assert text.en.strip()
            assert text.es.strip()


def test_cccms_figures_from_the_program_guide_are_not_marked_unverified() -> None:
    cccms = CDCR_MHSDS.level("cccms")
    clinician, psychiatry = (
        cccms.contact(ContactKind.CLINICIAN),
        cccms.contact(ContactKind.PSYCHIATRY),
    )
    assert clinician is not None
    assert psychiatry is not None
    assert (clinician.every_days.value, clinician.every_days.unverified) == (90, False)
    assert (psychiatry.every_days.value, psychiatry.as_needed) == (90, True)


def test_eop_weekly_contact_and_ten_structured_hours_are_marked_unverified() -> None:
    eop = CDCR_MHSDS.level("eop")
    clinician = eop.contact(ContactKind.CLINICIAN)
    assert clinician is not None
    assert (clinician.every_days.value, clinician.every_days.unverified) == (7, True)
    assert eop.weekly_structured_hours is not None
    assert (eop.weekly_structured_hours.value, eop.weekly_structured_hours.unverified) == (10, True)


@pytest.mark.parametrize("scheme", [BOP_CARE_MH, GENERIC], ids=["bop", "generic"])
def test_every_default_figure_without_a_source_is_marked_unverified(scheme: Scheme) -> None:
    for level in scheme.levels:
        assert all(contact.every_days.unverified for contact in level.contacts)


def test_care1_needs_no_regular_contact() -> None:
    assert BOP_CARE_MH.level("care1-mh").contacts == ()


def test_the_unverified_figures_are_listed_for_a_supervisor() -> None:
    assert unverified_figures(CDCR_MHSDS) == (
        "eop: clinician every 7 days",
        "eop: 10 hours of structured activity a week",
        "mhcb: clinician every 1 days",
        "inpatient: clinician every 1 days",
    )


def test_a_facility_figure_replaces_the_default_and_is_not_unverified() -> None:
    scheme = set_contact(CDCR_MHSDS, "eop", ContactKind.CLINICIAN, 14)
    clinician = scheme.level("eop").contact(ContactKind.CLINICIAN)
    assert clinician is not None
    assert (clinician.every_days.value, clinician.every_days.unverified) == (14, False)
    assert "eop: clinician every 7 days" not in unverified_figures(scheme)
    assert CDCR_MHSDS.level("eop").contact(ContactKind.CLINICIAN) != clinician  # presets stay


def test_a_facility_can_add_and_remove_a_contact() -> None:
    added = set_contact(GENERIC, "enhanced", ContactKind.PSYCHIATRY, 30, as_needed=True)
    assert [c.kind for c in added.level("enhanced").contacts] == [
        ContactKind.CLINICIAN,
        ContactKind.PSYCHIATRY,
    ]
    removed = set_contact(added, "enhanced", ContactKind.CLINICIAN, None)
    assert [c.kind for c in removed.level("enhanced").contacts] == [ContactKind.PSYCHIATRY]


@pytest.mark.parametrize("days", [0, -7, 367])
def test_a_frequency_outside_one_to_366_days_is_refused(days: int) -> None:
    with pytest.raises(LevelError, match="generic/outpatient: clinician every"):
        set_contact(GENERIC, "outpatient", ContactKind.CLINICIAN, days)


def test_an_unknown_level_is_refused_naming_it() -> None:
    with pytest.raises(LevelError, match="cdcr-mhsds: no level 'care2-mh'"):
        set_contact(CDCR_MHSDS, "care2-mh", ContactKind.CLINICIAN, 30)


@pytest.mark.parametrize("scheme", list(PRESETS.values()), ids=list(PRESETS))
def test_a_scheme_survives_a_round_trip_through_its_stored_form(scheme: Scheme) -> None:
    stored = json.loads(json.dumps(scheme_to_dict(scheme)))
    assert parse_scheme(stored) == scheme


def _level(code: str, en: str = "Level", es: str = "Nivel") -> Level:
    return Level(code, Text(en, es), Text("About it.", "Sobre él."))


@pytest.mark.parametrize(
    ("levels", "fault"),
    [
        ((), "needs at least one level"),
        ((_level("a"), _level("a")), "generic/a: the code is used twice"),
        ((_level("A b"),), "not a level code"),
        ((_level("a", es=" "),), "generic/a name: needs text in English and Spanish"),
    ],
)
def test_a_faulty_scheme_is_refused_naming_the_level(levels: tuple[Level, ...], fault: str) -> None:
    with pytest.raises(LevelError, match=fault):
        check_scheme(replace(GENERIC, levels=levels))


def test_a_level_listing_a_contact_kind_twice_is_refused() -> None:
    outpatient = GENERIC.level("outpatient")
    twice = replace(outpatient, contacts=outpatient.contacts * 2)
    with pytest.raises(LevelError, match="listed twice"):
        check_scheme(replace(GENERIC, levels=(twice,)))


@pytest.mark.parametrize(
    ("change", "fault"),
    [
        (lambda d: d.pop("levels"), "not a levels-of-care scheme"),
        (lambda d: d["levels"][1]["contacts"][0].update(kind="therapy"), "not a levels-of-care"),
        (lambda d: d["levels"][1]["contacts"][0].update(every_days="30"), "whole number"),
        (lambda d: d["levels"][1]["name"].pop("es"), "not a levels-of-care scheme"),
        (lambda d: d["levels"].append(d["levels"][0]), "the code is used twice"),
    ],
)
def test_a_stored_scheme_that_does_not_fit_is_refused(
    change: Callable[[dict[str, Any]], object], fault: str
) -> None:
    data = json.loads(json.dumps(scheme_to_dict(GENERIC)))
    change(data)
    with pytest.raises(LevelError, match=fault):
        parse_scheme(data)
