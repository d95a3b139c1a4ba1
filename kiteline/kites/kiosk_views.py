"""The resident's own requests at the kiosk: ask to see someone, the receipt, my requests.

Thin views: parse, call `submit_kite` or a resident selector, render. The pages speak the
resident's language (`speaks_kiosk_language`), show times in the facility's time zone, and
use the kiosk layout, which brings the idle sign-out; the session middleware makes every
response no-store.
"""

import functools
import re
import uuid
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kiteline.accounts.authz import acting_user, resident
from kiteline.accounts.kiosk_views import View, kiosk_context, speaks_kiosk_language
from kiteline.accounts.kiosks import current_kiosk
from kiteline.accounts.selectors import must_choose_pin
from kiteline.facilities.models import Person
from kiteline.kites.models import Topic
from kiteline.kites.resident_selectors import (
    DETAIL_FIELDS,
    RECEIPT_FIELDS,
    help_languages,
    help_resources,
    read_own_request,
    read_own_requests,
)
from kiteline.kites.services import TEXT_MAX_LENGTH, KiteError, submit_kite

# The form's idempotency key: a uuid4 in hex, made when the form is shown (I1).
KEY_PATTERN = re.compile(r"[0-9a-f]{32}")
CHOOSE_TOPIC = gettext_lazy("Choose what your request is about.")


class AskForm(forms.Form):
    # Words alone are enough: the service files them as "something else" (I2).
    topic = forms.ChoiceField(
        choices=Topic.choices,
        required=False,
        error_messages={"invalid_choice": CHOOSE_TOPIC},
    )
    text = forms.CharField(
        required=False,
        max_length=TEXT_MAX_LENGTH,
        error_messages={"max_length": gettext_lazy("Your words are too long. Write less.")},
    )
    key = forms.RegexField(regex=KEY_PATTERN)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("topic") and not (data.get("text") or "").strip():
            self.add_error("topic", CHOOSE_TOPIC)
        return data


def _person(request: HttpRequest) -> Person:
    person = acting_user(request).person
    # The resident rule let only a resident in, and every resident account has a person.
    assert person is not None  # noqa: S101
    return person


def own_pin_chosen(view: View) -> View:
    """A resident still holding the PIN on staff's slip chooses their own first, as on the
    kiosk's home page: the slip may have been seen by others."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if must_choose_pin(_person(request)):
            return redirect("kiosk-new-pin")
        return view(request, *args, **kwargs)

    return wrapper


def resident_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A requests page, with where to get help now, in the facility's local time."""
    kiosk = current_kiosk(request)
    assert kiosk is not None  # noqa: S101 -- the resident rule let only a kiosk in
    languages = help_languages(_person(request), translation.get_language())
    context = {
        **kiosk_context(request),
        "resources": help_resources(kiosk.facility, languages),
        **context,
    }
    with timezone.override(kiosk.facility.time_zone):
        return render(request, template, context)


def _fresh_form(data: QueryDict) -> AskForm:
    """The resident's choices again, under a new key: the next press is a new request."""
    data = data.copy()
    data["key"] = uuid.uuid4().hex
    return AskForm(data)


@resident
@speaks_kiosk_language
@own_pin_chosen
def ask(request: HttpRequest) -> HttpResponse:
    """GET shows the form with a new idempotency key; POST sends the request and redirects
    to its receipt, so a reload shows the receipt again and never sends it again."""
    message = ""
    if request.method != "POST":
        form = AskForm(initial={"key": uuid.uuid4().hex})
    else:
        form = AskForm(request.POST)
        if form.is_valid():
            try:
                receipt = submit_kite(
                    actor=acting_user(request),
                    topic=form.cleaned_data["topic"],
                    text=form.cleaned_data["text"],
                    idempotency_key=form.cleaned_data["key"],
                )
            except KiteError:
                # The service's reasons are written for staff, in English: the resident
                # gets a plain one in their language, and a way that does not need a screen.
                message = _(
                    "We could not send your request. Try again, or ask an officer for a "
                    "paper request form."
                )
                form = _fresh_form(request.POST)
            else:
                # submit_kite committed before it returned: the receipt shows a kept request.
                return redirect("kiosk-receipt", kite_id=receipt.kite.pk)
        elif form.has_error("key"):
            message = _("Something went wrong. Check your request and press Send again.")
            form = _fresh_form(request.POST)
    context = {"form": form, "message": message, "topics": Topic.choices, "crisis": Topic.CRISIS}
    return resident_page(request, "kiosk/requests/ask.html", context)


@resident
@speaks_kiosk_language
@own_pin_chosen
def receipt(request: HttpRequest, kite_id: int) -> HttpResponse:
    item = read_own_request(acting_user(request), kite_id, timezone.now(), fields=RECEIPT_FIELDS)
    return resident_page(request, "kiosk/requests/receipt.html", {"item": item})


@resident
@speaks_kiosk_language
@own_pin_chosen
def my_requests(request: HttpRequest) -> HttpResponse:
    items = read_own_requests(acting_user(request), timezone.now())
    crisis = any(item.plain.crisis_steps for item in items)
    return resident_page(
        request, "kiosk/requests/list.html", {"items": items, "crisis_steps": crisis}
    )


@resident
@speaks_kiosk_language
@own_pin_chosen
def request_page(request: HttpRequest, kite_id: int) -> HttpResponse:
    item = read_own_request(acting_user(request), kite_id, timezone.now(), fields=DETAIL_FIELDS)
    return resident_page(request, "kiosk/requests/detail.html", {"item": item})
