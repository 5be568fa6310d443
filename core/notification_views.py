"""The signed-in person's notification list: open one (marks it read), mark all read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .models import Notification
from .notify import mark_read


@login_required
def notification_list(request):
    qs = Notification.objects.filter(user=request.user).order_by("-created_at", "-id")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "core/notifications.html", {"page": page})


@login_required
def notification_open(request, pk: int):
    item = get_object_or_404(Notification, pk=pk, user=request.user)
    mark_read(request.user, item.pk)
    if item.url and url_has_allowed_host_and_scheme(item.url, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return redirect(item.url)
    return redirect("core:notifications")


@login_required
@require_POST
def notification_read_all(request):
    mark_read(request.user)
    return redirect("core:notifications")
