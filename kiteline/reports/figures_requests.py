"""The figures of requests (kites): timeliness of triage and of the face-to-face visit, by
topic and channel, closed without a visit, and the waits. docs/reports.md defines each."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from kiteline.kites.models import Channel, Clock, ClockKind, CloseCode, Kite, Status, Topic
from kiteline.reports.figures_core import (
    TIMELINESS,
    CountTable,
    Scope,
    choice_category,
    count_table,
    group_of,
    in_period,
    label,
    rows_of,
    states,
    timeliness,
)
from kiteline.reports.stats import waits_summary

CLOSED_UNTRIAGED = "closed untriaged"
CLOSED_UNSEEN = "closed without a visit"


def kites_in(scope: Scope) -> QuerySet[Kite]:
    return in_period(Kite.objects.all(), scope, moment="received_at", facility="facility")


def _clock_figure(
    scope: Scope, kind: str, key: str, title: str, done: str, closed_label: str
) -> CountTable:
    """A request's deadline judged by the step itself (`done`, on the request), not by its
    clock's stop: closing a request stops its clocks, but nobody was triaged or seen."""
    return count_table(
        key,
        title,
        scope,
        Clock.objects.filter(kind=kind),
        facility="kite__facility",
        booking="kite__booking",
        moment="kite__received_at",
        category=states(
            timeliness(
                scope,
                done=f"kite__{done}",
                due="due_at",
                closed="kite__closed_at",
                closed_label=closed_label,
            )
        ),
        columns=(*TIMELINESS, closed_label),
    )


def triage_timeliness(scope: Scope) -> CountTable:
    return _clock_figure(
        scope,
        ClockKind.TRIAGE,
        "triage_24h",
        "Requests triaged within 24 hours",
        "triaged_at",
        CLOSED_UNTRIAGED,
    )


def face_to_face_timeliness(scope: Scope) -> CountTable:
    return _clock_figure(
        scope,
        ClockKind.FACE_TO_FACE,
        "face_to_face",
        "Requests with a clinical symptom seen face to face within 48 hours (72 over a weekend)",
        "seen_at",
        CLOSED_UNSEEN,
    )


def _kites_by(
    scope: Scope,
    key: str,
    title: str,
    kites: QuerySet[Kite],
    field_name: str,
    choices: Sequence[tuple[str, object]],
) -> CountTable:
    return count_table(
        key,
        title,
        scope,
        kites,
        facility="facility",
        booking="booking",
        moment="received_at",
        category=choice_category(field_name, choices),
        columns=[str(text) for _, text in choices],
    )


def kites_by_topic(scope: Scope) -> CountTable:
    return _kites_by(
        scope, "kites_by_topic", "Requests by topic", Kite.objects.all(), "topic", Topic.choices
    )


def kites_by_channel(scope: Scope) -> CountTable:
    return _kites_by(
        scope,
        "kites_by_channel",
        "Requests by channel",
        Kite.objects.all(),
        "channel",
        Channel.choices,
    )


def closed_unseen(scope: Scope) -> CountTable:
    return _kites_by(
        scope,
        "closed_unseen",
        "Requests closed without the resident being seen, by reason",
        Kite.objects.filter(status=Status.CLOSED, seen_at__isnull=True),
        "close_code",
        CloseCode.choices,
    )


@dataclass(frozen=True)
class WaitRow:
    """Hours from receipt to triage and to the face-to-face visit: median and 90th
    percentile, None for a group too small to describe (stats.MIN_GROUP)."""

    group: str
    triaged: int
    triage: tuple[float, float] | None
    seen: int
    face_to_face: tuple[float, float] | None


def rounded(pair: tuple[float, float] | None) -> tuple[float, float] | None:
    return None if pair is None else (round(pair[0], 1), round(pair[1], 1))


def hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def waits(scope: Scope) -> tuple[WaitRow, ...]:
    """One pass over the period's requests, reading three moments of each and its row."""
    moments = (
        kites_in(scope)
        .annotate(
            figure_group=group_of(
                scope, facility="facility", booking="booking", moment="received_at"
            )
        )
        .values_list("figure_group", "received_at", "triaged_at", "seen_at")
    )
    triage: dict[str, list[float]] = {}
    seen: dict[str, list[float]] = {}
    for group, received, triaged, contact in moments.iterator(chunk_size=5000):
        row = label(scope, group)
        if triaged is not None:
            triage.setdefault(row, []).append(hours(received, triaged))
        if contact is not None:
            seen.setdefault(row, []).append(hours(received, contact))
    return tuple(
        WaitRow(
            group=row,
            triaged=len(triage.get(row, [])),
            triage=rounded(waits_summary(triage.get(row, []))),
            seen=len(seen.get(row, [])),
            face_to_face=rounded(waits_summary(seen.get(row, []))),
        )
        for row in rows_of(scope, set(triage) | set(seen))
    )
