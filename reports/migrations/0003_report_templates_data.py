from django.db import migrations


def load(apps, schema_editor):
    from reports.campaign_templates import ensure_templates

    ensure_templates(apps.get_model("reports", "ReportTemplate"))


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_campaign_collection")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
