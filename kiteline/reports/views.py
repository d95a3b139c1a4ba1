"""The compliance dashboard's page and its CSV downloads, and the equity view. Thin: parse
the query, call the selector, render."""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kiteline.accounts.authz import acting_user, staff
from kiteline.accounts.models import Role
from kiteline.page_messages import report_form_errors
from kiteline.reports.dashboard import compliance_dashboard, dashboard_facility, figure_csv
from kiteline.reports.equity_view import equity_page
from kiteline.reports.errors import ReportError
from kiteline.reports.figures import BY_MONTH
from kiteline.reports.forms import DashboardForm, EquityForm
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
    return render(request, "reports/dashboard.html", {"page": page, "form": form})


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
    """A finished quarter; for any other period the refusal, and the last quarter."""
    form = EquityForm(request.GET)
    period = None
    if form.is_valid():
        period = form.cleaned_data["period"]
    else:
        report_form_errors(request, form)
    actor, now = acting_user(request), timezone.now()
    facility_code = request.GET.get("facility") or None
    try:
        page = equity_page(actor=actor, facility_code=facility_code, period=period, now=now)
    except ReportError as error:
        messages.error(request, str(error))
        page = equity_page(actor=actor, facility_code=facility_code, period=None, now=now)
    form = EquityForm(initial={"period": page.period, "facility": page.facility_code})
    return render(request, "reports/equity.html", {"page": page, "form": form})
