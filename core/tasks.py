from celery import shared_task
from django.core.cache import cache
from django.utils import timezone


@shared_task(name="core.tasks.heartbeat")
def heartbeat() -> str:
    """Beat's liveness mark, read by /healthz."""
    now = timezone.now().isoformat()
    cache.set("anxun:beat:last", now, 3600)
    return now


@shared_task(name="core.tasks.ping")
def ping(token: str) -> str:
    """Round trip used by health and multi-process checks: the worker writes the token to the cache."""
    cache.set(f"anxun:ping:{token}", timezone.now().isoformat(), 600)
    return token
