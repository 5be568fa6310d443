from celery.schedules import crontab

# The progress table is due on the 23rd: produce it early that morning (Asia/Shanghai).
SCHEDULE = {
    "reports-progress-monthly": {
        "task": "reports.tasks.progress_reports_monthly",
        "schedule": crontab(minute=30, hour=1, day_of_month=23),
    },
    "reports-daily-rollup": {  # the bureau pages' figures, after midnight (Asia/Shanghai)
        "task": "reports.tasks.rollup_build",
        "schedule": crontab(minute=15, hour=0),
    },
    "reports-campaign-reminders": {
        "task": "reports.tasks.campaign_reminders",
        "schedule": crontab(minute=0, hour=9),
    },
}
