"""Staff pages for kites. Each view parses, calls one selector or service, and renders; every
action is a POST that redirects back and shows the service's refusal as a message."""

from functools import partial
from typing import Any
from uuid import uuid4

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiteline.accounts.authz import acting_user, staff
from kiteline.accounts.kiosk_services import screen_language
from kiteline.accounts.models import HEALTH_ROLES, Role, User
from kiteline.accounts.navigation import may_open
from kiteline.care.staff_selectors import stranded_appeals
from kiteline.kites.downtime import (
    downtime_packet,
    housing_units,
)
from kiteline.kites.forms import (
    CloseForm,
    ContactForm,
    CrisisPhraseForm,
    FalseAlarmForm,
    LinkForm,
    OnCallForm,
    PaperKiteForm,
    StandardForm,
    TriageForm,
    WatchForm,
)
from kiteline.kites.notice_selectors import (
    custody_notices,
    open_booking_for,
    watch_for_action,
    watch_list,
    welfare_check_for_action,
)
from kiteline.kites.phrases import PhraseError, add_crisis_phrase, phrase_lists
from kiteline.kites.rota_selectors import (
    on_call_rota,
    standards_in_force,
)
from kiteline.kites.selectors import (
    alert_for_action,
    kite_for_action,
    kite_page,
    kite_receipt,
    my_alerts,
    signal_for_action,
    triage_queue,
)
from kiteline.kites.services import (
    KiteError,
    acknowledge_alert,
    close_kite,
    link_kites,
    mark_false_alarm,
    record_contact,
    record_paper_kite,
    triage_kite,
)
from kiteline.kites.standards import StandardError, publish_standard, schedule_on_call
from kiteline.kites.watch import WatchError, clear_watch, complete_welfare_check, set_watch
from kiteline.page_messages import attempt, report_form_errors

REFUSALS = (KiteError, WatchError, StandardError)


_attempt = partial(attempt, refusals=REFUSALS)


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """To the page the form was on, when it is one of ours; else to `default`."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(target if safe and target.startswith("/") else default)


def _allowed(actor: User, **urls: str) -> dict[str, bool]:
    return {name: may_open(actor, url) for name, url in urls.items()}


# ---- Pages -----------------------------------------------------------------------------


@staff(*HEALTH_ROLES)
def queue(request: HttpRequest) -> HttpResponse:
    page = triage_queue(
        actor=acting_user(request), now=timezone.now(), page_number=request.GET.get("page", 1)
    )
    return render(request, "kites/queue.html", {"page": page})


@staff(*HEALTH_ROLES)
def new(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    initial = {"resident_number": request.GET.get("resident", ""), "request_key": uuid4().hex}
    form = PaperKiteForm(request.POST or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            receipt = record_paper_kite(
                actor=actor,
                person=data["person"],
                channel=data["channel"],
                topic=data["topic"],
                text=data["text"],
                received_at=data["received_at"],
                backdate_reason=data["backdate_reason"],
                idempotency_key=data["request_key"],
            )
        except KiteError as error:
            form.add_error(None, str(error))
        else:
            return redirect("kite-receipt", kite_id=receipt.kite.pk)
    return render(request, "kites/new.html", {"form": form})


@staff(*HEALTH_ROLES)
def receipt(request: HttpRequest, kite_id: int) -> HttpResponse:
    slip = kite_receipt(actor=acting_user(request), kite_id=kite_id)
    language = screen_language(slip.language)
    context = {
        "slip": slip,
        "slip_language": language.code,
        "interpreter_needed": language.interpreter_needed,
    }
    return render(request, "kites/receipt.html", context)


@staff(*HEALTH_ROLES)
def detail(request: HttpRequest, kite_id: int) -> HttpResponse:
    actor = acting_user(request)
    kite = kite_page(actor=actor, kite_id=kite_id, now=timezone.now())
    url = reverse("kite-detail", kwargs={"kite_id": kite_id})
    context: dict[str, Any] = {
        "kite": kite,
        "here": url,
        "may": _allowed(
            actor,
            triage=reverse("kite-triage", kwargs={"kite_id": kite_id}),
            contact=reverse("kite-contact", kwargs={"kite_id": kite_id}),
            judge=reverse("kite-false-alarm", kwargs={"signal_id": 0}),
            acknowledge=reverse("kite-alert-acknowledge", kwargs={"alert_id": 0}),
            watch=reverse("kite-watch-set"),
        ),
        "triage_form": TriageForm(),
        "link_form": LinkForm(other_kites=kite.other_kites),
        "close_form": CloseForm(),
        "contact_form": ContactForm(time_zone=kite.time_zone),
        "false_alarm_form": FalseAlarmForm(),
        "watch_form": WatchForm(resident_number=kite.resident_number),
    }
    return render(request, "kites/detail.html", context)


@staff(Role.CLINICIAN, Role.SUPERVISOR)
def alerts(request: HttpRequest) -> HttpResponse:
    actor, now = acting_user(request), timezone.now()
    context = {
        "alerts": my_alerts(actor=actor, now=now),
        # For a supervisor: appeals nobody may decide, due soon or overdue (a count only).
        "stranded_appeals": stranded_appeals(actor=actor, now=now),
    }
    return render(request, "kites/alerts.html", context)


@staff(Role.CUSTODY, Role.SUPERVISOR)
def custody(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    notices = custody_notices(actor=actor)
    context = {
        "checks": notices.checks,
        "watches": notices.watches,
        "may_mark_done": may_open(actor, reverse("kite-welfare-done", kwargs={"check_id": 0})),
    }
    return render(request, "kites/custody.html", context)


@staff(*HEALTH_ROLES)
def watches(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    context = {
        "watches": watch_list(actor=actor),
        "form": WatchForm(),
        "may": _allowed(actor, watch=reverse("kite-watch-set")),
    }
    return render(request, "kites/watch.html", context)


@staff(*HEALTH_ROLES)
def downtime(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    unit = request.GET.get("unit")
    if unit is None:
        return render(request, "kites/downtime.html", {"units": housing_units(actor=actor)})
    if not unit.isdigit():
        raise Http404
    packet = downtime_packet(actor=actor, unit_id=int(unit), now=timezone.now())
    return render(request, "kites/downtime_packet.html", {"packet": packet})


@staff(Role.SUPERVISOR)
def on_call(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = OnCallForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            schedule_on_call(
                actor=actor,
                facility=data["facility"],
                clinician=data["clinician"],
                backup=data["backup"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
            )
        except StandardError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The shift is on the rota."))
            return redirect("kite-on-call")
    context = {"rota": on_call_rota(actor=actor, now=timezone.now()), "form": form}
    return render(request, "kites/on_call.html", context)


@staff(Role.SUPERVISOR)
def standard(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = StandardForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            published = publish_standard(
                actor=actor,
                facility=form.cleaned_data["facility"],
                holidays=form.cleaned_data["holidays"],
                **form.hours(),
            )
        except StandardError as error:
            form.add_error(None, str(error))
        else:
            done = _("Published version %(version)s for %(facility)s.")
            messages.success(
                request, done % {"version": published.version, "facility": published.facility}
            )
            return redirect("kite-standard")
    context = {"standards": standards_in_force(actor=actor), "form": form}
    return render(request, "kites/standard.html", context)


@staff(Role.SUPERVISOR)
def phrases(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = CrisisPhraseForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            add_crisis_phrase(
                actor=actor,
                facility=form.cleaned_data["facility"],
                language=form.cleaned_data["language"],
                pattern=form.cleaned_data["pattern"],
            )
        except PhraseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Added. New requests are checked for it from now on."))
            return redirect("kite-phrases")
    context = {"lists": phrase_lists(actor=actor), "form": form}
    return render(request, "kites/phrases.html", context)


# ---- Actions: POST, call the service, go back ------------------------------------------


@staff(*HEALTH_ROLES)
@require_POST
def triage(request: HttpRequest, kite_id: int) -> HttpResponse:
    actor = acting_user(request)
    kite = kite_for_action(actor=actor, kite_id=kite_id)
    form = TriageForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _attempt(
            request,
            lambda: triage_kite(
                actor=actor,
                kite=kite,
                urgency=data["urgency"],
                symptom_described=data["symptom_described"],
                route=data["route"],
                route_reason=data["route_reason"],
            ),
            _("Triaged %(number)s.") % {"number": kite.number},
        )
    else:
        report_form_errors(request, form)
    return redirect("kite-detail", kite_id=kite.pk)


@staff(*HEALTH_ROLES)
@require_POST
def link(request: HttpRequest, kite_id: int) -> HttpResponse:
    actor = acting_user(request)
    kite = kite_for_action(actor=actor, kite_id=kite_id)
    form = LinkForm(request.POST)
    if form.is_valid():
        other = kite_for_action(actor=actor, kite_id=form.cleaned_data["same_matter_as"])
        _attempt(
            request,
            lambda: link_kites(actor=actor, kite=kite, same_matter_as=other),
            _("Linked %(number)s as a repeat of %(other)s.")
            % {"number": kite.number, "other": other.number},
        )
    else:
        report_form_errors(request, form)
    return redirect("kite-detail", kite_id=kite.pk)


@staff(*HEALTH_ROLES)
@require_POST
def close(request: HttpRequest, kite_id: int) -> HttpResponse:
    actor = acting_user(request)
    kite = kite_for_action(actor=actor, kite_id=kite_id)
    form = CloseForm(request.POST)
    if form.is_valid():
        _attempt(
            request,
            lambda: close_kite(actor=actor, kite=kite, close_code=form.cleaned_data["close_code"]),
            _("Closed %(number)s.") % {"number": kite.number},
        )
    else:
        report_form_errors(request, form)
    return redirect("kite-detail", kite_id=kite.pk)


@staff(Role.CLINICIAN)
@require_POST
def contact(request: HttpRequest, kite_id: int) -> HttpResponse:
    actor = acting_user(request)
    kite = kite_for_action(actor=actor, kite_id=kite_id)
    form = ContactForm(request.POST, time_zone=kite.facility.time_zone)
    if form.is_valid():
        data = form.cleaned_data
        _attempt(
            request,
            lambda: record_contact(
                actor=actor,
                kite=kite,
                seen_at=data["seen_at"],
                place=data["place"],
                note=data["note"],
                outcome=data["outcome"],
                late_reason=data["late_reason"],
            ),
            _("Recorded the contact for %(number)s.") % {"number": kite.number},
        )
    else:
        report_form_errors(request, form)
    return redirect("kite-detail", kite_id=kite.pk)


@staff(Role.CLINICIAN)
@require_POST
def false_alarm(request: HttpRequest, signal_id: int) -> HttpResponse:
    actor = acting_user(request)
    signal = signal_for_action(actor=actor, signal_id=signal_id)
    form = FalseAlarmForm(request.POST)
    if form.is_valid():
        _attempt(
            request,
            lambda: mark_false_alarm(
                actor=actor, signal=signal, reason=form.cleaned_data["reason"]
            ),
            _("Marked as a false alarm. The request stays emergent until the resident is seen."),
        )
    else:
        report_form_errors(request, form)
    return redirect("kite-detail", kite_id=signal.kite_id)


@staff(Role.CLINICIAN, Role.SUPERVISOR)
@require_POST
def acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    actor = acting_user(request)
    alert = alert_for_action(actor=actor, alert_id=alert_id)
    _attempt(
        request,
        lambda: acknowledge_alert(actor=actor, alert=alert),
        _("Acknowledged. You have this alert now."),
    )
    return _back(request, reverse("kite-alerts"))


@staff(Role.CLINICIAN)
@require_POST
def watch_set(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = WatchForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        booking = open_booking_for(actor=actor, resident_number=data["resident_number"])
        _attempt(
            request,
            lambda: set_watch(
                actor=actor,
                booking=booking,
                level=data["level"],
                check_minutes=data["check_minutes"],
            ),
            _("Watch set for %(number)s.") % {"number": booking.person.resident_number},
        )
    else:
        report_form_errors(request, form)
    return _back(request, reverse("kite-watch"))


@staff(Role.CLINICIAN)
@require_POST
def watch_clear(request: HttpRequest, watch_id: int) -> HttpResponse:
    actor = acting_user(request)
    watch = watch_for_action(actor=actor, watch_id=watch_id)
    _attempt(request, lambda: clear_watch(actor=actor, watch=watch), _("Watch cleared."))
    return _back(request, reverse("kite-watch"))


@staff(Role.CUSTODY)
@require_POST
def welfare_done(request: HttpRequest, check_id: int) -> HttpResponse:
    actor = acting_user(request)
    check = welfare_check_for_action(actor=actor, check_id=check_id)
    _attempt(
        request,
        lambda: complete_welfare_check(actor=actor, check=check),
        _("Welfare check recorded as done."),
    )
    return redirect("kite-custody")
