from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import override_settings

from kiteline.accounts.models import User
from kiteline.audit.models import AuditEvent, ChainHead
from kiteline.audit.recording import AuditDetailError, record_event
from kiteline.facilities.models import Facility

pytestmark = pytest.mark.django_db


def record(facility: Facility | None, count: int = 5, actor: User | None = None) -> None:
    for n in range(count):
        with transaction.atomic():
            record_event(
                actor=actor,
                action="test.event",
                facility=facility,
                subjects=[f"booking:{n}"],
                detail={"fields": ["housing_unit"], "n": n},
            )


def verify(*args: str) -> str:
    out = StringIO()
    call_command("audit", "verify", *args, stdout=out, stderr=out)
    return out.getvalue()


def execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.fixture
def signing_key(tmp_path: Path) -> Path:
    key = tmp_path / "key.pem"
    with override_settings(AUDIT_SIGNING_KEY_FILE=key):
        call_command("audit", "keygen", stdout=StringIO())
    return key


def test_each_facility_has_its_own_chain_and_the_system_one_more(
    facility: Facility, other_facility: Facility
) -> None:
    record(facility, 3)
    record(other_facility, 2)
    record(None, 1)
    chains = {head.chain: head.position for head in ChainHead.objects.all()}
    assert chains == {"north": 3, "south": 2, "system": 1}
    assert list(AuditEvent.objects.filter(chain="north").values_list("position", flat=True)) == [
        1,
        2,
        3,
    ]
    assert "intact" in verify()


@pytest.mark.django_db(transaction=True)
def test_an_event_outside_a_transaction_is_refused(facility: Facility) -> None:
    with pytest.raises(RuntimeError, match="inside the change's transaction"):
        record_event(actor=None, action="test.event", facility=facility)


@pytest.mark.parametrize(
    "detail", [{"note": "feels hopeless"}, {"n": 1.5}, {"x": ["ok", "two words"]}]
)
def test_free_text_in_the_detail_is_refused(facility: Facility, detail: dict[str, object]) -> None:
    with pytest.raises(AuditDetailError), transaction.atomic():
        record_event(actor=None, action="test.event", facility=facility, detail=detail)
    assert not AuditEvent.objects.exists()


def test_an_event_rolled_back_with_its_change_leaves_no_trace(facility: Facility) -> None:
    record(facility, 2)

    @transaction.atomic
    def change_that_fails_after_its_event() -> None:
        record_event(actor=None, action="test.event", facility=facility)
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        change_that_fails_after_its_event()
    assert AuditEvent.objects.count() == 2
    assert ChainHead.objects.get(chain="north").position == 2
    assert "intact" in verify()


def test_an_edited_column_fails_verification_naming_the_facility_and_position(
    facility: Facility,
) -> None:
    record(facility, 5)
    execute("UPDATE audit_auditevent SET action = 'test.other' WHERE position = 3")
    with pytest.raises(CommandError):
        verify()
    # The command names the chain and the first bad position on stderr.
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("audit", "verify", stdout=out, stderr=out)
    assert "chain north: first bad position 3" in out.getvalue()


def test_a_deleted_event_fails_verification(facility: Facility) -> None:
    record(facility, 5)
    execute("DELETE FROM audit_auditevent WHERE position = 2")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("audit", "verify", stdout=out, stderr=out)
    assert "first bad position 2" in out.getvalue()


def test_a_removed_tail_fails_verification_even_without_a_checkpoint(facility: Facility) -> None:
    record(facility, 5)
    execute("DELETE FROM audit_auditevent WHERE position >= 4")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("audit", "verify", stdout=out, stderr=out)
    assert "first bad position 4" in out.getvalue()


def test_a_removed_tail_with_its_head_mended_fails_against_a_checkpoint(
    facility: Facility, signing_key: Path, tmp_path: Path
) -> None:
    record(facility, 5)
    with override_settings(AUDIT_SIGNING_KEY_FILE=signing_key):
        call_command("audit", "checkpoint", "--out", str(tmp_path / "cp"), stdout=StringIO())
        (checkpoint,) = (tmp_path / "cp").iterdir()
        assert "intact" in verify("--checkpoint", str(checkpoint))
        # An insider removes the last two events and mends the head to match.
        third = AuditEvent.objects.get(chain="north", position=3)
        execute("DELETE FROM audit_auditevent WHERE position >= 4")
        ChainHead.objects.filter(chain="north").update(position=3, hash=bytes(third.hash))
        assert "intact" in verify()
        out = StringIO()
        with pytest.raises(CommandError):
            call_command("audit", "verify", "--checkpoint", str(checkpoint), stdout=out, stderr=out)
    assert "removed from the end" in out.getvalue()


def test_a_forged_checkpoint_file_is_refused(
    facility: Facility, signing_key: Path, tmp_path: Path
) -> None:
    record(facility, 2)
    with override_settings(AUDIT_SIGNING_KEY_FILE=signing_key):
        call_command("audit", "checkpoint", "--out", str(tmp_path), stdout=StringIO())
        (checkpoint,) = tmp_path.glob("north-*.json")
        checkpoint.write_text(checkpoint.read_text().replace('"position": 2', '"position": 1'))
        with pytest.raises(CommandError, match="signature"):
            verify("--checkpoint", str(checkpoint))


def test_keygen_never_overwrites_a_key(signing_key: Path) -> None:
    before = signing_key.read_bytes()
    with (
        override_settings(AUDIT_SIGNING_KEY_FILE=signing_key),
        pytest.raises(CommandError, match="never overwritten"),
    ):
        call_command("audit", "keygen", stdout=StringIO())
    assert signing_key.read_bytes() == before
    assert signing_key.stat().st_mode & 0o077 == 0


def test_a_checkpoint_without_a_key_says_how_to_make_one(
    tmp_path: Path, facility: Facility
) -> None:
    record(facility, 1)
    with (
        override_settings(AUDIT_SIGNING_KEY_FILE=tmp_path / "none.pem"),
        pytest.raises(CommandError, match="kiteline audit keygen"),
    ):
        call_command("audit", "checkpoint", "--out", str(tmp_path), stdout=StringIO())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles are PostgreSQL's")
def test_after_lockdown_the_app_role_cannot_change_audit_events(facility: Facility) -> None:
    record(facility, 2)
    execute("DROP ROLE IF EXISTS kiteline_test_app")
    execute("CREATE ROLE kiteline_test_app NOLOGIN")
    call_command("audit", "lockdown", "--app-role", "kiteline_test_app", stdout=StringIO())
    refused = []
    for statement in (
        "UPDATE audit_auditevent SET action = 'x'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
    ):
        try:
            with transaction.atomic():
                execute("SET LOCAL ROLE kiteline_test_app")
                execute(statement)
        except Exception as error:  # the driver's permission error is the point
            refused.append("permission denied" in str(error))
    with transaction.atomic():
        execute("SET LOCAL ROLE kiteline_test_app")
        record(facility, 1)
    assert refused == [True, True, True]
    assert AuditEvent.objects.count() == 3
