"""The resident's appointments at the kiosk: their own next on-site dates and times, and the
services they wait for with what happens next (issue 8, points 3 and 5).

Thin, like the other kiosk pages: `my_schedule` decides what is the resident's own (never
another person, never a queue position, never an off-site trip's date) and audits the read;
the page speaks the kiosk language and shows days in the facility's time zone.
"""

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from kiteline.accounts.authz import acting_user, resident
from kiteline.accounts.kiosk_views import speaks_kiosk_language
from kiteline.kites.kiosk_views import own_pin_chosen, resident_page
from kiteline.scheduling.selectors import my_schedule


@resident
@speaks_kiosk_language
@own_pin_chosen
def my_appointments(request: HttpRequest) -> HttpResponse:
    # The kiosk language, set by `speaks_kiosk_language` for the whole response.
    language = translation.get_language() or "en"
    shown = my_schedule(resident=acting_user(request), now=timezone.now(), language=language)
    context = {"appointments": shown.appointments, "waiting": shown.waiting}
    return resident_page(request, "kiosk/appointments/list.html", context)
