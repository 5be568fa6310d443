"""The public index of certificates (certificates/public_index.py): the verification page reads each
certificate's public card from Redis in one round trip and queues its log row there. Each test
here would fail if the index showed something the database no longer says, or lost a log row."""

import datetime as dt
import json
import os
import re
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from certificates import public_index, selectors, verification
from certificates.models import Certificate, LiveStatus, VerificationLog
from certificates.services import certificate_revoke

from .conftest import WELDER_ID

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def indexed(settings):
    """The index on, over a Redis cache of its own (a key prefix no other test uses)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("ANXUN_CI_SERVICES"):
            raise
        pytest.skip(f"the public index exists only over Redis (with any other cache it is off by design, "
                    f"see test_off_without_redis); no Redis server answers at {REDIS_URL} on this machine — "
                    f"CI has Redis in both passes and fails above instead of skipping")
    prefix = f"anxun-test-idx-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}}
    settings.ANXUN_VERIFY_INDEX = True
    assert public_index.enabled()
    backend, client = public_index._redis()
    yield client
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def _card_key(code):
    backend, _client = public_index._redis()
    return public_index._key(backend, code)


def _stored_card(client, code):
    raw = client.get(_card_key(code))
    return None if raw is None else raw.decode()


def _normalise(html: str) -> str:
    html = re.sub(r"[A-Za-z0-9]{64}", "TOKEN", html)
    html = re.sub(r'nonce="[^"]+"', 'nonce="N"', html)
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "WHEN", html)


def test_off_without_redis(settings):
    settings.ANXUN_VERIFY_INDEX = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "x"}}
    assert not public_index.enabled()  # a per-process cache would let processes disagree


def test_page_from_the_index_is_the_page_from_the_database(indexed, issue, welder, client, settings):
    c = issue(welder)
    url = f"/verify/{c.verification_code}/"
    settings.ANXUN_VERIFY_INDEX = False
    from_db = client.get(url)
    settings.ANXUN_VERIFY_INDEX = True
    public_index.publish_ids([c.pk])
    from_index = client.get(url)
    assert from_db.status_code == from_index.status_code == 200
    assert _normalise(from_db.content.decode()) == _normalise(from_index.content.decode())
    body = from_index.content.decode()
    assert "王*国" in body and WELDER_ID not in body and f'data-status="{c.status}"' in body
    assert from_index["Cache-Control"] == from_db["Cache-Control"] and "no-store" in from_index["Cache-Control"]
    assert not from_index.cookies and not from_db.cookies  # the result page sets no cookie
    stored = _stored_card(indexed, c.verification_code)
    assert WELDER_ID not in stored and "王建国" not in stored  # only masked data is kept


def test_a_lookup_is_one_redis_round_trip_and_no_query(indexed, issue, welder, client, monkeypatch,
                                                       django_assert_num_queries):
    c = issue(welder)
    public_index.publish_ids([c.pk])
    client.get(f"/verify/{c.verification_code}/")  # chrome, labels and the script loaded
    sent = _commands_sent(monkeypatch)
    with django_assert_num_queries(0):
        assert client.get(f"/verify/{c.verification_code}/").status_code == 200
    assert sent == ["EVALSHA"]  # every command of the request, through any connection


def _commands_sent(monkeypatch) -> list[str]:
    """The names of the Redis commands sent from now on, through any connection."""
    import redis.connection

    sent = []
    real = redis.connection.AbstractConnection.send_packed_command

    def spy(self, command, *args, **kwargs):
        for packet in [command] if isinstance(command, (bytes, str)) else command:
            packet = packet.encode() if isinstance(packet, str) else bytes(packet)
            if packet.startswith(b"*"):  # a command's start: its name is the first bulk string
                sent.append(packet.split(b"\r\n")[2].decode())
        return real(self, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", spy)
    return sent


def test_the_lookup_survives_a_lost_connection_and_a_flushed_script_cache(indexed, issue, welder, client):
    c = issue(welder)
    public_index.publish_ids([c.pk])
    assert client.get(f"/verify/{c.verification_code}/").status_code == 200
    public_index._line.conn._sock.close()  # the thread's own connection breaks under it
    assert 'data-status="valid"' in client.get(f"/verify/{c.verification_code}/").content.decode()
    indexed.script_flush()  # a new Redis server: it does not know the script
    assert 'data-status="valid"' in client.get(f"/verify/{c.verification_code}/").content.decode()
    public_index._line.conn._sock.close()  # a restart: the connection breaks and the script is gone
    indexed.script_flush()
    assert 'data-status="valid"' in client.get(f"/verify/{c.verification_code}/").content.decode()
    public_index.drain_log()
    assert VerificationLog.objects.count() == 4  # each lookup logged once


def test_revocation_shows_at_once(indexed, issue, welder, officer, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        c = issue(welder)
    assert json.loads(_stored_card(indexed, c.verification_code))["state"] == "active"  # written on commit
    assert 'data-status="valid"' in client.get(f"/verify/{c.verification_code}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        certificate_revoke(actor=officer, certificate=c, reason="以欺骗手段取得证书")
    body = client.get(f"/verify/{c.verification_code}/").content.decode()
    assert 'data-status="revoked"' in body and "以欺骗手段取得证书" in body


def test_a_card_is_written_only_after_commit(indexed, issue, welder, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        c = issue(welder)
    assert _stored_card(indexed, c.verification_code) is None  # a rolled-back issue leaves no card
    for callback in callbacks:
        callback()
    assert _stored_card(indexed, c.verification_code) is not None


def test_unknown_code_is_read_from_the_database_and_learnt(indexed, issue, welder, client,
                                                           django_assert_num_queries):
    c = issue(welder)  # inside the test's transaction: no card written
    assert _stored_card(indexed, c.verification_code) is None
    first = client.get(f"/verify/{c.verification_code.lower()}/")
    assert first.status_code == 200 and 'data-status="valid"' in first.content.decode()
    assert json.loads(_stored_card(indexed, c.verification_code))["id"] == c.pk
    with django_assert_num_queries(0):
        assert client.get(f"/verify/{c.verification_code}/").status_code == 200


def test_missing_code_is_remembered_briefly_and_replaced_by_a_new_card(indexed, issue, welder, client):
    c = issue(welder)
    code = c.verification_code
    Certificate.objects.filter(pk=c.pk).update(verification_code="ZZZZZZZZZZ")
    assert client.get(f"/verify/{code}/").status_code == 404
    assert _stored_card(indexed, code) == public_index.MISSING
    assert 0 < indexed.ttl(_card_key(code)) <= 300
    Certificate.objects.filter(pk=c.pk).update(verification_code=code)
    public_index.publish_ids([c.pk])  # what the commit of an issue does
    assert client.get(f"/verify/{code}/").status_code == 200


def test_a_slow_reader_never_overwrites_a_newer_card(indexed, issue, welder, monkeypatch):
    """A lookup that read the row before a revocation committed must not store its stale card over
    the one the revocation wrote meanwhile."""
    c = issue(welder)
    stale = selectors.certificate_by_code(c.verification_code)
    newer = dict(public_index.card_of(stale), state="revoked", reason="撤销")

    def read_then_race(code):
        indexed.set(_card_key(c.verification_code), json.dumps(newer))  # the revocation's card lands
        return stale

    monkeypatch.setattr(selectors, "certificate_by_code", read_then_race)
    found = public_index.lookup(None, c.verification_code, channel="code", query="q")
    assert found.card["state"] == "active"  # this visitor saw the row as it was read
    assert json.loads(_stored_card(indexed, c.verification_code))["state"] == "revoked"


def test_sync_repairs_a_card_whose_write_was_lost(indexed, issue, welder, client):
    c = issue(welder)
    public_index.publish_ids([c.pk])
    public_index.sync()  # the first run sets its mark
    # a revocation whose card never reached Redis (an outage right after the commit)
    Certificate.objects.filter(pk=c.pk).update(state="revoked", state_reason="撤销", updated_at=dt.datetime.now(dt.UTC))
    assert 'data-status="valid"' in client.get(f"/verify/{c.verification_code}/").content.decode()
    assert public_index.sync() >= 1
    assert 'data-status="revoked"' in client.get(f"/verify/{c.verification_code}/").content.decode()


def test_catalogue_rename_rewrites_the_cards(indexed, issue, welder, django_capture_on_commit_callbacks):
    c = issue(welder)
    public_index.publish_ids([c.pk])
    item = c.operation_item
    with django_capture_on_commit_callbacks(execute=True):
        item.name = "熔化焊接与热切割作业（新）"
        item.save()
    assert json.loads(_stored_card(indexed, c.verification_code))["item"] == "熔化焊接与热切割作业（新）"


def test_delete_forgets_the_card(indexed, issue, welder, django_capture_on_commit_callbacks):
    c = issue(welder)
    public_index.publish_ids([c.pk])
    with django_capture_on_commit_callbacks(execute=True):
        Certificate.objects.filter(pk=c.pk).first().delete()
    assert _stored_card(indexed, c.verification_code) is None


def test_log_entries_are_queued_then_written_with_what_was_shown(indexed, issue, welder, client, settings):
    settings.ANXUN_VERIFY_RATE_LIMIT = 4
    c = issue(welder)
    client.get(f"/verify/{c.verification_code}/")  # learnt from the database
    client.get(f"/verify/{c.verification_code}/")  # from the index
    client.get("/verify/NOSUCHCODE/")
    client.get("/verify/NOSUCHCODE/")
    assert client.get(f"/verify/{c.verification_code}/").status_code == 429
    assert not VerificationLog.objects.exists() and public_index.queued() == 5
    assert public_index.drain_log() == 5
    assert public_index.queued() == 0 and public_index.drain_log() == 0  # written once
    rows = list(VerificationLog.objects.order_by("created_at", "id"))
    assert [(r.found, r.certificate_id, r.status, r.rate_limited) for r in rows] == [
        (True, c.pk, c.status, False), (True, c.pk, c.status, False),
        (False, None, "", False), (False, None, "", False), (False, None, "", True)]
    assert {r.channel for r in rows} == {"code"} and rows[2].query == "code=NOSUCHCODE"
    assert all(r.client == rows[0].client and "127.0.0.1" not in r.client for r in rows)
    assert all(abs((r.created_at - rows[0].created_at).total_seconds()) < 60 for r in rows)


def test_log_rows_keep_the_moment_of_the_lookup(indexed, issue, welder, client):
    c = issue(welder)
    client.get(f"/verify/{c.verification_code}/")
    backend, _ = public_index._redis()
    key = backend.make_key(public_index.QUEUE_KEY)
    entry = indexed.lpop(key).decode()
    head, rest = entry.split("\n", 1)
    old = json.loads(head)
    old["t"] = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC).timestamp()
    indexed.rpush(key, json.dumps(old) + "\n" + rest)
    public_index.drain_log()
    assert VerificationLog.objects.get().created_at == dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


def test_a_failed_write_leaves_the_queue_for_the_next_drain(indexed, issue, welder, client, monkeypatch):
    c = issue(welder)
    client.get(f"/verify/{c.verification_code}/")
    client.get("/verify/NOSUCHCODE/")

    def broken(rows):
        raise RuntimeError("database away")

    monkeypatch.setattr(verification, "insert_log_rows", broken)
    with pytest.raises(RuntimeError):
        public_index.drain_log()
    assert public_index.queued() == 2 and not VerificationLog.objects.exists()
    monkeypatch.undo()
    assert public_index.drain_log() == 2 and VerificationLog.objects.count() == 2


def test_an_unreadable_entry_is_dropped_not_blocking(indexed, issue, welder, client):
    c = issue(welder)
    backend, _ = public_index._redis()
    indexed.rpush(backend.make_key(public_index.QUEUE_KEY), "not an entry")
    client.get(f"/verify/{c.verification_code}/")
    assert public_index.drain_log() == 1 and public_index.queued() == 0
    assert VerificationLog.objects.get().certificate_id == c.pk


def test_log_row_of_a_certificate_deleted_before_the_drain(indexed, issue, welder, client):
    c = issue(welder)
    client.get(f"/verify/{c.verification_code}/")
    Certificate.objects.filter(pk=c.pk).delete()
    assert public_index.drain_log() == 1
    row = VerificationLog.objects.get()
    assert row.found and row.certificate_id is None


def test_rate_limit_counts_on_the_same_counter_as_the_database_path(indexed, issue, welder, client, settings):
    settings.ANXUN_VERIFY_RATE_LIMIT = 3
    c = issue(welder)
    public_index.publish_ids([c.pk])
    codes = [client.get(f"/verify/{c.verification_code}/").status_code for _ in range(2)]
    settings.ANXUN_VERIFY_INDEX = False
    codes.append(client.get(f"/verify/{c.verification_code}/").status_code)  # the database path
    settings.ANXUN_VERIFY_INDEX = True
    codes += [client.get(f"/verify/{c.verification_code}/").status_code for _ in range(2)]
    assert codes == [200, 200, 200, 429, 429]
    limited = client.get(f"/verify/{c.verification_code}/")
    assert limited["Retry-After"] == "60" and "data-status" not in limited.content.decode()
    assert client.get(f"/verify/{c.verification_code}/", REMOTE_ADDR="10.1.2.3").status_code == 200
    backend, _ = public_index._redis()
    counter = backend.make_key(f"cert-verify:{verification.client_key(type('R', (), {'META': {'REMOTE_ADDR': '127.0.0.1'}})())}")
    assert 0 < indexed.ttl(counter) <= 60


def _qr_cases(c, officer):
    """(name, payload) of the QR scans a visitor can bring to /verify/<c's code>/."""
    from certificates import signing

    good = signing.sign_certificate(c)
    prefix, body, sig = good.split(".")
    other_fields = dict(signing.payload_fields(c), c="ZZZZZZZZZZ", n="AX0000000000")
    stale_fields = dict(signing.payload_fields(c), u="2099-12-31")
    return [
        ("valid", good),
        ("tampered", f"{prefix}.{body}.{sig[:-4]}AAAA"),
        ("garbage", "not-a-payload"),
        ("updated since printed", signing.sign_fields(stale_fields)),
        ("another number under this code", signing.sign_fields(dict(signing.payload_fields(c), n="AX0000000000"))),
        ("another certificate's code", signing.sign_fields(other_fields)),
        ("the whole URL", f"https://anxun.example.cn/verify/{c.verification_code}/?p={good}"),
    ]


def test_qr_scans_give_the_database_pages_answer(indexed, issue, welder, officer, client, settings):
    c = issue(welder)
    public_index.publish_ids([c.pk])
    for name, payload in _qr_cases(c, officer):
        settings.ANXUN_VERIFY_INDEX = False
        from_db = client.get(f"/verify/{c.verification_code}/", {"p": payload})
        settings.ANXUN_VERIFY_INDEX = True
        from_index = client.get(f"/verify/{c.verification_code}/", {"p": payload})
        assert from_db.status_code == from_index.status_code, name
        assert _normalise(from_db.content.decode()) == _normalise(from_index.content.decode()), name
    public_index.drain_log()
    rows = list(VerificationLog.objects.order_by("created_at", "id"))
    assert [r.channel for r in rows] == ["qr"] * len(rows) and len(rows) == 2 * len(_qr_cases(c, officer))
    assert [r.signature for r in rows[0::2]] == [r.signature for r in rows[1::2]]  # database, index alike
    assert [r.signature for r in rows[1::2]][:3] == ["valid", "altered", "altered"]
    assert all(r.found and r.certificate_id == c.pk for r in rows)


def test_a_qr_scan_reads_no_database(indexed, issue, welder, client, monkeypatch, django_assert_num_queries):
    from certificates import signing

    c = issue(welder)
    public_index.publish_ids([c.pk])
    payload = signing.sign_certificate(c)
    client.get(f"/verify/{c.verification_code}/", {"p": payload})
    sent = _commands_sent(monkeypatch)
    with django_assert_num_queries(0):
        body = client.get(f"/verify/{c.verification_code}/", {"p": payload}).content.decode()
    assert sent == ["EVALSHA"]  # the count, the card and the log entry (with the payload): one round trip
    assert 'data-signature="valid"' in body and 'data-status="valid"' in body and "与平台记录一致" in body
    public_index.drain_log()
    assert {(r.channel, r.signature, r.status) for r in VerificationLog.objects.all()} == {("qr", "valid", c.status)}


def test_a_qr_scan_of_a_code_that_does_not_exist(indexed, issue, welder, client, settings):
    from certificates import signing

    c = issue(welder)
    payload = signing.sign_fields(dict(signing.payload_fields(c), c="NOSUCHCODE"))
    pages = []
    for on in (False, True):
        settings.ANXUN_VERIFY_INDEX = on
        pages.append(client.get("/verify/NOSUCHCODE/", {"p": payload}))
    assert pages[0].status_code == pages[1].status_code == 200  # the signature card is shown
    assert _normalise(pages[0].content.decode()) == _normalise(pages[1].content.decode())
    assert 'data-signature="unknown"' in pages[1].content.decode()


def test_rebuild_command(indexed, issue, welder, client):
    a, b = issue(welder), issue(welder, item_code=None, kind_code="mgmt-principal")
    client.get(f"/verify/{a.verification_code}/")  # one queued entry
    call_command("certificates_public_index")
    assert json.loads(_stored_card(indexed, a.verification_code))["id"] == a.pk
    card_b = json.loads(_stored_card(indexed, b.verification_code))
    assert card_b["item"] == "" and card_b["cat"] == ""
    assert VerificationLog.objects.count() == 1  # the queue was drained too


def test_rebuild_command_refuses_without_the_index(settings):
    settings.ANXUN_VERIFY_INDEX = False
    with pytest.raises(CommandError):
        call_command("certificates_public_index")


@pytest.mark.parametrize("offset", [-400, -1, 0, 1, 20, 29, 30, 31, 60, 1000, 2000, 2200])
def test_card_status_is_the_certificates_status(issue, welder, offset):
    c = issue(welder, valid_from=dt.date(2024, 3, 1))
    c.next_review_due = c.valid_from + dt.timedelta(days=3 * 365)
    card = public_index.card_of(c)
    day = (c.next_review_due or c.valid_until) + dt.timedelta(days=offset - 30)
    assert public_index.card_status(card, day) == c.status_on(day)
    for state, live in (("suspended", LiveStatus.SUSPENDED), ("revoked", LiveStatus.REVOKED)):
        assert public_index.card_status(dict(card, state=state), day) == live


def test_language_switch_of_the_result_page(issue, welder):
    """The result page carries no token: its language switch is a link, and it works."""
    c = issue(welder)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(f"/verify/{c.verification_code}/").content.decode()
    link = re.search(r'<a class="lang" lang="en" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    switched = browser.get(link)
    assert switched.status_code == 302 and switched["Location"] == f"/verify/{c.verification_code}/"
    assert switched.cookies["django_language"].value == "en"
    english = browser.get(switched["Location"]).content.decode()
    assert "Certificate status" in english and 'lang="zh-hans" href="/i18n/switch/?language=zh-hans' in english

def test_an_oversized_qr_payload_is_cut_in_the_log_and_still_altered(indexed, issue, welder, client):
    from certificates import signing

    c = issue(welder)
    public_index.publish_ids([c.pk])
    good = signing.sign_certificate(c)
    huge = good + "A" * 20_000
    body = client.get(f"/verify/{c.verification_code}/", {"p": huge}).content.decode()
    assert 'data-signature="altered"' in body
    backend, _client = public_index._redis()
    queued = indexed.lrange(backend.make_key(public_index.QUEUE_KEY), 0, -1)
    assert len(queued) == 1 and len(queued[0]) < public_index.PAYLOAD_MAX + 2000  # not the visitor's 20 KB
    public_index.drain_log()
    assert [(r.channel, r.signature, r.found) for r in VerificationLog.objects.all()] == [("qr", "altered", True)]
