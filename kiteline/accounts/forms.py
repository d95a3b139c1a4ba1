from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from kiteline.accounts.models import Role, User
from kiteline.accounts.selectors import facilities_of
from kiteline.accounts.services import SUPERVISED_ROLES
from kiteline.facilities.models import Facility


class StaffUserForm(forms.Form):
    username = forms.CharField(max_length=150, label=_("Username"))
    first_name = forms.CharField(max_length=150, required=False, label=_("Given name"))
    last_name = forms.CharField(max_length=150, required=False, label=_("Family name"))
    role = forms.ChoiceField(
        choices=[(role.value, role.label) for role in Role if role in SUPERVISED_ROLES],
        label=_("Role"),
    )
    facilities = forms.ModelMultipleChoiceField(
        queryset=Facility.objects.none(), widget=forms.CheckboxSelectMultiple, label=_("Facilities")
    )
    password = forms.CharField(widget=forms.PasswordInput, label=_("First password"), strip=False)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the facilities the supervisor belongs to can be given.
        cast(
            "forms.ModelMultipleChoiceField[Facility]", self.fields["facilities"]
        ).queryset = facilities_of(actor)
