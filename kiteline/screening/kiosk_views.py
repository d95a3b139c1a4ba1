"""Self-screens at the kiosk: one question per screen, large answer buttons, in the
resident's language, with a way back before sending. Each answer is saved when it is
pressed (I2): a safety answer shows where to get help at once, before the next question.
Pressing an answer twice, or sending twice, changes nothing."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiteline.accounts.authz import acting_user, resident
from kiteline.accounts.kiosk_views import speaks_kiosk_language
from kiteline.kites.kiosk_views import own_pin_chosen, resident_page
from kiteline.screening.models import Administration
from kiteline.screening.scoring import visible_items
from kiteline.screening.selectors import own_next_contact, own_screen, own_waiting_screens
from kiteline.screening.services import (
    ScreeningError,
    definition_of,
    record_answer,
    submit_screen,
)


@resident
@speaks_kiosk_language
@own_pin_chosen
def screens(request: HttpRequest) -> HttpResponse:
    waiting = own_waiting_screens(actor=acting_user(request))
    return resident_page(request, "kiosk/screens/list.html", {"screens": waiting})


def _next(administration_id: int, number: int, count: int) -> HttpResponse:
    if number < count:
        return redirect(
            "kiosk-screen-question", administration_id=administration_id, number=number + 1
        )
    return redirect("kiosk-screen-review", administration_id=administration_id)


@resident
@speaks_kiosk_language
@own_pin_chosen
def question(request: HttpRequest, administration_id: int, number: int) -> HttpResponse:
    """GET shows question `number`; POST saves its answer and moves on."""
    actor = acting_user(request)
    screen = own_screen(actor=actor, administration_id=administration_id)
    if screen.submitted:
        return redirect("kiosk-screen-sent", administration_id=administration_id)
    shown = screen.question(number)
    if shown is None:
        raise Http404
    message = ""
    if request.method == "POST":
        raw = request.POST.get("answer", "")
        try:
            result = record_answer(
                actor=actor,
                administration=Administration(pk=administration_id),
                item=shown.id,
                # Only the buttons' values are whole numbers; anything else is refused.
                value=int(raw) if raw.isdecimal() and len(raw) < 4 else -1,
            )
        except ScreeningError:
            message = _("Choose one of the answers.")
        else:
            # Where to get help comes at once when a safety rule first fires (I2); after
            # that the review and sent pages keep it in front of the resident, so a later
            # answer (going back to change one) moves on as usual.
            if result.safety_flags and not screen.safety_raised:
                return redirect(
                    "kiosk-screen-help", administration_id=administration_id, number=number
                )
            # Skip logic may have changed how many questions there are.
            count = len(visible_items(definition_of(screen.instrument), result.answers))
            return _next(administration_id, number, count)
    context = {
        "screen": screen,
        "shown": shown,
        "number": number,
        "count": len(screen.questions),
        "message": message,
    }
    return resident_page(request, "kiosk/screens/question.html", context)


@resident
@speaks_kiosk_language
@own_pin_chosen
def get_help(request: HttpRequest, administration_id: int, number: int) -> HttpResponse:
    """Shown the moment a safety answer is saved: the team has been told; help now."""
    screen = own_screen(actor=acting_user(request), administration_id=administration_id)
    next_number = number + 1 if number < len(screen.questions) else None
    context = {"screen": screen, "next_number": next_number}
    return resident_page(request, "kiosk/screens/help.html", context)


@resident
@speaks_kiosk_language
@own_pin_chosen
def review(request: HttpRequest, administration_id: int) -> HttpResponse:
    screen = own_screen(actor=acting_user(request), administration_id=administration_id)
    if screen.submitted:
        return redirect("kiosk-screen-sent", administration_id=administration_id)
    return resident_page(request, "kiosk/screens/review.html", {"screen": screen})


@resident
@speaks_kiosk_language
@own_pin_chosen
@require_POST
def send(request: HttpRequest, administration_id: int) -> HttpResponse:
    actor = acting_user(request)
    screen = own_screen(actor=actor, administration_id=administration_id)
    try:
        submit_screen(actor=actor, administration=Administration(pk=screen.administration_id))
    except ScreeningError:
        context = {"screen": screen, "message": _("Please answer every question before you send.")}
        return resident_page(request, "kiosk/screens/review.html", context)
    return redirect("kiosk-screen-sent", administration_id=administration_id)


@resident
@speaks_kiosk_language
@own_pin_chosen
def sent(request: HttpRequest, administration_id: int) -> HttpResponse:
    actor = acting_user(request)
    screen = own_screen(actor=actor, administration_id=administration_id)
    if not screen.submitted:
        return redirect("kiosk-screen-review", administration_id=administration_id)
    see_by = own_next_contact(actor=actor, administration_id=administration_id)
    return resident_page(request, "kiosk/screens/sent.html", {"screen": screen, "see_by": see_by})
