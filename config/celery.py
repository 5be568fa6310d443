import importlib
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("anxun")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic jobs: each app lists its own in ``<app>/schedule.py`` as ``SCHEDULE`` (plain dicts, no
# model imports). Every task is idempotent, so a missed or doubled beat does no harm.
PERIODIC_APPS = ("accounts", "cms", "courses", "exams", "certificates", "reports")


def collect_beat_schedule() -> dict:
    schedule: dict = {}
    for name in PERIODIC_APPS:
        try:
            module = importlib.import_module(f"{name}.schedule")
        except ModuleNotFoundError:
            continue
        schedule.update(module.SCHEDULE)
    return schedule


app.conf.beat_schedule = collect_beat_schedule()

__all__ = ["app", "crontab", "collect_beat_schedule"]
