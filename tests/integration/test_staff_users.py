import pytest
from django.test import Client

from kiteline.accounts.models import Role, User
from kiteline.accounts.services import AccountError, create_staff_user, deactivate_user
from kiteline.facilities.models import Facility


@pytest.fixture
def supervisor(facility: Facility) -> User:
    user = User.objects.create_user(username="test-supervisor", password="x", role=Role.SUPERVISOR)
    user.facilities.add(facility)
    return user


def test_a_supervisor_adds_a_staff_member_at_their_facility(
    client: Client, supervisor: User, facility: Facility
) -> None:
    client.force_login(supervisor)
    response = client.post(
        "/staff/users/",
        {
            "username": "new-clinician",
            "role": "clinician",
            "facilities": [facility.pk],
            "password": "long enough test passphrase",
        },
    )
    assert response.status_code == 302
    created = User.objects.get(username="new-clinician")
    assert created.role == Role.CLINICIAN
    assert list(created.facilities.all()) == [facility]
    assert created.check_password("long enough test passphrase")
    assert created.password.startswith("md5$") or created.password.startswith("argon2")


def test_a_supervisor_cannot_give_access_to_a_facility_they_do_not_belong_to(
    supervisor: User, other_facility: Facility
) -> None:
    with pytest.raises(AccountError, match="facilities you belong to"):
        create_staff_user(
            actor=supervisor,
            username="x",
            role=Role.NURSE,
            facilities=[other_facility],
            password="long enough test passphrase",
        )
    assert not User.objects.filter(username="x").exists()


def test_a_weak_first_password_is_refused_with_the_reason(
    client: Client, supervisor: User, facility: Facility
) -> None:
    client.force_login(supervisor)
    response = client.post(
        "/staff/users/",
        {"username": "weak", "role": "nurse", "facilities": [facility.pk], "password": "password"},
    )
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    assert not User.objects.filter(username="weak").exists()


def test_no_one_can_be_given_the_resident_role_as_staff(
    supervisor: User, facility: Facility
) -> None:
    with pytest.raises(AccountError, match="staff role"):
        create_staff_user(
            actor=supervisor,
            username="x",
            role=Role.RESIDENT,
            facilities=[facility],
            password="long enough test passphrase",
        )


def test_deactivating_a_user_ends_their_session_at_once(
    client: Client, supervisor: User, nurse: User
) -> None:
    client.force_login(nurse)
    assert client.get("/roster/").status_code == 200

    deactivate_user(actor=supervisor, user=nurse)

    response = client.get("/roster/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")


def test_deactivating_through_the_page_needs_a_post(
    client: Client, supervisor: User, nurse: User
) -> None:
    client.force_login(supervisor)
    assert client.get(f"/staff/users/{nurse.pk}/deactivate/").status_code == 405
    client.post(f"/staff/users/{nurse.pk}/deactivate/")
    nurse.refresh_from_db()
    assert not nurse.is_active
    client.post(f"/staff/users/{nurse.pk}/reactivate/")
    nurse.refresh_from_db()
    assert nurse.is_active


def test_a_supervisor_cannot_deactivate_themselves(supervisor: User) -> None:
    with pytest.raises(AccountError, match="your own account"):
        deactivate_user(actor=supervisor, user=supervisor)


def test_staff_of_another_facility_are_not_there_for_a_supervisor(
    client: Client, supervisor: User, other_facility: Facility
) -> None:
    stranger = User.objects.create_user(username="stranger", role=Role.NURSE)
    stranger.facilities.add(other_facility)
    client.force_login(supervisor)
    assert b"stranger" not in client.get("/staff/users/").content
    assert client.post(f"/staff/users/{stranger.pk}/deactivate/").status_code == 404
    stranger.refresh_from_db()
    assert stranger.is_active


def test_only_a_supervisor_manages_users(nurse: User, facility: Facility) -> None:
    with pytest.raises(AccountError, match="Only a supervisor"):
        create_staff_user(
            actor=nurse,
            username="x",
            role=Role.NURSE,
            facilities=[facility],
            password="long enough test passphrase",
        )


def test_a_supervisor_can_neither_create_nor_stop_an_auditor(
    supervisor: User, facility: Facility
) -> None:
    with pytest.raises(AccountError, match="auditors"):
        create_staff_user(
            actor=supervisor,
            username="monitor",
            role=Role.AUDITOR,
            facilities=[facility],
            password="long enough test passphrase",
        )
    auditor = User.objects.create_user(username="court-monitor", role=Role.AUDITOR)
    auditor.facilities.add(facility)
    with pytest.raises(AccountError, match="auditors"):
        deactivate_user(actor=supervisor, user=auditor)


def test_a_supervisor_cannot_stop_someone_who_also_works_elsewhere(
    supervisor: User, facility: Facility, other_facility: Facility
) -> None:
    shared = User.objects.create_user(username="float-nurse", role=Role.NURSE)
    shared.facilities.add(facility, other_facility)
    with pytest.raises(AccountError, match="not yours"):
        deactivate_user(actor=supervisor, user=shared)
    shared.refresh_from_db()
    assert shared.is_active
