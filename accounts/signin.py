"""Sign-in protection around Django's own login (django-axes does the counting, see settings).

- Failures are counted per pair (username, client address): a wrong password typed from one place
  never locks the same account elsewhere, so nobody can lock out a candidate or an examiner before a
  session. The address is core.audit.client_ip (trusted proxies only).
- After ``ANXUN_LOGIN_THROTTLE_LIMIT`` failures the pair waits ``ANXUN_LOGIN_THROTTLE_WINDOW``
  seconds; every further failure doubles the wait, up to ``ANXUN_LOGIN_LOCK_MAX`` seconds.
- Staff unlock in the back office (Django admin, "Access attempts") or with
  ``manage.py axes_reset_username``; setting a new password through "忘记密码" unlocks the account.
- Password-reset requests are limited per address and per entered e-mail address, with the same answer
  whether or not an account exists.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.audit import client_ip


def _pair_failures(request) -> int:
    from axes.helpers import get_client_username
    from axes.models import AccessAttempt

    username = get_client_username(request)
    address = getattr(request, "axes_ip_address", None) or client_ip(request)
    if not username or not address:
        return 0
    return sum(AccessAttempt.objects.filter(username=username, ip_address=address)
               .values_list("failures_since_start", flat=True))


def lock_seconds(failures: int) -> int:
    """How long a pair with this many failures is locked (0 below the limit)."""
    limit = settings.AXES_FAILURE_LIMIT
    if failures < limit:
        return 0
    return min(settings.ANXUN_LOGIN_THROTTLE_WINDOW * 2 ** min(failures - limit, 20), settings.ANXUN_LOGIN_LOCK_MAX)


def cool_off(request=None) -> dt.timedelta:
    """AXES_COOLOFF_TIME: how long the pair's failures count (and so how long a lock lasts)."""
    failures = _pair_failures(request) if request is not None else 0
    return dt.timedelta(seconds=lock_seconds(failures) or settings.ANXUN_LOGIN_THROTTLE_WINDOW)


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the sign-in page again, with the wait, status 429."""
    from .forms import LoginForm

    minutes = max(1, int(cool_off(request).total_seconds() // 60))
    form = LoginForm(request, initial={"username": (credentials or {}).get("username", "")})
    return render(request, "registration/login.html", {
        "form": form, "next": request.POST.get("next", ""),
        "lockout_message": _("登录失败次数过多，请%(minutes)d分钟后再试，或使用“忘记密码”重置。") % {"minutes": minutes},
    }, status=429)


def unlock(user) -> None:
    """Forget every failed sign-in of this account (after a password reset, or by staff)."""
    from axes.utils import reset

    reset(username=user.get_username())


def password_reset_allowed(request, email: str) -> bool:
    """Count one reset request; False when the address or the entered e-mail is over its hourly limit.

    The e-mail is counted whether or not an account has it, so the answer tells nothing about accounts."""
    window = 3600
    email_key = hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]
    limits = ((f"pwreset:email:{email_key}", settings.ANXUN_PASSWORD_RESET_PER_ACCOUNT),
              (f"pwreset:ip:{client_ip(request) or 'unknown'}", settings.ANXUN_PASSWORD_RESET_PER_ADDRESS))
    allowed = True
    for key, limit in limits:
        if cache.add(key, 1, window):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:
                cache.set(key, 1, window)
                count = 1
        allowed = allowed and count <= limit
    return allowed
