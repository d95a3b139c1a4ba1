import csv
import json
from collections.abc import Iterator

from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.tasks import TaskResultStatus
from django.tasks.exceptions import TaskResultDoesNotExist
from django.views.decorators.http import require_POST

from kiteline.accounts.authz import acting_user, staff
from kiteline.accounts.models import Role
from kiteline.audit.forms import AuditFilterForm
from kiteline.audit.recording import record_event
from kiteline.audit.selectors import audit_export, audit_page, export_detail
from kiteline.audit.tasks import verify_chains

CSV_COLUMNS = (
    "chain",
    "position",
    "occurred_at",
    "actor",
    "action",
    "resident_number",
    "subjects",
    "detail",
)


@staff(Role.AUDITOR)
def log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    page = audit_page(
        actor=acting_user(request), filters=form.filters(), page_number=request.GET.get("page", 1)
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "audit/log.html", {"form": form, "page": page, "query": query.urlencode()}
    )


class _Echo:
    """A file-like object whose write returns the line, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


@staff(Role.AUDITOR)
def export(request: HttpRequest) -> StreamingHttpResponse:
    actor = acting_user(request)
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    with transaction.atomic():
        # Which events left the building: the filters, as identifiers (free text is dropped).
        record_event(
            actor=actor,
            action="audit.export",
            facility=None,
            detail=export_detail(filters),
        )
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(CSV_COLUMNS)
        for row in audit_export(actor=actor, filters=filters):
            yield writer.writerow(
                [
                    row.chain,
                    row.position,
                    row.occurred_at.isoformat(),
                    row.actor,
                    row.action,
                    row.resident_number,
                    " ".join(row.subjects),
                    json.dumps(row.detail, sort_keys=True),
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kiteline-audit.csv"'
    return response


VERIFY_TASK = "audit_verify_task"


@staff(Role.AUDITOR)
def verify(request: HttpRequest) -> HttpResponse:
    """The last verification this auditor asked for: queued, running, or its results."""
    task_id = request.session.get(VERIFY_TASK)
    result = None
    if task_id:
        try:
            result = verify_chains.get_result(task_id)
        except TaskResultDoesNotExist:
            request.session.pop(VERIFY_TASK)
    finished = result is not None and result.status == TaskResultStatus.SUCCESSFUL
    context = {
        "result": result,
        "results": result.return_value if finished and result is not None else None,
    }
    return render(request, "audit/verify.html", context)


@staff(Role.AUDITOR)
@require_POST
def run_verify(request: HttpRequest) -> HttpResponse:
    request.session[VERIFY_TASK] = verify_chains.enqueue(acting_user(request).pk).id
    return redirect("audit-verify")
