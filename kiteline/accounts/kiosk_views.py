"""Kiosk pages: registering a device, resident sign-in and sign-out, PIN slips.

A kiosk is shared by everyone in a unit, so its pages show as little as they can, speak
the resident's language, and leave nothing behind in the browser after sign-out.
"""

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import login, logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiteline.accounts import kiosk_services
from kiteline.accounts.authz import acting_user, kiosk_device, resident, staff
from kiteline.accounts.kiosk_services import KioskError, PinError, SignInResult
from kiteline.accounts.kiosks import KIOSK_COOKIE, current_kiosk
from kiteline.accounts.models import HEALTH_ROLES, Role, User
from kiteline.accounts.pins import PIN_MAX_DIGITS
from kiteline.accounts.selectors import kiosks_in_scope, must_choose_pin
from kiteline.audit.recording import record_read
from kiteline.facilities.models import Facility, Person
from kiteline.facilities.selectors import bookings_in_scope, people_in_scope, read_chain

# Django's LocaleMiddleware reads a cookie, which would outlive sign-out and tell the next
# person at the kiosk which language the last one used; the session ends with the resident.
LANGUAGE_KEY = "kiosk_language"
INTERPRETER_KEY = "kiosk_interpreter_note"
# Browsers keep no cookie longer than 400 days, so the kiosk's is renewed as it is used.
KIOSK_COOKIE_MAX_AGE = timedelta(days=400)
# Logging in a user found by PIN, not by the password backends: django-axes guards staff
# sign-in only, and a resident's wrong tries are slowed down by `pins` instead.
RESIDENT_BACKEND = "django.contrib.auth.backends.ModelBackend"

type View = Callable[..., HttpResponse]


def speaks_kiosk_language(view: View) -> View:
    """Shows the page, and the messages of the services it calls, in the kiosk language."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        code = request.session.get(LANGUAGE_KEY)
        return _in_language(code, lambda: view(request, *args, **kwargs))

    return wrapper


def _in_language(code: str | None, respond: Callable[[], HttpResponse]) -> HttpResponse:
    """The response in `code`, when it is a language of the site. The override ends with
    the response, so nothing run later in this thread inherits the resident's language."""
    if code is None or code not in dict(settings.LANGUAGES):
        return respond()
    with translation.override(code):
        response = respond()
    # LocaleMiddleware only fills this header in when it is missing.
    response["Content-Language"] = code
    return response


def kiosk_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "idle_seconds": settings.KIOSK_IDLE_SECONDS,
        "interpreter_note": request.session.get(INTERPRETER_KEY, False),
        "languages": settings.LANGUAGES,
    }


def _set_kiosk_cookie(response: HttpResponse, token: str) -> None:
    response.set_cookie(
        KIOSK_COOKIE,
        token,
        max_age=KIOSK_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )


def _resident_person(request: HttpRequest) -> Person:
    person = acting_user(request).person
    if person is None:
        raise Http404
    return person


class SignInForm(forms.Form):
    resident_number = forms.CharField(max_length=32)
    pin = forms.CharField(max_length=PIN_MAX_DIGITS)


@kiosk_device
@speaks_kiosk_language
def sign_in(request: HttpRequest) -> HttpResponse:
    user = request.user
    if isinstance(user, User) and user.is_resident:
        return redirect("kiosk-home")
    kiosk = current_kiosk(request)
    assert kiosk is not None  # noqa: S101 -- the kiosk_device rule let the request in
    form = SignInForm(request.POST or None)
    message = ""
    if request.method == "POST":
        if not form.is_valid():
            message = _("Type your resident number and your PIN.")
        else:
            outcome = kiosk_services.sign_in_resident(
                kiosk=kiosk,
                resident_number=form.cleaned_data["resident_number"],
                pin=form.cleaned_data["pin"],
                now=timezone.now(),
            )
            if outcome.user is not None and outcome.person is not None:
                login(request, outcome.user, backend=RESIDENT_BACKEND)
                # The first response already gets the kiosk's short idle time.
                request.session.set_expiry(settings.KIOSK_IDLE_SECONDS)
                language = kiosk_services.screen_language(outcome.person.language)
                request.session[LANGUAGE_KEY] = language.code
                request.session[INTERPRETER_KEY] = language.interpreter_needed
                return redirect("kiosk-new-pin" if outcome.must_change_pin else "kiosk-home")
            if outcome.result == SignInResult.WAIT:
                message = _("Too many wrong tries. Wait one minute. Then try again.")
            else:
                message = _("That number and PIN do not match. Try again.")
    context = {**kiosk_context(request), "message": message, "clean": request.method == "GET"}
    response = render(request, "kiosk/sign_in.html", context)
    _set_kiosk_cookie(response, request.COOKIES[KIOSK_COOKIE])
    return response


@resident
@speaks_kiosk_language
def new_pin(request: HttpRequest) -> HttpResponse:
    person = _resident_person(request)
    if not must_choose_pin(person):
        return redirect("kiosk-home")
    message = ""
    if request.method == "POST":
        chosen = request.POST.get("new_pin", "")
        if chosen != request.POST.get("new_pin_again", ""):
            message = _("The two new PINs are not the same. Try again.")
        else:
            try:
                kiosk_services.choose_pin(
                    person=person, current_pin=request.POST.get("pin", ""), new_pin=chosen
                )
            except PinError as exc:
                message = str(exc)
            else:
                return redirect("kiosk-home")
    return render(request, "kiosk/new_pin.html", {**kiosk_context(request), "message": message})


@resident
@speaks_kiosk_language
def home(request: HttpRequest) -> HttpResponse:
    if must_choose_pin(_resident_person(request)):
        return redirect("kiosk-new-pin")
    return render(request, "kiosk/home.html", kiosk_context(request))


@kiosk_device
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """Reachable without a session, so that the idle timer can sign out one that expired.

    The form says which language the resident was reading: by the time the idle timer
    posts it, the session that knew may already have ended.
    """
    logout(request)
    response = _in_language(
        request.POST.get("language"),
        lambda: render(request, "kiosk/signed_out.html", kiosk_context(request)),
    )
    # Not "cookies": that would also delete the kiosk cookie, and with it the device's
    # registration. The one cookie that belonged to the resident is deleted below.
    response["Clear-Site-Data"] = '"cache", "storage"'
    response.delete_cookie(
        settings.SESSION_COOKIE_NAME,
        path=settings.SESSION_COOKIE_PATH,
        domain=settings.SESSION_COOKIE_DOMAIN,
        samesite=settings.SESSION_COOKIE_SAMESITE,
    )
    return response


@kiosk_device
@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Anyone at the kiosk may switch, including staff helping a resident."""
    code = request.POST.get("language", "")
    if code in dict(settings.LANGUAGES):
        request.session[LANGUAGE_KEY] = code
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("kiosk-sign-in")
    return redirect(back)


class RegisterForm(forms.Form):
    name = forms.CharField(max_length=100)
    facility = forms.ModelChoiceField(queryset=Facility.objects.none())

    def __init__(self, actor: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        facility = self.fields["facility"]
        assert isinstance(facility, forms.ModelChoiceField)  # noqa: S101 -- declared above
        facility.queryset = actor.facilities.all()


@staff(Role.SUPERVISOR)
def register(request: HttpRequest) -> HttpResponse:
    """Opened by a supervisor on the device itself, which then becomes a kiosk."""
    actor = acting_user(request)
    form = RegisterForm(actor, request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            _kiosk, token = kiosk_services.register_kiosk(
                actor=actor, facility=form.cleaned_data["facility"], name=form.cleaned_data["name"]
            )
        except KioskError as exc:
            error = str(exc)
        else:
            # From now on residents use this device: no staff session may stay on it.
            logout(request)
            response = redirect("kiosk-sign-in")
            _set_kiosk_cookie(response, token)
            return response
    return render(request, "kiosk/register.html", {"form": form, "error": error})


@staff(Role.SUPERVISOR)
def devices(request: HttpRequest) -> HttpResponse:
    kiosks = kiosks_in_scope(acting_user(request))
    return render(request, "kiosk/devices.html", {"kiosks": kiosks})


@staff(Role.SUPERVISOR)
@require_POST
def retire(request: HttpRequest, kiosk_id: int) -> HttpResponse:
    actor = acting_user(request)
    kiosk = get_object_or_404(kiosks_in_scope(actor), pk=kiosk_id)
    try:
        kiosk_services.retire_kiosk(actor=actor, kiosk=kiosk)
    except KioskError as exc:
        context = {"kiosks": kiosks_in_scope(actor), "error": str(exc)}
        return render(request, "kiosk/devices.html", context)
    return redirect("kiosk-devices")


# What the confirmation page shows of the person, for the audit log's read event.
PIN_CONFIRM_FIELDS = ("given_name", "family_name", "resident_number", "language")


def _record_confirm_read(actor: User, person: Person) -> None:
    facility_ids = set(
        bookings_in_scope(actor).filter(person=person).values_list("facility_id", flat=True)
    )
    record_read(
        actor=actor,
        action="person.read",
        facility=read_chain(actor, facility_ids),
        person=person,
        fields=PIN_CONFIRM_FIELDS,
    )


@staff(*HEALTH_ROLES)
def pin_slip(request: HttpRequest, resident_number: str) -> HttpResponse:
    """GET asks to confirm; POST issues or resets the PIN and shows the slip to print.

    The confirmation shows the person's name, so showing it is recorded as a read; the slip
    shows only the number and the PIN, and issuing it is recorded by `issue_pin`."""
    actor = acting_user(request)
    person = get_object_or_404(people_in_scope(actor), resident_number=resident_number)
    language = kiosk_services.screen_language(person.language)
    context: dict[str, Any] = {
        "person": person,
        "languages": settings.LANGUAGES,
        "slip_language": language.code,
        "interpreter_needed": language.interpreter_needed,
        "has_pin": hasattr(person, "pin"),
    }
    if request.method == "POST":
        chosen = request.POST.get("language", "")
        if chosen in dict(settings.LANGUAGES):
            context["slip_language"] = chosen
        try:
            context["pin"] = kiosk_services.issue_pin(actor=actor, person=person)
        except PinError as exc:
            context["error"] = str(exc)
        else:
            return render(request, "kiosk/pin_slip.html", context)
    _record_confirm_read(actor, person)
    return render(request, "kiosk/pin_confirm.html", context)
