"""config.prepared.fetchone: the hottest statements skip the per-request health check and find out
from the statement itself whether a reused connection is alive, reconnecting once if it is not."""

import pytest
from django.db import DatabaseError, OperationalError, connection, connections

from config import prepared


# What these tests exercise — the per-request health check, killing a server backend — exists only on
# PostgreSQL: the settings turn CONN_HEALTH_CHECKS on for PostgreSQL alone and an SQLite file has no
# connection that can die. CI's PostgreSQL pass runs them; both passes run the last test.
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: health checks and a killable server connection do not exist on SQLite "
           "(CI's PostgreSQL pass runs this)")


@pytest.fixture
def other():
    conn = connections.create_connection("default")
    conn.connect()
    assert conn.health_check_enabled  # CONN_HEALTH_CHECKS, as in production
    yield conn
    conn.close()


def _pid(conn):
    with conn.cursor() as c:
        c.execute("SELECT pg_backend_pid()")
        return c.fetchone()[0]


def _kill(pid):
    with connection.cursor() as c:
        c.execute("SELECT pg_terminate_backend(%s)", [pid])


def _new_request(conn):
    conn.health_check_done = False  # what the start of every request does (close_if_unusable_or_obsolete)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_no_health_check_round_trip_before_the_statement(other, monkeypatch):
    _new_request(other)
    monkeypatch.setattr(other, "is_usable", lambda: pytest.fail("a SELECT 1 before the statement"))
    assert prepared.fetchone(other, "SELECT %s::int + 1", [41]) == (42,)
    assert other.health_check_done  # later queries of the request skip it too
    with other.cursor() as c:
        c.execute("SELECT 1")


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_dead_reused_connection_is_reopened_and_the_statement_run_again(other):
    before = _pid(other)
    _kill(before)
    _new_request(other)
    assert prepared.fetchone(other, "SELECT %s::text", ["again"]) == ("again",)
    assert _pid(other) != before


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_connection_already_checked_is_not_retried(other):
    other.health_check_done = True
    _kill(_pid(other))
    with pytest.raises(OperationalError):
        prepared.fetchone(other, "SELECT 1", [])


@pytest.mark.django_db
def test_inside_a_transaction_it_is_one_ordinary_query(django_assert_num_queries, monkeypatch):
    """In a transaction (here the test's own) or on SQLite nothing is skipped or retried: the
    statement runs once like any query, and an error reaches the caller."""
    with django_assert_num_queries(1):
        assert prepared.fetchone(connection, "SELECT %s + 1", [41]) == (42,)
    monkeypatch.setattr(connection, "close", lambda: pytest.fail("no reconnection here"))
    with pytest.raises(DatabaseError), django_assert_num_queries(1):
        prepared.fetchone(connection, "SELECT * FROM no_such_table_here", [])


# --- outside a transaction the statement goes through libpq itself (config.prepared._libpq_fetchone)

def _cursor_forbidden(monkeypatch):
    monkeypatch.setattr(prepared, "cursor", lambda conn: pytest.fail("the cursor was used"))


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_row_is_what_the_cursor_gives(other, monkeypatch):
    import datetime as dt

    when = dt.datetime(2026, 12, 2, 9, 30, 15, 250000, tzinfo=dt.timezone.utc)
    named = ("SELECT %(n)s::bigint * 2, %(t)s::text || '·考', %(when)s::timestamptz + interval '1 hour', "
             "%(none)s::text, %(n)s::int + 1, '100%%'")
    params = {"n": 21, "t": "安全", "when": when, "none": None}
    with other.cursor() as c:  # the ordinary cursor, for comparison
        c.execute(named, params)
        expected = c.fetchone()
    assert expected == (42, "安全·考", when + dt.timedelta(hours=1), None, 22, "100%")
    _cursor_forbidden(monkeypatch)
    assert prepared._direct(other)
    for _ in range(3):  # prepared the first time, reused after
        assert prepared.fetchone(other, named, params) == expected
    assert prepared.fetchone(other, "SELECT %s::int, %s::text", [7, "x"]) == (7, "x")
    assert prepared.fetchone(other, "SELECT 1 WHERE %s::int < 0", [5]) is None
    with other.cursor() as c:
        c.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'anxun%%'")
        assert c.fetchone()[0] >= 3


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_error_is_djangos_and_the_connection_goes_on(other, monkeypatch):
    from django.db import IntegrityError, ProgrammingError

    _cursor_forbidden(monkeypatch)
    with pytest.raises(ProgrammingError):
        prepared.fetchone(other, "SELECT * FROM no_such_table_here WHERE 1 = %s", [1])
    with pytest.raises(IntegrityError):
        prepared.fetchone(other, "WITH x AS (INSERT INTO django_content_type (app_label, model) "
                                 "SELECT app_label, model FROM django_content_type LIMIT 1 RETURNING 1) "
                                 "SELECT %s::int FROM x", [1])
    assert prepared.fetchone(other, "SELECT %s::int + 1", [1]) == (2,)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_statement_the_server_forgot_is_prepared_again(other, monkeypatch):
    _cursor_forbidden(monkeypatch)
    assert prepared.fetchone(other, "SELECT %s::text || '!'", ["a"]) == ("a!",)
    other.connection.execute("DEALLOCATE ALL")  # as a pooler's reset would
    assert prepared.fetchone(other, "SELECT %s::text || '!'", ["b"]) == ("b!",)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_in_a_transaction_the_cursor_runs_it_inside_that_transaction(monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(prepared, "_libpq_fetchone", lambda *a: pytest.fail("libpq outside the transaction"))
    with connection.cursor() as c:
        c.execute("CREATE TEMPORARY TABLE prepared_probe (v int)")

    class Undo(Exception):
        """Leaves the atomic block the way an error in a request would."""

    with pytest.raises(Undo), transaction.atomic():
        assert prepared.fetchone(connection, "INSERT INTO prepared_probe VALUES (%s) RETURNING v", [5]) == (5,)
        raise Undo
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM prepared_probe")
        assert c.fetchone()[0] == 0  # rolled back with the transaction
        c.execute("DROP TABLE prepared_probe")


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_counted_statement_goes_through_the_cursor(other):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(other) as ctx:
        assert prepared.fetchone(other, "SELECT %s::int * 3", [3]) == (9,)
    assert len(ctx.captured_queries) == 1 and "* 3" in ctx.captured_queries[0]["sql"]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_rowcount_tells_how_many_rows_a_statement_wrote_by_either_path(other, monkeypatch):
    with other.cursor() as c:
        c.execute("CREATE TABLE prepared_count_probe (k int PRIMARY KEY, v int)")
    upsert = ("INSERT INTO prepared_count_probe (k, v) SELECT %(k)s, %(v)s WHERE %(v)s::int > 0 "
              "ON CONFLICT (k) DO UPDATE SET v = excluded.v")
    try:
        with monkeypatch.context() as m:
            _cursor_forbidden(m)
            assert prepared.rowcount(other, upsert, {"k": 1, "v": 5}) == 1  # inserted
            assert prepared.rowcount(other, upsert, {"k": 1, "v": 6}) == 1  # updated
            assert prepared.rowcount(other, upsert, {"k": 2, "v": -1}) == 0  # filtered out: nothing
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(other):  # counted: the ordinary cursor, same answer
            assert prepared.rowcount(other, upsert, {"k": 3, "v": 1}) == 1
            assert prepared.rowcount(other, upsert, {"k": 4, "v": 0}) == 0
        with other.cursor() as c:
            c.execute("SELECT k, v FROM prepared_count_probe ORDER BY k")
            assert c.fetchall() == [(1, 6), (3, 1)]
    finally:
        with other.cursor() as c:
            c.execute("DROP TABLE prepared_count_probe")
