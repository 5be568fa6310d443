"""Public verification: per-client rate limiting and the verification log (nothing unmasked)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache

from accounts import pii
from accounts.audit import client_ip

from .models import Certificate, VerificationLog

logger = logging.getLogger("anxun.verify")


def rate_limit() -> tuple[int, int]:
    return (getattr(settings, "ANXUN_VERIFY_RATE_LIMIT", 30), getattr(settings, "ANXUN_VERIFY_RATE_WINDOW", 60))


def client_key(request) -> str:
    """A short keyed digest of the client address: enough to count and correlate, not an IP."""
    return pii.keyed_hash(f"client:{client_ip(request) or 'unknown'}")[:16]


def allow(request) -> bool:
    """Count one lookup for this client; False once the limit for the window is used up."""
    limit, window = rate_limit()
    key = f"cert-verify:{client_key(request)}"
    if cache.add(key, 1, window):
        return True
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, window)
        count = 1
    return count <= limit


def log_verification(*, request, channel: str, query: str = "", certificate: Certificate | None = None,
                     signature: str = "", rate_limited: bool = False) -> VerificationLog:
    status = certificate.status if certificate is not None else ""
    entry = VerificationLog.objects.create(
        channel=channel, query=query[:128], certificate=certificate, found=certificate is not None,
        status=status, signature=signature, client=client_key(request) if request is not None else "",
        rate_limited=rate_limited,
    )
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
