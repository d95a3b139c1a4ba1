"""Forms for the staff screening pages: they parse and check input; the services decide."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kiteline.accounts.models import User
from kiteline.kites.models import Urgency
from kiteline.kites.selectors import resident_for_entry
from kiteline.screening.services import REASON_MAX_LENGTH, SELF_SCREENS, instruments


def _instrument_choices(keys: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    return [
        (key, definition.name)
        for key, definition in sorted(instruments().items())
        if keys is None or key in keys
    ]


class _ResidentForm(forms.Form):
    resident_number = forms.CharField(max_length=32, label=_("Resident number"))

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        number = data.get("resident_number")
        if number:
            resident = resident_for_entry(actor=self.actor, resident_number=number)
            if resident is None:
                self.add_error(
                    "resident_number", _("Nobody with this number is held at your facilities now.")
                )
            else:
                data["person"] = resident.person
        return data


class StartForm(_ResidentForm):
    instrument = forms.ChoiceField(choices=_instrument_choices, label=_("Screen"))
    language = forms.CharField(
        max_length=35,
        initial="en",
        label=_("Language the screen is given in"),
        help_text=_("A language code, such as en or es."),
    )
    interpreter = forms.BooleanField(required=False, label=_("An interpreter helped"))


class AssignForm(_ResidentForm):
    instrument = forms.ChoiceField(
        choices=lambda: _instrument_choices(SELF_SCREENS), label=_("Self-screen")
    )


URGENCY_CHOICES = [("", _("No referral")), *Urgency.choices]


class SubmitForm(forms.Form):
    incomplete_reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        label=_("Why the screen ended early (only when questions are unanswered)"),
    )


class ReceivingSubmitForm(SubmitForm):
    urgency = forms.ChoiceField(
        choices=URGENCY_CHOICES,
        required=False,
        label=_("Evaluation needed"),
        help_text=_(
            "Emergent: now, and the clinician on call is alerted. Urgent: within the "
            "facility's urgent deadline. Routine: by the face-to-face deadline."
        ),
    )
    discretion_reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        label=_("Refer at your discretion: why"),
        help_text=_("Only when the screen is negative and you refer anyway."),
    )


class DoneForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea, label=_("Note"))
