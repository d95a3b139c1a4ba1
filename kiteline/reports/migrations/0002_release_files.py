from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def refuse_old_ledgers(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Releases built before this migration keyed each figure by facility name with "|"
    between the parts, and kept no record of what a total or a merged row added up. They
    cannot be carried into the ledger the next release is checked against, and dropping
    them would let a later release reveal what they hid: stop instead."""
    release = apps.get_model("reports", "PublicRelease")
    if any(isinstance(r.published, dict) for r in release.objects.only("published")):
        raise RuntimeError(
            "Public releases of the earlier ledger format exist. They were built by a "
            "development version of Kiteline; rebuild this database without them."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_reports_ledger_and_samples"),
    ]

    operations = [
        migrations.AddField(
            model_name="publicrelease",
            name="files",
            field=models.JSONField(default=dict),
        ),
        migrations.RunPython(refuse_old_ledgers, migrations.RunPython.noop),
    ]
