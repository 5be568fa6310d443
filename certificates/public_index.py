"""The public index: what the verification page shows of each certificate, kept in Redis.

The page behind a certificate's QR code and verification code is the one public path that must
hold national traffic, and nearly everything it shows is fixed between two changes of the
certificate: the masked holder, the catalogue names, the number, the authority and the dates. So
those are kept, per verification code, as one small JSON "card" in Redis, written whenever the
certificate (or a catalogue row it names) changes. The live status is *not* kept: it is computed on
every request from the card's state and dates (``models.live_status``), so a certificate expires
or falls due for review on the right day without anything being rewritten.

A lookup is then one round trip to Redis, a Lua script that counts the client's lookup for the rate
limit, reads the card and queues the verification-log entry (with the card it showed, so the log
row records exactly what the visitor saw). The queued entries are written to the database in
batches by ``drain_log`` (a periodic task), so a lookup touches no database at all. A QR scan's
signed payload is checked against the card too (``signing.check_against_card``); its log entry
carries the payload, and the drain decides the outcome it records against the same card.

How the index stays true:
- every save of a certificate writes its card once the transaction has committed (a delete removes
  it); a change to a kind, operation item or category rewrites the cards that name it (a task);
- a lookup that finds no card reads the database, shows that, and stores the card (or, for a code
  that does not exist, a short-lived "no such certificate" marker) without overwriting anything a
  concurrent change has written meanwhile (``SET … NX``);
- a periodic sync rewrites every card changed since its last run (a write lost to a Redis outage is
  repaired within a minute) and cards expire after ``ANXUN_VERIFY_INDEX_TTL`` unless rewritten;
- ``manage.py certificates_public_index`` rebuilds it from scratch.

It is used when ``ANXUN_VERIFY_INDEX`` is on and the default cache is Redis (production); the
embedded default (local-memory cache) reads the database on every lookup instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import threading
import time

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from . import numbers
from catalogue.models import CertificateKind, OperationCategory, OperationItem
from .models import Certificate, VerificationLog, live_status

logger = logging.getLogger("anxun.verify")

CARD_PREFIX = "cert-public:v2:"
QUEUE_KEY = "cert-verify-log:v1"
SYNC_MARK_KEY = "cert-public-synced:v1"
DRAIN_LOCK_KEY = "cert-verify-log-drain:v1"
MISSING = "-"  # the card of a code that matches no certificate (kept briefly)
HIT, LIMITED = "H", "L"

# KEYS: the client's counter, the card, the log queue.  ARGV: window (s), limit, the entry's head.
# Counting is the same as verification.count_lookup (INCR, and EXPIRE NX so the window starts with
# the first lookup); over the limit the card is not read. The entry is queued with the card shown.
LOOKUP_LUA = """
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1], 'NX')
if n > tonumber(ARGV[2]) then
  redis.call('RPUSH', KEYS[3], ARGV[3] .. '\\nL\\n')
  return {n, false}
end
local card = redis.call('GET', KEYS[2])
if card then
  redis.call('RPUSH', KEYS[3], ARGV[3] .. '\\nH\\n' .. card)
end
return {n, card}
"""
LOOKUP_SHA = hashlib.sha1(LOOKUP_LUA.encode(), usedforsecurity=False).hexdigest()  # the name Redis knows a script by


def _ttl() -> int:
    return int(getattr(settings, "ANXUN_VERIFY_INDEX_TTL", 7 * 24 * 3600))


def _missing_ttl() -> int:
    return int(getattr(settings, "ANXUN_VERIFY_INDEX_MISSING_TTL", 300))


def _redis():
    """(cache backend, redis client), or (backend, None) when the default cache is not Redis."""
    from .verification import _redis_client

    backend = caches["default"]
    return backend, _redis_client(backend)


def enabled() -> bool:
    return connection_if_enabled() is not None


def connection_if_enabled():
    """(cache backend, redis client) when the index is on, else None."""
    if not getattr(settings, "ANXUN_VERIFY_INDEX", False):
        return None
    backend, client = _redis()
    return None if client is None else (backend, client)


# --- cards ----------------------------------------------------------------------------------


def _iso(value) -> str:
    return value.isoformat() if value else ""


def card_of(c: Certificate) -> dict:
    """The public card of a certificate (only masked personal data), as stored in the index."""
    item = c.operation_item if c.operation_item_id else None
    return {
        "id": c.pk, "state": c.state, "reason": c.state_reason if c.state == Certificate.State.REVOKED else "",
        "name": c.masked_holder_name, "idn": c.masked_holder_id, "kind": c.kind.name, "kc": c.kind.code,
        "ic": item.code if item else "",
        "cat": item.category.name if item else "", "item": item.name if item else "",
        "no": c.number, "nat": c.masked_national_number, "auth": c.issuing_authority,
        "first": _iso(c.first_issued_on), "from": _iso(c.valid_from), "until": _iso(c.valid_until),
        "due": _iso(c.next_review_due), "due_from": _iso(c.review_window_starts), "reviewed": _iso(c.last_reviewed_on),
    }


def card_status(card: dict, on: dt.date | None = None) -> str:
    """The live status of the card's certificate on day ``on`` (today in Asia/Shanghai by default)."""
    day = (on or timezone.localdate()).isoformat()
    return live_status(card["state"], card["from"], card["until"], card["due"], card["due_from"], day)


# json.dumps with these options would build a new encoder on every call
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _dumps(card: dict) -> str:
    return _compact(card)


def _key(backend, code: str) -> str:
    return backend.make_key(CARD_PREFIX + code)


# --- writing --------------------------------------------------------------------------------


def _with_catalogue(qs):
    return qs.select_related("kind", "operation_item__category")


def publish(certificates, *, chunk: int = 1000) -> int:
    """Write the cards of these certificates (an iterable of Certificate with kind and item loaded)."""
    backend, client = _redis()
    if client is None:
        return 0
    ttl, n = _ttl(), 0
    pipe = client.pipeline(transaction=False)
    for c in certificates:
        pipe.set(_key(backend, c.verification_code), _dumps(card_of(c)), ex=ttl)
        n += 1
        if n % chunk == 0:
            pipe.execute()
    pipe.execute()
    return n


def publish_ids(ids) -> int:
    ids = list(ids)
    total = 0
    for i in range(0, len(ids), 1000):
        total += publish(_with_catalogue(Certificate.objects.filter(pk__in=ids[i:i + 1000])))
    return total


def publish_where(**filters) -> int:
    """Rewrite the cards of every certificate matching the filters (a catalogue row changed)."""
    qs = _with_catalogue(Certificate.objects.filter(**filters)).order_by("pk")
    return publish(qs.iterator(chunk_size=2000))


def forget(codes) -> None:
    backend, client = _redis()
    codes = [c for c in codes if c]
    if client is not None and codes:
        client.delete(*[_key(backend, c) for c in codes])


def rebuild() -> int:
    """Write every certificate's card (a new index, or after a restore of the database)."""
    return publish(_with_catalogue(Certificate.objects.order_by("pk")).iterator(chunk_size=2000))


def sync(*, overlap: dt.timedelta = dt.timedelta(minutes=2), first: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Rewrite the cards of certificates changed since the last sync (minus an overlap, so a change
    committed while the previous sync ran is not missed). Periodic; idempotent."""
    backend, client = _redis()
    if client is None:
        return 0
    started = timezone.now()
    mark = client.get(backend.make_key(SYNC_MARK_KEY))
    since = dt.datetime.fromisoformat(mark.decode()) - overlap if mark else started - first
    n = publish(_with_catalogue(Certificate.objects.filter(updated_at__gte=since)).order_by("pk").iterator(chunk_size=2000))
    client.set(backend.make_key(SYNC_MARK_KEY), started.isoformat())
    return n


def _safely(what: str, fn, *args, **kwargs) -> None:
    try:
        fn(*args, **kwargs)
    except Exception:  # noqa: BLE001 — the periodic sync repairs the index; the change itself stands
        logger.warning("public index: %s failed; the periodic sync will repair it", what, exc_info=True)


# signal receivers (connected in apps.py); each runs once the transaction has committed

def on_certificate_saved(sender, instance: Certificate, **kwargs) -> None:
    if enabled():
        from django.db import transaction

        pk = instance.pk
        transaction.on_commit(lambda: _safely("publishing a card", publish_ids, [pk]))


def on_certificate_deleted(sender, instance: Certificate, **kwargs) -> None:
    if enabled():
        from django.db import transaction

        code = instance.verification_code
        transaction.on_commit(lambda: _safely("removing a card", forget, [code]))


def on_catalogue_saved(sender, instance, created: bool = False, **kwargs) -> None:
    if created or not enabled():
        return
    from django.db import transaction

    from .tasks import republish_public_cards

    field = {CertificateKind: "kind_id", OperationItem: "operation_item_id",
             OperationCategory: "operation_item__category_id"}[sender]
    pk = instance.pk
    transaction.on_commit(lambda: _safely("queueing a republish", republish_public_cards.delay, field, pk))


# --- reading --------------------------------------------------------------------------------


class Lookup:
    __slots__ = ("limited", "card", "code")

    def __init__(self, limited: bool, card: dict | None, code: str = ""):
        self.limited, self.card, self.code = limited, card, code  # code: normalised ("" if never valid)


# The lookup script goes over a connection of the requesting thread's own, packed here: the
# client's pool would check each borrowed connection for unread data (one more system call) and
# record pool statistics, which together cost as much CPU as the round trip itself. The connection
# is made by the pool's own connection class and settings (address, database, password, TLS,
# timeouts), so it reaches exactly the server the cache does.
_line = threading.local()


def _connection(client):
    pool = client.connection_pool
    conn = getattr(_line, "conn", None)
    if conn is None or _line.pool is not pool or _line.pid != os.getpid():
        conn = pool.connection_class(**pool.connection_kwargs)
        _line.conn, _line.pool, _line.pid = conn, pool, os.getpid()
    return conn


def _pack(*args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else (a if isinstance(a, str) else str(a)).encode()
        out += (b"$%d\r\n" % len(b), b, b"\r\n")
    return b"".join(out)


def _run_lookup(client, keys: list[str], args: list) -> list:
    """EVALSHA of the lookup script. A connection found broken is made again and the command sent
    once more (counting the lookup twice at worst); a server that does not know the script (a new
    or restarted Redis) is given it, and the command sent once more."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import NoScriptError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    packed = _pack("EVALSHA", LOOKUP_SHA, len(keys), *keys, *args)
    reconnected = loaded = False
    while True:
        conn = _connection(client)
        try:
            conn.send_packed_command([packed], check_health=False)
            return conn.read_response()
        except NoScriptError:
            if loaded:
                raise
            client.script_load(LOOKUP_LUA)
            loaded = True
        except (RedisConnectionError, RedisTimeoutError):
            conn.disconnect()
            if reconnected:
                raise
            reconnected = True


# A QR payload is kept with its log entry (up to this length; a genuine one is a few hundred
# characters, and a longer one cannot carry a valid signature, cut or not).
PAYLOAD_MAX = 2048


def _entry_head(*, channel: str, query: str, client_key: str, signature: str = "", payload: str = "",
                code: str = "") -> str:
    head = {"t": time.time(), "ch": channel, "q": query[:128], "c": client_key, "s": signature}
    if payload:
        head["p"], head["k"] = payload[:PAYLOAD_MAX], code
    return _compact(head)


def lookup(request, code: str, *, channel: str, query: str, payload: str = "", redis=None) -> Lookup:
    """Count the lookup, find the card, queue the log entry: one round trip when the card is in the
    index; a code the index does not know yet is read from the database and its card stored.

    A QR scan's payload goes into the log entry, and the drain decides the signature's outcome
    against the very card the entry carries (``signing.check_against_card``, what the page showed);
    a payload naming another code is left to the database path, which logs that lookup itself.
    ``redis``: what ``connection_if_enabled`` gave, if the caller has it."""
    from . import selectors, verification

    backend, client = redis or _redis()
    limit, window = verification.rate_limit()
    normal = numbers.normalize_code(code)
    if not normal or len(normal) > 16:
        normal = ""  # never a certificate; counted and logged like any other miss
    head = _entry_head(channel=channel, query=query, client_key=verification._request_client(request),
                       payload=payload, code=normal)
    counter = backend.make_key(f"cert-verify:{verification._request_client(request)}")  # a hex digest
    card_key = _key(backend, normal or MISSING)
    queue_key = backend.make_key(QUEUE_KEY)
    count, raw = _run_lookup(client, [counter, card_key, queue_key], [window, limit, head])
    if int(count) > limit:
        return Lookup(True, None, normal)
    if raw is not None:
        text = raw.decode() if isinstance(raw, bytes) else raw
        # (the script has queued the entry, a missing code's marker included)
        return Lookup(False, None if text == MISSING else json.loads(text), normal)
    # not in the index: the database decides, and the index learns it
    certificate = selectors.certificate_by_code(normal) if normal else None
    card = card_of(certificate) if certificate is not None else None
    pipe = client.pipeline(transaction=False)
    if normal:
        if card is not None:
            pipe.set(card_key, _dumps(card), ex=_ttl(), nx=True)
        else:
            pipe.set(card_key, MISSING, ex=_missing_ttl(), nx=True)
    pipe.rpush(queue_key, _entry(head, card))
    pipe.execute()
    return Lookup(False, card, normal)


def _entry(head: str, card: dict | None) -> str:
    return f"{head}\n{HIT}\n{_dumps(card) if card else MISSING}"


# --- the verification log ---------------------------------------------------------------------


def _log_row(entry: str, existing: set[int]) -> VerificationLog | None:
    """The log row of a queued entry; None for a QR scan the database path has logged itself."""
    head, flag, body = entry.split("\n", 2)
    h = json.loads(head)
    created = dt.datetime.fromtimestamp(h["t"], tz=dt.UTC)
    card = json.loads(body) if flag == HIT and body and body != MISSING else None
    signature = h.get("s", "")
    if h.get("p") and flag == HIT:
        from .signing import check_against_card

        check = check_against_card(h["p"], code=h.get("k", ""), card=card)
        if check is None:
            return None
        signature = check.outcome
    certificate_id = card["id"] if card and card["id"] in existing else None
    status = card_status(card, timezone.localdate(created)) if card else ""
    return VerificationLog(created_at=created, channel=h["ch"], query=h["q"], certificate_id=certificate_id,
                           found=card is not None, status=status, signature=signature, client=h["c"],
                           rate_limited=flag == LIMITED)


def drain_log(*, batch: int = 1000, max_batches: int = 100) -> int:
    """Write queued verification-log entries to the database, oldest first, a batch per statement.

    One drainer at a time (a lock with a time limit). A batch is removed from the queue only after
    its rows are committed, so a drainer killed in between leaves it to be written again (at least
    once). An entry that cannot be read is logged and dropped, never allowed to block the queue."""
    from .verification import insert_log_rows

    backend, client = _redis()
    if client is None:
        return 0
    lock = backend.make_key(DRAIN_LOCK_KEY)
    if not client.set(lock, "1", nx=True, ex=300):
        return 0
    queue = backend.make_key(QUEUE_KEY)
    written = 0
    try:
        for _ in range(max_batches):
            raw = client.lrange(queue, 0, batch - 1)
            if not raw:
                break
            entries = [r.decode() if isinstance(r, bytes) else r for r in raw]
            ids = set()
            for e in entries:
                parts = e.split("\n", 2)
                if len(parts) == 3 and parts[1] == HIT and parts[2] not in ("", MISSING):
                    try:
                        ids.add(json.loads(parts[2])["id"])
                    except (ValueError, KeyError, TypeError):
                        pass
            existing = set(Certificate.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
            rows = []
            for e in entries:
                try:
                    row = _log_row(e, existing)
                    if row is not None:
                        rows.append(row)
                except (ValueError, KeyError, TypeError):
                    logger.warning("verification log: unreadable queued entry dropped: %.200r", e)
            insert_log_rows(rows)
            client.ltrim(queue, len(raw), -1)
            written += len(rows)
    finally:
        client.delete(lock)
    return written


def queued() -> int:
    backend, client = _redis()
    return int(client.llen(backend.make_key(QUEUE_KEY))) if client is not None else 0
