"""Certificate kinds, operation items and rule versions now live in catalogue: same tables, same columns."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0001_initial'),
        ('exams', '0006_attempt_save_session'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='blueprint',
                    name='certificate_kind',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to='catalogue.certificatekind', verbose_name='证书种类'),
                ),
                migrations.AlterField(
                    model_name='examsession',
                    name='certificate_kind',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='exam_sessions', to='catalogue.certificatekind', verbose_name='证书种类'),
                ),
                migrations.AlterField(
                    model_name='examsession',
                    name='operation_item',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='exam_sessions', to='catalogue.operationitem', verbose_name='操作项目'),
                ),
                migrations.AlterField(
                    model_name='examsession',
                    name='rule_version',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='exam_sessions', to='catalogue.ruleversion', verbose_name='规则版本'),
                ),
                migrations.AlterField(
                    model_name='practicaltask',
                    name='operation_item',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='practical_tasks', to='catalogue.operationitem', verbose_name='操作项目'),
                ),
                migrations.AlterField(
                    model_name='questionbank',
                    name='operation_item',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='question_banks', to='catalogue.operationitem', verbose_name='操作项目'),
                ),
            ],
            database_operations=[],
        ),
    ]
