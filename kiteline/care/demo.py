"""What the care stories need in the demo: the service catalogue and a published policy
for one-on-one and group therapy, written as a health authority might (synthetic figures,
for trying the system; a real facility writes and publishes its own)."""

from collections.abc import Sequence

from django.db import transaction

from kiteline.accounts.models import User
from kiteline.care.models import CareSettings, Service
from kiteline.care.services import (
    add_service,
    choose_care_settings,
    publish_policy,
    published_policy,
    save_draft,
)
from kiteline.facilities.models import Facility

CATALOGUE = (
    ("individual_therapy", "Individual therapy", "Terapia individual", "6 clinician hours a week"),
    ("group_therapy", "Group therapy", "Terapia de grupo", "2 groups of 10 a week"),
    ("psychiatry", "Psychiatry", "Psiquiatría", "Tele-psychiatry twice a week"),
    ("crisis_care", "Crisis care", "Atención de crisis", "2 observation cells"),
    ("case_management", "Case management", "Gestión de casos", ""),
    ("peer_support", "Peer support", "Apoyo entre pares", "Weekly, volunteers"),
)


def _text(en: str, es: str) -> dict[str, str]:
    return {"en": en, "es": es}


def individual_therapy(threshold: int) -> dict[str, object]:
    """One-on-one therapy from a PHQ-9 total of `threshold`, unless a recent crisis puts it
    to a clinician."""
    evidence = _text(
        f"PHQ-9 total {{phq9_total}} on {{phq9_date}}; at least {threshold} needed",
        f"PHQ-9 total {{phq9_total}} el {{phq9_date}}; se necesita al menos {threshold}",
    )
    return {
        "criteria": [
            {
                "id": f"phq9-{threshold}",
                "expression": f"phq9_total >= {threshold}",
                "met_text": evidence,
                "not_met_text": evidence,
            },
            {
                "id": "recent-crisis",
                "expression": "crises_past_30_days > 0 || on_watch",
                "met_text": _text(
                    "A crisis in the past 30 days: a clinician decides",
                    "Una crisis en los últimos 30 días: decide un profesional clínico",
                ),
                "not_met_text": _text(
                    "No crisis in the past 30 days", "Ninguna crisis en los últimos 30 días"
                ),
            },
        ],
        "rule": {"combine": "all", "review_when_met": ["recent-crisis"]},
        "offered_instead": [
            _text("Group therapy", "Terapia de grupo"),
            _text("A new screening in 30 days", "Una nueva evaluación en 30 días"),
        ],
    }


INDIVIDUAL_THERAPY = individual_therapy(15)
# A draft the demo leaves for the supervisor's what-if: a lower threshold.
DRAFT_THRESHOLD = 10

GROUP_THERAPY = {
    "criteria": [
        {
            "id": "held-here",
            "expression": "days_since_booking >= 0",
            "met_text": _text(
                "Open to everyone held here", "Abierta a todas las personas detenidas aquí"
            ),
            "not_met_text": _text("Not held here", "No está detenido aquí"),
        }
    ],
    "rule": {"combine": "all", "review_when_met": []},
    "offered_instead": [_text("Peer support", "Apoyo entre pares")],
}

POLICIES = {"individual_therapy": INDIVIDUAL_THERAPY, "group_therapy": GROUP_THERAPY}


@transaction.atomic
def prepare_care_demo(facilities: Sequence[Facility]) -> None:
    supervisor = User.objects.get(username="supervisor")
    for facility in facilities:
        if not CareSettings.objects.filter(facility=facility).exists():
            choose_care_settings(actor=supervisor, facility=facility, scheme="generic")
        for code, name_en, name_es, note in CATALOGUE:
            if not Service.objects.filter(facility=facility, code=code).exists():
                add_service(
                    actor=supervisor,
                    facility=facility,
                    code=code,
                    name_en=name_en,
                    name_es=name_es,
                    capacity_note=note,
                )
        for code, body in POLICIES.items():
            service = Service.objects.get(facility=facility, code=code)
            if published_policy(service) is None:
                save_draft(actor=supervisor, service=service, body=body)
                publish_policy(actor=supervisor, service=service)
                if code == "individual_therapy":
                    save_draft(
                        actor=supervisor, service=service, body=individual_therapy(DRAFT_THRESHOLD)
                    )
