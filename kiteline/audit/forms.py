from django import forms
from django.utils.translation import gettext_lazy as _

from kiteline.audit.selectors import AuditFilters


class AuditFilterForm(forms.Form):
    resident_number = forms.CharField(required=False, label=_("Resident number"))
    username = forms.CharField(required=False, label=_("Staff username"))
    action = forms.CharField(
        required=False, label=_("Action"), help_text=_("For example roster. or person.read")
    )
    since = forms.DateField(required=False, label=_("From (UTC day)"))
    until = forms.DateField(required=False, label=_("To (UTC day, included)"))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The start day is after the end day."))
        return data

    def filters(self) -> AuditFilters:
        return AuditFilters(**self.cleaned_data) if self.is_valid() else AuditFilters()
