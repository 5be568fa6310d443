"""Public verification: per-client rate limiting and the verification log (nothing unmasked).

Both run on every public lookup (the page, name + number, the API): the rate limit counts through
Django's cache API, and the log row is an ordinary insert.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone

from accounts import pii
from core.audit import client_ip

from .models import Certificate, VerificationLog

logger = logging.getLogger("anxun.verify")


@lru_cache(maxsize=1)
def rate_limit() -> tuple[int, int]:
    """(lookups allowed, window in seconds) per client; read once (every lookup asks)."""
    return (getattr(settings, "ANXUN_VERIFY_RATE_LIMIT", 30), getattr(settings, "ANXUN_VERIFY_RATE_WINDOW", 60))


def client_key(request) -> str:
    """A short keyed digest of the client address: enough to count and correlate, not an IP."""
    return _client_key_of(client_ip(request) or "unknown")


@lru_cache(maxsize=4096)  # the same phone or office address scans many certificates
def _client_key_of(address: str) -> str:
    return pii.keyed_hash(f"client:{address}")[:16]


@receiver(setting_changed)
def _forget(**kwargs):
    """The limit or the hash key changed (tests): read them again."""
    rate_limit.cache_clear()
    _client_key_of.cache_clear()


def _request_client(request) -> str:
    """client_key, computed once per request (the rate limit and the log row both need it)."""
    if request is None:
        return ""
    key = getattr(request, "_anxun_verify_client", None)
    if key is None:
        key = request._anxun_verify_client = client_key(request)
    return key


def count_lookup(key: str, window: int) -> int:
    """Add one to the client's counter for this window and return the new count. The window starts
    with the client's first lookup (cache.add sets the counter's time to live only then)."""
    if cache.add(key, 1, window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


def allow(request) -> bool:
    """Count one lookup for this client; False once the limit for the window is used up."""
    limit, window = rate_limit()
    return count_lookup(f"cert-verify:{_request_client(request)}", window) <= limit


def log_verification(*, request, channel: str, query: str = "", certificate: Certificate | None = None,
                     certificate_id: int | None = None, signature: str = "", rate_limited: bool = False,
                     status: str | None = None) -> VerificationLog:
    """Write the lookup's VerificationLog row (status: the live status the caller already computed).
    The certificate found is given as the row or, from its public card, as its id."""
    if status is None:
        status = certificate.status if certificate is not None else ""
    if certificate is not None:
        certificate_id = certificate.pk
    entry = VerificationLog(
        created_at=timezone.now(), channel=channel, query=query[:128], certificate_id=certificate_id,
        found=certificate_id is not None, status=status, signature=signature, client=_request_client(request),
        rate_limited=rate_limited,
    )
    entry.save(force_insert=True)
    if logger.isEnabledFor(logging.INFO):
        logger.info("certificate verification channel=%s query=%s found=%s status=%s signature=%s limited=%s",
                    channel, query[:128], entry.found, status, signature, rate_limited)
    return entry


def masked_query(*, code: str = "", name: str = "", number: str = "") -> str:
    parts = []
    if code:
        parts.append(f"code={code[:16]}")
    if name:
        parts.append(f"name={pii.mask_name(name)}")
    if number:
        parts.append(f"number={pii.mask_id(number)}")
    return " ".join(parts)
