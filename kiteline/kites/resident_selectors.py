"""Every read the resident's own kiosk pages need, scoped to the resident (I6).

A resident sees only their own requests: any other request is "not found", never
"forbidden", so that a guessed number tells nothing. Each page view that shows requests
records one read event listing them and the fields shown (I7).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from kiteline.accounts.models import User
from kiteline.audit.recording import record_read
from kiteline.facilities.models import Facility, Person
from kiteline.kites.models import Channel, Clock, Kite, SupportResource
from kiteline.kites.plain_words import KiteFacts, OpenClock, PlainKite, describe

# The fields each page shows, for the read event. The list keeps the resident's own words
# off the first screen of a shared device; only the request's own page shows them.
LIST_FIELDS = (
    "number",
    "topic",
    "received_at",
    "status",
    "urgency",
    "clocks.due_at",
    "route",
    "route_reason",
    "seen_at",
    "outcome",
    "close_code",
)
RECEIPT_FIELDS = ("number", "topic", "received_at", "status", "urgency", "clocks.due_at")
DETAIL_FIELDS = (*LIST_FIELDS, "text")
# Where to get help when the facility has configured nothing in the resident's language.
FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True)
class ResidentKite:
    kite: Kite
    plain: PlainKite


def own_kites(actor: User) -> QuerySet[Kite]:
    """The actor's own requests, newest first, with their open clocks."""
    if not actor.is_resident or actor.person_id is None:
        return Kite.objects.none()
    open_clocks = Prefetch(
        "clocks", queryset=Clock.objects.filter(met_at__isnull=True), to_attr="open_clocks"
    )
    return (
        # A safety item raised by a screening answer is the staff's to act on, not a
        # request the resident wrote: it is not listed among theirs.
        Kite.objects.filter(person_id=actor.person_id)
        .exclude(channel=Channel.SCREENING)
        .select_related("facility", "person", "linked_to")
        .prefetch_related(open_clocks)
        .order_by("-received_at", "-pk")
    )


def own_kite(actor: User, kite_id: int) -> Kite:
    return get_object_or_404(own_kites(actor), pk=kite_id)


def facts_of(kite: Kite) -> KiteFacts:
    # Prefetched by `own_kites`; a kite from elsewhere asks the database.
    clocks: Iterable[Clock] | None = getattr(kite, "open_clocks", None)
    if clocks is None:
        clocks = kite.clocks.filter(met_at__isnull=True)
    return KiteFacts(
        status=kite.status,
        urgency=kite.urgency,
        route=kite.route,
        outcome=kite.outcome,
        close_code=kite.close_code,
        open_clocks=tuple(OpenClock(kind=c.kind, due_at=c.due_at) for c in clocks),
    )


def _with_plain(kite: Kite, now: datetime) -> ResidentKite:
    return ResidentKite(kite=kite, plain=describe(facts_of(kite), now))


def _record(actor: User, kites: Sequence[Kite], fields: Iterable[str]) -> None:
    if not kites:
        return
    facilities = {kite.facility_id for kite in kites}
    # One chain takes the event: the requests' facility, or the system chain when a
    # resident's history spans facilities (requests from an earlier booking elsewhere).
    facility = kites[0].facility if len(facilities) == 1 else None
    record_read(
        actor=actor,
        action="kite.read",
        facility=facility,
        person=kites[0].person,
        records=[f"kite:{kite.pk}" for kite in kites],
        fields=fields,
    )


def read_own_requests(actor: User, now: datetime) -> list[ResidentKite]:
    """My requests: every request of the resident's, read and recorded as one view."""
    kites = list(own_kites(actor))
    _record(actor, kites, LIST_FIELDS)
    return [_with_plain(kite, now) for kite in kites]


def read_own_request(
    actor: User, kite_id: int, now: datetime, *, fields: Iterable[str]
) -> ResidentKite:
    """One of the resident's requests, for a page that shows `fields` of it."""
    kite = own_kite(actor, kite_id)
    _record(actor, [kite], fields)
    return _with_plain(kite, now)


def help_resources(facility: Facility, languages: Sequence[str]) -> list[SupportResource]:
    """The facility's "where to get help now" rows in the first of `languages` that has any,
    then in English; an empty list when the facility has configured none."""
    rows = list(SupportResource.objects.filter(facility=facility).order_by("order", "pk"))
    for language in (*languages, FALLBACK_LANGUAGE):
        chosen = [row for row in rows if row.language.lower() == language.lower()]
        if chosen:
            return chosen
    return []


def help_languages(person: Person, screen_language: str) -> list[str]:
    """The languages to look for help in, best first: the person's own tag ("es-MX"), its
    main part ("es"), then the language of the screen. A facility may configure help in a
    language the screens are not translated into; a resident who reads it should get it."""
    tag = person.language.replace("_", "-")
    return [tag, tag.split("-")[0], screen_language]
