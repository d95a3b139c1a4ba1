"""Scheduling as records: a facility's capacity (rooms, session types, clinicians' weekly
hours and exceptions, movement periods and restrictions), the requirements that must be
met, proposed and published schedules, appointments and their outcomes.

The rules live in the pure cores beside this file (`problem.py`, `optimizer.py`,
`greedy.py`, `checks.py`, `shortfall.py`, `requirement_rules.py`); these models hold what
they read and what they produce.

Times of day are whole minutes after the facility's local midnight and dates are its local
calendar, as in the core, so a stored schedule never depends on the server's time zone.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kiteline.accounts.models import User
from kiteline.care.models import Decision, Service
from kiteline.facilities.models import Booking, Facility, HousingUnit, Person
from kiteline.scheduling.problem import DAY_MINUTES, Kind

DEFAULT_HORIZON_DAYS = 14
MAX_HORIZON_DAYS = 28
# The waitlist's rule (docs/scheduling.md), in one place: higher acuity first, then who has
# waited longest, then the older requirement (a stable tie-break nobody can game).
WAITLIST_ORDER = ("-acuity", "waiting_since", "pk")


class SchedulingSettings(models.Model):
    """A facility's movement periods (when people may move; counts and meals are the gaps),
    its planning horizon, and the units whose people walk to the health unit unescorted."""

    facility = models.OneToOneField(Facility, on_delete=models.PROTECT, related_name="scheduling")
    # [[start, end], ...] in minutes after local midnight.
    periods = models.JSONField()
    horizon_days = models.PositiveIntegerField(default=DEFAULT_HORIZON_DAYS)
    unescorted_units = models.ManyToManyField(HousingUnit, blank=True, related_name="+")
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.facility.code} scheduling settings"


class Room(models.Model):
    """A place where sessions are held. Its name is what custody reads on the escort list,
    so it names a place ("Health unit, room 3"), never a service."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="rooms")
    code = models.SlugField(max_length=32)
    name = models.CharField(max_length=100)
    seats = models.PositiveIntegerField(default=1)
    # An off-site place (a community clinic): the resident is never told its dates.
    on_site = models.BooleanField(default=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["facility", "code"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "code"], name="room_code_per_facility"),
            models.CheckConstraint(condition=Q(seats__gte=1), name="room_seats_someone"),
        ]

    def __str__(self) -> str:
        return self.name


class SessionType(models.Model):
    """A kind of session and who may hold it; clinical (custody never reads it). One that
    delivers a service holds that service's sessions, one every `every_days` days."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="session_types")
    code = models.SlugField(max_length=32)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=[(k.value, k.value) for k in Kind])
    minutes = models.PositiveIntegerField()
    seats = models.PositiveIntegerField(default=1)
    clinicians = models.ManyToManyField(User, blank=True, related_name="session_types")
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="session_types"
    )
    every_days = models.PositiveIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["facility", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "code"], name="session_type_code_per_facility"
            ),
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=DAY_MINUTES),
                name="session_type_minutes",
            ),
            models.CheckConstraint(
                condition=Q(kind="group", seats__gte=2) | (~Q(kind="group") & Q(seats=1)),
                name="session_type_seats_by_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WeeklyWindow(models.Model):
    """One window of a clinician's weekly template (Monday is 0)."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    clinician = models.ForeignKey(User, on_delete=models.PROTECT, related_name="weekly_windows")
    weekday = models.PositiveSmallIntegerField()
    start_minute = models.PositiveIntegerField()
    end_minute = models.PositiveIntegerField()

    class Meta:
        ordering = ["clinician", "weekday", "start_minute"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="weekly_window_weekday"),
            models.CheckConstraint(
                condition=Q(start_minute__lt=F("end_minute"), end_minute__lte=DAY_MINUTES),
                name="weekly_window_is_a_window",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinician_id} on weekday {self.weekday}"


class ExceptionReason(models.TextChoices):
    LEAVE = "leave", _("Leave")
    TRAINING = "training", _("Training")
    REDUCED = "reduced", _("Reduced hours")
    OTHER = "other", _("Other")


class AvailabilityException(models.Model):
    """A date on which a clinician's template does not apply: the exception's window is the
    time they do work that day, and an exception with no window is a day off."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    clinician = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="availability_exceptions"
    )
    date = models.DateField()
    start_minute = models.PositiveIntegerField(null=True, blank=True)
    end_minute = models.PositiveIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=16, choices=ExceptionReason.choices)

    class Meta:
        ordering = ["date", "clinician", "start_minute"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_minute__isnull=True, end_minute__isnull=True)
                | Q(start_minute__lt=F("end_minute"), end_minute__lte=DAY_MINUTES),
                name="availability_exception_window",
            )
        ]

    def __str__(self) -> str:
        return f"{self.clinician_id} on {self.date}: {self.reason}"


class RestrictionKind(models.TextChoices):
    LOCKDOWN = "lockdown", _("Lockdown")
    SEARCH = "search", _("Search")
    COUNT = "count", _("Count")
    MEAL = "meal", _("Meal")
    OTHER = "other", _("Other")


class MovementRestriction(models.Model):
    """Movement stopped on a date: for one housing unit, or the whole facility."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        HousingUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField()
    start_minute = models.PositiveIntegerField()
    end_minute = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=RestrictionKind.choices)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["date", "start_minute"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_minute__lt=F("end_minute"), end_minute__lte=DAY_MINUTES),
                name="movement_restriction_window",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.date}"


class Source(models.TextChoices):
    LEVEL = "level", _("Contact required by the level of care")
    SERVICE = "service", _("Session of an approved service")
    KITE = "kite", _("Face-to-face visit for a request")
    EVALUATION = "evaluation", _("Evaluation due")


class CloseReason(models.TextChoices):
    MET = "met", _("Met: the resident attended")
    DONE_ELSEWHERE = "done_elsewhere", _("Done outside the schedule")
    NO_LONGER_REQUIRED = "no_longer_required", _("No longer required")
    RELEASED = "released", _("Resident released")
    TRANSFERRED = "transferred", _("Resident transferred")


class Requirement(models.Model):
    """Something that must (or, on the waitlist, should) happen, by a due date. Derived from
    levels, decisions, kites and evaluations by `refresh_requirements`; at most one open per
    stay and `key`, and closed with a reason, never deleted."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="requirements")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="requirements")
    source = models.CharField(max_length=16, choices=Source.choices)
    # What it comes from: "level:clinician", "service:group_therapy", "kite:40",
    # "evaluation:7".
    key = models.CharField(max_length=64)
    session_type = models.ForeignKey(SessionType, on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    earliest = models.DateField()
    due = models.DateField()
    acuity = models.PositiveIntegerField()
    mandatory = models.BooleanField()
    waiting_since = models.DateField()
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=24, choices=CloseReason.choices, blank=True)

    class Meta:
        ordering = ["due", "-acuity", "waiting_since", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "key"],
                condition=Q(closed_at__isnull=True),
                name="one_open_requirement_per_key",
            ),
            models.CheckConstraint(
                condition=Q(earliest__lte=F("due")), name="requirement_due_after_earliest"
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | ~Q(close_reason=""),
                name="closed_requirement_has_a_reason",
            ),
        ]
        indexes = [models.Index(fields=["facility", "closed_at", "due"])]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"Q{self.pk:06d}"


class RunStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    PUBLISHED = "published", _("Published")
    DISCARDED = "discarded", _("Discarded")


class ScheduleRun(models.Model):
    """A schedule proposed for a horizon by the optimizer (or the greedy baseline), with its
    score, bounds and shortfall; a supervisor edits and publishes it."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    start = models.DateField()
    days = models.PositiveIntegerField()
    method = models.CharField(max_length=16)  # "cp-sat" or "greedy"
    solve_status = models.CharField(max_length=16)
    # The objective's parts, bounds and gap, the shortfall rows and what was left
    # unscheduled, as the core reported them.
    report = models.JSONField()
    seconds = models.FloatField()
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.PROPOSED)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    published_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"schedule S{self.pk:05d}"

    @property
    def number(self) -> str:
        return f"S{self.pk:05d}"


class AppointmentStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    PUBLISHED = "published", _("Published")
    # A later published schedule planned it again, or its requirement closed (release,
    # transfer) before it took place: no outcome, nothing missed.
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AppointmentOutcome(models.TextChoices):
    ATTENDED = "attended", _("Attended")
    REFUSED = "refused", _("Refused by the resident")
    CANCELLED_CUSTODY = "cancelled_custody", _("Cancelled by custody")
    CANCELLED_CLINICIAN = "cancelled_clinician", _("Cancelled by the clinician")


class CustodyReason(models.TextChoices):
    LOCKDOWN = "lockdown", _("Lockdown")
    MOVEMENT = "movement", _("Movement stopped")
    STAFFING = "staffing", _("No officer to escort")
    OTHER = "other", _("Other")


class Appointment(models.Model):
    run = models.ForeignKey(ScheduleRun, on_delete=models.PROTECT, related_name="appointments")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    requirement = models.ForeignKey(
        Requirement, on_delete=models.PROTECT, related_name="appointments"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    session_type = models.ForeignKey(SessionType, on_delete=models.PROTECT, related_name="+")
    clinician = models.ForeignKey(User, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    start_minute = models.PositiveIntegerField()
    minutes = models.PositiveIntegerField()
    # Members of one group meeting share the key.
    group = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.PROPOSED
    )
    outcome = models.CharField(max_length=24, choices=AppointmentOutcome.choices, blank=True)
    custody_reason = models.CharField(max_length=16, choices=CustodyReason.choices, blank=True)
    # For a refusal, what was offered next; for a cancellation, why (clinical: staff only).
    outcome_note = models.TextField(blank=True)
    outcome_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "start_minute", "clinician", "pk"]
        indexes = [models.Index(fields=["facility", "status", "date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="") | Q(outcome_at__isnull=False),
                name="appointment_outcome_has_a_time",
            ),
            models.CheckConstraint(
                condition=Q(outcome="cancelled_custody") | Q(custody_reason=""),
                name="custody_reason_only_for_custody_cancellations",
            ),
        ]

    def __str__(self) -> str:
        return f"appointment P{self.pk:06d}"

    @property
    def number(self) -> str:
        return f"P{self.pk:06d}"
