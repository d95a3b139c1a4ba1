"""The policy pages: the supervisor's list of services and policies, the editor (save,
check, diff, try on a person, publish), published versions read-only, and the what-if —
counts for the supervisor, who changes and why for clinicians. Thin: parse, call one
selector or service, render; a refusal becomes the page's message."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiteline.accounts.authz import acting_user, staff
from kiteline.accounts.models import Role, User
from kiteline.care.models import Service
from kiteline.care.policy import CompiledPolicy
from kiteline.care.policy_forms import (
    ACTIONS,
    MAX_DRAFT_CHARS,
    DraftForm,
    ParsedDraft,
    parse_draft,
)
from kiteline.care.policy_selectors import (
    check,
    diff,
    drafts_to_review,
    editor_start,
    policy_services,
    service_for_editing,
    service_for_review,
    try_on_person,
    version_for_reading,
    versions_of,
    what_if_changes,
    what_if_counts,
    would_publish_as,
)
from kiteline.care.services import CareError, publish_policy, published_policy, save_draft
from kiteline.care.simulation import SimulationError


def _about(service: Service) -> dict[str, Any]:
    return {"service": service, "service_name": service.name(get_language() or "en")}


@staff(Role.SUPERVISOR)
def policy_list(request: HttpRequest) -> HttpResponse:
    rows = policy_services(actor=acting_user(request))
    return render(request, "care/policies/list.html", {"rows": rows})


@staff(Role.SUPERVISOR)
def editor(request: HttpRequest, service_id: int) -> HttpResponse:
    actor = acting_user(request)
    service = service_for_editing(actor=actor, service_id=service_id)
    context = _about(service)
    start = editor_start(service)
    if request.method == "POST":
        form = DraftForm(request.POST)
        action = request.POST.get("action", "check")
        if form.is_valid():
            _act(request, actor, service, form, action if action in ACTIONS else "check", context)
    else:
        form = DraftForm(initial={"body": start.text})
        if start.draft is not None:
            context["problems"] = check(service, start.draft.body)[1]
            context["checked"] = True
    context.update(
        form=form,
        # Read again after a save, to show who saved it and when.
        start=editor_start(service) if request.method == "POST" else start,
        published=published_policy(service),
        next_version=would_publish_as(service),
        versions=versions_of(service),
    )
    return render(request, "care/policies/editor.html", context)


def _act(
    request: HttpRequest,
    actor: User,
    service: Service,
    form: DraftForm,
    action: str,
    context: dict[str, Any],
) -> None:
    """One of the editor's buttons, on the text as typed; every one checks it too."""
    text: str = form.cleaned_data["body"]
    parsed = parse_draft(text)
    compiled_draft = None
    context["fault"] = parsed.fault
    if parsed.body is not None:
        compiled_draft, context["problems"] = check(service, parsed.body)
        context["checked"] = True
    if action == "save":
        _save(request, actor, service, text, parsed)
    elif action == "diff":
        context["diff"] = diff(service, text, parsed.body)
    elif action == "try":
        context["tried"] = _try(request, actor, service, form, compiled_draft)


def _save(
    request: HttpRequest, actor: User, service: Service, text: str, parsed: ParsedDraft
) -> None:
    if parsed.body is None:
        messages.error(request, _("Not saved: the text is not a JSON object (see below)."))
        return
    if len(text) > MAX_DRAFT_CHARS:
        messages.error(
            request,
            _("Not saved: the draft is %(length)s characters long; at most %(limit)s are kept.")
            % {"length": f"{len(text):,}", "limit": f"{MAX_DRAFT_CHARS:,}"},
        )
        return
    try:
        save_draft(actor=actor, service=service, body=parsed.body)
    except CareError as error:
        messages.error(request, str(error))
        return
    messages.success(request, _("Draft saved. Nobody is affected until it is published."))


def _try(
    request: HttpRequest,
    actor: User,
    service: Service,
    form: DraftForm,
    compiled_draft: CompiledPolicy | None,
) -> object:
    number = form.cleaned_data["resident_number"].strip()
    if not number:
        form.add_error("resident_number", _("Give the number of a resident held here."))
        return None
    if compiled_draft is None:
        messages.error(request, _("Fix the problems below before trying the draft on anyone."))
        return None
    tried = try_on_person(
        actor=actor,
        service=service,
        draft=compiled_draft,
        resident_number=number,
        now=timezone.now(),
    )
    if tried is None:
        form.add_error(
            "resident_number",
            _("Nobody with this number is held at %(facility)s now.")
            % {"facility": service.facility.name},
        )
    return tried


@staff(Role.SUPERVISOR)
@require_POST
def publish(request: HttpRequest, service_id: int) -> HttpResponse:
    actor = acting_user(request)
    service = service_for_editing(actor=actor, service_id=service_id)
    try:
        published = publish_policy(actor=actor, service=service)
    except CareError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Version %(version)s is published under your name. It never changes.")
            % {"version": published.version},
        )
    return redirect("policy-editor", service_id=service.pk)


@staff(Role.SUPERVISOR)
def version(request: HttpRequest, service_id: int, version: int) -> HttpResponse:
    actor = acting_user(request)
    service = service_for_editing(actor=actor, service_id=service_id)
    page = version_for_reading(actor=actor, service=service, version=version)
    return render(request, "care/policies/version.html", {**_about(service), "page": page})


@staff(Role.SUPERVISOR)
def simulate(request: HttpRequest, service_id: int) -> HttpResponse:
    actor = acting_user(request)
    service = service_for_editing(actor=actor, service_id=service_id)
    context = _about(service)
    try:
        context["view"] = what_if_counts(actor=actor, service=service, now=timezone.now())
    except SimulationError as error:
        context["refusal"], context["problems"] = str(error), error.problems
    return render(request, "care/policies/simulate.html", context)


@staff(Role.CLINICIAN)
def drafts(request: HttpRequest) -> HttpResponse:
    rows = drafts_to_review(actor=acting_user(request))
    return render(request, "care/policies/drafts.html", {"rows": rows})


@staff(Role.CLINICIAN)
def changes(request: HttpRequest, service_id: int) -> HttpResponse:
    actor = acting_user(request)
    service = service_for_review(actor=actor, service_id=service_id)
    context = _about(service)
    try:
        context["view"] = what_if_changes(
            actor=actor, service=service, now=timezone.now(), page=request.GET.get("page", "1")
        )
    except SimulationError as error:
        context["refusal"] = str(error)
    return render(request, "care/policies/changes.html", context)
