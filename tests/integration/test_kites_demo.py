from datetime import UTC, datetime
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from kiteline.facilities.models import Facility
from kiteline.kites.models import FacilityStandard, OnCallShift, SupportResource
from kiteline.kites.standards import on_call_now


def test_the_demo_publishes_a_standard_puts_a_clinician_on_call_and_lists_help_once(
    db: None,
) -> None:
    for _ in range(2):
        call_command("seed", "--residents", "20", "--seed", "5", "--demo", stdout=StringIO())
    facilities = list(Facility.objects.all())
    assert len(facilities) == 2
    assert FacilityStandard.objects.count() == 2
    assert OnCallShift.objects.count() == 2
    assert SupportResource.objects.filter(language="es").count() == 6
    shift = on_call_now(facilities[0], timezone.now())
    assert shift is not None
    assert (shift.clinician.username, shift.backup and shift.backup.username) == (
        "clinician",
        "clinician2",
    )
    assert FacilityStandard.objects.first().published_by.username == "supervisor"  # type: ignore[union-attr]
    assert datetime.now(UTC) > shift.starts_at
