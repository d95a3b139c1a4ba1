import secrets
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kiteline.accounts.models import User
from kiteline.reports.models import SampleKind
from kiteline.reports.sample_services import MAX_SEED, MAX_SIZE

DAY = forms.DateInput(attrs={"type": "date"})


class DrawSampleForm(forms.Form):
    """What to sample. The service checks every value again and says what is wrong; the
    form only turns the text typed into dates and whole numbers."""

    kind = forms.ChoiceField(choices=SampleKind.choices, label=_("Records"))
    first_day = forms.DateField(widget=DAY, label=_("First day"))
    last_day = forms.DateField(
        widget=DAY, label=_("Last day"), help_text=_("Included; days in the facility's time.")
    )
    size = forms.IntegerField(
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_SIZE}),
        initial=30,
        label=_("How many"),
        error_messages={"invalid": _("The size is a whole number, such as 30.")},
    )
    seed = forms.IntegerField(
        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_SEED}),
        label=_("Seed"),
        help_text=_("Any whole number. The same seed draws the same records again."),
        error_messages={"invalid": _("The seed is a whole number, 0 or more, such as 20260401.")},
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        facilities = actor.facilities.order_by("name")
        self.fields["facility"] = forms.ModelChoiceField(queryset=facilities, label=_("Facility"))
        only = list(facilities[:2])
        if len(only) == 1:
            self.fields["facility"].initial = only[0].pk
        # A fresh seed to start from; whoever reviews the sample may name their own.
        self.fields["seed"].initial = secrets.randbelow(10**9)
        self.order_fields(["facility", "kind", "first_day", "last_day", "size", "seed"])
