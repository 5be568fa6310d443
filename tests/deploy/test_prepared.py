"""config.prepared.fetchone: the hottest statements skip the per-request health check and find out
from the statement itself whether a reused connection is alive, reconnecting once if it is not."""

import pytest
from django.db import OperationalError, connection, connections

from config import prepared


@pytest.fixture
def other():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: these settings enable connection health checks and prepared statements "
                    "for PostgreSQL alone; on SQLite, test_on_sqlite_it_is_an_ordinary_query runs instead, and "
                    "CI's PostgreSQL pass runs this test")
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


@pytest.mark.django_db(transaction=True)
def test_no_health_check_round_trip_before_the_statement(other, monkeypatch):
    _new_request(other)
    monkeypatch.setattr(other, "is_usable", lambda: pytest.fail("a SELECT 1 before the statement"))
    assert prepared.fetchone(other, "SELECT %s::int + 1", [41]) == (42,)
    assert other.health_check_done  # later queries of the request skip it too
    with other.cursor() as c:
        c.execute("SELECT 1")


@pytest.mark.django_db(transaction=True)
def test_a_dead_reused_connection_is_reopened_and_the_statement_run_again(other):
    before = _pid(other)
    _kill(before)
    _new_request(other)
    assert prepared.fetchone(other, "SELECT %s::text", ["again"]) == ("again",)
    assert _pid(other) != before


@pytest.mark.django_db(transaction=True)
def test_a_connection_already_checked_is_not_retried(other):
    other.health_check_done = True
    _kill(_pid(other))
    with pytest.raises(OperationalError):
        prepared.fetchone(other, "SELECT 1", [])


@pytest.mark.django_db
def test_on_sqlite_it_is_an_ordinary_query():
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite side of fetchone; on PostgreSQL the three tests above run instead")
    assert prepared.fetchone(connection, "SELECT %s + 1", [41]) == (42,)
