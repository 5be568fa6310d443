"""Public verification: per-client rate limiting and the verification log (nothing unmasked).

Both run on every public lookup. With the public index (certificates/public_index.py) the page
does both inside its one Redis round trip, and the log rows reach the database in batches. The
paths that read the database (the index off, signed QR payloads, name + number, the API) keep each
to one round trip: the rate limit is one pipelined ``INCR`` + ``EXPIRE … NX`` on Redis, and on
PostgreSQL the log row is written in one statement batch that commits without waiting for the WAL
flush (see ``_insert_log``).
"""

from __future__ import annotations

import logging
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.db import connections, router
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


def _redis_client(backend):
    """The redis-py client behind Django's Redis cache backend, or None for any other backend (one
    per connection pool, reused: core.cache)."""
    from django.core.cache.backends.redis import RedisCache

    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)


def count_lookup(key: str, window: int, backend=None) -> int:
    """Add one to the client's counter for this window and return the new count.

    The window starts with the client's first lookup (the counter's time to live is set only when
    it has none). On Redis: one round trip (a pipeline of INCR and EXPIRE NX; a counter left without
    a time to live by an interrupted pipeline gets one on the next lookup). Other cache backends
    (the local-memory cache of the embedded default): cache.add, then cache.incr.
    """
    backend = backend or caches["default"]  # the backend itself, not the django.core.cache.cache proxy
    client = _redis_client(backend)
    if client is not None:
        redis_key = backend.make_and_validate_key(key)
        pipe = client.pipeline(transaction=False)
        pipe.incr(redis_key)
        pipe.expire(redis_key, window, nx=True)
        count, _ = pipe.execute()
        return int(count)
    if backend.add(key, 1, window):
        return 1
    try:
        return backend.incr(key)
    except ValueError:  # expired between add and incr
        backend.set(key, 1, window)
        return 1


def allow(request) -> bool:
    """Count one lookup for this client; False once the limit for the window is used up."""
    limit, window = rate_limit()
    return count_lookup(f"cert-verify:{_request_client(request)}", window) <= limit


_LOG_FIELDS = [f for f in VerificationLog._meta.concrete_fields if not f.primary_key]
_log_sql: dict[str, str] = {}


def _fast_log_insert(connection) -> bool:
    """Whether the log row can go in its own one-round-trip, asynchronously committed transaction."""
    return (connection.vendor == "postgresql" and connection.get_autocommit() and not connection.in_atomic_block
            and not connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"))


def _insert_log(entry: VerificationLog, connection=None) -> None:
    if connection is None:
        connection = connections[router.db_for_write(VerificationLog)]
    using = connection.alias
    connection.ensure_connection()
    if not _fast_log_insert(connection):
        # SQLite (embedded default), or inside a caller's transaction: an ordinary insert.
        entry.save(using=using, force_insert=True)
        return
    # The log row commits with synchronous_commit off, for this one transaction only: the commit
    # does not wait for the WAL to reach the disk (≈0.03 ms instead of ≈1.4 ms per lookup). Such a
    # row can be lost only if the database server itself crashes within a fraction of a second
    # after the commit (never by an application crash); the transaction stays atomic and
    # consistent. Certificates, answers and every other write keep the server's durable default.
    # BEGIN … COMMIT go in the same batch as the INSERT (client-side binding), so this is one
    # round trip instead of four.
    sql = _log_sql.get(using)
    if sql is None:
        qn = connection.ops.quote_name
        table = qn(VerificationLog._meta.db_table)
        columns = ", ".join(qn(f.column) for f in _LOG_FIELDS)
        values = ", ".join(["%s"] * len(_LOG_FIELDS))
        sql = _log_sql[using] = (f"BEGIN; SET LOCAL synchronous_commit TO OFF; "
                                 f"INSERT INTO {table} ({columns}) VALUES ({values}); COMMIT")
    params = [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in _LOG_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def insert_log_rows(entries: list[VerificationLog]) -> None:
    """Write many log rows in one transaction, keeping each row's own ``created_at`` (the moment of
    the lookup, which ``bulk_create`` would replace with the moment of the insert)."""
    if not entries:
        return
    from django.db import transaction

    using = router.db_for_write(VerificationLog)
    connection = connections[using]
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(VerificationLog._meta.db_table)} ({', '.join(qn(f.column) for f in _LOG_FIELDS)}) "
           f"VALUES ({', '.join(['%s'] * len(_LOG_FIELDS))})")
    rows = [[f.get_db_prep_save(getattr(e, f.attname), connection) for f in _LOG_FIELDS] for e in entries]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def log_verification(*, request, channel: str, query: str = "", certificate: Certificate | None = None,
                     signature: str = "", rate_limited: bool = False, status: str | None = None) -> VerificationLog:
    """Write the lookup's VerificationLog row (status: the live status the caller already computed).

    On PostgreSQL outside a transaction the row is written without reading back its id
    (``entry.pk`` stays None); everything else about the returned entry is what was stored."""
    if status is None:
        status = certificate.status if certificate is not None else ""
    entry = VerificationLog(
        created_at=timezone.now(), channel=channel, query=query[:128], certificate=certificate,
        found=certificate is not None, status=status, signature=signature, client=_request_client(request),
        rate_limited=rate_limited,
    )
    _insert_log(entry)
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
