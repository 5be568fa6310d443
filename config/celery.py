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
def collect_beat_schedule() -> dict:
    from django.conf import settings

    schedule: dict = {}
    for name in settings.ANXUN_APPS:
        try:
            module = importlib.import_module(f"{name}.schedule")
        except ModuleNotFoundError:
            continue
        schedule.update(module.SCHEDULE)
    return schedule


@app.on_after_configure.connect
def _add_beat_schedule(sender, **kwargs) -> None:
    sender.conf.beat_schedule = {**(sender.conf.beat_schedule or {}), **collect_beat_schedule()}


__all__ = ["app", "crontab", "collect_beat_schedule"]
