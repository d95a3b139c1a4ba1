"""The staff forms for kites: they parse what was typed; the services decide what is allowed.

A time typed on a page is read as the wall-clock time of the facility concerned, never the
server's: a paper kite received at 08:00 in Chicago was received at 08:00 in Chicago. A
reading the clocks skipped (spring forward) or passed twice (fall back) is refused, never
guessed at.
"""

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiteline.accounts.models import User
from kiteline.facilities.models import Facility
from kiteline.kites.clocks import NCCHC_DEFAULTS
from kiteline.kites.models import Channel, CloseCode, Outcome, Route, Topic, Urgency
from kiteline.kites.rota_selectors import (
    clinicians_in_scope,
)
from kiteline.kites.selectors import (
    CONTACT_PLACE_LABELS,
    STANDARD_LABELS,
    KiteRef,
    resident_for_entry,
)
from kiteline.kites.services import CONTACT_PLACES, STAFF_CHANNELS
from kiteline.kites.standards import settings_in_force
from kiteline.kites.watch import MAX_CHECK_MINUTES, WatchLevel

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def local_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT)


def in_zone(value: datetime, zone: str) -> datetime:
    """The same wall-clock reading in the facility's zone. The form field read the typed
    value in the current zone; taking it back out of that zone gives exactly what was typed.

    A reading that does not exist there (the clocks went forward over it) or happens twice
    (they went back over it) is refused with a ValidationError: either way, any instant
    chosen for it could be wrong by the size of the change."""
    tz = ZoneInfo(zone)
    wall = timezone.make_naive(value)
    first, second = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
        raise forms.ValidationError(
            _("That time does not exist in %(zone)s: the clocks went forward."),
            code="nonexistent_time",
            params={"zone": zone},
        )
    back_to, back_from = _repeated(first, second, tz)
    raise forms.ValidationError(
        _(
            "That time happens twice in %(zone)s (the clocks went back): enter it as a time "
            "before %(start)s or from %(end)s on."
        ),
        code="ambiguous_time",
        params={"zone": zone, "start": f"{back_to:%H:%M}", "end": f"{back_from:%H:%M}"},
    )


def _repeated(first: datetime, second: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The wall-clock readings that begin and end the repeated period around a reading that
    happens twice, given as its `first` and `second` occurrence: the clocks went back from
    the end to the beginning. The instant they did is found by halving the time between the
    two occurrences, down to a second."""
    before, after = first.astimezone(UTC), second.astimezone(UTC)
    size = after - before  # how far the clocks went back
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        if middle.astimezone(tz).utcoffset() == first.utcoffset():
            before = middle
        else:
            after = middle
    back_to = after.replace(microsecond=0).astimezone(tz).replace(tzinfo=None)
    return back_to, back_to + size


class PaperKiteForm(forms.Form):
    resident_number = forms.CharField(max_length=32, label=_("Resident number"))
    channel = forms.ChoiceField(
        choices=[(value, label) for value, label in Channel.choices if value in STAFF_CHANNELS],
        label=_("How it was received"),
    )
    topic = forms.ChoiceField(choices=Topic.choices, label=_("What it is about"))
    received_at = forms.DateTimeField(
        required=False,
        widget=local_input(),
        label=_("Received at (facility time)"),
        help_text=_("Leave empty when it was received just now."),
    )
    backdate_reason = forms.CharField(
        required=False,
        max_length=300,
        label=_("Why it is entered later"),
        help_text=_("Needed when it was received more than a few minutes ago."),
    )
    text = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        label=_("The words, exactly as written or spoken"),
    )
    # Made when the empty form is shown: saving twice (a double click, a resent form)
    # returns the request already saved instead of making a second one (I1).
    request_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        number = data.get("resident_number")
        if not number:
            return data
        resident = resident_for_entry(actor=self.actor, resident_number=number)
        if resident is None:
            self.add_error(
                "resident_number", _("Nobody with this number is held at your facilities now.")
            )
            return data
        data["person"] = resident.person
        if data.get("received_at") is not None:
            try:
                data["received_at"] = in_zone(data["received_at"], resident.time_zone)
            except forms.ValidationError as error:
                self.add_error("received_at", error)
        return data


class TriageForm(forms.Form):
    urgency = forms.ChoiceField(
        choices=Urgency.choices, widget=forms.RadioSelect, label=_("Urgency")
    )
    symptom_described = forms.TypedChoiceField(
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda answer: answer == "yes",
        widget=forms.RadioSelect,
        label=_("Does it describe a clinical symptom?"),
    )
    route = forms.ChoiceField(
        choices=Route.choices, initial=Route.MENTAL_HEALTH, label=_("Goes to")
    )
    route_reason = forms.CharField(
        required=False, max_length=300, label=_("Why it goes to another service")
    )


class LinkForm(forms.Form):
    same_matter_as = forms.IntegerField(widget=forms.Select, label=_("Same matter as"))

    def __init__(self, *args: Any, other_kites: Iterable[KiteRef] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.Select, self.fields["same_matter_as"].widget).choices = [
            (kite.kite_id, f"{kite.number} · {kite.received_at:%Y-%m-%d %H:%M} · {kite.topic}")
            for kite in other_kites
        ]


class CloseForm(forms.Form):
    close_code = forms.ChoiceField(choices=CloseCode.choices, label=_("Why, without a visit"))


class ContactForm(forms.Form):
    # Empty means now: a time filled in when the page was drawn would be stale by the time
    # the form is sent, and could even fall before the request was received.
    seen_at = forms.DateTimeField(
        required=False,
        widget=local_input(),
        label=_("Seen at (facility time)"),
        help_text=_("Leave empty if you saw the resident just now."),
    )
    place = forms.ChoiceField(
        choices=[(place, CONTACT_PLACE_LABELS.get(place, place)) for place in CONTACT_PLACES],
        label=_("Where"),
    )
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label=_("Brief note")
    )
    outcome = forms.ChoiceField(choices=Outcome.choices, label=_("Outcome"))
    late_reason = forms.CharField(
        required=False,
        max_length=300,
        label=_("Why entered late"),
        help_text=_("Needed when the visit was more than 15 minutes ago."),
    )

    def __init__(self, *args: Any, time_zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone

    def clean_seen_at(self) -> datetime:
        value: datetime | None = self.cleaned_data["seen_at"]
        return timezone.now() if value is None else in_zone(value, self.time_zone)


class FalseAlarmForm(forms.Form):
    reason = forms.CharField(max_length=300, label=_("Why this is not a crisis"))


class WatchForm(forms.Form):
    resident_number = forms.CharField(max_length=32, label=_("Resident number"))
    level = forms.ChoiceField(choices=WatchLevel.choices, label=_("Watch level"))
    check_minutes = forms.IntegerField(
        min_value=1, max_value=MAX_CHECK_MINUTES, initial=15, label=_("Check every (minutes)")
    )

    def __init__(self, *args: Any, resident_number: str | None = None, **kwargs: Any) -> None:
        if resident_number is not None:
            kwargs.setdefault("initial", {"resident_number": resident_number})
        super().__init__(*args, **kwargs)
        if resident_number is not None:
            self.fields["resident_number"].widget = forms.HiddenInput()


class OnCallForm(forms.Form):
    starts_at = forms.DateTimeField(widget=local_input(), label=_("Starts (facility time)"))
    ends_at = forms.DateTimeField(widget=local_input(), label=_("Ends (facility time)"))

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clinicians = clinicians_in_scope(actor)
        self.fields["facility"] = forms.ModelChoiceField(
            queryset=actor.facilities.order_by("name"), label=_("Facility")
        )
        self.fields["clinician"] = forms.ModelChoiceField(
            queryset=clinicians, label=_("Clinician on call")
        )
        self.fields["backup"] = forms.ModelChoiceField(
            queryset=clinicians, required=False, label=_("Backup (optional)")
        )
        self.order_fields(["facility", "clinician", "backup", "starts_at", "ends_at"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        facility: Facility | None = data.get("facility")
        if facility is not None:
            for key in ("starts_at", "ends_at"):
                if data.get(key) is not None:
                    try:
                        data[key] = in_zone(data[key], facility.time_zone)
                    except forms.ValidationError as error:
                        self.add_error(key, error)
        return data


HOLIDAY_SEPARATORS = re.compile(r"[\s,;]+")


class StandardForm(forms.Form):
    holidays = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Holidays"),
        help_text=_("Dates on the facility's calendar, such as 2026-12-25, one per line."),
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        """The form starts from the standard in force, so that a supervisor who changes one
        thing does not undo the rest by sending the others back as they were first shown.
        It can do so only when the actor has exactly one facility; with several it starts
        from the NCCHC defaults, and says so."""
        super().__init__(*args, **kwargs)
        facilities = actor.facilities.order_by("name")
        self.fields["facility"] = forms.ModelChoiceField(
            queryset=facilities,
            label=_("Facility"),
            help_text=_(
                "With one facility, the form starts from its standard in force. With several, "
                "it starts from the NCCHC defaults and no holidays: set every figure and "
                "holiday, because the version you publish replaces the one in force."
            ),
        )
        only = list(facilities[:2])
        values, holidays = dict(NCCHC_DEFAULTS), list[date]()
        if len(only) == 1:
            self.fields["facility"].initial = only[0].pk
            values, holidays = settings_in_force(only[0])
        for key in NCCHC_DEFAULTS:
            self.fields[key] = forms.IntegerField(
                min_value=1, initial=values[key], label=STANDARD_LABELS[key]
            )
        self.fields["holidays"].initial = "\n".join(day.isoformat() for day in holidays)
        self.order_fields(["facility", *NCCHC_DEFAULTS, "holidays"])

    def clean_holidays(self) -> list[date]:
        days = []
        for word in HOLIDAY_SEPARATORS.split(self.cleaned_data["holidays"]):
            if not word:
                continue
            try:
                days.append(date.fromisoformat(word))
            except ValueError as error:
                message = _("%(word)s is not a date such as 2026-12-25.") % {"word": word}
                raise forms.ValidationError(message) from error
        return days

    def hours(self) -> dict[str, int]:
        return {key: self.cleaned_data[key] for key in NCCHC_DEFAULTS}


class CrisisPhraseForm(forms.Form):
    language = forms.ChoiceField(
        choices=[("en", "English"), ("es", "Español")], label=_("Language")
    )
    pattern = forms.CharField(
        max_length=120,
        label=_("Phrase"),
        help_text=_(
            "Words as a resident might write them; case, accents and quotes do not matter."
        ),
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facility"] = forms.ModelChoiceField(
            queryset=actor.facilities.order_by("name"), label=_("Facility")
        )
        self.order_fields(["facility", "language", "pattern"])
