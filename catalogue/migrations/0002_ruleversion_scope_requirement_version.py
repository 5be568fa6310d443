"""Rule versions say which rules they are (the special-operation catalogue or the training rules), and
study-hour requirements point at their version instead of naming it in free text (filled by 0003)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="ruleversion",
            name="scope",
            field=models.CharField(
                choices=[("special_operation", "特种作业目录"), ("training", "安全培训学时")], default="special_operation",
                help_text="特种作业目录（作业类别、操作项目、证书种类）或安全培训学时要求。", max_length=24,
                verbose_name="适用范围"),
        ),
        migrations.AddField(
            model_name="studyhourrequirement",
            name="rule_version",
            field=models.ForeignKey(
                null=True, help_text="例如“生产经营单位安全培训规定（2015修正）”", limit_choices_to={"scope": "training"},
                on_delete=django.db.models.deletion.PROTECT, related_name="study_hour_requirements",
                to="catalogue.ruleversion", verbose_name="依据版本"),
        ),
    ]
