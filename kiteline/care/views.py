"""Staff pages for care decisions: the person page's care panel, a decision with its
evidence and the clinician's sign-off, requests referred for a decision, appeals, and the
care settings. Thin: parse, call one selector or service, render; every action is a POST
that goes back to its page with the service's refusal as the message."""

from functools import partial
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiteline.accounts.authz import acting_user, staff
from kiteline.accounts.models import HEALTH_ROLES, Role, User
from kiteline.care.forms import (
    AppealDecisionForm,
    AskForm,
    ContactFiguresForm,
    FileAppealForm,
    LevelForm,
    OverrideForm,
    ReviewerForm,
    SchemeForm,
    ServiceEditForm,
    ServiceForm,
)
from kiteline.care.models import Outcome
from kiteline.care.policy_selectors import service_for_editing
from kiteline.care.services import (
    CareError,
    add_service,
    assign_level,
    choose_care_settings,
    confirm_decision,
    decide_appeal,
    file_appeal,
    name_reviewer,
    override_decision,
    request_decision,
    scheme_of,
    update_service,
)
from kiteline.care.staff_selectors import (
    appeal_for_action,
    appeal_list,
    appeal_page,
    care_settings,
    contact_figures,
    decision_for_action,
    decision_page,
    decision_target,
    evaluation_for_level,
    facility_for_settings,
    kept_contact_days,
    person_care,
    person_for_action,
    referred_kites,
    reviewer_for_action,
)
from kiteline.page_messages import attempt, report_form_errors

_attempt = partial(attempt, refusals=(CareError,))


def _person_page(resident_number: str) -> HttpResponse:
    return redirect(reverse("person", kwargs={"resident_number": resident_number}) + "#care")


# ---- The person page's panel -----------------------------------------------------------


def person_panel(actor: User, resident_number: str) -> dict[str, Any]:
    """The care panel's context for the person page: nothing at all for custody (I6)."""
    care = person_care(actor=actor, resident_number=resident_number, now=timezone.now())
    acting = care is not None and care.may_act
    initial = {"resident_number": resident_number, "back": "person"}
    return {
        "care": care,
        "level_form": LevelForm(
            levels=care.level_choices, evaluations=care.evaluation_choices, initial=initial
        )
        if care is not None and acting
        else None,
        "ask_form": AskForm(
            services=care.service_choices, evaluations=care.evaluation_choices, initial=initial
        )
        if care is not None and acting and care.service_choices
        else None,
    }


@staff(Role.CLINICIAN)
@require_POST
def set_level(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = LevelForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        number = request.POST.get("resident_number", "")
        return _person_page(number) if number else redirect("roster")
    data = form.cleaned_data
    person = person_for_action(actor=actor, resident_number=data["resident_number"])
    evaluation = evaluation_for_level(actor=actor, evaluation_id=data["evaluation"])
    _attempt(
        request,
        lambda: assign_level(
            actor=actor,
            person=person,
            level=data["level"],
            reason=data["reason"],
            evaluation=evaluation,
        ),
        _("Level of care set."),
    )
    return _person_page(person.resident_number)


@staff(Role.CLINICIAN)
@require_POST
def ask(request: HttpRequest) -> HttpResponse:
    """Ask the published policy for a decision, from the person page (directly or from an
    evaluation) or from a request referred for a decision."""
    actor = acting_user(request)
    form = AskForm(request.POST)
    if not form.is_valid():
        report_form_errors(request, form)
        return _back_from_ask(request.POST.get("back", ""), request.POST.get("resident_number"))
    data = form.cleaned_data
    target = decision_target(
        actor=actor,
        resident_number=data["resident_number"],
        kite_id=data["kite"],
        service_id=data["service"],
        evaluation_id=data["evaluation"],
    )
    try:
        decision = request_decision(
            actor=actor,
            person=target.person,
            service=target.service,
            kite=target.kite,
            evaluation=target.evaluation,
        )
    except CareError as error:
        messages.error(request, str(error))
        return _back_from_ask(data["back"], target.person.resident_number)
    messages.success(
        request,
        _("Decision %(number)s: the policy proposes “%(outcome)s”.")
        % {"number": decision.number, "outcome": Outcome(decision.proposed).label},
    )
    return redirect("care-decision", decision_id=decision.pk)


def _back_from_ask(back: str, resident_number: str | None) -> HttpResponse:
    if back == "person" and resident_number:
        return _person_page(resident_number)
    return redirect("care-referred")


# ---- A decision ------------------------------------------------------------------------


@staff(*HEALTH_ROLES)
def decision(request: HttpRequest, decision_id: int) -> HttpResponse:
    page = decision_page(actor=acting_user(request), decision_id=decision_id, now=timezone.now())
    context = {
        "page": page,
        "decision": page.decision,
        "override_form": OverrideForm(outcomes=page.override_outcomes),
        "appeal_form": FileAppealForm(),
    }
    return render(request, "care/decision.html", context)


@staff(Role.CLINICIAN)
@require_POST
def confirm(request: HttpRequest, decision_id: int) -> HttpResponse:
    actor = acting_user(request)
    target = decision_for_action(actor=actor, decision_id=decision_id)
    _attempt(
        request,
        lambda: confirm_decision(actor=actor, decision=target),
        _("Confirmed %(number)s.") % {"number": target.number},
    )
    return redirect("care-decision", decision_id=target.pk)


@staff(Role.CLINICIAN)
@require_POST
def override(request: HttpRequest, decision_id: int) -> HttpResponse:
    actor = acting_user(request)
    target = decision_for_action(actor=actor, decision_id=decision_id)
    form = OverrideForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _attempt(
            request,
            lambda: override_decision(
                actor=actor,
                decision=target,
                outcome=data["outcome"],
                reason=data["reason"],
                text=data["text"],
            ),
            _("Decided %(number)s, overriding the policy's proposal.") % {"number": target.number},
        )
    else:
        report_form_errors(request, form)
    return redirect("care-decision", decision_id=target.pk)


@staff(*HEALTH_ROLES)
@require_POST
def appeal_for_resident(request: HttpRequest, decision_id: int) -> HttpResponse:
    """Staff file an appeal in the resident's words, for a resident who cannot use the
    kiosk."""
    actor = acting_user(request)
    target = decision_for_action(actor=actor, decision_id=decision_id)
    # A time typed is the facility's where the appeal is heard: where the stay is now.
    form = FileAppealForm(request.POST, time_zone=target.booking.facility.time_zone)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("care-decision", decision_id=target.pk)
    data = form.cleaned_data
    try:
        filed = file_appeal(
            actor=actor,
            decision=target,
            text=data["text"],
            received_at=data["received_at"],
            late_reason=data["late_reason"],
        )
    except CareError as error:
        messages.error(request, str(error))
        return redirect("care-decision", decision_id=target.pk)
    messages.success(request, _("Appeal %(number)s filed.") % {"number": filed.number})
    return redirect("care-appeal", appeal_id=filed.pk)


# ---- Requests referred for a decision --------------------------------------------------


@staff(Role.CLINICIAN)
def referred(request: HttpRequest) -> HttpResponse:
    rows = referred_kites(actor=acting_user(request))
    return render(request, "care/referred.html", {"rows": rows})


# ---- Appeals ---------------------------------------------------------------------------


@staff(Role.CLINICIAN, Role.SUPERVISOR)
def appeals(request: HttpRequest) -> HttpResponse:
    listing = appeal_list(actor=acting_user(request), now=timezone.now())
    return render(request, "care/appeals.html", {"appeals": listing})


@staff(*HEALTH_ROLES)
def appeal(request: HttpRequest, appeal_id: int) -> HttpResponse:
    page = appeal_page(actor=acting_user(request), appeal_id=appeal_id, now=timezone.now())
    context = {
        "page": page,
        "appeal": page.appeal,
        "decision": page.decision,
        "decide_form": AppealDecisionForm() if page.appeal.may_review else None,
        "reviewer_form": ReviewerForm(
            reviewers=page.appeal.reviewer_choices, initial={"back": "appeal"}
        )
        if page.names_reviewer
        else None,
    }
    return render(request, "care/appeal.html", context)


@staff(Role.CLINICIAN)
@require_POST
def decide(request: HttpRequest, appeal_id: int) -> HttpResponse:
    actor = acting_user(request)
    target = appeal_for_action(actor=actor, appeal_id=appeal_id)
    form = AppealDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _attempt(
            request,
            lambda: decide_appeal(
                actor=actor, appeal=target, outcome=data["outcome"], reason=data["reason"]
            ),
            _("Appeal %(number)s decided.") % {"number": target.number},
        )
    else:
        report_form_errors(request, form)
    return redirect("care-appeal", appeal_id=target.pk)


@staff(Role.SUPERVISOR)
@require_POST
def reviewer(request: HttpRequest, appeal_id: int) -> HttpResponse:
    actor = acting_user(request)
    target = appeal_for_action(actor=actor, appeal_id=appeal_id)
    form = ReviewerForm(request.POST)
    if form.is_valid():
        chosen = reviewer_for_action(form.cleaned_data["reviewer"])
        if chosen is None:
            messages.error(request, _("The reviewer must be an active clinician."))
        else:
            _attempt(
                request,
                lambda: name_reviewer(actor=actor, appeal=target, reviewer=chosen),
                _("Named the reviewer of %(number)s.") % {"number": target.number},
            )
    else:
        report_form_errors(request, form)
    if request.POST.get("back") == "appeal":
        return redirect("care-appeal", appeal_id=target.pk)
    return redirect("care-appeals")


# ---- Care settings ---------------------------------------------------------------------


def _settings_page(code: str) -> HttpResponse:
    return redirect(reverse("care-settings") + f"?facility={code}")


@staff(Role.SUPERVISOR)
def settings(request: HttpRequest) -> HttpResponse:
    page = care_settings(actor=acting_user(request), facility_code=request.GET.get("facility"))
    context = {
        "page": page,
        "scheme_form": SchemeForm(
            schemes=[(scheme.code, scheme.name) for scheme in page.schemes],
            initial={
                "facility": page.facility_code,
                "scheme": page.scheme,
                "appeal_window_days": page.appeal_window_days,
                "appeal_response_days": page.appeal_response_days,
            },
        ),
        "service_form": ServiceForm(initial={"facility": page.facility_code}),
        "figures_form": ContactFiguresForm(
            rows=page.figures, initial={"facility": page.facility_code, "scheme": page.scheme}
        ),
        "service_rows": [
            (
                service,
                ServiceEditForm(
                    auto_id=f"service-{service.service_id}-%s",
                    initial={
                        "name_en": service.name_en,
                        "name_es": service.name_es,
                        "capacity_note": service.capacity_note,
                        "active": service.active,
                    },
                ),
            )
            for service in page.services
        ],
    }
    return render(request, "care/settings.html", context)


@staff(Role.SUPERVISOR)
@require_POST
def contact_figures_view(request: HttpRequest) -> HttpResponse:
    """The facility's own contact figures for the scheme in force (which stays)."""
    actor = acting_user(request)
    facility = facility_for_settings(actor=actor, facility_code=request.POST.get("facility"))
    scheme = scheme_of(facility).code
    rows = contact_figures(scheme, kept_contact_days(facility, scheme))
    form = ContactFiguresForm(request.POST, rows=rows)
    if request.POST.get("scheme") != scheme:
        # The figures posted are for the levels of another scheme.
        messages.error(
            request, _("The levels of care changed since the page was opened: set them again.")
        )
    elif not form.is_valid():
        report_form_errors(request, form)
    else:
        _attempt(
            request,
            lambda: choose_care_settings(
                actor=actor,
                facility=facility,
                scheme=scheme,
                contact_days=form.cleaned_data["contact_days"],
            ),
            _("Contact figures saved."),
        )
    return _settings_page(facility.code)


@staff(Role.SUPERVISOR)
@require_POST
def edit_service(request: HttpRequest, service_id: int) -> HttpResponse:
    """Rename a service, change its capacity note, stop or start offering it."""
    actor = acting_user(request)
    service = service_for_editing(actor=actor, service_id=service_id)
    form = ServiceEditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _attempt(
            request,
            lambda: update_service(
                actor=actor,
                service=service,
                name_en=data["name_en"],
                name_es=data["name_es"],
                capacity_note=data["capacity_note"],
                active=data["active"],
            ),
            _("Service saved."),
        )
    else:
        report_form_errors(request, form)
    return _settings_page(service.facility.code)


@staff(Role.SUPERVISOR)
@require_POST
def choose_scheme(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = SchemeForm(request.POST)
    facility = facility_for_settings(actor=actor, facility_code=request.POST.get("facility"))
    if form.is_valid():
        data = form.cleaned_data
        _attempt(
            request,
            lambda: choose_care_settings(
                actor=actor,
                facility=facility,
                scheme=data["scheme"],
                contact_days=kept_contact_days(facility, data["scheme"]),
                appeal_window_days=data["appeal_window_days"],
                appeal_response_days=data["appeal_response_days"],
            ),
            _("Care settings saved."),
        )
    else:
        report_form_errors(request, form)
    return _settings_page(facility.code)


@staff(Role.SUPERVISOR)
@require_POST
def new_service(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = ServiceForm(request.POST)
    facility = facility_for_settings(actor=actor, facility_code=request.POST.get("facility"))
    if form.is_valid():
        data = form.cleaned_data
        _attempt(
            request,
            lambda: add_service(
                actor=actor,
                facility=facility,
                code=data["code"].strip(),
                name_en=data["name_en"],
                name_es=data["name_es"],
                capacity_note=data["capacity_note"],
            ),
            _("Service added. It needs a published policy before decisions can be asked for."),
        )
    else:
        report_form_errors(request, form)
    return _settings_page(facility.code)
