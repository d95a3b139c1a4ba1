"""Verification as a one-off background job: a long chain outlasts any web request, so the
verify page queues it and the `kiteline db_worker` runs it (django.tasks, django-tasks-db)."""

from django.db import transaction
from django.tasks import task

from kiteline.accounts.models import User
from kiteline.audit.recording import record_event
from kiteline.audit.selectors import chains_for
from kiteline.audit.verification import verify_stored_chain


@task()
def verify_chains(auditor_id: int) -> list[dict[str, str | None]]:
    """Each of the auditor's chains with its first fault, or None when it is intact."""
    auditor = User.objects.get(pk=auditor_id)
    results = [(chain, verify_stored_chain(chain)) for chain in chains_for(auditor)]
    with transaction.atomic():
        record_event(
            actor=auditor,
            action="audit.verify",
            facility=None,
            detail={
                "chains": [chain for chain, _ in results],
                "intact": not any(fault for _, fault in results),
            },
        )
    return [
        {"chain": chain, "fault": None if fault is None else str(fault)} for chain, fault in results
    ]
