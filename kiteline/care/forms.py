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

from kiteline.care.models import AppealOutcome, Outcome, OverrideReason
from kiteline.care.services import TEXT_MAX_LENGTH

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
    text = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=_text_area(4),
        label=_("Why the resident disagrees, in their words"),
    )


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
