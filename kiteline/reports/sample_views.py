"""Pages for sampled case review, for auditors and court monitors: their facilities'
samples and the form to draw one, one sample's records, and one record opened for chart
review. Thin: parse, call one service or selector, render."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiteline.accounts.authz import acting_user, staff
from kiteline.accounts.models import Role
from kiteline.page_messages import report_form_errors
from kiteline.reports.errors import ReportError
from kiteline.reports.sample_forms import DrawSampleForm
from kiteline.reports.sample_selectors import case_record, sample_list, sample_page
from kiteline.reports.sample_services import draw_sample


@staff(Role.AUDITOR)
def samples(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    context = {
        "page": sample_list(actor=actor, page_number=request.GET.get("page", 1)),
        "form": DrawSampleForm(actor=actor),
    }
    return render(request, "reports/samples/list.html", context)


@staff(Role.AUDITOR)
@require_POST
def draw(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = DrawSampleForm(request.POST, actor=actor)
    if not form.is_valid():
        report_form_errors(request, form)
        return redirect("reports-samples")
    data = form.cleaned_data
    try:
        sample = draw_sample(
            actor=actor,
            facility=data["facility"],
            kind=data["kind"],
            first_day=data["first_day"],
            last_day=data["last_day"],
            seed=data["seed"],
            size=data["size"],
        )
    except ReportError as error:
        messages.error(request, str(error))
        return redirect("reports-samples")
    messages.success(
        request,
        _("Drew %(drawn)s of %(population)s records.")
        % {"drawn": len(sample.record_ids), "population": sample.population},
    )
    return redirect("reports-sample", sample_id=sample.pk)


@staff(Role.AUDITOR)
def sample(request: HttpRequest, sample_id: int) -> HttpResponse:
    page = sample_page(actor=acting_user(request), sample_id=sample_id)
    return render(request, "reports/samples/sample.html", {"page": page})


@staff(Role.AUDITOR)
def record(request: HttpRequest, sample_id: int, record_id: int) -> HttpResponse:
    page = case_record(acting_user(request), sample_id, record_id)
    return render(request, f"reports/samples/record_{page.kind}.html", {"page": page})
