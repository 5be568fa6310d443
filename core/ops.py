"""Operations round trip for staff: queue a task from this app server and read its result from any.

``POST /ops/ping`` queues ``core.tasks.ping`` with a fresh token (202); ``GET /ops/ping/<token>``
says whether a worker has run it (the worker writes the token into the shared cache). Staff only:
it proves that app servers, broker, workers and cache are wired together after a deployment.
"""

from __future__ import annotations

import uuid
from functools import wraps

from django.core.cache import cache
from django.db import transaction
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.tasks import ping as ping_task

app_name = "ops"


def staff_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_authenticated and request.user.is_staff):
            return JsonResponse({"detail": "仅限平台运维人员。"}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


@never_cache
@require_POST
@staff_only
def ping(request):
    token = uuid.uuid4().hex
    transaction.on_commit(lambda: ping_task.delay(token))
    return JsonResponse({"token": token, "status": "queued"}, status=202)


@never_cache
@require_GET
@staff_only
def ping_status(request, token: str):
    done_at = cache.get(f"anxun:ping:{token}")
    return JsonResponse({"token": token, "status": "done" if done_at else "pending", "done_at": done_at})


urlpatterns = [
    path("ping", ping, name="ping"),
    path("ping/<slug:token>", ping_status, name="ping-status"),
]
