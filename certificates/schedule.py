from celery.schedules import crontab

SCHEDULE = {
    # Reminders 60/30/7 days before review and expiry; idempotent, so a doubled beat does no harm.
    "certificates-reminders": {
        "task": "certificates.tasks.send_certificate_reminders",
        "schedule": crontab(hour=8, minute=15),
    },
    # PDFs a lost worker never rendered are queued again.
    "certificates-render-missing-pdfs": {
        "task": "certificates.tasks.render_missing_pdfs",
        "schedule": crontab(minute="*/10"),
    },
}
