"""Prepared statements for the few hottest queries.

Django's PostgreSQL backend binds parameters on the client, so PostgreSQL plans every statement
anew; for the autosave lookup (a five-table join) planning took several times longer than running
it, on the database server's CPU. ``cursor(connection)`` gives a cursor that binds on the server,
so psycopg prepares a statement once it has run a few times on a connection (``prepare_threshold``)
and PostgreSQL reuses the plan. It is wrapped like every Django cursor, so query logging, counting
and execute wrappers see it. Other databases get their ordinary cursor.

``fetchone(connection, sql, params)`` also skips the per-request health check (a ``SELECT 1``
round trip before the first query of every request, with ``CONN_HEALTH_CHECKS``): the statement
itself tells whether a reused connection is still alive, and if it is not (the server restarted,
a proxy dropped the connection) the connection is opened again and the statement run once more.
Only for statements that may safely run twice (reads, and upserts that write the same values).

With PgBouncer in transaction mode, prepared statements need PgBouncer ≥ 1.21 with
``max_prepared_statements`` set (protocol-level prepared statements); see README.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

_cursor_class = None


def _preparing_cursor_class():
    global _cursor_class
    if _cursor_class is None:
        import psycopg

        class PreparingCursor(psycopg.Cursor):
            def execute(self, query, params=None, *, prepare=None, binary=None):
                return super().execute(query, params, prepare=True, binary=binary)

        _cursor_class = PreparingCursor
    return _cursor_class


def cursor(connection):
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()  # as connection.cursor() does first
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's preparation off; a threshold no query reaches turns it on for the
        # statements this cursor asks to prepare, and leaves every other query unprepared.
        raw.prepare_threshold = 2**31 - 1
    return connection._prepare_cursor(_preparing_cursor_class()(raw))


def fetchone(connection, sql: str, params):
    """Run an idempotent statement and return its first row, without a health check first; a
    reused connection found dead is reopened and the statement run once more (see above)."""
    unchecked = (connection.vendor == "postgresql" and connection.connection is not None
                 and connection.health_check_enabled and not connection.health_check_done
                 and connection.autocommit and not connection.in_atomic_block)
    if unchecked:
        connection.health_check_done = True  # this statement is the check
    try:
        with cursor(connection) as c:
            c.execute(sql, params)
            return c.fetchone()
    except (OperationalError, InterfaceError):
        if not unchecked:
            raise
        connection.close()  # it was dead: open a new one and run the statement again
    with cursor(connection) as c:
        c.execute(sql, params)
        return c.fetchone()
