"""The staff kite forms used directly: times typed in facility time, refused when the clocks
skip or repeat them, and the standard form starting from the version in force. With them,
what `publish_standard` carries forward from that version."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person
from kiteline.kites.clocks import NCCHC_DEFAULTS
from kiteline.kites.forms import ContactForm, OnCallForm, PaperKiteForm, StandardForm
from kiteline.kites.standards import publish_standard

CHICAGO = "America/Chicago"
# 2026 in Chicago: the clocks go forward from 02:00 to 03:00 on Sunday 8 March, and back
# from 02:00 to 01:00 on Sunday 1 November.
SKIPPED = "2026-03-08T02:30"
REPEATED = "2026-11-01T01:30"
DOES_NOT_EXIST = f"That time does not exist in {CHICAGO}: the clocks went forward."
HAPPENS_TWICE = (
    f"That time happens twice in {CHICAGO} (the clocks went back): enter it as a time "
    "before 01:00 or from 02:00 on."
)


def staff(role: Role, *facilities: Facility, name: str | None = None) -> User:
    user = User.objects.create_user(username=name or f"test-{role}", role=role)
    user.facilities.add(*facilities)
    return user


@pytest.fixture
def booking(unit_a: HousingUnit) -> Booking:
    return book_person(
        actor=None,
        details=PersonDetails(
            resident_number="R0000001",
            given_name="Alder",
            family_name="Testfield",
            date_of_birth=date(1990, 1, 1),
        ),
        housing_unit=unit_a,
        booked_at=timezone.now() - timedelta(days=3),
        booking_number="B1",
    )


@pytest.fixture
def supervisor(facility: Facility) -> User:
    return staff(Role.SUPERVISOR, facility)


@pytest.fixture
def clinician(facility: Facility) -> User:
    return staff(Role.CLINICIAN, facility)


# ---- Times the clocks skip or repeat ---------------------------------------------------


def paper_form(nurse: User, received_at: str) -> PaperKiteForm:
    data = {
        "resident_number": "R0000001",
        "channel": "paper",
        "topic": "therapy",
        "received_at": received_at,
        "backdate_reason": "the screens were down",
        "text": "I cannot sleep",
        "request_key": "key-1",
    }
    return PaperKiteForm(data, actor=nurse)


def contact_form(seen_at: str) -> ContactForm:
    data = {"seen_at": seen_at, "place": "clinic", "outcome": "resolved"}
    return ContactForm(data, time_zone=CHICAGO)


def on_call_form(
    supervisor: User, facility: Facility, clinician: User, starts_at: str, ends_at: str
) -> OnCallForm:
    data = {
        "facility": facility.pk,
        "clinician": clinician.pk,
        "starts_at": starts_at,
        "ends_at": ends_at,
    }
    return OnCallForm(data, actor=supervisor)


@pytest.mark.parametrize(
    ("typed", "at"),
    [
        ("2026-03-08T01:59", datetime(2026, 3, 8, 7, 59, tzinfo=UTC)),
        ("2026-03-08T03:00", datetime(2026, 3, 8, 8, 0, tzinfo=UTC)),
        ("2026-11-01T00:59", datetime(2026, 11, 1, 5, 59, tzinfo=UTC)),
        ("2026-11-01T02:00", datetime(2026, 11, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_a_time_next_to_a_change_is_read_in_facility_time(
    nurse: User, booking: Booking, typed: str, at: datetime
) -> None:
    paper = paper_form(nurse, typed)
    assert paper.is_valid(), paper.errors
    assert paper.cleaned_data["received_at"] == at
    contact = contact_form(typed)
    assert contact.is_valid(), contact.errors
    assert contact.cleaned_data["seen_at"] == at


@pytest.mark.parametrize(
    ("typed", "message"), [(SKIPPED, DOES_NOT_EXIST), (REPEATED, HAPPENS_TWICE)]
)
def test_a_paper_kite_received_at_a_skipped_or_repeated_time_is_refused(
    nurse: User, booking: Booking, typed: str, message: str
) -> None:
    form = paper_form(nurse, typed)
    assert not form.is_valid()
    assert form.errors == {"received_at": [message]}
    assert "received_at" not in form.cleaned_data


@pytest.mark.parametrize(
    ("typed", "message"), [(SKIPPED, DOES_NOT_EXIST), (REPEATED, HAPPENS_TWICE)]
)
def test_a_contact_seen_at_a_skipped_or_repeated_time_is_refused(typed: str, message: str) -> None:
    form = contact_form(typed)
    assert not form.is_valid()
    assert form.errors == {"seen_at": [message]}


@pytest.mark.parametrize(
    ("typed", "message"), [(SKIPPED, DOES_NOT_EXIST), (REPEATED, HAPPENS_TWICE)]
)
def test_a_shift_starting_or_ending_at_a_skipped_or_repeated_time_is_refused(
    supervisor: User, facility: Facility, clinician: User, typed: str, message: str
) -> None:
    day = typed[:10]
    starts = on_call_form(supervisor, facility, clinician, typed, f"{day}T12:00")
    assert not starts.is_valid()
    assert starts.errors == {"starts_at": [message]}
    ends = on_call_form(supervisor, facility, clinician, f"{day}T00:00", typed)
    assert not ends.is_valid()
    assert ends.errors == {"ends_at": [message]}
    both = on_call_form(supervisor, facility, clinician, typed, typed)
    assert not both.is_valid()
    assert both.errors == {"starts_at": [message], "ends_at": [message]}


def test_a_shift_across_the_change_keeps_its_true_length(
    supervisor: User, facility: Facility, clinician: User
) -> None:
    form = on_call_form(supervisor, facility, clinician, "2026-11-01T00:00", "2026-11-01T08:00")
    assert form.is_valid(), form.errors
    starts, ends = (form.cleaned_data[key].astimezone(UTC) for key in ("starts_at", "ends_at"))
    # Nine hours, not eight: the clocks repeat 01:00 to 02:00 that night. (Subtracting the
    # two in the facility's zone would give their wall-clock difference instead.)
    assert ends - starts == timedelta(hours=9)


def test_the_repeated_period_is_named_in_the_zone_where_it_happens(
    supervisor: User, clinician: User
) -> None:
    # Santiago's clocks go back at midnight, from 00:00 on Sunday 5 April to 23:00 Saturday.
    santiago = Facility.objects.create(
        code="santiago", name="Santiago Test Jail", kind="jail", time_zone="America/Santiago"
    )
    supervisor.facilities.add(santiago)
    clinician.facilities.add(santiago)
    form = on_call_form(supervisor, santiago, clinician, "2026-04-04T23:30", "2026-04-05T08:00")
    assert not form.is_valid()
    assert form.errors == {
        "starts_at": [
            "That time happens twice in America/Santiago (the clocks went back): enter it as a "
            "time before 23:00 or from 00:00 on."
        ]
    }


# ---- The standard: the form starts from the version in force ---------------------------

CUSTOM = {
    "triage_hours": 12,
    "face_to_face_hours": 36,
    "face_to_face_weekend_hours": 60,
    "urgent_hours": 8,
    "emergent_minutes": 30,
    "alert_ack_minutes": 10,
}


def initial(form: StandardForm) -> dict[str, object]:
    return {name: form[name].initial for name in form.fields}


def sent_back(form: StandardForm, **changes: object) -> dict[str, object]:
    """The form as the browser would send it with nothing changed but `changes`."""
    return {**{name: form[name].value() for name in form.fields}, **changes}


def test_the_standard_form_starts_from_the_defaults_before_any_publication(
    supervisor: User, facility: Facility
) -> None:
    assert initial(StandardForm(actor=supervisor)) == {
        "facility": facility.pk,
        **NCCHC_DEFAULTS,
        "holidays": "",
    }


def test_the_standard_form_starts_from_the_version_in_force_at_the_only_facility(
    supervisor: User, facility: Facility
) -> None:
    publish_standard(
        actor=supervisor, facility=facility, holidays=[date(2026, 12, 25), date(2026, 7, 3)]
    )
    publish_standard(actor=supervisor, facility=facility, holidays=None, **CUSTOM)
    assert initial(StandardForm(actor=supervisor)) == {
        "facility": facility.pk,
        **CUSTOM,
        "holidays": "2026-07-03\n2026-12-25",
    }


def test_with_several_facilities_the_standard_form_starts_from_the_defaults(
    facility: Facility, other_facility: Facility
) -> None:
    supervisor = staff(Role.SUPERVISOR, facility, other_facility)
    publish_standard(actor=supervisor, facility=facility, holidays=[date(2026, 12, 25)], **CUSTOM)
    form = StandardForm(actor=supervisor)
    assert initial(form) == {"facility": None, **NCCHC_DEFAULTS, "holidays": ""}
    assert "With several, it starts from the NCCHC defaults" in str(form["facility"].help_text)


def test_adding_a_holiday_through_the_form_keeps_the_figures_in_force(
    supervisor: User, facility: Facility
) -> None:
    publish_standard(actor=supervisor, facility=facility, holidays=[date(2026, 12, 25)], **CUSTOM)
    shown = StandardForm(actor=supervisor)
    form = StandardForm(
        sent_back(shown, holidays=f"{shown['holidays'].value()}\n2027-01-01"), actor=supervisor
    )
    assert form.is_valid(), form.errors
    published = publish_standard(
        actor=supervisor,
        facility=form.cleaned_data["facility"],
        holidays=form.cleaned_data["holidays"],
        **form.hours(),
    )
    assert published.version == 2
    assert {key: getattr(published, key) for key in CUSTOM} == CUSTOM
    assert published.holidays == ["2026-12-25", "2027-01-01"]


# ---- The standard: what publishing carries forward -------------------------------------


def test_publishing_without_holidays_carries_the_holidays_in_force_forward(
    supervisor: User, facility: Facility
) -> None:
    publish_standard(
        actor=supervisor, facility=facility, holidays=[date(2026, 12, 25), date(2027, 1, 1)]
    )
    second = publish_standard(actor=supervisor, facility=facility, urgent_hours=12)
    assert (second.version, second.urgent_hours) == (2, 12)
    assert second.holidays == ["2026-12-25", "2027-01-01"]


def test_publishing_an_empty_list_of_holidays_clears_them(
    supervisor: User, facility: Facility
) -> None:
    publish_standard(actor=supervisor, facility=facility, holidays=[date(2026, 12, 25)])
    cleared = publish_standard(actor=supervisor, facility=facility, holidays=[])
    assert cleared.holidays == []
    assert publish_standard(actor=supervisor, facility=facility).holidays == []


def test_the_first_publication_without_holidays_has_none(
    supervisor: User, facility: Facility
) -> None:
    assert publish_standard(actor=supervisor, facility=facility).holidays == []
