"""Reads of screenings and evaluations, each scoped to what the actor may see and audited
as one read event per request listing the records shown (I7). Custody never gets here: every
selector refuses anyone outside the health roles, and residents see only their own screens."""

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from kiteline.accounts.models import HEALTH_ROLES, Role, User
from kiteline.audit.recording import record_read
from kiteline.facilities.models import Person
from kiteline.facilities.selectors import bookings_in_scope, people_in_scope, read_chain
from kiteline.kites.clocks import ClockStatus, clock_state
from kiteline.kites.models import Urgency
from kiteline.kites.selectors import display_name, local_time, local_time_or_none
from kiteline.kites.sweep import WARN_BEFORE
from kiteline.screening.evaluation_services import DONE_BY
from kiteline.screening.models import (
    RECEIVING_SCREEN,
    Administration,
    Evaluation,
    Mode,
)
from kiteline.screening.scoring import score, visible_items
from kiteline.screening.services import (
    MEDICATION_ITEM,
    definition_of,
    given_answers,
    receiving_screen_positive,
)


@dataclass(frozen=True)
class Question:
    id: str
    number: int
    text: str
    options: tuple[tuple[int, str], ...]  # (value, label in the screen's language)
    answer: int | None


@dataclass(frozen=True)
class Screen:
    """A screen as it is being given: the questions skip logic shows, and the answers."""

    administration_id: int
    instrument: str
    name: str
    language: str
    validated_language: bool
    instructions: str
    mode: str
    resident_number: str
    person_name: str
    questions: tuple[Question, ...]
    missing: tuple[str, ...]
    submitted: bool
    receiving: bool
    positive: bool  # the receiving screen's rule fired on complete answers
    current_medication: bool
    safety_raised: bool

    def question(self, number: int) -> Question | None:
        return self.questions[number - 1] if 1 <= number <= len(self.questions) else None


def _health_staff(actor: User) -> None:
    if not actor.is_staff_member or actor.role not in HEALTH_ROLES:
        raise Http404


def _screen(administration: Administration) -> Screen:
    definition = definition_of(administration.instrument)
    answers = given_answers(administration)
    language = definition.languages[administration.language]
    result = score(definition, answers, administration.language)
    number = {item.id: index for index, item in enumerate(definition.items, start=1)}
    by_id = {item.id: item for item in definition.items}
    questions = tuple(
        Question(
            id=item_id,
            number=number[item_id],
            text=language.items[item_id],
            options=tuple(
                (option.value, language.answer_labels[by_id[item_id].answers.id][option.value])
                for option in by_id[item_id].answers.options
            ),
            answer=answers.get(item_id),
        )
        for item_id in visible_items(definition, answers)
    )
    receiving = administration.instrument == RECEIVING_SCREEN
    return Screen(
        administration_id=administration.pk,
        instrument=administration.instrument,
        name=definition.name,
        language=administration.language,
        validated_language=language.validated,
        instructions=language.instructions,
        mode=administration.mode,
        resident_number=administration.person.resident_number,
        person_name=display_name(administration.person),
        questions=questions,
        missing=result.missing,
        submitted=administration.submitted_at is not None,
        receiving=receiving,
        positive=receiving and receiving_screen_positive(answers),
        current_medication=answers.get(MEDICATION_ITEM) == 1,
        safety_raised=administration.safety_kite_id is not None,
    )


def screen_for_staff(*, actor: User, administration_id: int, shown: bool = True) -> Screen:
    """A staff-given screen at one of the actor's facilities, for the person giving it.
    `shown=False` is for a request that only writes to it and shows nothing: the read
    event is the page's that shows it, one per request (I7)."""
    _health_staff(actor)
    administration = (
        Administration.objects.select_related("person", "facility")
        .filter(pk=administration_id, mode=Mode.STAFF, facility__in=actor.facilities.all())
        .first()
    )
    if administration is None:
        raise Http404
    screen = _screen(administration)
    if shown:
        record_read(
            actor=actor,
            action="screening.read",
            facility=administration.facility,
            person=administration.person,
            records=[f"screening:{administration.pk}"],
            fields=["answers"],
        )
    return screen


def own_screen(*, actor: User, administration_id: int) -> Screen:
    """The resident's own self-screen, sent or not; anyone else's is not found, nor one
    left unsent in an earlier stay, which can no longer be done."""
    if actor.person_id is None:
        raise Http404
    administration = (
        Administration.objects.select_related("person", "facility")
        .filter(pk=administration_id, person_id=actor.person_id, mode=Mode.SELF)
        .filter(Q(submitted_at__isnull=False) | Q(booking__released_at__isnull=True))
        .first()
    )
    if administration is None:
        raise Http404
    screen = _screen(administration)
    record_read(
        actor=actor,
        action="screening.read",
        facility=administration.facility,
        person=administration.person,
        records=[f"screening:{administration.pk}"],
        fields=["answers"],
    )
    return screen


# ---- Evaluations -----------------------------------------------------------------------


class State:
    DUE = "due"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    DONE = "done"
    DONE_LATE = "done_late"
    CLOSED = "closed"


@dataclass(frozen=True)
class EvaluationRow:
    evaluation_id: int
    resident_number: str
    name: str
    facility: str
    kind: str
    kind_label: str
    urgency: str
    urgency_label: str
    reason_label: str
    discretion_reason: str
    safety: bool
    opened_at: datetime
    due_at: datetime
    done_at: datetime | None
    state: str
    breached: bool


_STATE = {
    ClockStatus.OPEN: State.DUE,
    ClockStatus.DUE_SOON: State.DUE_SOON,
    ClockStatus.BREACHED: State.OVERDUE,
    ClockStatus.MET_ON_TIME: State.DONE,
    ClockStatus.MET_LATE: State.DONE_LATE,
}


def _row(evaluation: Evaluation, now: datetime) -> EvaluationRow:
    """One evaluation, its times in its facility's own zone, as the kites pages show them."""
    if evaluation.closed_at is not None:
        state = State.CLOSED
    else:
        state = _STATE[clock_state(evaluation.due_at, evaluation.done_at, now, WARN_BEFORE).status]
    zone = evaluation.facility.time_zone
    return EvaluationRow(
        evaluation_id=evaluation.pk,
        resident_number=evaluation.person.resident_number,
        name=display_name(evaluation.person),
        facility=evaluation.facility.code,
        kind=evaluation.kind,
        kind_label=evaluation.get_kind_display(),
        urgency=evaluation.urgency,
        urgency_label=str(Urgency(evaluation.urgency).label) if evaluation.urgency else "",
        reason_label=evaluation.get_reason_display(),
        discretion_reason=evaluation.discretion_reason,
        safety=evaluation.safety,
        opened_at=local_time(evaluation.opened_at, zone),
        due_at=local_time(evaluation.due_at, zone),
        done_at=local_time_or_none(evaluation.done_at, zone),
        state=state,
        breached=hasattr(evaluation, "breach"),
    )


# What the list shows for each choice of the filter.
SHOWS = ("open", "overdue", "done")
LIST_LIMIT = 500


def evaluation_list(*, actor: User, show: str, now: datetime) -> list[EvaluationRow]:
    """Open evaluations and screenings by deadline (or the overdue ones, or the most
    recently done) at the actor's facilities."""
    _health_staff(actor)
    if show not in SHOWS:
        raise Http404
    rows = Evaluation.objects.filter(facility__in=actor.facilities.all()).select_related(
        "person", "facility", "breach"
    )
    if show == "done":
        rows = rows.filter(done_at__isnull=False).order_by("-done_at")
    else:
        rows = rows.filter(done_at__isnull=True, closed_at__isnull=True).order_by("due_at")
        if show == "overdue":
            rows = rows.filter(due_at__lt=now)
    listed = list(rows[:LIST_LIMIT])
    shown = [_row(evaluation, now) for evaluation in listed]
    record_read(
        actor=actor,
        action="evaluations.read",
        facility=read_chain(actor, {e.facility_id for e in listed}),
        records=[f"evaluation:{row.evaluation_id}" for row in shown],
        fields=[field.name for field in fields(EvaluationRow)],
    )
    return shown


@dataclass(frozen=True)
class PersonScreening:
    """What the person page shows health staff: the safety banner and what is owed."""

    safety_precautions: bool
    evaluations: tuple[EvaluationRow, ...]
    self_screens_waiting: tuple[str, ...]  # instrument names
    may_open_history: bool
    recordable_kinds: frozenset[str]


def person_screening(*, actor: User, resident_number: str, now: datetime) -> PersonScreening | None:
    """None for anyone outside the health roles: custody never sees any of it (I6)."""
    if not actor.is_staff_member or actor.role not in HEALTH_ROLES:
        return None
    person = people_in_scope(actor).filter(resident_number=resident_number).first()
    if person is None:
        raise Http404
    open_rows = (
        Evaluation.objects.filter(
            person=person,
            facility__in=actor.facilities.all(),
            done_at__isnull=True,
            closed_at__isnull=True,
        )
        .select_related("person", "facility", "breach")
        .order_by("due_at")
    )
    rows = tuple(_row(evaluation, now) for evaluation in open_rows)
    # Which screens a clinician assigned is clinical too: the read lists them beside the rows.
    waiting_screens = list(
        own_screens_of(person)
        .filter(facility__in=actor.facilities.all())
        .order_by("started_at", "pk")
        .values_list("pk", "instrument", "facility_id")
    )
    waiting = tuple(definition_of(key).name for _, key, _ in waiting_screens)
    if rows or waiting_screens:
        facility_ids = {e.facility_id for e in open_rows} | {f for _, _, f in waiting_screens}
        record_read(
            actor=actor,
            action="evaluations.read",
            facility=read_chain(actor, facility_ids),
            person=person,
            records=[f"evaluation:{row.evaluation_id}" for row in rows]
            + [f"screening:{pk}" for pk, _, _ in waiting_screens],
            fields=[field.name for field in fields(EvaluationRow)] + ["self_screens_waiting"],
        )
    return PersonScreening(
        safety_precautions=any(row.safety for row in rows),
        evaluations=rows,
        self_screens_waiting=waiting,
        may_open_history=actor.role == Role.CLINICIAN,
        recordable_kinds=recordable_kinds(actor),
    )


def recordable_kinds(actor: User) -> frozenset[str]:
    """The kinds of evaluation the actor may record as done: the pages offer no button the
    service would refuse."""
    return frozenset(kind for kind, roles in DONE_BY.items() if actor.role in roles)


@dataclass(frozen=True)
class WaitingScreen:
    administration_id: int
    name: str


def own_waiting_screens(*, actor: User) -> list[WaitingScreen]:
    """The resident's own self-screens still to fill in, oldest first; one read event
    listing them, none when there are none."""
    if actor.person_id is None:
        raise Http404
    waiting = list(
        own_screens_of(actor.person_id)
        .select_related("facility", "person")
        .order_by("started_at", "pk")
    )
    if waiting:
        record_read(
            actor=actor,
            action="screening.read",
            facility=waiting[0].facility,
            person=waiting[0].person,
            records=[f"screening:{administration.pk}" for administration in waiting],
            fields=["instrument"],
        )
    return [
        WaitingScreen(administration.pk, definition_of(administration.instrument).name)
        for administration in waiting
    ]


def own_screens_of(person: Person | int | None) -> QuerySet[Administration]:
    """The self-screens a clinician asked the resident to fill in, not yet sent."""
    return Administration.objects.filter(
        person=person, mode=Mode.SELF, submitted_at__isnull=True, booking__released_at__isnull=True
    )


def evaluation_for_action(*, actor: User, evaluation_id: int) -> Evaluation:
    _health_staff(actor)
    evaluation = (
        Evaluation.objects.select_related("person")
        .filter(pk=evaluation_id, facility__in=actor.facilities.all())
        .first()
    )
    if evaluation is None:
        raise Http404
    return evaluation


def own_next_contact(*, actor: User, administration_id: int) -> datetime | None:
    """When the resident will be seen about a sent self-screen: the earliest deadline of
    what it opened, if it opened anything."""
    if actor.person_id is None:
        return None
    return (
        Evaluation.objects.filter(
            administration_id=administration_id,
            administration__person_id=actor.person_id,
            done_at__isnull=True,
            closed_at__isnull=True,
        )
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )


@dataclass(frozen=True)
class Export:
    resident_number: str
    instrument: str
    language: str
    answers: dict[str, int]
    authored: datetime
    submitted: bool


def administration_for_export(*, actor: User, administration_id: int) -> Export:
    """One administration's answers for a clinician to export (FHIR); the read is audited."""
    if not actor.is_staff_member or actor.role != Role.CLINICIAN:
        raise Http404
    administration = (
        Administration.objects.select_related("person", "facility")
        .filter(pk=administration_id, booking__in=bookings_in_scope(actor))
        .first()
    )
    if administration is None:
        raise Http404
    record_read(
        actor=actor,
        action="screening.export",
        facility=administration.facility,
        person=administration.person,
        records=[f"screening:{administration.pk}"],
        fields=["answers", "total"],
    )
    return Export(
        resident_number=administration.person.resident_number,
        instrument=administration.instrument,
        language=administration.language,
        answers=given_answers(administration),
        authored=administration.submitted_at or administration.started_at,
        submitted=administration.submitted_at is not None,
    )


# A screen given by staff and left unsubmitted this long is listed for someone to finish:
# only its safety rules act before a submit (a BJMHS "yes" to current medication waits).
LEFT_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class LeftScreen:
    administration_id: int
    resident_number: str
    name: str
    instrument: str
    started_by: str
    started_at: datetime
    answered: int


def screens_left_unsubmitted(*, actor: User, now: datetime) -> list[LeftScreen]:
    """Screens staff started at the actor's facilities more than an hour ago and never
    submitted, oldest first; one read event listing them."""
    _health_staff(actor)
    left = list(
        Administration.objects.filter(
            facility__in=actor.facilities.all(),
            mode=Mode.STAFF,
            submitted_at__isnull=True,
            started_at__lt=now - LEFT_AFTER,
            booking__released_at__isnull=True,
        )
        .select_related("person", "facility", "started_by")
        .annotate(answered=Count("answers", filter=Q(answers__replaced_at__isnull=True)))
        .order_by("started_at", "pk")[:LIST_LIMIT]
    )
    if left:
        record_read(
            actor=actor,
            action="screening.read",
            facility=read_chain(actor, {a.facility_id for a in left}),
            records=[f"screening:{a.pk}" for a in left],
            fields=[field.name for field in fields(LeftScreen)],
        )
    return [
        LeftScreen(
            administration_id=a.pk,
            resident_number=a.person.resident_number,
            name=display_name(a.person),
            instrument=definition_of(a.instrument).name,
            started_by=a.started_by.get_username(),
            started_at=local_time(a.started_at, a.facility.time_zone),
            answered=a.answered,
        )
        for a in left
    ]
