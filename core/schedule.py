SCHEDULE = {
    "core-heartbeat": {"task": "core.tasks.heartbeat", "schedule": 300.0},
}
