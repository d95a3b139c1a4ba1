"""The reports pages' queries: a period (and, on the dashboard, how to group its rows),
parsed with clear errors."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kiteline.reports.figures import BY_MONTH, BY_PERIOD, BY_UNIT
from kiteline.reports.periods import Period, PeriodError, parse_period


class _PeriodForm(forms.Form):
    facility = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)

    def clean_period(self) -> Period | None:
        text = self.cleaned_data["period"]
        if not text:
            return None
        try:
            return parse_period(text)
        except PeriodError as error:
            raise forms.ValidationError(str(error)) from error


class DashboardForm(_PeriodForm):
    period = forms.CharField(
        label=_("Period"),
        max_length=10,
        required=False,
        help_text=_("A year (2026), a quarter (2026Q3) or a month (2026-07)."),
    )
    by = forms.ChoiceField(
        label=_("Rows"),
        required=False,
        choices=[
            (BY_MONTH, _("by month")),
            (BY_UNIT, _("by housing unit")),
            (BY_PERIOD, _("the whole period")),
        ],
    )


class EquityForm(_PeriodForm):
    """Finished quarters only: `equity_view.check_equity_period` says why."""

    period = forms.CharField(
        label=_("Quarter"),
        max_length=10,
        required=False,
        help_text=_("A quarter that has ended, such as 2026Q3."),
    )
