"""Forms for the staff care pages. They parse what was posted and nothing more: the lists
they show come from the selectors, and whether a choice may be made is for the care
services to decide, whose refusal the page then shows in their own words.

So a field that names a record (a level, a service, an evaluation, a reviewer) is parsed as
a plain value under a select: the selector finds the record in the actor's scope (or
answers 404) and the service says whether it fits."""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kiteline.care.levels import MAX_DAYS
from kiteline.care.models import AppealOutcome, Outcome, OverrideReason
from kiteline.care.services import LATE_REASON_MAX_LENGTH, TEXT_MAX_LENGTH
from kiteline.kites.forms import in_zone, local_input

type Choices = Sequence[tuple[Any, Any]]  # (value, label); a label may be a lazy text


def _text_area(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _select(field: forms.Field, choices: Choices, blank: str | None = None) -> None:
    """Show `choices` (after a blank one, when given) under a field that parses a value."""
    shown: list[tuple[Any, Any]] = [("", blank)] if blank is not None else []
    field.widget = forms.Select(choices=[*shown, *choices])


class LevelForm(forms.Form):
    """A clinician sets the resident's level of care from the person page."""

    resident_number = forms.CharField(max_length=32, widget=forms.HiddenInput)
    level = forms.CharField(max_length=32, label=_("Level of care"))
    reason = forms.CharField(
        max_length=TEXT_MAX_LENGTH, required=False, widget=_text_area(), label=_("Reason")
    )
    evaluation = forms.IntegerField(required=False, label=_("After the evaluation"))

    def __init__(
        self, *args: Any, levels: Choices = (), evaluations: Choices = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _select(self.fields["level"], levels)
        _select(self.fields["evaluation"], evaluations, blank=str(_("None")))


class AskForm(forms.Form):
    """Ask the published policy for a decision: for a resident from the person page
    (optionally from one of their evaluations), or from a request referred for one."""

    resident_number = forms.CharField(max_length=32, required=False, widget=forms.HiddenInput)
    kite = forms.IntegerField(required=False, widget=forms.HiddenInput)
    back = forms.CharField(max_length=16, required=False, widget=forms.HiddenInput)
    service = forms.IntegerField(label=_("Service"))
    evaluation = forms.IntegerField(required=False, label=_("From the evaluation"))

    def __init__(
        self, *args: Any, services: Choices = (), evaluations: Choices = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _select(self.fields["service"], services)
        _select(self.fields["evaluation"], evaluations, blank=str(_("None")))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("resident_number") and data.get("kite") is None:
            raise forms.ValidationError(_("Say whose decision this is."))
        return data


class OverrideForm(forms.Form):
    outcome = forms.CharField(max_length=20, label=_("Outcome"))
    reason = forms.CharField(
        max_length=24, required=False, label=_("Reason (the resident reads it, translated)")
    )
    text = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=_text_area(),
        label=_("In your own words (shown to the resident as written by staff)"),
    )

    def __init__(self, *args: Any, outcomes: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _select(self.fields["outcome"], [(o, Outcome(o).label) for o in outcomes])
        _select(self.fields["reason"], OverrideReason.choices, blank=str(_("Choose a reason")))


class FileAppealForm(forms.Form):
    """Staff file the resident's appeal; one the resident made earlier (on paper, at pill
    call) counts from when they made it, read in the facility's time (`time_zone`)."""

    text = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=_text_area(4),
        label=_("Why the resident disagrees, in their words"),
    )
    received_at = forms.DateTimeField(
        required=False,
        widget=local_input(),
        label=_("Received on (facility time)"),
        help_text=_("When the resident made the appeal. Leave empty when it is just now."),
    )
    late_reason = forms.CharField(
        max_length=LATE_REASON_MAX_LENGTH,
        required=False,
        label=_("Why entered late"),
        help_text=_("Needed when the resident made it more than a few minutes ago."),
    )

    def __init__(self, *args: Any, time_zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("received_at") is not None:
            try:
                data["received_at"] = in_zone(data["received_at"], self.time_zone)
            except forms.ValidationError as error:
                self.add_error("received_at", error)
        return data


class AppealDecisionForm(forms.Form):
    outcome = forms.CharField(max_length=16, required=False, label=_("Outcome"))
    reason = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=_text_area(4),
        label=_("Reason (the resident reads it)"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _select(self.fields["outcome"], AppealOutcome.choices, blank=str(_("Choose")))


class ReviewerForm(forms.Form):
    reviewer = forms.IntegerField(label=_("Reviewer"))
    back = forms.CharField(max_length=16, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, reviewers: Choices = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _select(self.fields["reviewer"], reviewers)


class SchemeForm(forms.Form):
    facility = forms.CharField(max_length=32, widget=forms.HiddenInput)
    scheme = forms.CharField(max_length=32, label=_("Levels of care"))
    appeal_window_days = forms.IntegerField(
        min_value=1, max_value=365, label=_("Days a resident has to appeal a decision")
    )
    appeal_response_days = forms.IntegerField(
        min_value=1, max_value=365, label=_("Days a reviewer has to answer an appeal")
    )

    def __init__(self, *args: Any, schemes: Choices = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _select(self.fields["scheme"], schemes)


class ServiceForm(forms.Form):
    facility = forms.CharField(max_length=32, widget=forms.HiddenInput)
    code = forms.CharField(
        max_length=64,
        label=_("Code"),
        help_text=_("Lower-case letters, digits, - and _, such as art_therapy."),
    )
    name_en = forms.CharField(max_length=120, label=_("Name in English"))
    name_es = forms.CharField(max_length=120, label=_("Name in Spanish"))
    capacity_note = forms.CharField(max_length=300, required=False, label=_("Capacity"))


class ServiceEditForm(forms.Form):
    """Rename a service, change its capacity note, stop or start offering it."""

    name_en = forms.CharField(max_length=120, label=_("Name in English"))
    name_es = forms.CharField(max_length=120, label=_("Name in Spanish"))
    capacity_note = forms.CharField(max_length=300, required=False, label=_("Capacity"))
    active = forms.BooleanField(required=False, label=_("Offered (new decisions may be asked)"))


PRESET, EVERY, NOT_REQUIRED = "preset", "every", "none"


class ContactFiguresForm(forms.Form):
    """The facility's own contact figures: per level of the scheme in force and per kind
    of contact, the preset's figure, every so many days, or not required. Weekly hours of
    structured activity stay the preset's: `levels.set_contact` sets contacts only."""

    facility = forms.CharField(max_length=32, widget=forms.HiddenInput)
    scheme = forms.CharField(max_length=32, widget=forms.HiddenInput)

    def __init__(self, *args: Any, rows: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.cells: list[tuple[Any, Any, str, str]] = []  # (row, cell, mode field, days field)
        for row in rows:
            for cell in row.cells:
                mode, days = f"{row.level}__{cell.kind}__mode", f"{row.level}__{cell.kind}__days"
                where = f"{row.level_name}, {cell.kind_name}"
                preset = (
                    _("Preset: not required")
                    if cell.preset_days is None
                    else _("Preset: every %(days)s days (unverified)") % {"days": cell.preset_days}
                    if cell.preset_unverified
                    else _("Preset: every %(days)s days") % {"days": cell.preset_days}
                )
                self.fields[mode] = forms.ChoiceField(
                    choices=[
                        (PRESET, preset),
                        (EVERY, _("Every N days")),
                        (NOT_REQUIRED, _("Not required")),
                    ],
                    label=where,
                )
                self.fields[days] = forms.CharField(
                    max_length=8,
                    required=False,
                    label=_("%(where)s: every how many days") % {"where": where},
                    widget=forms.NumberInput(attrs={"min": 1, "max": 366, "size": 4}),
                )
                if not self.is_bound:
                    own = cell.own
                    self.initial[mode] = (
                        PRESET if not own else NOT_REQUIRED if cell.own_days is None else EVERY
                    )
                    shown = cell.own_days if own else cell.preset_days
                    self.initial[days] = "" if shown is None else str(shown)
                for name in (mode, days):
                    self.fields[name].widget.attrs["aria-label"] = str(self.fields[name].label)
                self.cells.append((row, cell, mode, days))

    def grid(self) -> list[tuple[Any, list[tuple[Any, forms.BoundField, forms.BoundField]]]]:
        """Per level, each kind of contact with its two fields, for the page's table."""
        return [
            (
                row,
                [
                    (cell, self[mode], self[days])
                    for at, cell, mode, days in self.cells
                    if at is row
                ],
            )
            for row in self.rows
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        figures: dict[str, dict[str, int | None]] = {}
        for row, cell, mode, days in self.cells:
            chosen = data.get(mode)
            if chosen == NOT_REQUIRED:
                figures.setdefault(row.level, {})[cell.kind] = None
            elif chosen == EVERY:
                text = (data.get(days) or "").strip()
                number = int(text) if text.isascii() and text.isdigit() else None
                if number is None or not 1 <= number <= MAX_DAYS:
                    self.add_error(
                        days,
                        _(
                            "%(level)s, %(kind)s: give a whole number of days from 1 to "
                            "%(most)s, or choose “Not required”."
                        )
                        % {"level": row.level_name, "kind": cell.kind_name, "most": MAX_DAYS},
                    )
                    continue
                figures.setdefault(row.level, {})[cell.kind] = number
        data["contact_days"] = figures
        return data
