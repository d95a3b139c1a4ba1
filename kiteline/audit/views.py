import csv
import json
from collections.abc import Iterator

from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from kiteline.accounts.authz import acting_user, staff
from kiteline.accounts.models import Role
from kiteline.audit.forms import AuditFilterForm
from kiteline.audit.recording import record_event
from kiteline.audit.selectors import audit_export, audit_page, chains_for, export_detail
from kiteline.audit.verification import verify_stored_chain

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


@staff(Role.AUDITOR)
def verify(request: HttpRequest) -> HttpResponse:
    return render(request, "audit/verify.html", {"results": None})


@staff(Role.AUDITOR)
@require_POST
def run_verify(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    results = [(chain, verify_stored_chain(chain)) for chain in chains_for(actor)]
    with transaction.atomic():
        record_event(
            actor=actor,
            action="audit.verify",
            facility=None,
            detail={
                "chains": [chain for chain, _ in results],
                "intact": not any(f for _, f in results),
            },
        )
    return render(request, "audit/verify.html", {"results": results})
