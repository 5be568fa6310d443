import datetime as dt

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
    # Public verification: queued log entries into the database, and the public index repaired.
    "certificates-drain-verification-log": {
        "task": "certificates.tasks.drain_verification_log",
        "schedule": dt.timedelta(seconds=10),
    },
    "certificates-sync-public-index": {
        "task": "certificates.tasks.sync_public_index",
        "schedule": dt.timedelta(minutes=1),
    },
}
