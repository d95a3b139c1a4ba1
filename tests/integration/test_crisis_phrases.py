from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person
from kiteline.kites.models import CrisisSignal
from kiteline.kites.phrases import PhraseError, add_crisis_phrase, phrase_list_for
from kiteline.kites.services import submit_kite


@pytest.fixture
def supervisor(facility: Facility) -> User:
    user = User.objects.create_user(username="boss", role=Role.SUPERVISOR)
    user.facilities.add(facility)
    return user


@pytest.fixture
def resident(unit_a: HousingUnit) -> User:
    booking = book_person(
        actor=None,
        details=PersonDetails(
            resident_number="R0000001",
            given_name="Alder",
            family_name="Testfield",
            date_of_birth=date(1990, 1, 1),
        ),
        housing_unit=unit_a,
        booked_at=timezone.now() - timedelta(days=1),
        booking_number="B1",
    )
    return User.objects.create_user(username="r1", role=Role.RESIDENT, person=booking.person)


def test_a_phrase_a_supervisor_adds_raises_the_next_request_to_emergent(
    supervisor: User, facility: Facility, resident: User
) -> None:
    text = "I am going to swallow the batteries"
    assert submit_kite(actor=resident, topic="talk", text=text).kite.urgency == ""
    add_crisis_phrase(
        actor=supervisor, facility=facility, language="en", pattern="swallow the batteries"
    )
    kite = submit_kite(actor=resident, topic="talk", text=text + " now").kite
    assert kite.urgency == "emergent"
    (signal,) = CrisisSignal.objects.filter(kite=kite)
    assert (signal.phrase_id, signal.phrase_list_version) == ("north-1", "v1.north.1")
    assert text[signal.start or 0 : signal.end].endswith("batteries")


def test_the_list_only_grows_and_each_addition_is_a_new_version(
    supervisor: User, facility: Facility, other_facility: Facility
) -> None:
    before = phrase_list_for(facility)
    add_crisis_phrase(
        actor=supervisor, facility=facility, language="es", pattern="me tiro del techo"
    )
    after = phrase_list_for(facility)
    assert after.version != before.version
    assert after.phrases[: len(before.phrases)] == before.phrases
    assert phrase_list_for(other_facility).version == before.version
    assert AuditEvent.objects.filter(action="crisis.phrase_add", chain="north").count() == 1


@pytest.mark.parametrize(
    ("pattern", "error"),
    [("KILL MYSELF", "already on the list"), ("ab", "at least"), ("quitarme  la VIDA", "already")],
)
def test_a_phrase_already_listed_or_too_short_is_refused(
    supervisor: User, facility: Facility, pattern: str, error: str
) -> None:
    with pytest.raises(PhraseError, match=error):
        add_crisis_phrase(actor=supervisor, facility=facility, language="en", pattern=pattern)


def test_only_a_supervisor_of_the_facility_adds_phrases(
    nurse: User, supervisor: User, other_facility: Facility, facility: Facility
) -> None:
    with pytest.raises(PhraseError, match="Only a supervisor"):
        add_crisis_phrase(actor=nurse, facility=facility, language="en", pattern="new words here")
    with pytest.raises(PhraseError, match="not a supervisor at"):
        add_crisis_phrase(
            actor=supervisor, facility=other_facility, language="en", pattern="new words here"
        )


def test_the_page_lists_the_phrases_in_force_and_adds_one(
    client: Client, supervisor: User, facility: Facility
) -> None:
    client.force_login(supervisor)
    page = client.get("/kites/phrases/")
    assert "want to die" in page.content.decode()
    response = client.post(
        "/kites/phrases/",
        {"facility": facility.pk, "language": "en", "pattern": "going to jump off"},
        follow=True,
    )
    assert "going to jump off" in response.content.decode()
    assert "v1.north.1" in response.content.decode()
