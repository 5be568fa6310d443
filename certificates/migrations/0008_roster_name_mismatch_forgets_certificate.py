"""Roster checks kept before this change named the other person's certificate on ``name_mismatch``
rows (number, verification code, operation, status); those rows keep only their status and message."""

from django.db import migrations


def forwards(apps, schema_editor):
    RosterCheck = apps.get_model("certificates", "RosterCheck")
    checks = RosterCheck.objects.filter(summary__by_status__name_mismatch__gt=0).only("results")
    for check in checks.iterator(chunk_size=100):
        changed = False
        for row in check.results:
            if row.get("status") == "name_mismatch" and row.get("certificate") is not None:
                row["certificate"] = None
                changed = True
        if changed:
            check.save(update_fields=["results"])


class Migration(migrations.Migration):

    dependencies = [
        ("certificates", "0007_catalogue_to_own_app"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
    ]
