"""Pages every deployment has: the home page (the signed-in user's tiles) and the health report."""

from __future__ import annotations

import time

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from .navigation import items_for, roles_of


def home(request):
    from .todo import tasks_for

    tiles = items_for(request.user, roles_of(request.user), "") if request.user.is_authenticated else []
    return render(request, "home.html", {"tiles": [t for t in tiles if t["url"] != "/"],
                                         "tasks": tasks_for(request.user)})


def _may_see_health_detail(request) -> bool:
    import hmac

    from .audit import client_ip
    from .net import in_networks

    token = settings.ANXUN_HEALTHZ_TOKEN
    given = request.headers.get("X-Healthz-Token", "")
    if token and given and hmac.compare_digest(token.encode(), given.encode()):
        return True
    return in_networks(client_ip(request), "ANXUN_HEALTHZ_INTERNAL_NETWORKS")


@never_cache
def healthz(request):
    """Database, cache and broker status as JSON; 503 when any configured dependency fails.

    Anyone gets the bare ``{"status": ...}``; the detail (which backends, their errors, the last beat)
    only internal networks or a request carrying the health token."""
    report: dict = {}
    ok = True
    start = time.perf_counter()
    try:
        connection.ensure_connection()
        if not connection.is_usable():
            raise ConnectionError("database connection not usable")
        report["database"] = {"status": "ok", "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - health reports any failure
        ok = False
        report["database"] = {"status": "error", "error": exc.__class__.__name__}
    try:
        cache.set("anxun:healthz", "1", 10)
        assert cache.get("anxun:healthz") == "1"
        report["cache"] = {"status": "ok", "backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}
    except Exception as exc:  # noqa: BLE001
        ok = False
        report["cache"] = {"status": "error", "error": exc.__class__.__name__}
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL:
        report["broker"] = {"status": "ok", "mode": "eager"}
    else:
        
        try:
            with current_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            report["broker"] = {"status": "ok", "mode": "celery", "last_beat": cache.get("anxun:beat:last")}
        except Exception as exc:  # noqa: BLE001
            ok = False
            report["broker"] = {"status": "error", "error": exc.__class__.__name__}
    report["status"] = "ok" if ok else "error"
    report["elapsed_ms"] = round((time.perf_counter() - start) * 1000, 1)
    if not _may_see_health_detail(request):
        report = {"status": report["status"]}
    return JsonResponse(report, status=200 if ok else 503)
