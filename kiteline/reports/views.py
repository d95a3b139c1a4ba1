"""The compliance dashboard's page and its CSV downloads. Thin: parse the query, call the
selector, render."""

from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kiteline.accounts.authz import acting_user, staff
from kiteline.accounts.models import Role
from kiteline.page_messages import report_form_errors
from kiteline.reports.dashboard import compliance_dashboard, dashboard_facility, figure_csv
from kiteline.reports.equity_view import equity_page
from kiteline.reports.figures import BY_MONTH
from kiteline.reports.forms import DashboardForm
from kiteline.reports.periods import Period, year


def _query(request: HttpRequest) -> tuple[DashboardForm, Period, str, str | None]:
    """The form, and the period, grouping and facility it asks for (this year by month
    when it asks for nothing, or for something malformed: the error is shown)."""
    form = DashboardForm(request.GET)
    actor = acting_user(request)
    facility_code = request.GET.get("facility") or None
    facility = dashboard_facility(actor=actor, facility_code=facility_code)
    this_year = year(timezone.now().astimezone(ZoneInfo(facility.time_zone)).year)
    if not form.is_valid():
        report_form_errors(request, form)
        return form, this_year, BY_MONTH, facility.code
    data = form.cleaned_data
    return form, data["period"] or this_year, data["by"] or BY_MONTH, facility.code


@staff(Role.SUPERVISOR, Role.AUDITOR)
def dashboard(request: HttpRequest) -> HttpResponse:
    form, period, by, facility_code = _query(request)
    page = compliance_dashboard(
        actor=acting_user(request),
        facility_code=facility_code,
        period=period,
        by=by,
        now=timezone.now(),
    )
    form = DashboardForm(initial={"period": period.label, "by": by, "facility": facility_code})
    # Supervisors open a breached request's page; an auditor reads cases through a sample.
    kite_links = acting_user(request).role == Role.SUPERVISOR
    return render(
        request, "reports/dashboard.html", {"page": page, "form": form, "kite_links": kite_links}
    )


@staff(Role.SUPERVISOR, Role.AUDITOR)
def figure_download(request: HttpRequest, key: str) -> HttpResponse:
    _form, period, by, facility_code = _query(request)
    name, text = figure_csv(
        actor=acting_user(request),
        facility_code=facility_code,
        period=period,
        by=by,
        key=key,
        now=timezone.now(),
    )
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff(Role.SUPERVISOR, Role.AUDITOR)
def equity(request: HttpRequest) -> HttpResponse:
    form, period, _by, facility_code = _query(request)
    page = equity_page(
        actor=acting_user(request), facility_code=facility_code, period=period, now=timezone.now()
    )
    form = DashboardForm(initial={"period": period.label, "facility": facility_code})
    return render(request, "reports/equity.html", {"page": page, "form": form})
