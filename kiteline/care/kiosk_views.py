"""The resident's care decisions at the kiosk: my decisions, a decision with its reasons,
and an appeal that says plainly, before anything is written, that it is not a grievance.

Thin views: parse, call `file_appeal` or a resident selector, render. Like the requests
pages they speak the resident's language, show times in the facility's time zone (through
`resident_page`), and use the kiosk layout with its idle sign-out.
"""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kiteline.accounts.authz import acting_user, resident
from kiteline.accounts.kiosk_views import speaks_kiosk_language
from kiteline.care.resident_selectors import (
    APPEAL_FORM_FIELDS,
    APPEAL_SENT_FIELDS,
    DETAIL_FIELDS,
    appeal_of,
    own_decision,
    read_own_decision,
    read_own_decisions,
    show_own_decision,
)
from kiteline.care.services import TEXT_MAX_LENGTH, CareError, file_appeal
from kiteline.kites.kiosk_views import own_pin_chosen, resident_page


class AppealForm(forms.Form):
    text = forms.CharField(
        max_length=TEXT_MAX_LENGTH,
        error_messages={
            "required": gettext_lazy("Write why you think the decision is wrong."),
            "max_length": gettext_lazy("Your words are too long. Write less."),
        },
    )


def _language() -> str:
    # The kiosk language, set by `speaks_kiosk_language` for the whole response.
    return translation.get_language() or "en"


@resident
@speaks_kiosk_language
@own_pin_chosen
def my_decisions(request: HttpRequest) -> HttpResponse:
    shown = read_own_decisions(acting_user(request), timezone.now(), _language())
    context = {"decided": shown.decided, "pending": shown.pending}
    return resident_page(request, "kiosk/decisions/list.html", context)


@resident
@speaks_kiosk_language
@own_pin_chosen
def decision_page(request: HttpRequest, decision_id: int) -> HttpResponse:
    item = read_own_decision(
        acting_user(request), decision_id, timezone.now(), _language(), fields=DETAIL_FIELDS
    )
    return resident_page(request, "kiosk/decisions/detail.html", {"item": item})


@resident
@speaks_kiosk_language
@own_pin_chosen
def appeal(request: HttpRequest, decision_id: int) -> HttpResponse:
    """GET shows the grievance notice, then the form; POST files the appeal and redirects
    to its confirmation. The service takes the same words sent twice as one appeal, so a
    double press lands on the same confirmation. A decision that cannot be appealed (a
    "yes", or too late) gets no form, and a POST for it is refused in plain words."""
    actor = acting_user(request)
    decision = own_decision(actor, decision_id)
    form = AppealForm()
    message = ""
    if request.method == "POST":
        form = AppealForm(request.POST)
        if form.is_valid():
            try:
                file_appeal(actor=actor, decision=decision, text=form.cleaned_data["text"])
            except CareError:
                # The service's reasons are written for staff, in English: the page says
                # why in the resident's words, from the decision as it is now.
                decision = own_decision(actor, decision_id)
                message = _(
                    "We could not send your appeal. Try again, or ask health staff to send "
                    "it for you."
                )
            else:
                return redirect("kiosk-appeal-sent", decision_id=decision.pk)
    elif appeal_of(decision) is not None:
        return redirect("kiosk-appeal-sent", decision_id=decision.pk)
    item = show_own_decision(
        actor, decision, timezone.now(), _language(), fields=APPEAL_FORM_FIELDS
    )
    # When the decision cannot be appealed, the page says why in place of the form.
    context = {"item": item, "form": form, "message": message if item.plain.may_appeal else ""}
    return resident_page(request, "kiosk/decisions/appeal.html", context)


@resident
@speaks_kiosk_language
@own_pin_chosen
def appeal_sent(request: HttpRequest, decision_id: int) -> HttpResponse:
    actor = acting_user(request)
    decision = own_decision(actor, decision_id)
    if appeal_of(decision) is None:
        return redirect("kiosk-decision", decision_id=decision.pk)
    item = show_own_decision(
        actor, decision, timezone.now(), _language(), fields=APPEAL_SENT_FIELDS
    )
    return resident_page(request, "kiosk/decisions/appeal_sent.html", {"item": item})
