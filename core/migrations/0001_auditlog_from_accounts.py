"""The audit log moves from accounts to core. Same table (``accounts_auditlog``): only Django's view of
which app owns it changes, and the content type follows so permissions keep pointing at it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor, old="accounts", new="core"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label=new, model="auditlog").exists():
        ContentType.objects.using(db).filter(app_label=old, model="auditlog").update(app_label=new)


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, old="core", new="accounts")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0002_reference_data"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditLog",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="时间")),
                        ("actor_repr", models.CharField(blank=True, max_length=150, verbose_name="操作人")),
                        ("action", models.CharField(db_index=True, max_length=64, verbose_name="操作")),
                        ("target_id", models.CharField(blank=True, db_index=True, max_length=64)),
                        ("target_repr", models.CharField(blank=True, max_length=255, verbose_name="对象")),
                        ("before", models.JSONField(blank=True, null=True, verbose_name="变更前")),
                        ("after", models.JSONField(blank=True, null=True, verbose_name="变更后")),
                        ("reason", models.TextField(blank=True, verbose_name="原因")),
                        ("ip", models.GenericIPAddressField(blank=True, null=True, verbose_name="IP")),
                        ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                    related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="操作人")),
                        ("target_type", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                          to="contenttypes.contenttype")),
                    ],
                    options={
                        "verbose_name": "审计日志",
                        "verbose_name_plural": "审计日志",
                        "ordering": ["-created_at", "-id"],
                        "db_table": "accounts_auditlog",
                        "indexes": [models.Index(fields=["target_type", "target_id"], name="accounts_au_target__be2e14_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back, elidable=True),
    ]
