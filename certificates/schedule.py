from celery.schedules import crontab

SCHEDULE = {
    # Reminders 60/30/7 days before review and expiry; idempotent, so a doubled beat does no harm.
    "certificates-reminders": {
        "task": "certificates.tasks.send_certificate_reminders",
        "schedule": crontab(hour=8, minute=15),
    },
}
