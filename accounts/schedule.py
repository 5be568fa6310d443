SCHEDULE = {
    "accounts-heartbeat": {"task": "accounts.tasks.heartbeat", "schedule": 300.0},
}
