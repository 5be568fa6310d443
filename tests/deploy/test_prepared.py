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
