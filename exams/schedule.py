"""Periodic jobs of the exams app (collected by config/celery.py)."""

from celery.schedules import crontab

SCHEDULE = {
    "exams-autosubmit-due-attempts": {"task": "exams.autosubmit_due_attempts", "schedule": 30.0},
    # papers of sessions opening within EXAMS_PREPARE_PAPERS_AHEAD_MINUTES (default 60)
    "exams-prepare-papers-due": {"task": "exams.prepare_papers_due", "schedule": 300.0},
    "exams-expired-exam-stills": {"task": "exams.delete_expired_exam_stills", "schedule": crontab(hour=2, minute=50)},
}
