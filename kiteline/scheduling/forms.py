"""Forms of the schedule, appointment and requirement pages: each parses what a page
posts, with a clear error for anything malformed, before a service sees it."""

import re
from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiteline.scheduling.models import MAX_HORIZON_DAYS, AppointmentOutcome, CustodyReason
from kiteline.scheduling.services import MAX_START_DAYS_AHEAD, latest_start

_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def parse_time(text: str) -> int:
    """'HH:MM' → minutes after midnight; ValidationError otherwise."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise forms.ValidationError(_("Write the time as HH:MM, for example 09:30."))
    return int(match.group(1)) * 60 + int(match.group(2))


class ProposeForm(forms.Form):
    facility = forms.CharField(widget=forms.HiddenInput, required=False)
    start = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(
        label=_("Days"), min_value=1, max_value=MAX_HORIZON_DAYS, required=False
    )
    method = forms.ChoiceField(
        label=_("Method"),
        choices=[
            ("cp-sat", _("Optimised (CP-SAT)")),
            ("greedy", _("First come, first served (baseline)")),
        ],
    )

    def clean_start(self) -> date:
        start: date = self.cleaned_data["start"]
        if start > latest_start(timezone.now()):
            raise forms.ValidationError(
                _("A schedule starts at most %(days)d days from today.")
                % {"days": MAX_START_DAYS_AHEAD}
            )
        return start


class MoveForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.CharField(label=_("Time"), max_length=16)

    def __init__(
        self,
        *args: Any,
        clinicians: list[tuple[str, str]] | None = None,
        rooms: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinician"] = forms.ChoiceField(label=_("Clinician"), choices=clinicians or [])
        self.fields["room"] = forms.ChoiceField(label=_("Room"), choices=rooms or [])

    def clean_start(self) -> int:
        return parse_time(self.cleaned_data["start"])


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("What happened"), choices=AppointmentOutcome.choices)
    custody_reason = forms.ChoiceField(
        label=_("Why custody cancelled"),
        choices=[("", "—"), *CustodyReason.choices],
        required=False,
    )
    note = forms.CharField(
        label=_("Note (for a refusal: what was offered next)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DayForm(forms.Form):
    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    facility = forms.CharField(required=False)


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    facility = forms.CharField(required=False)
