"""The decision story in a browser: a resident asks for one-on-one therapy; the published
policy says no, with its reasons, and offers group therapy; the resident appeals and reads
that an appeal is not a grievance; a second clinician reviews the evidence and grants it;
the resident reads why (I3, I4)."""

import re
from datetime import date, timedelta

from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from kiteline.accounts.kiosk_services import issue_pin
from kiteline.accounts.models import Role, User
from kiteline.care.demo import GROUP_THERAPY, INDIVIDUAL_THERAPY
from kiteline.care.models import Appeal, AppealOutcome, Decision, Outcome
from kiteline.care.services import (
    add_service,
    confirm_decision,
    publish_policy,
    request_decision,
    save_draft,
)
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person
from kiteline.kites.models import Kite
from kiteline.kites.models import Outcome as KiteOutcome
from kiteline.kites.services import record_contact
from kiteline.screening.services import record_answer, start_administration, submit_screen
from tests.e2e.steps import PASSWORD, register_kiosk, staff_sign_in


def staff_page(browser: Browser, url: str, username: str) -> Page:
    page = browser.new_context().new_page()
    staff_sign_in(page, url, username)
    return page


def test_a_refused_request_for_therapy_is_appealed_and_granted_by_another_clinician(
    live_server: LiveServer,
    browser: Browser,
    page: Page,
    facility: Facility,
    unit_a: HousingUnit,
    nurse: User,
) -> None:
    users = {
        name: User.objects.create_user(username=name, password=PASSWORD, role=role)
        for name, role in (
            ("test-supervisor", Role.SUPERVISOR),
            ("test-clinician", Role.CLINICIAN),
            ("test-reviewer", Role.CLINICIAN),
        )
    }
    for user in users.values():
        user.facilities.add(facility)
    supervisor, clinician = users["test-supervisor"], users["test-clinician"]
    for code, name_en, name_es, body in (
        ("individual_therapy", "Individual therapy", "Terapia individual", INDIVIDUAL_THERAPY),
        ("group_therapy", "Group therapy", "Terapia de grupo", GROUP_THERAPY),
    ):
        service = add_service(
            actor=supervisor, facility=facility, code=code, name_en=name_en, name_es=name_es
        )
        save_draft(actor=supervisor, service=service, body=body)
        publish_policy(actor=supervisor, service=service)
    details = PersonDetails(
        resident_number="R0000001",
        given_name="Alder",
        family_name="Testfield",
        date_of_birth=date(1990, 1, 1),
        language="en",
    )
    person = book_person(
        actor=None,
        details=details,
        housing_unit=unit_a,
        booked_at=timezone.now() - timedelta(days=5),
        booking_number="B1",
    ).person
    # A PHQ-9 given by the nurse: total 8, below the policy's 15.
    phq9 = start_administration(actor=nurse, person=person, instrument="phq9-v1")
    for n, value in enumerate([1, 1, 1, 1, 1, 1, 1, 1, 0], start=1):
        record_answer(actor=nurse, administration=phq9, item=f"q{n}", value=value)
    submit_screen(actor=nurse, administration=phq9)
    temporary_pin = issue_pin(actor=nurse, person=person)

    # The resident asks for one-on-one therapy at the kiosk.
    register_kiosk(page, live_server.url, "test-supervisor", "North Test Jail")
    page.get_by_label("Your resident number").fill("R0000001")
    page.get_by_label("Your PIN").fill(temporary_pin)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("The PIN you signed in with").fill(temporary_pin)
    page.get_by_label("Your new PIN", exact=True).fill("2580")
    page.get_by_label("Your new PIN again").fill("2580")
    page.get_by_role("button", name="Save my PIN").click()
    page.get_by_role("link", name="Ask to see someone").click()
    page.get_by_label("Therapy").check()
    page.get_by_label("In your own words").fill("I want one-on-one therapy, not a group.")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", name="We got your request")).to_be_visible()

    # The clinician sees them and refers the request for a service decision.
    kite = Kite.objects.get()
    record_contact(
        actor=clinician,
        kite=kite,
        seen_at=timezone.now(),
        place="confidential_room",
        note="Asks for individual therapy.",
        outcome=KiteOutcome.REFERRED_DECISION,
    )

    # The clinician asks the published policy: no, with its reason and its evidence.
    staff = staff_page(browser, f"{live_server.url}/care/referred/", "test-clinician")
    row = staff.locator("tbody tr").filter(has_text=kite.number)
    row.get_by_label("Service").select_option(label="Individual therapy")
    row.get_by_role("button", name="Ask").click()
    expect(staff.get_by_text(re.compile("PHQ-9 total 8 on .*; at least 15 needed"))).to_be_visible()
    staff.get_by_role("button", name="Confirm: Not eligible").click()
    decision = Decision.objects.get()
    assert decision.outcome == Outcome.NOT_ELIGIBLE
    assert decision.decided_by == clinician

    # The resident reads the no, why, what is offered instead, and appeals.
    page.get_by_role("link", name="Back to the start").first.click()
    page.get_by_role("link", name="My decisions").click()
    page.get_by_role("link", name=re.compile("Individual therapy")).click()
    expect(page.get_by_text("No, not now.")).to_be_visible()
    expect(page.get_by_text(re.compile("PHQ-9 total 8 on .*; at least 15 needed"))).to_be_visible()
    expect(page.locator(".offered")).to_contain_text("Group therapy")
    expect(page.get_by_text(re.compile("You can appeal until"))).to_be_visible()
    page.get_by_role("link", name="Appeal", exact=True).click()
    expect(page.get_by_role("heading", name="This appeal is not a grievance")).to_be_visible()
    expect(
        page.get_by_text("Only a formal grievance protects your right to go to court.")
    ).to_be_visible()
    page.get_by_label("Why do you think the decision is wrong?").fill(
        "Group does not work for me: I cannot talk about this in front of others."
    )
    page.get_by_role("button", name="Send my appeal").click()
    expect(page.get_by_role("heading", name="This appeal is not a grievance")).to_be_visible()
    appeal = Appeal.objects.get()

    # The deciding clinician cannot decide it (I4): no form for them.
    staff.goto(f"{live_server.url}/care/appeals/{appeal.pk}/")
    expect(staff.get_by_role("button", name="Decide the appeal")).to_have_count(0)

    # A second clinician reviews the evidence and grants it.
    reviewer = staff_page(browser, f"{live_server.url}/care/appeals/", "test-reviewer")
    reviewer.get_by_role("link", name=appeal.number).click()
    expect(reviewer.get_by_text("Group does not work for me")).to_be_visible()
    expect(
        reviewer.get_by_text(re.compile("PHQ-9 total 8 on .*; at least 15 needed")).first
    ).to_be_visible()
    reviewer.get_by_label("Outcome").select_option(AppealOutcome.OVERTURNED.value)
    reviewer.get_by_label("Reason (the resident reads it)").fill(
        "Speaking in a group is a barrier for you; individual sessions are approved."
    )
    reviewer.get_by_role("button", name="Decide the appeal").click()
    appeal.refresh_from_db()
    assert (appeal.outcome, appeal.decided_by) == (AppealOutcome.OVERTURNED, users["test-reviewer"])

    # The resident reads why.
    page.goto(f"{live_server.url}/kiosk/decisions/{decision.pk}/")
    expect(page.get_by_text("Your appeal was granted.")).to_be_visible()
    expect(
        page.get_by_text(
            "Speaking in a group is a barrier for you; individual sessions are approved."
        )
    ).to_be_visible()
    for other in (staff, reviewer):
        other.context.close()


def test_a_spanish_speaker_reads_the_no_in_spanish_and_appeals_after_the_grievance_notice(
    live_server: LiveServer,
    page: Page,
    facility: Facility,
    unit_a: HousingUnit,
    nurse: User,
) -> None:
    supervisor = User.objects.create_user(
        username="test-supervisor", password=PASSWORD, role=Role.SUPERVISOR
    )
    clinician = User.objects.create_user(username="test-clinician", role=Role.CLINICIAN)
    for user in (supervisor, clinician):
        user.facilities.add(facility)
    service = add_service(
        actor=supervisor,
        facility=facility,
        code="individual_therapy",
        name_en="Individual therapy",
        name_es="Terapia individual",
    )
    save_draft(actor=supervisor, service=service, body=INDIVIDUAL_THERAPY)
    publish_policy(actor=supervisor, service=service)
    details = PersonDetails(
        resident_number="R0000002",
        given_name="Brook",
        family_name="Testfield",
        date_of_birth=date(1991, 2, 2),
        language="es",
    )
    person = book_person(
        actor=None,
        details=details,
        housing_unit=unit_a,
        booked_at=timezone.now() - timedelta(days=5),
        booking_number="B2",
    ).person
    phq9 = start_administration(actor=nurse, person=person, instrument="phq9-v1")
    for n in range(1, 10):
        record_answer(actor=nurse, administration=phq9, item=f"q{n}", value=1 if n < 9 else 0)
    submit_screen(actor=nurse, administration=phq9)
    decision = confirm_decision(
        actor=clinician,
        decision=request_decision(actor=clinician, person=person, service=service),
    )
    assert decision.outcome == Outcome.NOT_ELIGIBLE
    temporary_pin = issue_pin(actor=nurse, person=person)

    register_kiosk(page, live_server.url, "test-supervisor", "North Test Jail")
    page.get_by_label("Your resident number").fill("R0000002")
    page.get_by_label("Your PIN").fill(temporary_pin)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("El PIN con el que entró").fill(temporary_pin)
    page.get_by_label("Su PIN nuevo", exact=True).fill("2580")
    page.get_by_label("Su PIN nuevo otra vez").fill("2580")
    page.get_by_role("button", name="Guardar mi PIN").click()
    page.get_by_role("link", name="Mis decisiones").click()
    page.get_by_role("link", name=re.compile("Terapia individual")).click()
    expect(page.get_by_text("No, por ahora no.")).to_be_visible()
    expect(
        page.get_by_text(re.compile("PHQ-9 total 8 el .*; se necesita al menos 15"))
    ).to_be_visible()
    expect(page.get_by_text(re.compile("Puede apelar hasta el"))).to_be_visible()
    page.locator(".appeal-now a.button").click()
    expect(
        page.get_by_role("heading", name="Esta apelación no es una queja formal")
    ).to_be_visible()
    page.get_by_label("¿Por qué cree que la decisión está mal?").fill(
        "No puedo hablar de esto en un grupo."
    )
    page.get_by_role("button", name="Enviar mi apelación").click()
    expect(page.get_by_role("heading", name="Recibimos su apelación")).to_be_visible()
    expect(
        page.get_by_text("Solo una queja formal protege su derecho a ir a la corte.")
    ).to_be_visible()
    assert Appeal.objects.get().text == "No puedo hablar de esto en un grupo."
