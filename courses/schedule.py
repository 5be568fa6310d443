from celery.schedules import crontab

SCHEDULE = {
    "courses-sync-rules-nightly": {"task": "courses.tasks.sync_all_rules", "schedule": crontab(hour=1, minute=20)},
    "courses-expired-study-stills": {"task": "courses.tasks.delete_expired_study_stills",
                                     "schedule": crontab(hour=2, minute=40)},
    "courses-study-anomalies": {"task": "courses.tasks.record_study_anomalies", "schedule": crontab(hour=3, minute=10)},
    "courses-due-reminders": {"task": "courses.tasks.send_due_reminders", "schedule": crontab(hour=8, minute=0)},
}
