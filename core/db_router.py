"""Read replica for read-only public traffic (certificate verification).

With ``DATABASE_REPLICA_URL`` set, base.py adds a ``replica`` database (read-only session on
PostgreSQL), this router and the middleware below. GET/HEAD requests whose path starts with one of
``REPLICA_READ_PATHS`` (default ``/verify/``) read from the replica; every write, and every other
request, uses the primary. Code can also opt in with ``with replica_reads(): …``.
Replication lag means a certificate issued a moment ago may show on the replica a moment later.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from django.conf import settings

REPLICA = "replica"
_replica_reads = contextvars.ContextVar("anxun_replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads():
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def reading_from_replica() -> bool:
    return _replica_reads.get() and replica_configured()


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return REPLICA if reading_from_replica() else None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # the replica follows the primary's schema through replication


class ReplicaReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = tuple(getattr(settings, "REPLICA_READ_PATHS", ["/verify/"]))

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and request.path.startswith(self.prefixes):
            with replica_reads():
                return self.get_response(request)
        return self.get_response(request)
