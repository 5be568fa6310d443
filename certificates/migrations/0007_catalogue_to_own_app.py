"""The regulatory catalogue now belongs to catalogue (catalogue/migrations/0001): the tables stay."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0001_initial'),
        ('certificates', '0006_roster_results_as_utf8'),
        ('exams', '0007_catalogue_relations'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name='certificatekind',
                    name='unique_kind_code_per_version',
                ),
                migrations.AlterField(
                    model_name='certificate',
                    name='kind',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to='catalogue.certificatekind', verbose_name='证书种类'),
                ),
                migrations.RemoveConstraint(
                    model_name='operationcategory',
                    name='unique_category_code_per_version',
                ),
                migrations.RemoveConstraint(
                    model_name='operationitem',
                    name='unique_item_code_per_category',
                ),
                migrations.AlterField(
                    model_name='certificate',
                    name='operation_item',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to='catalogue.operationitem', verbose_name='操作项目'),
                ),
                migrations.AlterField(
                    model_name='certificate',
                    name='rule_version',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to='catalogue.ruleversion', verbose_name='规则版本'),
                ),
                migrations.RemoveField(
                    model_name='operationcategory',
                    name='rule_version',
                ),
                migrations.RemoveField(
                    model_name='operationitem',
                    name='category',
                ),
                migrations.DeleteModel(
                    name='CertificateKind',
                ),
                migrations.DeleteModel(
                    name='RuleVersion',
                ),
                migrations.DeleteModel(
                    name='OperationCategory',
                ),
                migrations.DeleteModel(
                    name='OperationItem',
                ),
            ],
            database_operations=[],
        ),
    ]
