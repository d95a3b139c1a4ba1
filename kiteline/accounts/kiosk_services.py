"""Kiosks and resident PINs: registering devices, issuing PINs, and signing in at a kiosk.

Each write takes its actor (or, at the kiosk, the device), runs in one transaction with
its audit event, and refuses what cannot be done with a KioskError or a PinError that says
why in plain words. A PIN, a token and a typed resident number never reach the audit log.
Messages a resident reads are translated into the language active for the request.
The reads the kiosk pages need are in `kiteline.accounts.selectors`.
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
from kiteline.accounts.models import HEALTH_ROLES, Kiosk, KioskPinTries, ResidentPin, Role, User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Booking, Facility, Person

# Who may issue and reset PINs; the PIN slip page's access rule is made from this too.


class KioskError(ValueError):
    """A kiosk change that cannot be made, with the reason in plain words."""


class PinError(ValueError):
    """A PIN that cannot be issued or chosen, with the reason in plain words."""


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


def _free_resident_username(person: Person) -> str:
    """resident-<number>; when another account already has that name, the first free one
    of resident-<number>-2, -3 and so on, rather than an error no one at the desk can fix."""
    base = f"resident-{person.resident_number}"
    taken = set(User.objects.filter(username__startswith=base).values_list("username", flat=True))
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


@transaction.atomic
def issue_pin(*, actor: User, person: Person) -> str:
    """Give a resident a temporary PIN, for a printed slip; issuing again is a reset.

    Creates the resident's account the first time. The resident must choose their own PIN
    at first use. The plain PIN is returned once and never stored.
    """
    if not actor.is_staff_member or actor.role not in HEALTH_ROLES:
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
        account = User(username=_free_resident_username(person), role=Role.RESIDENT)
        account.person = person
        # A resident signs in only with a PIN, at a kiosk; never with a password.
        account.set_unusable_password()
        account.save()
    pin = pins.random_temporary_pin()
    row, created = ResidentPin.objects.update_or_create(
        person=person,
        defaults={
            "pin_hash": make_password(pin),
            "must_change": True,
            "issued_at": timezone.now(),
            "issued_by": actor,
        },
    )
    # Staff handed the slip over in person, so earlier wrong tries no longer slow the
    # resident down. The failure spell stays: it tells staff about guessing, not the resident.
    KioskPinTries.objects.filter(pin=row).delete()
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
    # A wrong PIN, an unknown resident number, someone not held here, or a resident's number
    # during its own wait at this kiosk: one answer, so that none of them tells which.
    NOT_RECOGNISED = "not recognised"
    # The kiosk's own wait: decided before the number is read, so it tells nothing about
    # any resident.
    WAIT = "wait"


@dataclass(frozen=True)
class SignInOutcome:
    result: SignInResult
    user: User | None = None
    person: Person | None = None
    must_change_pin: bool = False


_NOT_RECOGNISED = SignInOutcome(SignInResult.NOT_RECOGNISED)


@cache
def _dummy_hash() -> str:
    return make_password(secrets.token_hex(8))


def _tries(row: Kiosk | KioskPinTries | None) -> pins.Tries:
    if row is None:
        return pins.Tries()
    return pins.Tries(failures=row.failed_tries, last_failed_at=row.last_failed_at)


def normalised_resident_number(typed: str) -> str:
    """Resident numbers are matched as printed on the wristband, in upper case: r0001234
    typed at a keyboard is R0001234. An exact match, so the unique index serves it."""
    return typed.strip().upper()


def _resident_pin_here(kiosk: Kiosk, resident_number: str) -> ResidentPin | None:
    """The PIN of the active resident held at the kiosk's facility with that number."""
    held_here = _in_custody_at(Facility.objects.filter(pk=kiosk.facility_id))
    return (
        ResidentPin.objects.select_for_update(of=("self",))
        .select_related("person")
        .filter(
            person__in=held_here,
            person__resident_number=normalised_resident_number(resident_number),
            person__account__is_active=True,
        )
        .first()
    )


@transaction.atomic
def sign_in_resident(
    *, kiosk: Kiosk, resident_number: str, pin: str, now: datetime
) -> SignInOutcome:
    """Check a resident's number and PIN at a kiosk, with the slow-down of `pins`.

    A try during the kiosk's wait is refused before the number is read, and is not
    counted. Every other refusal does the same work (one slow hash) and gets the same
    answer, NOT_RECOGNISED, whether the number is unknown, the PIN wrong, or the number is
    in its own wait at this kiosk; each counts once against the kiosk. A resident's wait
    at this kiosk never delays them at another kiosk.
    """
    kiosk = Kiosk.objects.select_for_update().get(pk=kiosk.pk)
    kiosk_tries = _tries(kiosk).forgotten_after_quiet(now)
    if kiosk_tries.seconds_to_wait(now) > 0:
        _record_sign_in(kiosk, "kiosk.sign_in_refused", person=None, user=None)
        return SignInOutcome(SignInResult.WAIT)
    resident_pin = _resident_pin_here(kiosk, resident_number)
    if resident_pin is None:
        # The same slow hash as for a real resident, so the time taken does not tell.
        check_password(pin, _dummy_hash())
        _record_failure(kiosk, kiosk_tries, now)
        _record_sign_in(kiosk, "kiosk.sign_in_failed", person=None, user=None)
        return _NOT_RECOGNISED
    person = resident_pin.person
    tries_row = KioskPinTries.objects.filter(pin=resident_pin, kiosk=kiosk).first()
    resident_tries = _tries(tries_row)
    if resident_tries.seconds_to_wait(now) > 0:
        # Refused like an unknown number: the real PIN is not looked at, the dummy hash
        # takes its time, and the resident's own wait here is not made longer.
        check_password(pin, _dummy_hash())
        _record_failure(kiosk, kiosk_tries, now)
        _record_sign_in(kiosk, "kiosk.sign_in_refused", person=person, user=None)
        _count_in_failure_spell(resident_pin, kiosk, now)
        return _NOT_RECOGNISED
    if not check_password(pin, resident_pin.pin_hash):
        KioskPinTries.objects.update_or_create(
            pin=resident_pin,
            kiosk=kiosk,
            defaults={"failed_tries": resident_tries.failures + 1, "last_failed_at": now},
        )
        _record_failure(kiosk, kiosk_tries, now)
        _record_sign_in(kiosk, "kiosk.sign_in_failed", person=person, user=None)
        _count_in_failure_spell(resident_pin, kiosk, now)
        return _NOT_RECOGNISED
    if tries_row is not None:
        tries_row.delete()
    user = User.objects.get(person=person)
    _record_sign_in(kiosk, "kiosk.sign_in", person=person, user=user)
    return SignInOutcome(
        SignInResult.SIGNED_IN,
        user=user,
        person=person,
        must_change_pin=resident_pin.must_change,
    )


def _record_failure(kiosk: Kiosk, tries: pins.Tries, now: datetime) -> None:
    after = tries.after_failure(now)
    kiosk.failed_tries = after.failures
    kiosk.last_failed_at = after.last_failed_at
    kiosk.save(update_fields=["failed_tries", "last_failed_at"])


def _count_in_failure_spell(resident_pin: ResidentPin, kiosk: Kiosk, now: datetime) -> None:
    """Counts a failure with the resident's number at any kiosk. It never makes anyone
    wait; enough of them in an hour tell staff, once, that someone may be guessing."""
    spell = pins.FailureSpell(
        failures=resident_pin.failure_spell_count,
        started_at=resident_pin.failure_spell_started_at,
    ).after_failure(now)
    resident_pin.failure_spell_count = spell.failures
    resident_pin.failure_spell_started_at = spell.started_at
    resident_pin.save(update_fields=["failure_spell_count", "failure_spell_started_at"])
    if spell.just_became_suspicious:
        record_event(
            actor=None,
            action="kiosk.pin_attack_suspected",
            facility=kiosk.facility,
            person=resident_pin.person,
            subjects=[f"kiosk:{kiosk.pk}"],
            detail={
                "failures": spell.failures,
                "within_seconds": int(pins.SUSPICION_PERIOD.total_seconds()),
            },
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
