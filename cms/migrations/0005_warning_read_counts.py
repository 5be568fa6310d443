"""Read-status figures per warning case and region, kept by the push and read services; filled here
from the pushes already made."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, Q, Value
from django.db.models.functions import Coalesce


def fill_counts(apps, schema_editor):
    WarningNotification = apps.get_model("cms", "WarningNotification")
    WarningReadCount = apps.get_model("cms", "WarningReadCount")
    rows = (WarningNotification.objects.annotate(region_code=Coalesce("organization__region_id", Value("")))
            .order_by().values("page_id", "region_code")
            .annotate(n=Count("pk"), n_read=Count("pk", filter=Q(read_at__isnull=False)),
                      n_orgs=Count("organization_id", distinct=True)))
    WarningReadCount.objects.bulk_create([
        WarningReadCount(page_id=r["page_id"], region_code=r["region_code"], recipients=r["n"], read=r["n_read"],
                         enterprises=r["n_orgs"]) for r in rows], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('cms', '0004_search_bigram_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='WarningReadCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('region_code', models.CharField(blank=True, max_length=6, verbose_name='行政区划代码')),
                ('enterprises', models.PositiveIntegerField(default=0, verbose_name='推送企业')),
                ('recipients', models.PositiveIntegerField(default=0, verbose_name='接收人')),
                ('read', models.PositiveIntegerField(default=0, verbose_name='已读')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                ('page', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='read_counts', to='cms.warningcasepage', verbose_name='警示案例')),
            ],
            options={
                'verbose_name': '预警阅读统计',
                'verbose_name_plural': '预警阅读统计',
                'constraints': [models.UniqueConstraint(fields=('page', 'region_code'), name='unique_warning_read_count'), models.CheckConstraint(condition=models.Q(('read__lte', models.F('recipients'))), name='warning_read_le_recipients')],
            },
        ),
        migrations.RunPython(fill_counts, migrations.RunPython.noop),
    ]
