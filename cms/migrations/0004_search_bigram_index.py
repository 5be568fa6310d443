"""Search without a scan: the bigrams of every search document, and on PostgreSQL a GIN index over
them (as a text array), which answers Chinese queries of two characters and more."""

from django.db import migrations, models

GRAMS_EXPR = "string_to_array(btrim(grams), ' ')"


def fill_grams(apps, schema_editor):
    # the same function the model's save uses (plain functions are safe to import in a migration)
    from cms.models import search_grams_field

    SearchDocument = apps.get_model("cms", "SearchDocument")
    for doc in SearchDocument.objects.only("pk", "title", "text").iterator(chunk_size=500):
        SearchDocument.objects.filter(pk=doc.pk).update(grams=search_grams_field(doc.title, doc.text))


def create_index(apps, schema_editor):
    from django.db import connection

    conn = schema_editor.connection if schema_editor is not None else connection
    if conn.vendor == "postgresql":
        with conn.cursor() as cur:
            cur.execute(f"CREATE INDEX IF NOT EXISTS cms_searchdoc_grams_gin ON cms_searchdocument "
                        f"USING gin (({GRAMS_EXPR}))")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS cms_searchdoc_grams_gin")


class Migration(migrations.Migration):
    dependencies = [("cms", "0003_warning_notification_opened_at")]

    operations = [
        migrations.AddField(
            model_name="searchdocument",
            name="grams",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_grams, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
