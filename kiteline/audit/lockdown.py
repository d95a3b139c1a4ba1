"""PostgreSQL grants that keep the application's own role from changing the audit log."""

from django.db import connection, transaction

from kiteline.audit.models import AuditEvent


class LockdownError(RuntimeError):
    pass


def lock_down_audit_table(app_role: str) -> list[str]:
    """Let `app_role` read and append audit events, never update, delete or truncate them.

    Run it as the role that owns the tables (the one migrations run as): an owner can always
    grant itself back what it revoked, so the application must connect as another role.
    """
    if connection.vendor != "postgresql":
        raise LockdownError("Grants apply to PostgreSQL only; SQLite has no database roles.")
    quote = connection.ops.quote_name
    table, role = quote(AuditEvent._meta.db_table), quote(app_role)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC",
    ]
    # All or nothing: a failure half-way must not leave the app role with broad rights.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app_role])
        if cursor.fetchone() is None:
            raise LockdownError(f"There is no database role {app_role}.")
        cursor.execute(
            "SELECT pg_has_role(%s, tableowner, 'MEMBER') FROM pg_tables WHERE tablename = %s",
            [app_role, AuditEvent._meta.db_table],
        )
        owns = cursor.fetchone()
        if owns is not None and owns[0]:
            raise LockdownError(
                f"{app_role} owns the audit table, or is a member of its owner, and could grant "
                "itself the rights back; run migrations as another role and let the "
                "application connect as this one."
            )
        for statement in statements:
            cursor.execute(statement)
    return statements
