from django.db import migrations


class Migration(migrations.Migration):
    """Saves go through the ordinary sign-in only: the session binding of attempts is gone."""

    dependencies = [("exams", "0007_catalogue_relations")]

    operations = [migrations.RemoveField(model_name="attempt", name="save_session")]
