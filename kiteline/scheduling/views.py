"""Staff pages for schedules: proposals (propose, edit by hand, publish, discard), a day's
appointments and their outcomes, requirements and the waitlist, and missed contacts. Thin:
parse, call one selector or service, render; every action is a POST that goes back to its
page with the service's refusal as the message."""

from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiteline.accounts.authz import acting_user, staff
from kiteline.accounts.models import HEALTH_ROLES, Role, User
from kiteline.page_messages import attempt, report_form_errors
from kiteline.scheduling.forms import DayForm, MoveForm, OutcomeForm, PeriodForm, ProposeForm
from kiteline.scheduling.guards import ScheduleError
from kiteline.scheduling.models import Room
from kiteline.scheduling.problem_source import local_date
from kiteline.scheduling.requirement_services import refresh_requirements
from kiteline.scheduling.selectors import (
    MAX_PERIOD_DAYS,
    appointment_for_action,
    appointments_of_day,
    facility_for,
    missed_contacts,
    move_choices,
    requirements_page,
    run_for_action,
    schedule_list,
    schedule_page,
)
from kiteline.scheduling.services import (
    check_proposal,
    discard_schedule,
    move_appointment,
    propose_schedule,
    publish_schedule,
    record_outcome,
    remove_from_proposal,
)

_attempt = partial(attempt, refusals=(ScheduleError,))
# The missed-contacts view looks back this far unless asked for another period.
MISSED_DAYS = 28


# ---- Schedules -------------------------------------------------------------------------


@staff(*HEALTH_ROLES)
def schedules(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    page = schedule_list(actor=actor, facility_code=request.GET.get("facility"), now=timezone.now())
    form = ProposeForm(
        initial={
            "facility": page.facility_code,
            # Next Monday: a schedule starts tomorrow at the earliest.
            "start": page.today + timedelta(days=7 - page.today.weekday()),
            "days": page.horizon_days,
            "method": "cp-sat",
        }
    )
    context = {"page": page, "form": form if actor.role == Role.SUPERVISOR else None}
    return render(request, "scheduling/schedules.html", context)


@staff(Role.SUPERVISOR)
@require_POST
def propose(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = ProposeForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("scheduling-schedules")
    data = form.cleaned_data
    facility = facility_for(
        actor=actor, facility_code=data["facility"] or None, roles={Role.SUPERVISOR}
    )
    try:
        run = propose_schedule(
            actor=actor,
            facility=facility,
            start=data["start"],
            days=data["days"],
            method=data["method"],
            time_limit=settings.SCHEDULE_TIME_LIMIT_SECONDS,
        )
    except ScheduleError as error:
        messages.error(request, str(error))
        return redirect(reverse("scheduling-schedules") + f"?facility={facility.code}")
    messages.success(request, _("Schedule %(number)s proposed.") % {"number": run.number})
    return redirect("scheduling-run", run_id=run.pk)


@staff(*HEALTH_ROLES)
def schedule(request: HttpRequest, run_id: int) -> HttpResponse:
    actor = acting_user(request)
    page = schedule_page(actor=actor, run_id=run_id, now=timezone.now())
    problems: tuple[str, ...] = ()
    forms: dict[int, MoveForm] = {}
    if page.editable:
        run = run_for_action(actor=actor, run_id=run_id)
        problems = check_proposal(actor=actor, run=run)
        clinicians, rooms = move_choices(run)
        forms = {
            row.appointment_id: MoveForm(
                auto_id=f"move-{row.appointment_id}-%s",
                clinicians=clinicians,
                rooms=rooms,
                initial={"day": row.day, "start": row.time},
            )
            for _day, rows in page.days
            for row in rows
        }
    days = [
        (day, [(row, forms.get(row.appointment_id)) for row in rows]) for day, rows in page.days
    ]
    context = {"page": page, "problems": problems, "days": days}
    return render(request, "scheduling/schedule.html", context)


@staff(Role.SUPERVISOR)
@require_POST
def publish(request: HttpRequest, run_id: int) -> HttpResponse:
    actor = acting_user(request)
    run = run_for_action(actor=actor, run_id=run_id)
    _attempt(
        request,
        lambda: publish_schedule(actor=actor, run=run),
        _("Schedule %(number)s published.") % {"number": run.number},
    )
    return redirect("scheduling-run", run_id=run.pk)


@staff(Role.SUPERVISOR)
@require_POST
def discard(request: HttpRequest, run_id: int) -> HttpResponse:
    actor = acting_user(request)
    run = run_for_action(actor=actor, run_id=run_id)
    _attempt(request, lambda: discard_schedule(actor=actor, run=run), _("Proposal discarded."))
    return redirect("scheduling-run", run_id=run.pk)


@staff(Role.SUPERVISOR)
@require_POST
def move(request: HttpRequest, appointment_id: int) -> HttpResponse:
    actor = acting_user(request)
    appointment = appointment_for_action(actor=actor, appointment_id=appointment_id)
    clinicians, rooms = move_choices(appointment.run)
    form = MoveForm(request.POST, clinicians=clinicians, rooms=rooms)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("scheduling-run", run_id=appointment.run_id)
    data = form.cleaned_data
    clinician = get_object_or_404(User, pk=int(data["clinician"]))
    room = get_object_or_404(Room, pk=int(data["room"]), facility_id=appointment.facility_id)
    _attempt(
        request,
        lambda: move_appointment(
            actor=actor,
            appointment=appointment,
            day=data["day"],
            start_minute=data["start"],
            clinician=clinician,
            room=room,
        ),
        _("Appointment %(number)s moved.") % {"number": appointment.number},
    )
    return redirect(reverse("scheduling-run", args=[appointment.run_id]) + f"#{appointment.number}")


@staff(Role.SUPERVISOR)
@require_POST
def remove(request: HttpRequest, appointment_id: int) -> HttpResponse:
    actor = acting_user(request)
    appointment = appointment_for_action(actor=actor, appointment_id=appointment_id)
    _attempt(
        request,
        lambda: remove_from_proposal(actor=actor, appointment=appointment),
        _("Appointment %(number)s taken out of the proposal.") % {"number": appointment.number},
    )
    return redirect("scheduling-run", run_id=appointment.run_id)


# ---- Appointments and outcomes -----------------------------------------------------------


@staff(Role.CLINICIAN, Role.SUPERVISOR)
def appointments(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = DayForm(request.GET)
    facility_code = request.GET.get("facility") or None
    day = form.cleaned_data["date"] if form.is_valid() else None
    if not form.is_valid():
        report_form_errors(request, form)
    if day is None:
        facility = facility_for(
            actor=actor, facility_code=facility_code, roles={Role.CLINICIAN, Role.SUPERVISOR}
        )
        day = local_date(facility, timezone.now())
    mine = actor.role == Role.CLINICIAN and request.GET.get("all") != "1"
    page = appointments_of_day(
        actor=actor, facility_code=facility_code, day=day, mine_only=mine, now=timezone.now()
    )
    return render(
        request,
        "scheduling/appointments.html",
        {"page": page, "outcome_form": OutcomeForm(), "day_form": DayForm(initial={"date": day})},
    )


@staff(Role.CLINICIAN, Role.SUPERVISOR)
@require_POST
def outcome(request: HttpRequest, appointment_id: int) -> HttpResponse:
    actor = acting_user(request)
    appointment = appointment_for_action(actor=actor, appointment_id=appointment_id)
    form = OutcomeForm(request.POST)
    back = reverse("scheduling-appointments") + f"?date={appointment.date.isoformat()}"
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect(back)
    data = form.cleaned_data
    _attempt(
        request,
        lambda: record_outcome(
            actor=actor,
            appointment=appointment,
            outcome=data["outcome"],
            note=data["note"],
            custody_reason=data["custody_reason"],
        ),
        _("Outcome recorded for %(number)s.") % {"number": appointment.number},
    )
    return redirect(back)


# ---- Requirements, the waitlist, missed contacts -----------------------------------------


@staff(*HEALTH_ROLES)
def requirements(request: HttpRequest) -> HttpResponse:
    page = requirements_page(
        actor=acting_user(request),
        facility_code=request.GET.get("facility"),
        now=timezone.now(),
    )
    return render(request, "scheduling/requirements.html", {"page": page})


@staff(*HEALTH_ROLES)
@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    facility = facility_for(actor=actor, facility_code=request.POST.get("facility") or None)

    def run() -> None:
        result = refresh_requirements(actor=actor, facility=facility, now=timezone.now())
        messages.success(
            request,
            _("Requirements updated: %(opened)d opened, %(updated)d changed, %(closed)d closed.")
            % {"opened": result.opened, "updated": result.updated, "closed": result.closed},
        )
        for problem in result.unplaceable[:5]:
            messages.warning(request, _("No session type can hold %(what)s.") % {"what": problem})

    _attempt(request, run)
    return redirect(reverse("scheduling-requirements") + f"?facility={facility.code}")


@staff(Role.CLINICIAN, Role.SUPERVISOR)
def missed(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = PeriodForm(request.GET)
    facility_code = request.GET.get("facility") or None
    facility = facility_for(actor=actor, facility_code=facility_code)
    today = local_date(facility, timezone.now())
    start: date = today - timedelta(days=MISSED_DAYS)
    end: date = today
    if form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
    else:
        report_form_errors(request, form)
    if end < start:
        messages.error(request, _("The period ends before it starts."))
        start, end = end, start
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        start = end - timedelta(days=MAX_PERIOD_DAYS - 1)
        messages.error(
            request,
            _("A period is at most %(days)d days: shown from %(start)s.")
            % {"days": MAX_PERIOD_DAYS, "start": start.isoformat()},
        )
    page = missed_contacts(
        actor=actor, facility_code=facility.code, start=start, end=end, now=timezone.now()
    )
    return render(
        request,
        "scheduling/missed.html",
        {"page": page, "form": PeriodForm(initial={"start": start, "end": end})},
    )
