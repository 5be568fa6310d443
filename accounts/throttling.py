"""Login throttling: after N failures for a username, or from a client IP, within the window, further
attempts are refused until the window passes — even with the right password."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(username: str, ip: str | None) -> list[str]:
    name = hashlib.sha256((username or "").strip().lower().encode()).hexdigest()[:32]
    keys = [f"login-fail:user:{name}"]
    if ip:
        keys.append(f"login-fail:ip:{ip}")
    return keys


def is_locked(username: str, ip: str | None) -> bool:
    limit = settings.LOGIN_THROTTLE_LIMIT
    counts = cache.get_many(_keys(username, ip))
    user_key, *ip_key = _keys(username, ip)
    if counts.get(user_key, 0) >= limit:
        return True
    # An IP gets more room than one username (offices share an address behind NAT).
    return bool(ip_key) and counts.get(ip_key[0], 0) >= limit * 4


def register_failure(username: str, ip: str | None) -> None:
    window = settings.LOGIN_THROTTLE_WINDOW
    for key in _keys(username, ip):
        if cache.add(key, 1, window):
            continue
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, window)


def reset(username: str, ip: str | None) -> None:
    cache.delete(_keys(username, ip)[0])
