"""Kites, scoped like their pages: a resident at a kiosk sends their own and lists them;
health staff enter one received another way, work the triage queue and read a kite.
Custody may call none of these (I6).

A new kite is committed, with its audit event, before its 201 is sent (I1); a retry with the
same Idempotency-Key gets 200 and the same receipt. The reads are the pages' selectors,
which record one read event per answer (I7).
"""

import re
from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.errors import HttpError
from ninja.params import HeaderEx, P

from kiteline.accounts.authz import acting_user
from kiteline.accounts.models import HEALTH_ROLES, User
from kiteline.api.auth import ResidentSession, residents, roles
from kiteline.api.kite_schemas import (
    ErrorOut,
    KiteIn,
    KiteOut,
    KitePageOut,
    KiteReceiptOut,
    ResidentKiteOut,
    ResidentKitesOut,
)
from kiteline.kites.models import Kite, Urgency
from kiteline.kites.resident_selectors import read_own_requests
from kiteline.kites.selectors import (
    KiteDetail,
    QueuePage,
    kite_page,
    resident_for_entry,
    triage_queue,
)
from kiteline.kites.services import KeyReused, KiteError, Receipt, record_paper_kite, submit_kite

KITE_NUMBER = re.compile(r"K(\d{1,18})")

router = Router(tags=["kites"])

IdempotencyKey = HeaderEx[str, P(alias="Idempotency-Key", min_length=1, max_length=64)]


def _send(actor: User, payload: KiteIn, idempotency_key: str) -> Receipt:
    if actor.is_resident:
        if payload.resident_number or payload.channel or payload.received_at:
            raise KiteError("A resident sends only their own request: a topic and the words.")
        return submit_kite(
            actor=actor, topic=payload.topic, text=payload.text, idempotency_key=idempotency_key
        )
    if not payload.resident_number:
        raise KiteError("Say which resident the request is from.")
    entry = resident_for_entry(actor=actor, resident_number=payload.resident_number)
    if entry is None:
        raise KiteError(f"Resident {payload.resident_number} is not held at your facilities.")
    return record_paper_kite(
        actor=actor,
        person=entry.person,
        channel=payload.channel or "",
        topic=payload.topic,
        text=payload.text,
        received_at=payload.received_at,
        backdate_reason=payload.backdate_reason,
        idempotency_key=idempotency_key,
    )


def _receipt(kite: Kite) -> KiteReceiptOut:
    return KiteReceiptOut(
        number=kite.number,
        resident_number=kite.person.resident_number,
        channel=kite.channel,
        topic=kite.topic,
        status=kite.status,
        emergent=kite.urgency == Urgency.EMERGENT,
        received_at=kite.received_at.astimezone(ZoneInfo(kite.facility.time_zone)),
    )


@router.post(
    "/kites",
    response={201: KiteReceiptOut, 200: KiteReceiptOut, 400: ErrorOut, 409: ErrorOut},
    auth=[*roles(*HEALTH_ROLES), ResidentSession()],
)
def send_kite(
    request: HttpRequest, payload: KiteIn, idempotency_key: IdempotencyKey
) -> Status[KiteReceiptOut]:
    """A resident at a kiosk sends their own request; a nurse, clinician or supervisor
    enters one received on paper, by voice, from family, by staff referral or court order.

    201 for a new kite; 200 and the same receipt for a retry with the same Idempotency-Key
    (a key belongs to the resident the request is from); 409 when that key was used for a
    different request; 400 with the reason when the request cannot be taken.
    """
    actor = acting_user(request)
    try:
        receipt = _send(actor, payload, idempotency_key)
    except KeyReused as exc:
        raise HttpError(409, str(exc)) from exc
    except KiteError as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201 if receipt.created else 200, _receipt(receipt.kite))


@router.get("/kites", response=KitePageOut, auth=roles(*HEALTH_ROLES))
def queue(request: HttpRequest, page: int = 1) -> QueuePage:
    """The triage queue of the caller's facilities, a page at a time: open kites, emergent
    first, then urgent, then the rest, each by its nearest deadline."""
    return triage_queue(actor=acting_user(request), now=timezone.now(), page_number=page)


@router.get("/kites/mine", response=ResidentKitesOut, auth=residents())
def my_kites(request: HttpRequest) -> ResidentKitesOut:
    """The signed-in resident's own requests, newest first, as their kiosk list shows them."""
    items = read_own_requests(acting_user(request), timezone.now())
    return ResidentKitesOut(rows=[ResidentKiteOut.of(item) for item in items])


@router.get("/kites/{number}", response=KiteOut, auth=roles(*HEALTH_ROLES))
def kite(request: HttpRequest, number: str) -> KiteDetail:
    """One kite as its page shows it; 404 for a kite not at the caller's facilities."""
    found = KITE_NUMBER.fullmatch(number)
    if found is None:
        raise Http404
    return kite_page(actor=acting_user(request), kite_id=int(found.group(1)), now=timezone.now())
