"""Prepared statements for the few hottest queries.

Django's PostgreSQL backend binds parameters on the client, so PostgreSQL plans every statement
anew; for the autosave lookup (a five-table join) planning took several times longer than running
it, on the database server's CPU. ``cursor(connection)`` gives a cursor that binds on the server,
so psycopg prepares a statement once it has run a few times on a connection (``prepare_threshold``)
and PostgreSQL reuses the plan. It is wrapped like every Django cursor, so query logging, counting
and execute wrappers see it. Other databases get their ordinary cursor.

With PgBouncer in transaction mode, prepared statements need PgBouncer ≥ 1.21 with
``max_prepared_statements`` set (protocol-level prepared statements); see README.
"""

from __future__ import annotations


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
