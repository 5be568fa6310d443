SCHEDULE = {
    # Scheduled publishing really happens: Wagtail's publish_scheduled every minute.
    "cms-publish-scheduled": {"task": "cms.tasks.publish_scheduled", "schedule": 60.0},
}
