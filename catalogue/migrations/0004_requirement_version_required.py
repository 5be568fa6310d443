"""Every study-hour requirement has its rule version; the free-text version goes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0003_requirement_versions")]

    operations = [
        migrations.RemoveField(model_name="studyhourrequirement", name="version"),
        migrations.AlterField(
            model_name="studyhourrequirement",
            name="rule_version",
            field=models.ForeignKey(
                help_text="例如“生产经营单位安全培训规定（2015修正）”", limit_choices_to={"scope": "training"},
                on_delete=django.db.models.deletion.PROTECT, related_name="study_hour_requirements",
                to="catalogue.ruleversion", verbose_name="依据版本"),
        ),
    ]
