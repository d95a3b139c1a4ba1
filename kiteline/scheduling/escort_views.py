"""The escort list for custody: who goes where, when, from which unit, and whether an officer
walks them (issue 8, I6). A printable page, like the downtime packet. The template gets the
selector's `EscortList` and plain strings only, never a model instance, so nothing clinical
can reach it."""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiteline.accounts.authz import acting_user, staff
from kiteline.facilities.models import Facility
from kiteline.scheduling.problem_source import local_date
from kiteline.scheduling.selectors import ESCORT_ROLES, escort_list, facilities_of, facility_for

TEMPLATE = "scheduling/escorts.html"


class EscortQuery(forms.Form):
    """The page's query string. No date means today at the facility."""

    date = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": _("Write the date as YYYY-MM-DD, for example 2026-03-14.")},
    )
    unit = forms.CharField(required=False, max_length=32)
    facility = forms.CharField(required=False, max_length=32)


@dataclass(frozen=True)
class Choices:
    """What the date and unit form shows: plain strings."""

    date: str
    unit: str
    facility: str
    units: tuple[str, ...]
    facilities: tuple[tuple[str, str], ...]


@staff(*ESCORT_ROLES)
def escorts(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    query = EscortQuery(request.GET)
    valid = query.is_valid()
    data = query.cleaned_data
    facility = facility_for(
        actor=actor, facility_code=data.get("facility") or None, roles=ESCORT_ROLES
    )
    if not valid:
        # Nothing is listed for a date nobody can read: the form comes back with why.
        return _bad_query(request, query, facility)
    now = timezone.now()
    listing = escort_list(
        actor=actor,
        facility_code=facility.code,
        day=data["date"] or local_date(facility, now),
        unit_code=data["unit"],
    )
    choices = Choices(
        date=listing.date.isoformat(),
        unit=listing.unit,
        facility=listing.facility_code,
        units=listing.units,
        facilities=facilities_of(actor),
    )
    context = {
        "escorts": listing,
        "choices": choices,
        "unknown_unit": bool(listing.unit) and listing.unit not in listing.units,
        "printed_at": now,
    }
    with timezone.override(ZoneInfo(facility.time_zone)):
        return render(request, TEMPLATE, context)


def _bad_query(request: HttpRequest, query: EscortQuery, facility: Facility) -> HttpResponse:
    choices = Choices(
        date=request.GET.get("date", ""),
        unit=query.cleaned_data.get("unit", ""),
        facility=facility.code,
        units=tuple(facility.housing_units.order_by("code").values_list("code", flat=True)),
        facilities=facilities_of(acting_user(request)),
    )
    errors = [str(error) for field_errors in query.errors.values() for error in field_errors]
    return render(request, TEMPLATE, {"choices": choices, "errors": errors}, status=400)
