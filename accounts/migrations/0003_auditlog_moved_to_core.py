"""The audit log now belongs to core (core/migrations/0001): the table stays where it is."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_reference_data"),
        ("core", "0001_auditlog_from_accounts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="AuditLog")],
                                            database_operations=[]),
    ]
