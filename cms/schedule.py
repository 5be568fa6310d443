from celery.schedules import crontab

SCHEDULE = {
    # Scheduled publishing really happens: Wagtail's publish_scheduled every minute.
    "cms-publish-scheduled": {"task": "cms.tasks.publish_scheduled", "schedule": 60.0},
    # The read-status figures are kept by the services; recounted nightly from the pushes.
    "cms-warning-counts": {"task": "cms.tasks.warning_counts_rebuild", "schedule": crontab(hour=3, minute=10)},
}
