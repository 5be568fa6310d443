"""The public verification page's hot path: rate limit counting, log writes, the prepared lookup and
the reused site chrome. Each check here would fail if the cheap path diverged from the plain one."""

import datetime as dt
import os
import re
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils.http import parse_http_date

from certificates import public_index, selectors, signing, verification, verify_page
from certificates.models import Certificate, VerificationLog

from .conftest import WELDER_ID

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def _redis_backend():
    """A Redis cache backend of its own (unique key prefix), or a skip when no Redis is reachable
    (never a skip in CI's PostgreSQL + Redis pass)."""
    import redis

    from core.cache import RedisCache

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("ANXUN_CI_SERVICES"):
            raise
        # a machine without Redis runs the embedded default (local-memory cache, the other
        # parameter); CI has Redis in both passes and raises above instead of skipping
        pytest.skip(f"the Redis counting path can only be checked against a Redis server and none answers at "
                    f"{REDIS_URL} on this machine (the local-memory path is the other parameter; CI has Redis "
                    f"in both passes and fails above instead of skipping)")
    return RedisCache(REDIS_URL, {"KEY_PREFIX": f"anxun-test-rl-{uuid.uuid4().hex[:12]}"})


@pytest.fixture(params=["locmem", "redis"])
def backend(request):
    if request.param == "locmem":
        yield LocMemCache(f"rl-{uuid.uuid4().hex}", {})
        return
    b = _redis_backend()
    yield b
    client = verification._redis_client(b)
    keys = list(client.scan_iter(f"{b.key_prefix}:*"))
    if keys:
        client.delete(*keys)


def test_count_lookup_counts_every_request_and_starts_the_window_once(backend):
    counts = [verification.count_lookup("cert-verify:abc", 60, backend) for _ in range(5)]
    assert counts == [1, 2, 3, 4, 5]
    assert verification.count_lookup("cert-verify:other", 60, backend) == 1  # per client
    assert backend.get("cert-verify:abc") == 5  # the same key the cache API reads


def test_redis_counting_is_one_round_trip_and_sets_the_window_only_once(monkeypatch):
    import redis.client

    b = _redis_backend()
    client = verification._redis_client(b)
    key = b.make_and_validate_key("cert-verify:rt")
    try:
        sent = []
        real = redis.client.Pipeline.execute

        def spy(self, *a, **kw):
            sent.append([args[0] for args, _opts in self.command_stack])
            return real(self, *a, **kw)

        monkeypatch.setattr(redis.client.Pipeline, "execute", spy)
        monkeypatch.setattr(redis.Redis, "execute_command",
                            lambda *a, **kw: pytest.fail("a command outside the pipeline"))
        assert verification.count_lookup("cert-verify:rt", 60, b) == 1
        monkeypatch.undo()
        assert sent == [["INCRBY", "EXPIRE"]]  # redis-py sends INCR as INCRBY 1
        ttl = client.ttl(key)
        assert 0 < ttl <= 60
        client.expire(key, 5)
        assert verification.count_lookup("cert-verify:rt", 60, b) == 2
        assert client.ttl(key) <= 5  # the window is not pushed back by later lookups
        client.persist(key)  # as if a pipeline had been cut after INCR
        assert verification.count_lookup("cert-verify:rt", 60, b) == 3
        assert 0 < client.ttl(key) <= 60  # the next lookup gives it a window again
    finally:
        client.delete(key)


@pytest.mark.parametrize("kind", ["locmem", "redis"])
def test_page_refuses_over_the_limit_on_each_cache(kind, issue, welder, client, settings):
    if kind == "redis":
        _redis_backend()
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": REDIS_URL, "KEY_PREFIX": f"anxun-test-rl-{uuid.uuid4().hex[:12]}"}}
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                       "LOCATION": f"rl-{uuid.uuid4().hex}"}}
    settings.ANXUN_VERIFY_RATE_LIMIT = 3
    c = issue(welder)
    codes = [client.get(f"/verify/{c.verification_code}/").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert VerificationLog.objects.count() == 5
    assert VerificationLog.objects.filter(rate_limited=True).count() == 2
    assert client.get(f"/verify/{c.verification_code}/", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_page_query_count(issue, welder, client, django_assert_num_queries):
    c = issue(welder)
    client.get(f"/verify/{c.verification_code}/")  # chrome and labels built
    with django_assert_num_queries(2):  # the lookup, the log row
        assert client.get(f"/verify/{c.verification_code}/").status_code == 200
    with django_assert_num_queries(4):  # + Wagtail's redirect middleware looks at every 404 (site, redirect)
        assert client.get("/verify/NOSUCHCODE/").status_code == 404
    with django_assert_num_queries(3):  # + the signed certificate's record
        body = client.get(f"/verify/{c.verification_code}/", {"p": signing.sign_certificate(c)}).content.decode()
    assert 'data-signature="valid"' in body


def test_every_lookup_writes_its_log_row(issue, welder, client):
    c = issue(welder)
    client.get(f"/verify/{c.verification_code}/")
    client.get(f"/verify/{c.verification_code}/", {"p": signing.sign_certificate(c)})
    client.get("/verify/NOSUCHCODE/")
    logs = list(VerificationLog.objects.order_by("id"))
    assert [(x.channel, x.found, x.certificate_id, x.status, x.signature) for x in logs] == [
        ("code", True, c.pk, c.status, ""), ("qr", True, c.pk, c.status, "valid"), ("code", False, None, "", "")]
    assert logs[0].query == f"code={c.verification_code}" and logs[2].query == "code=NOSUCHCODE"
    assert logs[0].client == verification.client_key(type("R", (), {"META": {"REMOTE_ADDR": "127.0.0.1"}})())
    assert all(x.created_at is not None and "127.0.0.1" not in x.client for x in logs)


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="PostgreSQL only: the row is committed with synchronous_commit off, a PostgreSQL "
                           "setting; SQLite writes an ordinary insert (test_sqlite_never_takes_the_asynchronous_path); "
                           "CI's PostgreSQL pass runs this")
def test_log_row_outside_a_transaction_commits_on_its_own(rf):
    """On PostgreSQL, outside any transaction, the row goes in one batch that commits with
    synchronous_commit off for that transaction only. Run on a second connection to the test
    database (the test's own connection is inside the test's transaction)."""
    from django.db import connections

    other = connections.create_connection("default")
    marker = f"code=FAST{uuid.uuid4().hex[:10]}"
    request = rf.get("/verify/x/", REMOTE_ADDR="10.20.30.40")
    entry = VerificationLog(created_at=dt.datetime.now(dt.UTC), channel="code", query=marker, certificate=None,
                            found=False, status="", signature="", client=verification.client_key(request))
    try:
        assert verification._fast_log_insert(other)
        with CaptureQueriesContext(other) as queries:
            verification._insert_log(entry, connection=other)
        assert len(queries.captured_queries) == 1
        sql = queries.captured_queries[0]["sql"]
        assert sql.startswith("BEGIN; SET LOCAL synchronous_commit TO OFF; INSERT") and sql.rstrip().endswith("COMMIT")
        with other.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"  # the setting did not outlive its transaction
            cursor.execute("SELECT channel, found, client, certificate_id FROM certificates_verificationlog "
                           "WHERE query = %s", [marker])
            assert cursor.fetchall() == [("code", False, entry.client, None)]  # committed: seen by a new statement
        assert other.get_autocommit() and not other.in_atomic_block
    finally:
        with other.cursor() as cursor:
            cursor.execute("DELETE FROM certificates_verificationlog WHERE query = %s", [marker])
        other.close()


def test_sqlite_never_takes_the_asynchronous_path():
    """Only an autocommitting PostgreSQL connection writes the log row with asynchronous commit."""

    class Conn:
        def __init__(self, vendor, autocommit=True, atomic=False):
            self.vendor, self._autocommit, self.in_atomic_block, self.settings_dict = vendor, autocommit, atomic, {}

        def get_autocommit(self):
            return self._autocommit

    assert verification._fast_log_insert(Conn("postgresql"))
    assert not verification._fast_log_insert(Conn("sqlite"))
    assert not verification._fast_log_insert(Conn("postgresql", atomic=True))
    assert not verification._fast_log_insert(Conn("postgresql", autocommit=False))


def test_log_row_inside_a_callers_transaction_is_an_ordinary_insert(issue, welder, rf):
    c = issue(welder)
    request = rf.get("/verify/x/")
    with transaction.atomic():
        assert not verification._fast_log_insert(connection)
        with CaptureQueriesContext(connection) as queries:
            verification.log_verification(request=request, channel="api", query="code=X", certificate=c)
        transaction.set_rollback(True)
    assert "synchronous_commit" not in " ".join(q["sql"] for q in queries.captured_queries)
    assert not VerificationLog.objects.exists()  # rolled back with the caller's transaction


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_prepared_lookup_reads_what_the_orm_reads(issue, welder, django_assert_num_queries):
    with_item = issue(welder)
    without_item = issue(welder, item_code=None, kind_code="mgmt-principal")
    for cert in (with_item, without_item):
        expected = Certificate.objects.select_related("kind", "operation_item__category").get(pk=cert.pk)
        with django_assert_num_queries(1):
            found = selectors.certificate_by_code(cert.verification_code.lower())
        with django_assert_num_queries(0):
            assert _fields(found) == _fields(expected)
            assert _fields(found.kind) == _fields(expected.kind)
            if expected.operation_item_id:
                assert _fields(found.operation_item) == _fields(expected.operation_item)
                assert _fields(found.operation_item.category) == _fields(expected.operation_item.category)
            else:
                assert found.operation_item is None
            assert found.status == expected.status and found.masked_holder_id == expected.masked_holder_id
        assert found._state.db == "default" and not found._state.adding
    assert selectors.certificate_by_code("NOSUCHCODE") is None
    assert selectors.certificate_by_code("X" * 17) is None
    if connection.vendor == "postgresql":  # planned once: a prepared statement on this connection
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                           ['%FROM "certificates_certificate" c INNER JOIN%'])
            assert cursor.fetchone()[0] == 1


def test_status_is_live_not_remembered(issue, welder, client):
    c = issue(welder)
    assert 'data-status="valid"' in client.get(f"/verify/{c.verification_code}/").content.decode()
    Certificate.objects.filter(pk=c.pk).update(valid_until=dt.date.today() - dt.timedelta(days=1),
                                               valid_from=dt.date.today() - dt.timedelta(days=400))
    body = client.get(f"/verify/{c.verification_code}/").content.decode()
    assert 'data-status="expired"' in body and "已过期" in body and "color:#b42318" in body


def _strip_tokens(html: str) -> str:
    return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", html)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_reused_chrome_is_the_full_render(language, issue, welder, client, monkeypatch):
    c = issue(welder)
    client.cookies["django_language"] = language
    url = f"/verify/{c.verification_code}/?p=a'b&c=d"
    fast = client.get(url)
    monkeypatch.setattr(verify_page, "_shell", lambda request: None)
    full = client.get(url)
    assert fast.status_code == full.status_code == 200
    a, b = fast.content.decode(), full.content.decode()
    a, b = (re.sub(r'nonce="[^"]+"', 'nonce="N"', re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "WHEN", _strip_tokens(x)))
            for x in (a, b))
    assert a == b
    assert not fast.cookies and fast["Cache-Control"] == full["Cache-Control"]  # a scan sets no cookie
    assert fast["Vary"] == full["Vary"] and fast["Content-Language"] == full["Content-Language"] == language
    assert fast["X-Frame-Options"] == "DENY" and "no-store" in fast["Cache-Control"]
    page = fast.content.decode()
    assert 'aria-current="page"' in page and "王*国" in page and WELDER_ID not in page
    other = "zh-hans" if language == "en" else "en"
    assert (f'href="/i18n/switch/?language={other}&amp;next=%2Fverify%2F{c.verification_code}%2F%3Fp%3Da%27b%26c%3Dd"'
            in page)
    # a static page: no script, so no nonce in the policy; no form, so no CSRF token
    assert "<script" not in page and "nonce-" not in fast["Content-Security-Policy"]
    assert "csrfmiddlewaretoken" not in page and "X-CSRFToken" not in page
    if language == "en":
        assert "Certificate status" in page and "Certificate verification result" in page and "证书状态" not in page
    else:
        assert "证书状态" in page and "证书查验结果" in page


def test_each_request_gets_its_own_url_and_no_marker_leaks(issue, welder, client):
    c = issue(welder)
    one = client.get(f"/verify/{c.verification_code}/").content.decode()
    two = client.get(f"/verify/{c.verification_code}/?p={verify_page.RESULT_MARK}").content.decode()
    assert "anxunverifyshell" not in one and f"next=%2Fverify%2F{c.verification_code}%2F\"" in one
    assert two.count('data-status="') == 1 and two.count(verify_page.RESULT_MARK) == 1  # only in next=
    assert f"next=%2Fverify%2F{c.verification_code}%2F%3Fp%3D{verify_page.RESULT_MARK}\"" in two


def test_a_chrome_with_a_token_or_nonce_is_rendered_in_full_every_time(issue, welder, client, settings, tmp_path):
    """Should base.html's scripts or CSRF token come back to the result page, the page stays right
    (each visitor's own token and nonce), only slower."""
    c = issue(welder)
    page = tmp_path / "certificates" / "verify_result.html"
    page.parent.mkdir()
    page.write_text('{% extends "base.html" %}{% block content %}{% csrf_token %}{{ result }}{% endblock %}')
    templates = [dict(t) for t in settings.TEMPLATES]
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    assert verify_page._shell(client.get("/").wsgi_request) is None
    one, two = (client.get(f"/verify/{c.verification_code}/") for _ in range(2))
    token = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')
    assert token.search(one.content.decode()).group(1) != token.search(two.content.decode()).group(1)
    assert 'data-status="valid"' in one.content.decode() and "anxunverifyshell" not in one.content.decode()
    nonce = re.search(r'<script [^>]*nonce="([^"]+)"', one.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in one["Content-Security-Policy"] and one.cookies["csrftoken"].value


def test_signed_in_visitor_gets_the_full_page_with_their_name(issue, welder, client):
    c = issue(welder)
    client.force_login(welder)
    body = client.get(f"/verify/{c.verification_code}/").content.decode()
    assert "退出" in body and welder.display_name in body and 'data-status="valid"' in body


def test_result_values_are_escaped(issue, welder, client):
    c = issue(welder)
    Certificate.objects.filter(pk=c.pk).update(issuing_authority='<script>alert("x")</script>局')
    body = client.get(f"/verify/{c.verification_code}/").content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;局" in body


def test_revoked_reason_and_review_dates_are_shown(issue, welder, officer, client):
    from certificates.services import certificate_revoke

    c = issue(welder, valid_from=dt.date(2025, 9, 1))
    certificate_revoke(actor=officer, certificate=c, reason="以欺骗手段取得证书 & 其他")
    body = client.get(f"/verify/{c.verification_code}/").content.decode()
    assert 'data-status="revoked"' in body and "badge bad" in body
    assert "以欺骗手段取得证书 &amp; 其他" in body
    c.refresh_from_db()
    if c.next_review_due:
        assert f"<dd>{c.next_review_due:%Y-%m-%d}</dd>" in body
    assert f"<dd>{c.valid_from:%Y-%m-%d} — {c.valid_until:%Y-%m-%d}</dd>" in body


def test_shell_refuses_a_chrome_it_cannot_split():
    with pytest.raises(ValueError):
        verify_page.Shell("<p>no result marker</p>")
    with pytest.raises(ValueError):
        verify_page.Shell(f"{verify_page.RESULT_MARK}{verify_page.RESULT_MARK}")
    with pytest.raises(ValueError):
        verify_page.Shell(f"a{verify_page.CSRF_MARK}b{verify_page.RESULT_MARK}")
    with pytest.raises(ValueError):
        verify_page.Shell(f'<script nonce="{verify_page.NONCE_MARK}"></script>{verify_page.RESULT_MARK}')
    shell = verify_page.Shell(f"a{verify_page.PATH_MARK}b{verify_page.PATH_MARK}c{verify_page.RESULT_MARK}d")
    assert shell.join(path="P", result="R") == "aPbPcRd"


def test_anonymous_visitor_with_a_message_gets_the_full_page(issue, welder, rf):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.cache import SessionStore

    c = issue(welder)
    request = rf.get(f"/verify/{c.verification_code}/")
    request.COOKIES["sessionid"] = "a-session"  # where a message waits, a session (or message) cookie came
    request.user, request.session = AnonymousUser(), SessionStore()
    request._messages = FallbackStorage(request)
    request._messages.add(20, "已退出登录")
    assert verify_page._shell(request) is None
    body = verify_page.result_response(request, public_index.card_of(c), status=c.status,
                                       searched=True).content.decode()
    assert "已退出登录" in body and 'data-status="' in body


def test_no_store_headers_are_djangos_never_cache_headers():
    """verify_page.no_store writes what django.views.decorators.cache.never_cache would."""
    from django.http import HttpResponse
    from django.utils.cache import add_never_cache_headers

    ours, django_s = verify_page.no_store(HttpResponse()), HttpResponse()
    add_never_cache_headers(django_s)
    assert ours["Cache-Control"] == django_s["Cache-Control"]
    assert abs(parse_http_date(ours["Expires"]) - parse_http_date(django_s["Expires"])) <= 1
    assert ours["Vary"] == "Cookie"
