from django.db import migrations


class Migration(migrations.Migration):
    """Saves go through the ordinary sign-in only: the session binding of attempts is gone."""

    dependencies = [("exams", "0006_attempt_save_session")]

    operations = [migrations.RemoveField(model_name="attempt", name="save_session")]
