"""Staff pages for a facility's capacity (movement periods, rooms, session types,
clinicians' weekly hours and exceptions) and its movement restrictions. Thin: parse, call
one selector or service, render; every action is a POST that goes back to its page with the
service's refusal, or what it did, as the message."""

from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiteline.accounts.authz import acting_user, staff
from kiteline.accounts.models import Role
from kiteline.facilities.models import Facility
from kiteline.page_messages import attempt, report_form_errors
from kiteline.scheduling.capacity_forms import (
    KIND_LABELS,
    ExceptionForm,
    RestrictionForm,
    RoomEditForm,
    RoomForm,
    SessionTypeEditForm,
    SessionTypeForm,
    SettingsForm,
    WeeklyHoursForm,
    hours_text,
)
from kiteline.scheduling.capacity_selectors import (
    RECORDING_MOVEMENT,
    capacity_choices,
    clinician_for_action,
    clinicians_named,
    exception_for_action,
    restriction_for_action,
    restrictions_page,
    room_for_action,
    service_named,
    session_type_for_action,
    supervised_facility,
    unit_choices,
    unit_named,
    units_named,
)
from kiteline.scheduling.capacity_services import (
    SessionTypeDetails,
    add_availability_exception,
    add_restriction,
    add_room,
    add_session_type,
    remove_availability_exception,
    remove_restriction,
    save_scheduling_settings,
    set_weekly_hours,
    update_room,
    update_session_type,
)
from kiteline.scheduling.guards import ScheduleError
from kiteline.scheduling.models import RestrictionKind, SessionType
from kiteline.scheduling.problem_source import local_date
from kiteline.scheduling.selectors import capacity, facility_for

_attempt = partial(attempt, refusals=(ScheduleError,))


def _page(name: str, facility: Facility, section: str = "") -> HttpResponse:
    anchor = f"#{section}" if section else ""
    return redirect(f"{reverse(name)}?{urlencode({'facility': facility.code})}{anchor}")


def _capacity_page(facility: Facility, section: str = "") -> HttpResponse:
    return _page("scheduling-capacity", facility, section)


# ---- Capacity ----------------------------------------------------------------------------


@staff(Role.SUPERVISOR)
def capacity_page(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    facility = supervised_facility(actor=actor, facility_code=request.GET.get("facility"))
    page = capacity(
        actor=actor, facility_code=facility.code, today=local_date(facility, timezone.now())
    )
    choices = capacity_choices(actor=actor, facility=facility)
    code = {"facility": facility.code}
    people = {"clinicians": choices.clinicians, "services": choices.services}
    context = {
        "page": page,
        "facilities": choices.facilities,
        "settings_form": SettingsForm(
            auto_id="settings-%s",
            units=choices.units,
            initial={
                **code,
                "periods": hours_text(page.periods),
                "horizon_days": page.horizon_days,
                "unescorted_units": [choices.unit_codes[c] for c in page.unescorted_units],
            },
        ),
        "room_form": RoomForm(auto_id="new-room-%s", initial=code),
        "room_rows": [
            (
                room,
                RoomEditForm(
                    auto_id=f"room-{room.pk}-%s",
                    initial={
                        "name": room.name,
                        "seats": room.seats,
                        "on_site": room.on_site,
                        "active": room.active,
                    },
                ),
            )
            for room in page.rooms
        ],
        "session_form": SessionTypeForm(auto_id="new-session-%s", initial=code, **people),
        "session_rows": [
            (
                session,
                KIND_LABELS.get(session.kind, session.kind),
                _session_edit_form(session, people),
            )
            for session in page.session_types
        ],
        "clinician_rows": [
            (
                clinician,
                WeeklyHoursForm(
                    auto_id=f"hours-{clinician.clinician_id}-%s",
                    initial={**code, **WeeklyHoursForm.initial_for(clinician.weekly)},
                ),
                ExceptionForm(auto_id=f"exception-{clinician.clinician_id}-%s", initial=code),
            )
            for clinician in page.clinicians
        ],
    }
    return render(request, "scheduling/capacity.html", context)


def _session_edit_form(
    session: SessionType, people: dict[str, tuple[tuple[int, str], ...]]
) -> SessionTypeEditForm:
    return SessionTypeEditForm(
        auto_id=f"session-{session.pk}-%s",
        initial={
            "name": session.name,
            "kind": session.kind,
            "minutes": session.minutes,
            "seats": session.seats,
            "clinicians": [user.pk for user in session.clinicians.all()],
            "service": session.service_id,
            "every_days": session.every_days,
            "active": session.active,
        },
        **people,
    )


@staff(Role.SUPERVISOR)
@require_POST
def save_settings(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    facility = supervised_facility(actor=actor, facility_code=request.POST.get("facility"))
    form = SettingsForm(request.POST, units=capacity_choices(actor=actor, facility=facility).units)
    if form.is_valid():
        data = form.cleaned_data
        _attempt(
            request,
            lambda: save_scheduling_settings(
                actor=actor,
                facility=facility,
                periods=data["periods"],
                horizon_days=data["horizon_days"],
                unescorted_units=units_named(facility, data["unescorted_units"]),
            ),
            _("Scheduling settings saved."),
        )
    else:
        report_form_errors(request, form)
    return _capacity_page(facility, "settings")


@staff(Role.SUPERVISOR)
@require_POST
def new_room(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    facility = supervised_facility(actor=actor, facility_code=request.POST.get("facility"))
    form = RoomForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _attempt(
            request,
            lambda: add_room(
                actor=actor,
                facility=facility,
                code=data["code"].strip(),
                name=data["name"],
                seats=data["seats"],
                on_site=data["on_site"],
            ),
            _("Room added."),
        )
    else:
        report_form_errors(request, form)
    return _capacity_page(facility, "rooms")


@staff(Role.SUPERVISOR)
@require_POST
def edit_room(request: HttpRequest, room_id: int) -> HttpResponse:
    actor = acting_user(request)
    room = room_for_action(actor=actor, room_id=room_id)
    form = RoomEditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _attempt(
            request,
            lambda: update_room(
                actor=actor,
                room=room,
                name=data["name"],
                seats=data["seats"],
                on_site=data["on_site"],
                active=data["active"],
            ),
            _("Room saved."),
        )
    else:
        report_form_errors(request, form)
    return _capacity_page(room.facility, "rooms")


def _details(facility: Facility, data: dict[str, Any]) -> SessionTypeDetails:
    return SessionTypeDetails(
        name=data["name"],
        kind=data["kind"],
        minutes=data["minutes"],
        seats=data["seats"],
        clinicians=clinicians_named(facility, data["clinicians"]),
        service=service_named(facility, data["service"]),
        every_days=data["every_days"],
        active=data["active"],
    )


@staff(Role.SUPERVISOR)
@require_POST
def new_session_type(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    facility = supervised_facility(actor=actor, facility_code=request.POST.get("facility"))
    choices = capacity_choices(actor=actor, facility=facility)
    form = SessionTypeForm(request.POST, clinicians=choices.clinicians, services=choices.services)
    if form.is_valid():
        data = form.cleaned_data
        details = _details(facility, data)
        _attempt(
            request,
            lambda: add_session_type(
                actor=actor, facility=facility, code=data["code"].strip(), details=details
            ),
            _("Session type added."),
        )
    else:
        report_form_errors(request, form)
    return _capacity_page(facility, "session-types")


@staff(Role.SUPERVISOR)
@require_POST
def edit_session_type(request: HttpRequest, session_type_id: int) -> HttpResponse:
    actor = acting_user(request)
    session = session_type_for_action(actor=actor, session_type_id=session_type_id)
    choices = capacity_choices(actor=actor, facility=session.facility)
    form = SessionTypeEditForm(
        request.POST, clinicians=choices.clinicians, services=choices.services
    )
    if form.is_valid():
        details = _details(session.facility, form.cleaned_data)
        _attempt(
            request,
            lambda: update_session_type(actor=actor, session=session, details=details),
            _("Session type saved."),
        )
    else:
        report_form_errors(request, form)
    return _capacity_page(session.facility, "session-types")


@staff(Role.SUPERVISOR)
@require_POST
def weekly_hours(request: HttpRequest, clinician_id: int) -> HttpResponse:
    actor = acting_user(request)
    facility = supervised_facility(actor=actor, facility_code=request.POST.get("facility"))
    clinician = clinician_for_action(facility=facility, clinician_id=clinician_id)
    form = WeeklyHoursForm(request.POST)
    if form.is_valid():
        _attempt(
            request,
            lambda: set_weekly_hours(
                actor=actor,
                facility=facility,
                clinician=clinician,
                windows=form.cleaned_data["windows"],
            ),
            _("Weekly hours of %(name)s saved.")
            % {"name": clinician.get_full_name() or clinician.username},
        )
    else:
        report_form_errors(request, form)
    return _capacity_page(facility, f"clinician-{clinician.pk}")


@staff(Role.SUPERVISOR)
@require_POST
def new_exception(request: HttpRequest, clinician_id: int) -> HttpResponse:
    actor = acting_user(request)
    facility = supervised_facility(actor=actor, facility_code=request.POST.get("facility"))
    clinician = clinician_for_action(facility=facility, clinician_id=clinician_id)
    form = ExceptionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _attempt(
            request,
            lambda: add_availability_exception(
                actor=actor,
                facility=facility,
                clinician=clinician,
                day=data["date"],
                window=data["hours"],
                reason=data["reason"],
            ),
            _("Exception recorded."),
        )
    else:
        report_form_errors(request, form)
    return _capacity_page(facility, f"clinician-{clinician.pk}")


@staff(Role.SUPERVISOR)
@require_POST
def drop_exception(request: HttpRequest, exception_id: int) -> HttpResponse:
    actor = acting_user(request)
    exception = exception_for_action(actor=actor, exception_id=exception_id)
    facility, clinician_id = exception.facility, exception.clinician_id
    _attempt(
        request,
        lambda: remove_availability_exception(actor=actor, exception=exception),
        _("Exception removed."),
    )
    return _capacity_page(facility, f"clinician-{clinician_id}")


# ---- Movement restrictions ---------------------------------------------------------------


@staff(*RECORDING_MOVEMENT)
def restrictions(request: HttpRequest) -> HttpResponse:
    page = restrictions_page(
        actor=acting_user(request),
        facility_code=request.GET.get("facility"),
        now=timezone.now(),
    )
    form = RestrictionForm(
        units=page.units,
        initial={
            "facility": page.facility_code,
            "date": page.today,
            "kind": RestrictionKind.LOCKDOWN,
        },
    )
    return render(
        request, "scheduling/restrictions.html", {"page": page, "rows": page.rows, "form": form}
    )


@staff(*RECORDING_MOVEMENT)
@require_POST
def new_restriction(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    facility = facility_for(
        actor=actor, facility_code=request.POST.get("facility"), roles=RECORDING_MOVEMENT
    )
    form = RestrictionForm(request.POST, units=unit_choices(facility))
    if form.is_valid():
        data = form.cleaned_data
        unit = unit_named(facility, data["unit"])
        _attempt(
            request,
            lambda: add_restriction(
                actor=actor,
                facility=facility,
                unit=unit,
                day=data["date"],
                start_minute=data["start"],
                end_minute=data["end"],
                kind=data["kind"],
            ),
            _("Movement restriction recorded."),
        )
    else:
        report_form_errors(request, form)
    return _page("scheduling-restrictions", facility)


@staff(*RECORDING_MOVEMENT)
@require_POST
def drop_restriction(request: HttpRequest, restriction_id: int) -> HttpResponse:
    actor = acting_user(request)
    restriction = restriction_for_action(actor=actor, restriction_id=restriction_id)
    facility = restriction.facility
    _attempt(
        request,
        lambda: remove_restriction(actor=actor, restriction=restriction),
        _("Movement restriction removed."),
    )
    return _page("scheduling-restrictions", facility)
