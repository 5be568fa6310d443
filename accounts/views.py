from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from .audit import audit_record
from .forms import ProfileForm, ThrottledAuthenticationForm
from .navigation import items_for
from .selectors import memberships_of, people_visible_to, roles_of


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True


def switch_language(request):
    """The language switch in every page's header: a plain link (``?language=en&next=/path/``).

    Only the visitor's language cookie changes, so a link is enough: no page has to carry a CSRF
    token or set a CSRF cookie just for the switch (the public verification result sets no cookie
    at all). ``next`` must be a path of this site; anything else goes home. An unknown language
    changes nothing."""
    next_url = request.GET.get("next", "")
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    response["Cache-Control"] = "no-store"
    language = request.GET.get("language", "")
    if language in dict(settings.LANGUAGES):
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
                            path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
                            secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                            samesite=settings.LANGUAGE_COOKIE_SAMESITE)
    return response


def home(request):
    tiles = items_for(request.user, roles_of(request.user), "") if request.user.is_authenticated else []
    return render(request, "home.html", {"tiles": [t for t in tiles if t["url"] != "/"]})


@login_required
def my_account(request):
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            before = {"phone": user.phone, "email": user.email}
            user.phone = form.cleaned_data["phone"]
            user.email = form.cleaned_data["email"]
            user.save(update_fields=["phone", "email"])
            audit_record(actor=user, action="user.profile_update", target=user, before=before,
                         after={"phone": user.phone, "email": user.email}, request=request)
            messages.success(request, _("个人信息已保存。"))
            return redirect("accounts:me")
    else:
        form = ProfileForm(initial={"phone": user.phone, "email": user.email})
    return render(request, "accounts/me.html", {"form": form, "memberships": memberships_of(user)})


@login_required
def people(request):
    """The people the current user may see (enterprise managers: their own people; bureau: region)."""
    qs = people_visible_to(request.user).exclude(pk=request.user.pk).prefetch_related(
        "memberships__organization"
    ).order_by("real_name", "username")
    if not qs.exists() and not request.user.is_superuser:
        raise Http404
    return render(request, "accounts/people.html", {"people": qs[:500]})


@login_required
def person_detail(request, pk: int):
    person = people_visible_to(request.user).filter(pk=pk).first()
    if person is None:
        raise Http404
    return render(request, "accounts/person.html", {"person": person,
                                                    "memberships": person.memberships.select_related("organization")})


@never_cache
def healthz(request):
    """Database, cache and broker status as JSON; 503 when any configured dependency fails."""
    report: dict = {}
    ok = True
    start = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
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
        from config.celery import app

        try:
            with app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            report["broker"] = {"status": "ok", "mode": "celery", "last_beat": cache.get("anxun:beat:last")}
        except Exception as exc:  # noqa: BLE001
            ok = False
            report["broker"] = {"status": "error", "error": exc.__class__.__name__}
    report["status"] = "ok" if ok else "error"
    report["elapsed_ms"] = round((time.perf_counter() - start) * 1000, 1)
    return JsonResponse(report, status=200 if ok else 503)
