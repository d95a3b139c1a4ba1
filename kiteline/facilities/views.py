from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from kiteline.accounts.authz import ALL_STAFF, acting_user, staff
from kiteline.accounts.navigation import may_open
from kiteline.care.views import person_panel
from kiteline.facilities.selectors import person_record, roster_page
from kiteline.screening.forms import AssignForm
from kiteline.screening.selectors import person_screening


@staff(*ALL_STAFF)
def roster(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    include_released = request.GET.get("released") == "1"
    page = roster_page(
        actor=acting_user(request),
        query=query,
        include_released=include_released,
        page_number=request.GET.get("page", 1),
    )
    # A search typed with htmx on replaces only the table.
    partial = request.headers.get("HX-Request") == "true"
    template = "facilities/roster_table.html" if partial else "facilities/roster.html"
    context = {"page": page, "query": query, "include_released": include_released}
    return render(request, template, context)


@staff(*ALL_STAFF)
def person(request: HttpRequest, resident_number: str) -> HttpResponse:
    actor = acting_user(request)
    record = person_record(actor=actor, resident_number=resident_number)
    pin_url = reverse("kiosk-pin-slip", kwargs={"resident_number": record.resident_number})
    screening = person_screening(
        actor=actor, resident_number=record.resident_number, now=timezone.now()
    )
    context = {
        "person": record,
        "pin_url": pin_url if may_open(actor, pin_url) else None,
        "screening": screening,
        "assign_form": (
            AssignForm(actor=actor, initial={"resident_number": record.resident_number})
            if may_open(actor, reverse("screening-assign"))
            else None
        ),
        **person_panel(actor, record.resident_number),
    }
    return render(request, "facilities/person.html", context)
