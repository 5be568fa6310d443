"""Periodic jobs of the exams app (collected by config/celery.py)."""

SCHEDULE = {
    "exams-autosubmit-due-attempts": {"task": "exams.autosubmit_due_attempts", "schedule": 30.0},
}
