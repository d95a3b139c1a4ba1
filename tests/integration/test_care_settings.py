"""A facility's own care settings (issue 7, points 1, 2 and 8): contact figures per level of
care set on the settings page and through the API, the facility's own never marked
unverified while the preset's remaining defaults still are; services renamed, their
capacity note changed, turned off (no new decisions; existing ones keep it) and on again,
by a supervisor of their facility only, audited with the names of the fields changed."""

import html
import re
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.care.demo import INDIVIDUAL_THERAPY
from kiteline.care.levels import ContactKind, unverified_figures
from kiteline.care.models import CareSettings, Decision, Service
from kiteline.care.services import (
    CareError,
    add_service,
    choose_care_settings,
    publish_policy,
    request_decision,
    save_draft,
    scheme_of,
    update_service,
)
from kiteline.facilities.models import Booking, Facility, HousingUnit
from tests.integration.test_api_kites import book, staff_user, token_client

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

CLINICIAN = ContactKind.CLINICIAN.value
PSYCHIATRY = ContactKind.PSYCHIATRY.value
PLAN = ContactKind.TREATMENT_PLAN.value


@pytest.fixture
def supervisor(facility: Facility) -> User:
    return staff_user(Role.SUPERVISOR, facility)


@pytest.fixture
def clinician(facility: Facility) -> User:
    return staff_user(Role.CLINICIAN, facility)


@pytest.fixture
def therapy(supervisor: User, facility: Facility) -> Service:
    service = add_service(
        actor=supervisor,
        facility=facility,
        code="individual_therapy",
        name_en="Individual therapy",
        name_es="Terapia individual",
        capacity_note="6 clinician hours a week",
    )
    save_draft(actor=supervisor, service=service, body=INDIVIDUAL_THERAPY)
    publish_policy(actor=supervisor, service=service)
    return service


@pytest.fixture
def booking(unit_a: HousingUnit) -> Booking:
    return book(unit_a, "R0000001")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response: "Response") -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def messages_of(response: "Response") -> list[str]:
    return [str(message) for message in response.context["messages"]]


def figures_post(facility: Facility, scheme: str, **cells: Any) -> dict[str, Any]:
    """The contact form as the page posts it: every cell on the preset, unless given as
    `level__kind=("every", "14")` or `("none", "")`."""
    data: dict[str, Any] = {"facility": facility.code, "scheme": scheme}
    for level in scheme_of(facility).levels:
        for kind in ContactKind:
            mode, days = cells.get(f"{level.code}__{kind.value}", ("preset", ""))
            data[f"{level.code}__{kind.value}__mode"] = mode
            data[f"{level.code}__{kind.value}__days"] = days
    return data


def figure(facility: Facility, level: str, kind: str) -> tuple[int, bool] | None:
    contact = scheme_of(facility).level(level).contact(ContactKind(kind))
    return None if contact is None else (contact.every_days.value, contact.every_days.unverified)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


# ---- Contact figures on the settings page --------------------------------------------------


def test_the_page_offers_a_figure_for_every_level_and_kind_of_the_scheme_in_force(
    supervisor: User,
) -> None:
    response = signed_in(supervisor).get("/care/settings/")
    form = response.context["figures_form"]
    assert [row.level for row, _ in form.grid()] == [
        "none",
        "outpatient",
        "enhanced",
        "crisis",
        "inpatient",
    ]
    assert form.initial["outpatient__clinician__mode"] == "preset"
    assert form.initial["outpatient__clinician__days"] == "30"
    page = text_of(response)
    assert "The facility's own contact figures" in page
    assert "Hours of structured activity a week stay the preset's" in page
    assert 'aria-label="Outpatient, Individual contact with a clinician"' in (
        response.content.decode()
    )


def test_the_contact_form_saves_the_facilitys_own_figures_and_keeps_the_scheme(
    supervisor: User, facility: Facility
) -> None:
    choose_care_settings(
        actor=supervisor,
        facility=facility,
        scheme="cdcr-mhsds",
        appeal_window_days=21,
        appeal_response_days=7,
    )
    assert figure(facility, "eop", CLINICIAN) == (7, True)
    assert "eop: clinician every 7 days" in unverified_figures(scheme_of(facility))
    since = len(events("care.settings"))

    data = figures_post(
        facility,
        "cdcr-mhsds",
        eop__clinician=("every", "14"),
        cccms__psychiatry=("every", "60"),
        mhcb__treatment_plan=("every", "30"),
        cccms__treatment_plan=("none", ""),
    )
    response = signed_in(supervisor).post("/care/settings/contacts/", data, follow=True)

    assert messages_of(response) == ["Contact figures saved."]
    settings = CareSettings.objects.get()
    assert (settings.scheme, settings.appeal_window_days, settings.appeal_response_days) == (
        "cdcr-mhsds",
        21,
        7,
    )
    assert settings.contact_days == {
        "cccms": {PSYCHIATRY: 60, PLAN: None},
        "eop": {CLINICIAN: 14},
        "mhcb": {PLAN: 30},
    }
    # The facility's own figures are never unverified; the preset's others are as they were.
    assert figure(facility, "eop", CLINICIAN) == (14, False)
    assert figure(facility, "mhcb", PLAN) == (30, False)
    assert figure(facility, "cccms", PLAN) is None
    assert figure(facility, "mhcb", CLINICIAN) == (1, True)
    psychiatry = scheme_of(facility).level("cccms").contact(ContactKind.PSYCHIATRY)
    assert psychiatry is not None
    assert psychiatry.as_needed  # still for those who need it
    unverified = unverified_figures(scheme_of(facility))
    assert "eop: clinician every 7 days" not in unverified
    assert "eop: 10 hours of structured activity a week" in unverified
    assert "mhcb: clinician every 1 days" in unverified

    (event,) = events("care.settings")[since:]
    assert event.detail == {"fields": ["contact_days"]}

    page = text_of(response)
    assert (
        "EOP (enhanced outpatient) eop Symptoms that impair functioning in general population; "
        "separate housing and far more treatment. Individual contact with a clinician: every "
        "14 days the facility's own 10 hours a week unverified" in page
    )
    assert "Treatment plan review: not required the facility's own" in page
    assert (
        "MHCB (crisis bed) mhcb Short-term crisis care. Individual contact with a clinician: "
        "every 1 days unverified Treatment plan review: every 30 days the facility's own" in page
    )
    form = response.context["figures_form"]
    assert form.initial["eop__clinician__mode"] == "every"
    assert form.initial["eop__clinician__days"] == "14"
    assert form.initial["cccms__treatment_plan__mode"] == "none"
    assert form.initial["mhcb__clinician__mode"] == "preset"


def test_setting_a_figure_back_to_the_preset_makes_it_unverified_again(
    supervisor: User, facility: Facility
) -> None:
    client = signed_in(supervisor)
    client.post(
        "/care/settings/contacts/",
        figures_post(facility, "generic", outpatient__clinician=("every", "30")),
    )
    assert figure(facility, "outpatient", CLINICIAN) == (30, False)
    client.post("/care/settings/contacts/", figures_post(facility, "generic"))
    assert figure(facility, "outpatient", CLINICIAN) == (30, True)
    assert CareSettings.objects.get().contact_days == {}


@pytest.mark.parametrize(
    "days", ["0", "367", "-3", "seven", "7.5", "", "٣"], ids=lambda days: repr(days)
)
def test_a_figure_that_is_not_1_to_366_days_is_refused_and_nothing_is_saved(
    supervisor: User, facility: Facility, days: str
) -> None:
    choose_care_settings(actor=supervisor, facility=facility, scheme="generic")
    before = len(events("care.settings"))
    data = figures_post(
        facility,
        "generic",
        enhanced__clinician=("every", "10"),
        outpatient__clinician=("every", days),
    )
    response = signed_in(supervisor).post("/care/settings/contacts/", data, follow=True)
    assert messages_of(response) == [
        "Outpatient, Individual contact with a clinician: give a whole number of days from 1 "
        "to 366, or choose “Not required”."
    ]
    assert CareSettings.objects.get().contact_days == {}
    assert len(events("care.settings")) == before


def test_figures_for_a_scheme_no_longer_in_force_are_refused(
    supervisor: User, facility: Facility
) -> None:
    data = figures_post(facility, "generic", outpatient__clinician=("every", "14"))
    choose_care_settings(actor=supervisor, facility=facility, scheme="bop-care-mh")
    response = signed_in(supervisor).post("/care/settings/contacts/", data, follow=True)
    assert messages_of(response) == [
        "The levels of care changed since the page was opened: set them again."
    ]
    assert CareSettings.objects.get().contact_days == {}


@pytest.mark.parametrize(
    ("contact_days", "message"),
    [
        ({"outpatient": {CLINICIAN: 0}}, "from 1 to 366"),
        ({"outpatient": {CLINICIAN: 367}}, "from 1 to 366"),
        ({"outpatient": {CLINICIAN: "7"}}, "from 1 to 366"),
        ({"outpatient": {CLINICIAN: True}}, "from 1 to 366"),
        ({"outpatient": {CLINICIAN: 7.0}}, "from 1 to 366"),
        ({"eop": {CLINICIAN: 7}}, "not a level of the generic scheme"),
        ({"outpatient": {"weekly": 7}}, "not a kind of contact"),
        ({"outpatient": 7}, "per kind of contact"),
    ],
)
def test_the_service_refuses_a_figure_it_cannot_use(
    supervisor: User, facility: Facility, contact_days: Any, message: str
) -> None:
    with pytest.raises(CareError, match=message):
        choose_care_settings(
            actor=supervisor, facility=facility, scheme="generic", contact_days=contact_days
        )
    assert not CareSettings.objects.exists()


@pytest.mark.parametrize("role", [Role.NURSE, Role.CLINICIAN, Role.CUSTODY, Role.AUDITOR])
def test_only_a_supervisor_posts_contact_figures(role: Role, facility: Facility) -> None:
    someone = staff_user(role, facility)
    data = figures_post(facility, "generic", outpatient__clinician=("every", "14"))
    assert signed_in(someone).post("/care/settings/contacts/", data).status_code == 403
    assert not CareSettings.objects.exists()


def test_a_supervisor_cannot_set_another_facilitys_figures(
    supervisor: User, facility: Facility, other_facility: Facility
) -> None:
    data = {**figures_post(facility, "generic"), "facility": other_facility.code}
    assert signed_in(supervisor).post("/care/settings/contacts/", data).status_code == 404
    assert not CareSettings.objects.exists()


# ---- Services: names, capacity note, offered or not --------------------------------------


def test_a_supervisor_changes_a_service_audited_by_field_name_only(
    supervisor: User, therapy: Service
) -> None:
    changed = update_service(
        actor=supervisor,
        service=therapy,
        name_en=" One-on-one therapy ",
        name_es="Terapia individual",
        capacity_note="4 clinician hours a week",
        active=True,
    )
    therapy.refresh_from_db()
    assert (therapy.name_en, therapy.capacity_note, therapy.active, therapy.code) == (
        "One-on-one therapy",
        "4 clinician hours a week",
        True,
        "individual_therapy",
    )
    assert changed == therapy
    event = events("care.service")[-1]
    assert event.subjects == [f"service:{therapy.pk}"]
    assert event.detail == {"fields": ["name_en", "capacity_note"]}
    assert "hours" not in str(event.detail)
    assert "One-on-one" not in str(event.detail)

    # Nothing changed: nothing written, nothing recorded.
    count = AuditEvent.objects.count()
    update_service(
        actor=supervisor,
        service=therapy,
        name_en="One-on-one therapy",
        name_es="Terapia individual",
        capacity_note="4 clinician hours a week",
        active=True,
    )
    assert AuditEvent.objects.count() == count


@pytest.mark.parametrize("role", [Role.NURSE, Role.CLINICIAN, Role.CUSTODY, Role.AUDITOR])
def test_only_a_supervisor_changes_a_service(
    role: Role, facility: Facility, therapy: Service
) -> None:
    someone = staff_user(role, facility)
    with pytest.raises(CareError, match="cannot change a service"):
        update_service(
            actor=someone,
            service=therapy,
            name_en="Renamed",
            name_es="Renombrado",
            capacity_note="",
            active=False,
        )
    data = {"name_en": "Renamed", "name_es": "Renombrado", "capacity_note": ""}
    assert signed_in(someone).post(f"/care/settings/services/{therapy.pk}/", data).status_code in (
        403,
        404,
    )
    therapy.refresh_from_db()
    assert (therapy.name_en, therapy.active) == ("Individual therapy", True)


def test_a_supervisor_elsewhere_cannot_change_the_service(
    other_facility: Facility, therapy: Service
) -> None:
    stranger = staff_user(Role.SUPERVISOR, other_facility)
    with pytest.raises(CareError, match="not at your facilities"):
        update_service(
            actor=stranger,
            service=therapy,
            name_en="Renamed",
            name_es="Renombrado",
            capacity_note="",
            active=False,
        )
    data = {"name_en": "Renamed", "name_es": "Renombrado", "capacity_note": ""}
    response = signed_in(stranger).post(f"/care/settings/services/{therapy.pk}/", data)
    assert response.status_code == 404
    therapy.refresh_from_db()
    assert therapy.active


@pytest.mark.parametrize(
    ("name_en", "capacity_note", "message"),
    [
        ("Therapy\x00", "", "NUL"),
        ("Therapy", "Weekly\x00", "NUL"),
        ("   ", "", "name in English and in Spanish"),
        ("T" * 121, "", "English name to 120 characters"),
        ("Therapy", "w" * 301, "capacity note to 300 characters"),
    ],
    ids=["nul-name", "nul-note", "blank", "long-name", "long-note"],
)
def test_text_a_service_cannot_store_is_refused(
    supervisor: User, therapy: Service, name_en: str, capacity_note: str, message: str
) -> None:
    count = AuditEvent.objects.count()
    with pytest.raises(CareError, match=message):
        update_service(
            actor=supervisor,
            service=therapy,
            name_en=name_en,
            name_es="Terapia",
            capacity_note=capacity_note,
            active=True,
        )
    therapy.refresh_from_db()
    assert therapy.name_en == "Individual therapy"
    assert AuditEvent.objects.count() == count


def test_an_inactive_service_gets_no_new_decision_and_existing_ones_keep_it(
    supervisor: User, clinician: User, therapy: Service, booking: Booking, unit_a: HousingUnit
) -> None:
    earlier = request_decision(actor=clinician, person=booking.person, service=therapy)
    response = signed_in(supervisor).post(
        f"/care/settings/services/{therapy.pk}/",
        {"name_en": "Individual therapy", "name_es": "Terapia individual", "capacity_note": ""},
        follow=True,
    )
    assert messages_of(response) == ["Service saved."]
    therapy.refresh_from_db()
    assert not therapy.active
    assert events("care.service")[-1].detail == {"fields": ["capacity_note", "active"]}
    assert "Individual therapy · Terapia individual individual_therapy — Version 1" in text_of(
        response
    )
    assert "no: no new decisions" in text_of(response)

    other = book(unit_a, "R0000002")
    with pytest.raises(CareError, match="is not offered now"):
        request_decision(actor=clinician, person=other.person, service=therapy)
    earlier.refresh_from_db()
    assert earlier.service_id == therapy.pk
    assert Decision.objects.count() == 1

    # And on again.
    therapy = update_service(
        actor=supervisor,
        service=therapy,
        name_en="Individual therapy",
        name_es="Terapia individual",
        capacity_note="",
        active=True,
    )
    assert request_decision(actor=clinician, person=other.person, service=therapy).service_id


def test_the_page_offers_a_form_per_service(supervisor: User, therapy: Service) -> None:
    response = signed_in(supervisor).get("/care/settings/")
    ((row, form),) = response.context["service_rows"]
    assert row.service_id == therapy.pk
    assert form.initial == {
        "name_en": "Individual therapy",
        "name_es": "Terapia individual",
        "capacity_note": "6 clinician hours a week",
        "active": True,
    }
    assert f'action="/care/settings/services/{therapy.pk}/"' in response.content.decode()
    assert f'id="service-{therapy.pk}-name_en"' in response.content.decode()


# ---- API ---------------------------------------------------------------------------------


def put(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.put(url, body, content_type="application/json")


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def test_the_api_gives_the_settings_with_unverified_and_own_figures(
    supervisor: User, facility: Facility, therapy: Service
) -> None:
    api = token_client(supervisor)
    response = api.get("/api/v1/care/settings")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["facility"], body["scheme"], body["appeal_window_days"]) == (
        "north",
        "generic",
        30,
    )
    outpatient = next(level for level in body["levels"] if level["code"] == "outpatient")
    assert outpatient["contacts"] == [
        {
            "kind": "clinician",
            "name": "Individual contact with a clinician",
            "every_days": 30,
            "unverified": True,
            "as_needed": False,
            "own": False,
        }
    ]
    assert "outpatient: clinician every 30 days" in body["unverified"]
    assert [service["code"] for service in body["services"]] == ["individual_therapy"]
    assert body["services"][0]["version"] == 1

    changed = put(
        api,
        "/api/v1/care/settings/contacts",
        {"contact_days": {"outpatient": {"clinician": 14}, "none": {"psychiatry": None}}},
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    outpatient = next(level for level in body["levels"] if level["code"] == "outpatient")
    assert outpatient["contacts"][0] | {"name": ""} == {
        "kind": "clinician",
        "name": "",
        "every_days": 14,
        "unverified": False,
        "as_needed": False,
        "own": True,
    }
    none = next(level for level in body["levels"] if level["code"] == "none")
    assert none["not_required"] == ["psychiatry"]
    assert "outpatient: clinician every 30 days" not in body["unverified"]
    assert "enhanced: clinician every 7 days" in body["unverified"]
    assert figure(facility, "outpatient", CLINICIAN) == (14, False)


@pytest.mark.parametrize("days", [0, 367, "14", True, 7.5])
def test_the_api_refuses_a_bad_figure_and_saves_nothing(
    supervisor: User, facility: Facility, days: Any
) -> None:
    response = put(
        token_client(supervisor),
        "/api/v1/care/settings/contacts",
        {"contact_days": {"outpatient": {"clinician": days}}},
    )
    assert response.status_code == 400, response.content
    assert "from 1 to 366" in response.json()["detail"]
    assert not CareSettings.objects.exists()


def test_the_api_changes_a_service_and_turns_it_off(supervisor: User, therapy: Service) -> None:
    response = post(
        token_client(supervisor),
        f"/api/v1/care/services/{therapy.pk}",
        {"capacity_note": "Waitlist of 3 weeks", "active": False},
    )
    assert response.status_code == 200, response.content
    assert response.json() | {"service_id": 0} == {
        "service_id": 0,
        "facility": "north",
        "code": "individual_therapy",
        "name_en": "Individual therapy",
        "name_es": "Terapia individual",
        "capacity_note": "Waitlist of 3 weeks",
        "active": False,
        "version": 1,
    }
    assert events("care.service")[-1].detail == {"fields": ["capacity_note", "active"]}
    refused = post(
        token_client(supervisor), f"/api/v1/care/services/{therapy.pk}", {"name_en": "a\x00"}
    )
    assert refused.status_code == 400
    assert "NUL" in refused.json()["detail"]


@pytest.mark.parametrize("role", [Role.CUSTODY, Role.NURSE, Role.CLINICIAN, Role.AUDITOR])
def test_the_api_settings_routes_are_for_supervisors_only(
    role: Role, facility: Facility, therapy: Service
) -> None:
    api = token_client(staff_user(role, facility))
    assert api.get("/api/v1/care/settings").status_code == 403
    refused = put(
        api, "/api/v1/care/settings/contacts", {"contact_days": {"outpatient": {"clinician": 9}}}
    )
    assert refused.status_code == 403
    assert post(api, f"/api/v1/care/services/{therapy.pk}", {"active": False}).status_code == 403
    therapy.refresh_from_db()
    assert therapy.active
    assert not CareSettings.objects.exists()


def test_the_api_keeps_a_supervisor_to_their_facilities(
    facility: Facility, other_facility: Facility, therapy: Service
) -> None:
    stranger = token_client(staff_user(Role.SUPERVISOR, other_facility))
    assert stranger.get("/api/v1/care/settings?facility=north").status_code == 404
    assert stranger.get("/api/v1/care/settings").json()["facility"] == "south"
    response = put(
        stranger,
        "/api/v1/care/settings/contacts",
        {"facility": "north", "contact_days": {"outpatient": {"clinician": 9}}},
    )
    assert response.status_code == 404
    assert post(stranger, f"/api/v1/care/services/{therapy.pk}", {"active": False}).status_code == (
        404
    )
    therapy.refresh_from_db()
    assert therapy.active
    assert not CareSettings.objects.exists()


def test_the_contact_form_reads_in_spanish(supervisor: User) -> None:
    client = signed_in(supervisor)
    client.post("/language/", {"language": "es"})
    page = text_of(client.get("/care/settings/"))
    assert "Cifras de contacto propias del centro" in page
    assert "Predeterminado: cada 30 días (sin verificar)" in page
    assert "No se requiere" in page
    assert "Guardar las cifras de contacto" in page
