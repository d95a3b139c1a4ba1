"""Kiosks and resident PINs: registering devices, issuing PINs, and signing in at a kiosk.

Each write takes its actor (or, at the kiosk, the device), runs in one transaction with
its audit event, and refuses what cannot be done with a KioskError or a PinError that says
why in plain words. A PIN, a token and a typed resident number never reach the audit log.
Messages a resident reads are translated into the language active for the request.
The few reads the kiosk pages need live here too, beside the rules they share.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kiteline.accounts import pins
from kiteline.accounts.kiosks import hash_token
from kiteline.accounts.models import Kiosk, ResidentPin, Role, User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Booking, Facility, Person

PIN_ISSUERS = frozenset({Role.NURSE, Role.CLINICIAN, Role.SUPERVISOR})


class KioskError(ValueError):
    """A kiosk change that cannot be made, with the reason in plain words."""


class PinError(ValueError):
    """A PIN that cannot be issued or chosen, with the reason in plain words."""


def kiosks_in_scope(actor: User) -> QuerySet[Kiosk]:
    """The kiosks in use at the actor's facilities."""
    return (
        Kiosk.objects.filter(facility__in=actor.facilities.all(), retired_at__isnull=True)
        .select_related("facility", "registered_by")
        .order_by("facility__name", "name")
    )


def _check_supervises(actor: User, facility: Facility) -> None:
    if (
        not actor.is_staff_member
        or actor.role != Role.SUPERVISOR
        or not actor.facilities.filter(pk=facility.pk).exists()
    ):
        raise KioskError(f"Only a supervisor of {facility} can manage its kiosks.")


@transaction.atomic
def register_kiosk(*, actor: User, facility: Facility, name: str) -> tuple[Kiosk, str]:
    """Make a device a kiosk of `facility`; the token goes into the device's cookie and is
    never stored or shown anywhere else."""
    _check_supervises(actor, facility)
    name = name.strip()
    if not name:
        raise KioskError("Give the kiosk a name, such as the unit and wall it is on.")
    if Kiosk.objects.filter(facility=facility, name=name, retired_at__isnull=True).exists():
        raise KioskError(f"{facility} already has a kiosk named {name!r}.")
    token = secrets.token_urlsafe(32)
    kiosk = Kiosk.objects.create(
        facility=facility,
        name=name,
        token_hash=hash_token(token),
        registered_by=actor,
        registered_at=timezone.now(),
    )
    record_event(
        actor=actor, action="kiosk.register", facility=facility, subjects=[f"kiosk:{kiosk.pk}"]
    )
    return kiosk, token


@transaction.atomic
def retire_kiosk(*, actor: User, kiosk: Kiosk) -> Kiosk:
    """Stop a device from being a kiosk, for instance when it is lost or replaced."""
    kiosk = Kiosk.objects.select_for_update().get(pk=kiosk.pk)
    _check_supervises(actor, kiosk.facility)
    if kiosk.retired_at is not None:
        raise KioskError(f"The kiosk {kiosk.name!r} was already retired.")
    kiosk.retired_at = timezone.now()
    kiosk.save(update_fields=["retired_at"])
    record_event(
        actor=actor, action="kiosk.retire", facility=kiosk.facility, subjects=[f"kiosk:{kiosk.pk}"]
    )
    return kiosk


def _in_custody_at(facilities: QuerySet[Facility]) -> QuerySet[Person]:
    return Person.objects.filter(
        bookings__released_at__isnull=True, bookings__facility__in=facilities
    )


def _holding_facility(person: Person) -> Facility | None:
    booking = Booking.objects.filter(person=person, released_at__isnull=True).first()
    return None if booking is None else booking.facility


@transaction.atomic
def issue_pin(*, actor: User, person: Person) -> str:
    """Give a resident a temporary PIN, for a printed slip; issuing again is a reset.

    Creates the resident's account the first time. The resident must choose their own PIN
    at first use. The plain PIN is returned once and never stored.
    """
    if not actor.is_staff_member or actor.role not in PIN_ISSUERS:
        raise PinError("Only a nurse, a clinician or a supervisor can issue a PIN.")
    booking = (
        Booking.objects.filter(
            person=person, released_at__isnull=True, facility__in=actor.facilities.all()
        )
        .select_related("facility")
        .first()
    )
    if booking is None:
        raise PinError(
            f"Resident {person.resident_number} is not in custody at your facilities now."
        )
    account = User.objects.filter(person=person).first()
    if account is None:
        account = User(username=f"resident-{person.resident_number}", role=Role.RESIDENT)
        account.person = person
        # A resident signs in only with a PIN, at a kiosk; never with a password.
        account.set_unusable_password()
        account.save()
    pin = pins.random_temporary_pin()
    _row, created = ResidentPin.objects.update_or_create(
        person=person,
        defaults={
            "pin_hash": make_password(pin),
            "must_change": True,
            "issued_at": timezone.now(),
            "issued_by": actor,
            # Staff handed the slip over in person, so earlier wrong tries no longer matter.
            "failed_tries": 0,
            "last_failed_at": None,
        },
    )
    record_event(
        actor=actor,
        action="pin.issue" if created else "pin.reset",
        facility=booking.facility,
        person=person,
        subjects=[f"user:{account.pk}"],
    )
    return pin


_PROBLEM_MESSAGES = {
    pins.PinProblem.NOT_DIGITS: gettext_lazy("Use only numbers."),
    pins.PinProblem.TOO_SHORT: gettext_lazy("Use at least 4 numbers."),
    pins.PinProblem.TOO_LONG: gettext_lazy("Use no more than 8 numbers."),
    pins.PinProblem.ALL_SAME: gettext_lazy("Do not use the same number every time."),
    pins.PinProblem.RUN: gettext_lazy("Do not use numbers in a row, like 1234."),
    pins.PinProblem.SAME_AS_CURRENT: gettext_lazy("Choose a new PIN, not the one you have now."),
}


def must_choose_pin(person: Person) -> bool:
    """True while the resident still holds a PIN that staff issued."""
    return ResidentPin.objects.filter(person=person, must_change=True).exists()


@transaction.atomic
def choose_pin(*, person: Person, current_pin: str, new_pin: str) -> None:
    """The resident replaces their PIN with one of their own."""
    pin = ResidentPin.objects.select_for_update().get(person=person)
    if not check_password(current_pin, pin.pin_hash):
        raise PinError(_("That is not the PIN you signed in with."))
    problem = pins.new_pin_problem(new_pin, current_pin)
    if problem is not None:
        raise PinError(str(_PROBLEM_MESSAGES[problem]))
    pin.pin_hash = make_password(new_pin)
    pin.must_change = False
    pin.save(update_fields=["pin_hash", "must_change"])
    account = User.objects.get(person=person)
    record_event(
        actor=account,
        action="pin.choose",
        facility=_holding_facility(person),
        person=person,
        subjects=[f"user:{account.pk}"],
    )


class SignInResult(StrEnum):
    SIGNED_IN = "signed in"
    # A wrong PIN, an unknown resident number, or a resident not held here: one answer.
    NOT_RECOGNISED = "not recognised"
    WAIT = "wait"


@dataclass(frozen=True)
class SignInOutcome:
    result: SignInResult
    user: User | None = None
    person: Person | None = None
    must_change_pin: bool = False


@cache
def _dummy_hash() -> str:
    return make_password(secrets.token_hex(8))


def _tries(row: Kiosk | ResidentPin) -> pins.Tries:
    return pins.Tries(failures=row.failed_tries, last_failed_at=row.last_failed_at)


def _record_failure(row: Kiosk | ResidentPin, tries: pins.Tries, now: datetime) -> None:
    after = tries.after_failure(now)
    row.failed_tries = after.failures
    row.last_failed_at = after.last_failed_at
    row.save(update_fields=["failed_tries", "last_failed_at"])


@transaction.atomic
def sign_in_resident(
    *, kiosk: Kiosk, resident_number: str, pin: str, now: datetime
) -> SignInOutcome:
    """Check a resident's number and PIN at a kiosk, with the slow-down of `pins`.

    A try during a wait is refused before the PIN is looked at, and is not counted.
    """
    kiosk = Kiosk.objects.select_for_update().get(pk=kiosk.pk)
    kiosk_tries = _tries(kiosk).forgotten_after_quiet(now)
    if kiosk_tries.seconds_to_wait(now) > 0:
        return SignInOutcome(SignInResult.WAIT)
    held_here = _in_custody_at(Facility.objects.filter(pk=kiosk.facility_id))
    resident_pin = (
        ResidentPin.objects.select_for_update(of=("self",))
        .filter(
            person__in=held_here,
            # Typed at a keyboard: r0001234 is the same wristband as R0001234.
            person__resident_number__iexact=resident_number.strip(),
            person__account__is_active=True,
        )
        .first()
    )
    if resident_pin is None:
        # The same slow hash as for a real resident, so the time taken does not tell.
        check_password(pin, _dummy_hash())
        _record_failure(kiosk, kiosk_tries, now)
        _record_sign_in(kiosk, "kiosk.sign_in_failed", person=None, user=None)
        return SignInOutcome(SignInResult.NOT_RECOGNISED)
    resident_tries = _tries(resident_pin)
    if resident_tries.seconds_to_wait(now) > 0:
        return SignInOutcome(SignInResult.WAIT)
    user = User.objects.select_related("person").get(person_id=resident_pin.person_id)
    if not check_password(pin, resident_pin.pin_hash):
        _record_failure(resident_pin, resident_tries, now)
        _record_failure(kiosk, kiosk_tries, now)
        _record_sign_in(kiosk, "kiosk.sign_in_failed", person=user.person, user=None)
        return SignInOutcome(SignInResult.NOT_RECOGNISED)
    if resident_tries.failures:
        resident_pin.failed_tries = 0
        resident_pin.last_failed_at = None
        resident_pin.save(update_fields=["failed_tries", "last_failed_at"])
    _record_sign_in(kiosk, "kiosk.sign_in", person=user.person, user=user)
    return SignInOutcome(
        SignInResult.SIGNED_IN,
        user=user,
        person=user.person,
        must_change_pin=resident_pin.must_change,
    )


def _record_sign_in(kiosk: Kiosk, action: str, *, person: Person | None, user: User | None) -> None:
    record_event(
        actor=user,
        action=action,
        facility=kiosk.facility,
        person=person,
        subjects=[f"kiosk:{kiosk.pk}"],
    )


@dataclass(frozen=True)
class ScreenLanguage:
    code: str
    # No translation exists for the person's language: the screen is in English instead.
    interpreter_needed: bool


def screen_language(tag: str) -> ScreenLanguage:
    """The kiosk language for a person's BCP 47 language tag: es-MX is shown in Spanish."""
    primary = tag.replace("_", "-").split("-")[0].lower()
    if primary in dict(settings.LANGUAGES):
        return ScreenLanguage(code=primary, interpreter_needed=False)
    return ScreenLanguage(code=settings.LANGUAGE_CODE, interpreter_needed=True)
