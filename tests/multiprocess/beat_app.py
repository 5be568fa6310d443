"""The project's Celery app for the multi-process check's beat: the real schedule, with the heartbeat
every ANXUN_TEST_HEARTBEAT_SECONDS instead of every five minutes so a tick is seen within the test."""

import os

from config.celery import app

app.conf.beat_schedule = {
    **app.conf.beat_schedule,
    "core-heartbeat": {
        "task": "core.tasks.heartbeat",
        "schedule": float(os.environ.get("ANXUN_TEST_HEARTBEAT_SECONDS", "2")),
    },
}
