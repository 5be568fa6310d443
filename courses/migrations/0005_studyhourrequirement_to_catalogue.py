"""Study-hour requirements now belong to catalogue (catalogue/migrations/0001): the table stays."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0001_initial'),
        ('courses', '0004_lesson_cms_links'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name='studyhourrequirement',
                    name='courses_requirement_unique_version',
                ),
                migrations.RemoveConstraint(
                    model_name='studyhourrequirement',
                    name='courses_requirement_dates',
                ),
                migrations.AlterField(
                    model_name='trainingrecord',
                    name='requirement',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalogue.studyhourrequirement', verbose_name='学时要求版本'),
                ),
                migrations.AlterField(
                    model_name='course',
                    name='requirement',
                    field=models.ForeignKey(blank=True, help_text='本课程用于满足的法定学时要求（可选）。', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='courses', to='catalogue.studyhourrequirement', verbose_name='对应学时要求'),
                ),
                migrations.DeleteModel(
                    name='StudyHourRequirement',
                ),
            ],
            database_operations=[],
        ),
    ]
