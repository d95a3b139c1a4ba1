"""What the demo needs beyond the roster: a published standard, someone on call, and where
to get help — so that both kite stories run in `make demo` as they would in a facility."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from kiteline.accounts.models import User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Facility
from kiteline.kites.models import OnCallShift, SupportResource
from kiteline.kites.standards import current_standard, publish_standard, schedule_on_call

# Synthetic numbers and wording: a real facility enters its own.
RESOURCES = {
    "en": [
        ("Danger now", "Tell any officer at once, or press the call button in your cell."),
        ("Crisis line", "Dial 988 from any unit phone. The call is free."),
        ("After release", "The county crisis team answers at any hour: ask staff for the number."),
    ],
    "es": [
        ("Peligro ahora", "Dígale a cualquier oficial de inmediato, o use el botón de llamada."),
        ("Línea de crisis", "Marque 988 desde cualquier teléfono de la unidad. Es gratis."),
        ("Al salir", "El equipo de crisis del condado atiende a toda hora: pida el número."),
    ],
}
ON_CALL_DAYS = 60


@transaction.atomic
def prepare_demo(facilities: tuple[Facility, ...]) -> None:
    supervisor = User.objects.get(username="supervisor")
    clinician = User.objects.get(username="clinician")
    backup = User.objects.get(username="clinician2")
    now = timezone.now()
    for facility in facilities:
        if current_standard(facility) is None:
            publish_standard(
                actor=supervisor, facility=facility, urgent_hours=24, emergent_minutes=60
            )
        if not OnCallShift.objects.filter(facility=facility, ends_at__gt=now).exists():
            schedule_on_call(
                actor=supervisor,
                facility=facility,
                clinician=clinician,
                backup=backup,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(days=ON_CALL_DAYS),
            )
        if not facility.resources.exists():
            created = SupportResource.objects.bulk_create(
                SupportResource(
                    facility=facility, language=language, title=title, detail=detail, order=order
                )
                for language, rows in RESOURCES.items()
                for order, (title, detail) in enumerate(rows)
            )
            record_event(
                actor=None,
                action="resources.seed",
                facility=facility,
                subjects=[f"resource:{resource.pk}" for resource in created],
            )
