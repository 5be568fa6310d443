"""Regulation data moves here from certificates (rule versions, operation categories and items, certificate
kinds) and courses (study-hour requirements). The tables keep their names: only Django's view of which
app owns them changes, and their content types follow so permissions and references keep pointing at them."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

MOVED = {"certificates": ["ruleversion", "operationcategory", "operationitem", "certificatekind"],
         "courses": ["studyhourrequirement"]}


def move_content_types(apps, schema_editor, back=False):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for old_app, models_ in MOVED.items():
        source, target = ("catalogue", old_app) if back else (old_app, "catalogue")
        for model in models_:
            if not ContentType.objects.using(db).filter(app_label=target, model=model).exists():
                ContentType.objects.using(db).filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, back=True)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('certificates', '0006_roster_results_as_utf8'),
        ('courses', '0004_lesson_cms_links'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='RuleVersion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=32, unique=True, verbose_name='版本代码')),
                        ('name', models.CharField(max_length=128, verbose_name='名称')),
                        ('document', models.CharField(blank=True, max_length=255, verbose_name='依据文件')),
                        ('effective_from', models.DateField(verbose_name='施行日期')),
                        ('effective_until', models.DateField(blank=True, null=True, verbose_name='废止日期')),
                        ('notes', models.TextField(blank=True, verbose_name='说明')),
                    ],
                    options={
                        'verbose_name': '规则版本',
                        'verbose_name_plural': '规则版本',
                        'db_table': 'certificates_ruleversion',
                        'ordering': ['-effective_from'],
                    },
                ),
                migrations.CreateModel(
                    name='OperationCategory',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(max_length=32, verbose_name='类别代码')),
                        ('name', models.CharField(max_length=64, verbose_name='作业类别')),
                        ('order', models.PositiveSmallIntegerField(default=0)),
                        ('rule_version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='categories', to='catalogue.ruleversion')),
                    ],
                    options={
                        'verbose_name': '作业类别',
                        'verbose_name_plural': '作业类别',
                        'db_table': 'certificates_operationcategory',
                        'ordering': ['rule_version', 'order', 'code'],
                    },
                ),
                migrations.CreateModel(
                    name='CertificateKind',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(max_length=32, verbose_name='代码')),
                        ('family', models.CharField(choices=[('special_operation', '特种作业操作证'), ('management', '安全生产知识和管理能力考核合格证'), ('training', '培训合格证明')], max_length=24, verbose_name='证书类型')),
                        ('name', models.CharField(max_length=128, verbose_name='名称')),
                        ('validity_months', models.PositiveSmallIntegerField(verbose_name='有效期（月）')),
                        ('review_interval_months', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='复审周期（月）')),
                        ('review_window_days', models.PositiveSmallIntegerField(default=60, verbose_name='复审申请期（到期前天数）')),
                        ('review_refresher_hours', models.PositiveSmallIntegerField(default=0, verbose_name='复审前培训学时')),
                        ('theory_pass_mark', models.PositiveSmallIntegerField(default=80, verbose_name='理论考试合格分')),
                        ('theory_full_mark', models.PositiveSmallIntegerField(default=100, verbose_name='理论考试满分')),
                        ('practical_pass_mark', models.PositiveSmallIntegerField(blank=True, help_text='待核实：按实际规定调整。', null=True, verbose_name='实操考试合格分')),
                        ('makeup_attempts', models.PositiveSmallIntegerField(default=1, help_text='待核实：按实际规定调整。', verbose_name='补考次数')),
                        ('requires_operation_item', models.BooleanField(default=False, verbose_name='须指定操作项目')),
                        ('rule_version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='certificate_kinds', to='catalogue.ruleversion')),
                    ],
                    options={
                        'verbose_name': '证书种类',
                        'verbose_name_plural': '证书种类',
                        'db_table': 'certificates_certificatekind',
                        'ordering': ['rule_version', 'family', 'code'],
                    },
                ),
                migrations.CreateModel(
                    name='StudyHourRequirement',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('version', models.CharField(help_text='例如“生产经营单位安全培训规定（2015修正）”', max_length=64, verbose_name='依据版本')),
                        ('population', models.CharField(choices=[('manager', '主要负责人和安全生产管理人员'), ('new_worker', '新上岗从业人员'), ('worker', '从业人员'), ('special_operator', '特种作业人员')], max_length=24, verbose_name='人员类别')),
                        ('kind', models.CharField(choices=[('initial', '初次培训'), ('refresher', '再培训（每年）'), ('topic', '专题培训')], max_length=16, verbose_name='培训类型')),
                        ('high_risk', models.BooleanField(default=False, verbose_name='高危行业')),
                        ('hours', models.DecimalField(decimal_places=1, max_digits=6, validators=[django.core.validators.MinValueValidator(0)], verbose_name='最低学时')),
                        ('minutes_per_hour', models.PositiveSmallIntegerField(default=45, help_text='各地规定不一，常见为45分钟。', validators=[django.core.validators.MinValueValidator(20), django.core.validators.MaxValueValidator(60)], verbose_name='每学时分钟数')),
                        ('effective_from', models.DateField(verbose_name='生效日期')),
                        ('effective_to', models.DateField(blank=True, null=True, verbose_name='失效日期')),
                        ('verified', models.BooleanField(default=True, help_text='未核实的数值请在说明中注明来源。', verbose_name='已核实')),
                        ('note', models.CharField(blank=True, max_length=255, verbose_name='说明')),
                    ],
                    options={
                        'verbose_name': '学时要求',
                        'verbose_name_plural': '学时要求',
                        'db_table': 'courses_studyhourrequirement',
                        'ordering': ['population', 'kind', 'high_risk', '-effective_from'],
                        'constraints': [models.UniqueConstraint(fields=('population', 'kind', 'high_risk', 'effective_from'), name='courses_requirement_unique_version'), models.CheckConstraint(condition=models.Q(('effective_to__isnull', True), ('effective_to__gt', models.F('effective_from')), _connector='OR'), name='courses_requirement_dates')],
                    },
                ),
                migrations.CreateModel(
                    name='OperationItem',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(max_length=32, verbose_name='操作项目代码')),
                        ('name', models.CharField(max_length=64, verbose_name='操作项目')),
                        ('real_equipment_required', models.BooleanField(default=False, help_text='电工、焊接与热切割、高处、制冷与空调、烟花爆竹等项目的实操考试须在实际设备上进行。', verbose_name='实操须用实际设备')),
                        ('order', models.PositiveSmallIntegerField(default=0)),
                        ('is_active', models.BooleanField(default=True, verbose_name='有效')),
                        ('category', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='items', to='catalogue.operationcategory')),
                    ],
                    options={
                        'verbose_name': '操作项目',
                        'verbose_name_plural': '操作项目',
                        'db_table': 'certificates_operationitem',
                        'ordering': ['category__order', 'order', 'code'],
                        'constraints': [models.UniqueConstraint(fields=('category', 'code'), name='unique_item_code_per_category')],
                    },
                ),
                migrations.AddConstraint(
                    model_name='operationcategory',
                    constraint=models.UniqueConstraint(fields=('rule_version', 'code'), name='unique_category_code_per_version'),
                ),
                migrations.AddConstraint(
                    model_name='certificatekind',
                    constraint=models.UniqueConstraint(fields=('rule_version', 'code'), name='unique_kind_code_per_version'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back, elidable=True),
    ]
