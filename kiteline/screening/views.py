"""Staff screening pages: give a screen, assign a self-screen, the evaluations list, and a
person's history. Thin: parse, call one selector or service, render; a refusal becomes the
page's message."""

from functools import partial

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiteline.accounts.authz import acting_user, staff
from kiteline.accounts.models import HEALTH_ROLES, Role
from kiteline.facilities.selectors import people_in_scope
from kiteline.kites.models import Urgency
from kiteline.kites.selectors import local_time
from kiteline.page_messages import attempt, report_form_errors
from kiteline.screening.evaluation_services import EvaluationError, complete_evaluation
from kiteline.screening.forms import (
    AssignForm,
    DoneForm,
    ReceivingSubmitForm,
    StartForm,
    SubmitForm,
)
from kiteline.screening.history import screening_history
from kiteline.screening.models import Administration
from kiteline.screening.selectors import (
    SHOWS,
    evaluation_for_action,
    evaluation_list,
    recordable_kinds,
    screen_for_staff,
    screens_left_unsubmitted,
)
from kiteline.screening.services import (
    ScreeningError,
    assign_self_screen,
    record_answer,
    start_administration,
    submit_receiving_screen,
    submit_screen,
)

REFUSALS = (ScreeningError, EvaluationError)


_attempt = partial(attempt, refusals=REFUSALS)


def _person_page(resident_number: str) -> HttpResponse:
    return redirect("person", resident_number=resident_number)


def _number(raw: str) -> int | None:
    """An answer's value as posted, or None when it is not a small whole number."""
    try:
        return int(raw) if len(raw) < 4 else None
    except ValueError:
        return None


@staff(*HEALTH_ROLES)
def evaluations(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", SHOWS[0])
    actor = acting_user(request)
    now = timezone.now()
    rows = evaluation_list(actor=actor, show=show, now=now)
    context = {
        "rows": rows,
        "left": screens_left_unsubmitted(actor=actor, now=now) if show == SHOWS[0] else [],
        "show": show,
        "shows": SHOWS,
        "done_form": DoneForm(),
        "recordable_kinds": recordable_kinds(actor),
    }
    return render(request, "screening/evaluations.html", context)


@staff(*HEALTH_ROLES)
def start(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    initial = {
        "resident_number": request.GET.get("resident", ""),
        "instrument": request.GET.get("instrument", ""),
    }
    form = StartForm(request.POST or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            administration = start_administration(
                actor=actor,
                person=data["person"],
                instrument=data["instrument"],
                language=data["language"].strip(),
                interpreter=data["interpreter"],
            )
        except ScreeningError as error:
            form.add_error(None, str(error))
        else:
            return redirect("screening-give", administration_id=administration.pk)
    return render(request, "screening/start.html", {"form": form})


@staff(*HEALTH_ROLES)
def give(request: HttpRequest, administration_id: int) -> HttpResponse:
    screen = screen_for_staff(actor=acting_user(request), administration_id=administration_id)
    form = ReceivingSubmitForm() if screen.receiving else SubmitForm()
    return render(request, "screening/give.html", {"screen": screen, "form": form})


@staff(*HEALTH_ROLES)
@require_POST
def answer(request: HttpRequest, administration_id: int) -> HttpResponse:
    """Save every answer the form carries, in the instrument's order, each in its own
    transaction: a safety answer is kept (and fires) even if a later one is refused."""
    actor = acting_user(request)
    screen = screen_for_staff(actor=actor, administration_id=administration_id, shown=False)
    administration = Administration(pk=screen.administration_id)
    for question in screen.questions:
        value = _number(request.POST.get(f"q_{question.id}", ""))
        if value is not None and value != question.answer:
            try:
                record_answer(
                    actor=actor, administration=administration, item=question.id, value=value
                )
            except ScreeningError as error:
                messages.error(request, str(error))
    if request.headers.get("HX-Request") == "true":
        # Only the questions are replaced: skip logic may have shown new ones.
        screen = screen_for_staff(actor=actor, administration_id=administration_id)
        return render(request, "screening/_questions.html", {"screen": screen})
    return redirect("screening-give", administration_id=administration_id)


@staff(*HEALTH_ROLES)
@require_POST
def submit(request: HttpRequest, administration_id: int) -> HttpResponse:
    actor = acting_user(request)
    screen = screen_for_staff(actor=actor, administration_id=administration_id, shown=False)
    administration = Administration(pk=screen.administration_id)
    form = ReceivingSubmitForm(request.POST) if screen.receiving else SubmitForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("screening-give", administration_id=administration_id)
    data = form.cleaned_data
    try:
        if screen.receiving:
            submitted = submit_receiving_screen(
                actor=actor,
                administration=administration,
                urgency=data["urgency"],
                discretion_reason=data["discretion_reason"],
                incomplete_reason=data["incomplete_reason"],
            )
        else:
            submitted = submit_screen(
                actor=actor,
                administration=administration,
                incomplete_reason=data["incomplete_reason"],
            )
    except ScreeningError as error:
        messages.error(request, str(error))
        return redirect("screening-give", administration_id=administration_id)
    # Deadlines in the facility's own time, as every staff page shows them.
    zone = submitted.administration.facility.time_zone
    opened = ", ".join(
        f"{referral.get_kind_display()} ({Urgency(referral.urgency).label}) {_('due')} "
        f"{local_time(referral.due_at, zone):%Y-%m-%d %H:%M %Z}"
        for referral in submitted.referrals
    )
    messages.success(
        request,
        _("Screen saved.") + (" " + _("Opened: %(list)s.") % {"list": opened} if opened else ""),
    )
    return _person_page(screen.resident_number)


@staff(Role.CLINICIAN)
@require_POST
def assign(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = AssignForm(request.POST, actor=actor)
    if not form.is_valid():
        report_form_errors(request, form)
        # Back to the person page the form was on, which shows the message; the roster
        # shows none, so it is only for a number the actor cannot see at all.
        number = request.POST.get("resident_number", "")
        if people_in_scope(actor).filter(resident_number=number).exists():
            return _person_page(number)
        return redirect("roster")
    data = form.cleaned_data
    if _attempt(
        request,
        lambda: assign_self_screen(
            actor=actor, person=data["person"], instrument=data["instrument"]
        ),
    ):
        messages.success(request, _("The resident will find the screen at the kiosk."))
    return _person_page(data["person"].resident_number)


@staff(Role.NURSE, Role.CLINICIAN)
@require_POST
def evaluation_done(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    actor = acting_user(request)
    evaluation = evaluation_for_action(actor=actor, evaluation_id=evaluation_id)
    form = DoneForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
    elif _attempt(
        request,
        lambda: complete_evaluation(
            actor=actor, evaluation=evaluation, note=form.cleaned_data["note"]
        ),
    ):
        messages.success(request, _("Recorded as done."))
    if request.POST.get("back") == "person":
        return _person_page(evaluation.person.resident_number)
    return redirect("screening-evaluations")


@staff(Role.CLINICIAN)
def history(request: HttpRequest, resident_number: str) -> HttpResponse:
    record = screening_history(actor=acting_user(request), resident_number=resident_number)
    return render(request, "screening/history.html", {"history": record})
