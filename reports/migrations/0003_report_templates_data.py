from django.db import migrations


def load(apps, schema_editor):
    from reports.campaign_templates import ensure_templates

    ensure_templates(apps.get_model("reports", "ReportTemplate"))


forwards = load  # the name the test suite's reference-data reload calls


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_campaign_collection")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
