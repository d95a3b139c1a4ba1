"""Published policy versions never change (I9), enforced by the database as well as by the
model: an UPDATE is refused on both databases, a DELETE on PostgreSQL. (SQLite's flush,
which tests with a live server use, empties tables with DELETE; PostgreSQL's uses
TRUNCATE, which row triggers do not see.)"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

MESSAGE = "published policy versions never change"

SQLITE = [
    "CREATE TRIGGER care_policyversion_no_update BEFORE UPDATE ON care_policyversion "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
]
POSTGRESQL = [
    "CREATE FUNCTION care_policyversion_unchanged() RETURNS trigger AS $$ "
    f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;",
    "CREATE TRIGGER care_policyversion_no_change BEFORE UPDATE OR DELETE ON care_policyversion "
    "FOR EACH ROW EXECUTE FUNCTION care_policyversion_unchanged();",
]
REVERSE = {
    "sqlite": ["DROP TRIGGER care_policyversion_no_update;"],
    "postgresql": [
        "DROP TRIGGER care_policyversion_no_change ON care_policyversion;",
        "DROP FUNCTION care_policyversion_unchanged();",
    ],
}


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    statements = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(schema_editor.connection.vendor)
    for statement in statements or []:
        schema_editor.execute(statement)


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for statement in REVERSE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("care", "0001_care_decisions")]

    operations = [migrations.RunPython(forwards, backwards)]
