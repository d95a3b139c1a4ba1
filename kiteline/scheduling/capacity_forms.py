"""Forms of the capacity and movement pages. They parse what was posted, every field before
any service is called, so malformed input is refused whole with a clear error and never
half-written; whether a change may be made is for the services to say.

Hours are typed as "HH:MM-HH:MM", several separated by commas ("09:00-12:00, 13:00-17:00");
an end of 24:00 is midnight at the end of the day. A field that names a record offers the
facility's own under a select, and the view finds the record in the facility."""

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from kiteline.scheduling.forms import parse_time
from kiteline.scheduling.models import MAX_HORIZON_DAYS, ExceptionReason, RestrictionKind
from kiteline.scheduling.problem import DAY_MINUTES, Kind

type Choices = Sequence[tuple[Any, Any]]  # (value, label); a label may be a lazy text

WEEKDAYS = (
    ("monday", _("Monday")),
    ("tuesday", _("Tuesday")),
    ("wednesday", _("Wednesday")),
    ("thursday", _("Thursday")),
    ("friday", _("Friday")),
    ("saturday", _("Saturday")),
    ("sunday", _("Sunday")),
)
KIND_LABELS = {
    Kind.INDIVIDUAL.value: _("Individual"),
    Kind.GROUP.value: _("Group"),
    Kind.PSYCHIATRY.value: _("Psychiatry"),
    Kind.CRISIS_FOLLOW_UP.value: _("Crisis follow-up"),
}
HOURS_EXAMPLE = "09:00-12:00, 13:00-17:00"


def _end_time(text: str) -> int:
    return DAY_MINUTES if text.strip() == "24:00" else parse_time(text)


def _window_of(part: str) -> tuple[int, int] | None:
    start, dash, end = part.replace("\u2013", "-").partition("-")
    if not dash:
        return None
    try:
        return parse_time(start), _end_time(end)
    except forms.ValidationError:
        return None


def parse_windows(text: str, what: object) -> list[tuple[int, int]]:
    """Hours typed as "HH:MM-HH:MM, ..." → [(start, end), ...] in minutes; blank → []."""
    windows = []
    for part in (part.strip() for part in text.split(",")):
        if not part:
            continue
        window = _window_of(part)
        if window is None:
            raise forms.ValidationError(
                _("%(what)s: “%(part)s” is not hours like 09:00-12:00.")
                % {"what": what, "part": part}
            )
        if window[0] >= window[1]:
            raise forms.ValidationError(
                _("%(what)s: “%(part)s” must start before it ends.") % {"what": what, "part": part}
            )
        windows.append(window)
    return windows


def _time_of_day(text: str, what: object, *, end: bool = False) -> int:
    try:
        return _end_time(text) if end else parse_time(text)
    except forms.ValidationError:
        raise forms.ValidationError(
            _("%(what)s: write the time as HH:MM, for example 09:30.") % {"what": what}
        ) from None


def hours_text(windows: Sequence[tuple[str, str]]) -> str:
    """The text a windows field shows for [(start, end), ...] labels."""
    return ", ".join(f"{start}-{end}" for start, end in windows)


def _hours_input(size: int = 28) -> forms.TextInput:
    return forms.TextInput(attrs={"placeholder": HOURS_EXAMPLE, "size": size})


def _date_field() -> forms.DateField:
    return forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("Give the date."),
            "invalid": _("Give the date as YYYY-MM-DD."),
        },
    )


def _checkboxes(field: forms.Field, choices: Choices) -> None:
    field.widget = forms.CheckboxSelectMultiple()
    # The field checks a posted value against these choices, and its widget shows them.
    cast(forms.ChoiceField, field).choices = choices


def _select(field: forms.Field, choices: Choices, blank: object) -> None:
    field.widget = forms.Select()
    cast(forms.ChoiceField, field).choices = [("", blank), *choices]


# ---- Capacity ----------------------------------------------------------------------------


class SettingsForm(forms.Form):
    facility = forms.CharField(max_length=32, widget=forms.HiddenInput)
    periods = forms.CharField(
        max_length=500,
        label=_("Movement periods"),
        help_text=_(
            "When residents may move, such as 08:00-11:30, 13:00-16:30: counts and meals "
            "are the gaps."
        ),
        widget=_hours_input(40),
    )
    horizon_days = forms.IntegerField(
        min_value=1, max_value=MAX_HORIZON_DAYS, label=_("Days a schedule covers")
    )
    unescorted_units = forms.TypedMultipleChoiceField(
        coerce=int, required=False, label=_("Units whose residents walk without an escort")
    )

    def __init__(self, *args: Any, units: Choices = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _checkboxes(self.fields["unescorted_units"], units)

    def clean_periods(self) -> list[tuple[int, int]]:
        windows = parse_windows(self.cleaned_data["periods"], _("Movement periods"))
        if not windows:
            raise forms.ValidationError(_("Give at least one movement period."))
        return windows


class RoomForm(forms.Form):
    facility = forms.CharField(max_length=32, widget=forms.HiddenInput)
    code = forms.CharField(
        max_length=32, label=_("Code"), help_text=_("Lower-case letters, digits, - and _.")
    )
    name = forms.CharField(
        max_length=100,
        label=_("Name"),
        help_text=_("Custody read it on the escort list: name the place, never a service."),
    )
    seats = forms.IntegerField(min_value=1, max_value=500, initial=1, label=_("Seats"))
    on_site = forms.BooleanField(required=False, initial=True, label=_("In the facility"))


class RoomEditForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("Name"))
    seats = forms.IntegerField(min_value=1, max_value=500, label=_("Seats"))
    on_site = forms.BooleanField(required=False, label=_("In the facility"))
    active = forms.BooleanField(required=False, label=_("In use"))


class SessionTypeEditForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("Name"))
    kind = forms.ChoiceField(choices=list(KIND_LABELS.items()), label=_("Kind"))
    minutes = forms.IntegerField(min_value=1, max_value=DAY_MINUTES, label=_("Minutes"))
    seats = forms.IntegerField(
        min_value=1,
        max_value=500,
        initial=1,
        label=_("Seats"),
        help_text=_("One, except for a group."),
    )
    clinicians = forms.TypedMultipleChoiceField(
        coerce=int, required=False, label=_("Clinicians who hold it")
    )
    service = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label=_("Sessions of the service")
    )
    every_days = forms.IntegerField(
        min_value=1, max_value=366, required=False, label=_("One session every how many days")
    )
    active = forms.BooleanField(required=False, initial=True, label=_("In use"))

    def __init__(
        self, *args: Any, clinicians: Choices = (), services: Choices = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _checkboxes(self.fields["clinicians"], clinicians)
        _select(self.fields["service"], services, blank=_("None"))


class SessionTypeForm(SessionTypeEditForm):
    facility = forms.CharField(max_length=32, widget=forms.HiddenInput)
    code = forms.CharField(
        max_length=32, label=_("Code"), help_text=_("Lower-case letters, digits, - and _.")
    )
    field_order = ["facility", "code"]


class WeeklyHoursForm(forms.Form):
    """A clinician's weekly template: per weekday, the hours worked (blank: not working)."""

    facility = forms.CharField(max_length=32, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in WEEKDAYS:
            self.fields[name] = forms.CharField(
                max_length=200, required=False, label=label, widget=_hours_input()
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        windows: list[tuple[int, int, int]] = []
        for weekday, (name, label) in enumerate(WEEKDAYS):
            try:
                windows += [
                    (weekday, start, end) for start, end in parse_windows(data.get(name, ""), label)
                ]
            except forms.ValidationError as error:
                self.add_error(name, error)
        data["windows"] = windows
        return data

    @staticmethod
    def initial_for(weekly: Sequence[tuple[int, str, str]]) -> dict[str, str]:
        """The fields' text for a template of (weekday, start, end) labels."""
        return {
            name: hours_text([(start, end) for day, start, end in weekly if day == weekday])
            for weekday, (name, _label) in enumerate(WEEKDAYS)
        }


class ExceptionForm(forms.Form):
    """A date on which a clinician's weekly hours do not apply."""

    facility = forms.CharField(max_length=32, widget=forms.HiddenInput)
    date = _date_field()
    hours = forms.CharField(
        max_length=20,
        required=False,
        label=_("Hours worked that day"),
        help_text=_("Such as 09:00-12:00; blank for a day off."),
        widget=forms.TextInput(attrs={"placeholder": "09:00-12:00", "size": 12}),
    )
    reason = forms.ChoiceField(choices=ExceptionReason.choices, label=_("Why"))

    def clean_hours(self) -> tuple[int, int] | None:
        windows = parse_windows(self.cleaned_data["hours"], _("Hours worked that day"))
        if len(windows) > 1:
            raise forms.ValidationError(
                _("Hours worked that day: give one window; record another separately.")
            )
        return windows[0] if windows else None


# ---- Movement restrictions ---------------------------------------------------------------


class RestrictionForm(forms.Form):
    facility = forms.CharField(max_length=32, widget=forms.HiddenInput)
    date = _date_field()
    unit = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label=_("Unit"))
    start = forms.CharField(
        max_length=5,
        label=_("From"),
        widget=forms.TextInput(attrs={"placeholder": "HH:MM", "size": 6}),
    )
    end = forms.CharField(
        max_length=5,
        label=_("Until"),
        help_text=_("24:00 for the rest of the day."),
        widget=forms.TextInput(attrs={"placeholder": "HH:MM", "size": 6}),
    )
    kind = forms.ChoiceField(choices=RestrictionKind.choices, label=_("What stops movement"))

    def __init__(self, *args: Any, units: Choices = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _select(self.fields["unit"], units, blank=_("The whole facility"))

    def clean_start(self) -> int:
        return _time_of_day(self.cleaned_data["start"], _("From"))

    def clean_end(self) -> int:
        return _time_of_day(self.cleaned_data["end"], _("Until"), end=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and start >= end:
            self.add_error("end", _("The restriction must start before it ends."))
        return data
