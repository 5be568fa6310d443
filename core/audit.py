"""The audit log every app writes to: ``audit_record(actor=..., action=..., target=..., before=..., after=...)``."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
import json

from .models import AuditLog


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def client_ip(request) -> str | None:
    """The address of the client, the one answer for exam-room ranges, sign-in locks, rate limits and audit.

    ``REMOTE_ADDR`` unless it is one of ``ANXUN_TRUSTED_PROXIES``; then ``X-Forwarded-For`` is read from
    the right: the rightmost address that is not a trusted proxy is the client (addresses further left
    were written by the client and prove nothing). Default: no proxy is trusted, the header is ignored.
    """
    if request is None:
        return None
    return _client_ip_from(request.META)


def _client_ip_from(meta) -> str | None:
    from .net import is_trusted_proxy, parse_ip

    remote = parse_ip(meta.get("REMOTE_ADDR", ""))
    if remote is None:
        return None
    if not is_trusted_proxy(remote):
        return str(remote)
    hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    client = remote
    for hop in reversed(hops):
        address = parse_ip(hop)
        if address is None:  # a malformed entry: nothing left of it can be trusted
            break
        client = address
        if not is_trusted_proxy(address):
            break
    return str(client)


def audit_record(
    *,
    actor,
    action: str,
    target=None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    request=None,
) -> AuditLog:
    """Write one audit entry. ``action`` is a dotted verb such as ``certificate.revoke``."""
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    return AuditLog.objects.create(
        actor=actor_obj,
        actor_repr=(actor_obj.username if actor_obj else str(actor or "system"))[:150],
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        before=_jsonable(before),
        after=_jsonable(after),
        reason=reason,
        ip=client_ip(request),
    )


def audit_trail(target):
    """Entries about one object, newest first."""
    return AuditLog.objects.filter(
        target_type=ContentType.objects.get_for_model(target), target_id=str(target.pk)
    ).select_related("actor")
