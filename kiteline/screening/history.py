"""A person's screening history across stays, with every answer and score and a chart of
the totals: for clinicians only, and every view audited as one read listing the screens."""

from dataclasses import dataclass
from datetime import datetime

from django.http import Http404

from kiteline.accounts.models import Role, User
from kiteline.audit.recording import record_read
from kiteline.facilities.selectors import bookings_in_scope, people_in_scope, read_chain
from kiteline.kites.selectors import display_name, local_time, local_time_or_none
from kiteline.screening.chart import Chart, chart
from kiteline.screening.models import Administration
from kiteline.screening.services import definition_of


@dataclass(frozen=True)
class AnsweredItem:
    number: int
    text: str
    value: int
    label: str
    # Set when the answer was changed afterwards: it stays on the record, shown as changed.
    replaced_at: datetime | None = None


@dataclass(frozen=True)
class PastScreen:
    administration_id: int
    name: str
    booking_number: str
    facility: str
    started_at: datetime
    submitted_at: datetime | None
    given_by: str
    mode: str
    language: str
    validated_language: bool
    interpreter: bool
    complete: bool | None
    total: int | None
    band: str
    flags: tuple[str, ...]
    incomplete_reason: str
    safety_raised: bool
    items: tuple[AnsweredItem, ...]


@dataclass(frozen=True)
class InstrumentChart:
    name: str
    chart: Chart  # the complete totals, in the facility's own time
    # When each total given in a translation not validated was taken: it is flagged.
    unvalidated: frozenset[datetime]


@dataclass(frozen=True)
class History:
    resident_number: str
    name: str
    screens: tuple[PastScreen, ...]
    charts: tuple[InstrumentChart, ...]


def _past(administration: Administration) -> PastScreen:
    """One screen with its times in its facility's own zone, as the kites pages show them."""
    zone = administration.facility.time_zone
    definition = definition_of(administration.instrument)
    language = definition.languages[administration.language]
    by_id = {item.id: (number, item) for number, item in enumerate(definition.items, start=1)}
    answers = sorted(
        (by_id[answer.item][0], answer.answered_at, answer.item, answer.value, answer.replaced_at)
        for answer in administration.answers.all()
    )
    return PastScreen(
        administration_id=administration.pk,
        name=definition.name,
        booking_number=administration.booking.booking_number,
        facility=administration.facility.code,
        started_at=local_time(administration.started_at, zone),
        submitted_at=local_time_or_none(administration.submitted_at, zone),
        given_by=administration.started_by.get_username(),
        mode=administration.get_mode_display(),
        language=administration.language,
        validated_language=language.validated,
        interpreter=administration.interpreter,
        complete=administration.complete,
        total=administration.total,
        band=administration.band,
        flags=tuple(administration.flags),
        incomplete_reason=administration.incomplete_reason,
        safety_raised=administration.safety_kite_id is not None,
        items=tuple(
            AnsweredItem(
                number=number,
                text=language.items[item_id],
                value=value,
                label=language.answer_labels[by_id[item_id][1].answers.id][value],
                replaced_at=local_time_or_none(replaced_at, zone),
            )
            for number, _, item_id, value, replaced_at in answers
        ),
    )


def screening_history(*, actor: User, resident_number: str) -> History:
    if not actor.is_staff_member or actor.role != Role.CLINICIAN:
        raise Http404
    person = people_in_scope(actor).filter(resident_number=resident_number).first()
    if person is None:
        raise Http404
    administrations = list(
        # Every stay the actor's facilities held, screens given before a transfer included.
        Administration.objects.filter(person=person, booking__in=bookings_in_scope(actor))
        .select_related("booking", "facility", "started_by")
        .prefetch_related("answers")
        .order_by("-started_at", "-pk")
    )
    screens = tuple(_past(administration) for administration in administrations)
    totals: dict[str, list[tuple[datetime, int]]] = {}
    unvalidated: dict[str, set[datetime]] = {}
    for screen, administration in zip(screens, administrations, strict=True):
        if screen.complete and screen.total is not None:
            when = screen.submitted_at or screen.started_at
            totals.setdefault(administration.instrument, []).append((when, screen.total))
            if not screen.validated_language:
                unvalidated.setdefault(administration.instrument, set()).add(when)
    charts = []
    for key, points in sorted(totals.items()):
        definition = definition_of(key)
        bands = [(band.id, band.low) for band in definition.bands]
        charts.append(
            InstrumentChart(
                name=definition.name,
                chart=chart(points, definition.total_range[1], bands),
                unvalidated=frozenset(unvalidated.get(key, ())),
            )
        )
    record_read(
        actor=actor,
        action="screening_history.read",
        facility=read_chain(actor, {a.facility_id for a in administrations}),
        person=person,
        records=[f"screening:{a.pk}" for a in administrations],
        fields=["answers", "total", "band", "flags"],
    )
    return History(
        resident_number=person.resident_number,
        name=display_name(person),
        screens=screens,
        charts=tuple(charts),
    )
