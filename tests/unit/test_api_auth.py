import pytest

from kiteline.accounts.models import Role
from kiteline.api.auth import BearerToken, StaffSession, roles


def test_roles_accepts_a_token_or_a_session_for_the_given_staff_roles() -> None:
    bearer, session = roles(Role.NURSE, Role.CLINICIAN)
    assert isinstance(bearer, BearerToken)
    assert isinstance(session, StaffSession)
    assert bearer.allowed == session.allowed == {Role.NURSE, Role.CLINICIAN}
    # A session comes with every request a browser sends, including a forged one.
    assert session.csrf


@pytest.mark.parametrize("allowed", [(), (Role.RESIDENT,), (Role.NURSE, Role.RESIDENT)])
def test_roles_refuses_a_rule_without_staff_roles(allowed: tuple[Role, ...]) -> None:
    with pytest.raises(ValueError, match="needs staff roles"):
        roles(*allowed)
