"""The page that builds the public report, and the download of what it built. Thin: parse,
call `build_public_report`, redirect back with its refusal or its success."""

import io
import zipfile
from datetime import UTC
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kiteline.accounts.authz import acting_user, staff
from kiteline.accounts.models import Role, User
from kiteline.page_messages import report_form_errors
from kiteline.reports.errors import ReportError
from kiteline.reports.models import PublicRelease
from kiteline.reports.periods import Period, PeriodError, parse_period, previous_quarter
from kiteline.reports.public import build_public_report


class PublicReportForm(forms.Form):
    period = forms.CharField(label=gettext_lazy("Quarter"), max_length=6)
    facilities = forms.MultipleChoiceField(
        label=gettext_lazy("Facilities"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["facilities"]
        if isinstance(field, forms.MultipleChoiceField):
            field.choices = list(actor.facilities.order_by("code").values_list("code", "name"))

    def clean_period(self) -> Period:
        try:
            period = parse_period(self.cleaned_data["period"])
        except PeriodError as error:
            raise forms.ValidationError(str(error)) from error
        if len(period.label) != len("2026Q3"):
            raise forms.ValidationError(_("The public report covers a quarter, such as 2026Q3."))
        return period


def _releases(actor: User) -> list[PublicRelease]:
    mine = actor.facilities.all()
    return list(
        PublicRelease.objects.filter(facilities__in=mine)
        .distinct()
        .select_related("built_by")
        .prefetch_related("facilities")[:50]
    )


@staff(Role.SUPERVISOR, Role.AUDITOR)
def public_reports(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    facilities = list(actor.facilities.order_by("code"))
    # The last quarter that has ended at the facilities (the first one's days, as the
    # report counts them), not on the server's clock.
    zone = ZoneInfo(facilities[0].time_zone) if facilities else UTC
    last = previous_quarter(timezone.now().astimezone(zone).date())
    form = PublicReportForm(
        actor=actor,
        initial={"period": last.label, "facilities": [f.code for f in facilities]},
    )
    return render(request, "reports/public.html", {"form": form, "releases": _releases(actor)})


@staff(Role.SUPERVISOR, Role.AUDITOR)
@require_POST
def build(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = PublicReportForm(request.POST, actor=actor)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("reports-public")
    period: Period = form.cleaned_data["period"]
    facilities = list(
        actor.facilities.filter(code__in=form.cleaned_data["facilities"]).order_by("code")
    )
    now = timezone.now()
    out = Path(settings.REPORTS_DIR) / f"{period.label}-{now:%Y%m%dT%H%M%S%f}"
    try:
        built = build_public_report(
            actor=actor, facilities=facilities, period=period, out=out, now=now
        )
    except ReportError as error:
        messages.error(request, str(error))
        return redirect("reports-public")
    messages.success(
        request,
        _("The public report for %(period)s is built: %(files)d files, checked.")
        % {"period": period.label, "files": len(built.files)},
    )
    return redirect("reports-public")


@staff(Role.SUPERVISOR, Role.AUDITOR)
def download(request: HttpRequest, release_id: int) -> HttpResponse:
    """The release's files as one zip, to publish anywhere: the files it wrote and nothing
    else in the folder, checked against their digests."""
    actor = acting_user(request)
    release = get_object_or_404(
        PublicRelease.objects.filter(facilities__in=actor.facilities.all()).distinct(),
        pk=release_id,
    )
    files = release.written_files()
    if files is None:
        raise Http404
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(f"{release.period}/{name}", content)
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="kiteline-public-{release.period}-{release.pk}.zip"'
    )
    return response
