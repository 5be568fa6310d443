"""Prepared statements for the few hottest queries.

Django's PostgreSQL backend binds parameters on the client, so PostgreSQL plans every statement
anew; for the autosave lookup (a five-table join) planning took several times longer than running
it, on the database server's CPU. ``cursor(connection)`` gives a cursor that binds on the server,
so psycopg prepares a statement once it has run a few times on a connection (``prepare_threshold``)
and PostgreSQL reuses the plan. It is wrapped like every Django cursor, so query logging, counting
and execute wrappers see it. Other databases get their ordinary cursor.

``fetchone(connection, sql, params)`` (and ``rowcount``, for a statement that returns no rows)
also skips the per-request health check (a ``SELECT 1`` round trip before the first query of
every request, with ``CONN_HEALTH_CHECKS``): the statement
itself tells whether a reused connection is still alive, and if it is not (the server restarted,
a proxy dropped the connection) the connection is opened again and the statement run once more.
Only for statements that may safely run twice (reads, and upserts that write the same values).

Outside a transaction, with no query logging and no execute wrappers installed (so nothing that
counts or inspects queries is bypassed), ``fetchone`` sends its statement through libpq itself:
prepared once per connection under a name of its own, the parameters converted and the row loaded
by psycopg's own adapters (Django's among them), errors translated into Django's exceptions. That
is the same statement, plan and result as the cursor's, for about a third of the client's CPU time
per call (the cursor's bookkeeping in Python is most of what an autosave costs the worker beyond
signing the candidate in). Inside a transaction the cursor is used, so that psycopg opens the
transaction before the statement as it does for every other query.

With PgBouncer in transaction mode, prepared statements need PgBouncer ≥ 1.21 with
``max_prepared_statements`` set (protocol-level prepared statements); see README.
"""

from __future__ import annotations

import functools
import re
import weakref

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


_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?s|%%")
_converted: dict[str, tuple[bytes, list[str] | None]] = {}
_names: dict[tuple, bytes] = {}
_per_connection: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # psycopg connection -> state


def _server_sql(sql: str) -> tuple[bytes, list[str] | None]:
    """``%s`` / ``%(name)s`` placeholders as ``$n``; the order of named parameters (None: positional)."""
    done = _converted.get(sql)
    if done is None:
        order: list[str] = []
        positional = 0

        def number(m):
            nonlocal positional
            if m.group(0) == "%%":
                return "%"
            if m.group(1) is None:
                positional += 1
                return f"${positional}"
            if m.group(1) not in order:
                order.append(m.group(1))
            return f"${order.index(m.group(1)) + 1}"

        text = _PLACEHOLDER.sub(number, sql)
        if order and positional:
            raise ValueError("a statement uses either %s or %(name)s placeholders, not both")
        done = _converted[sql] = (text.encode(), order or None)
    return done


@functools.cache
def _auto_formats(n: int) -> list:
    from psycopg.adapt import PyFormat

    return [PyFormat.AUTO] * n


def _direct(connection) -> bool:
    return (connection.vendor == "postgresql" and connection.connection is not None
            and connection.autocommit and not connection.in_atomic_block
            and not connection.queries_logged and not connection.execute_wrappers)


def _libpq_fetchone(connection, sql: str, params):
    """The statement through libpq (see the module's docstring); its first row or None."""
    tx, result = _libpq_exec(connection, sql, params, rows=True)
    if not result.ntuples:
        return None
    tx.set_pgresult(result)
    return tx.load_row(0, tuple)


def _libpq_rowcount(connection, sql: str, params) -> int:
    """A statement that returns no rows, through libpq; the number of rows it wrote."""
    _tx, result = _libpq_exec(connection, sql, params, rows=False)
    return int(result.command_tuples or 0)


def _libpq_exec(connection, sql: str, params, *, rows: bool):
    from psycopg import pq

    raw = connection.connection
    state = _per_connection.get(raw)
    if state is None:
        from psycopg.adapt import Transformer

        state = _per_connection[raw] = (Transformer.from_context(raw), set())
    tx, ready = state
    query, order = _server_sql(sql)
    values = [params[name] for name in order] if order is not None else list(params)
    dumped = tx.dump_sequence(values, _auto_formats(len(values)))
    types, formats = tx.types, tx.formats
    name = _names.get((sql, types))
    if name is None:
        name = _names.setdefault((sql, types), f"anxun_{len(_names)}".encode())
    pgconn = raw.pgconn
    with connection.wrap_database_errors:
        for again in (False, True):
            if name not in ready:
                result = pgconn.prepare(name, query, types)
                if result.status != pq.ExecStatus.COMMAND_OK:
                    raise _error(raw, result)
                ready.add(name)
            result = pgconn.exec_prepared(name, dumped, formats)
            if (result.status == pq.ExecStatus.FATAL_ERROR and not again
                    and result.error_field(pq.DiagnosticField.SQLSTATE) == b"26000"):
                ready.discard(name)  # the server forgot it (DEALLOCATE, a pooler's reset): once more
                continue
            break
        if result.status != (pq.ExecStatus.TUPLES_OK if rows else pq.ExecStatus.COMMAND_OK):
            raise _error(raw, result)
    return tx, result


def _error(raw, result):
    """psycopg's exception for a failed result; a connection gone bad is an OperationalError, as
    the cursor would raise (and so the caller may reconnect)."""
    import psycopg
    from psycopg import errors, pq

    if raw.pgconn.status != pq.ConnStatus.OK:
        return psycopg.OperationalError(result.error_message.decode(errors="replace").strip()
                                        or "the connection to the server was lost")
    return errors.error_from_result(result, encoding=raw.info.encoding)


def _run(connection, sql: str, params, rows: bool = True):
    if connection.vendor == "postgresql":
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        if _direct(connection):
            return (_libpq_fetchone if rows else _libpq_rowcount)(connection, sql, params)
    with cursor(connection) as c:
        c.execute(sql, params)
        return c.fetchone() if rows else c.rowcount


def fetchone(connection, sql: str, params):
    """Run an idempotent statement and return its first row, without a health check first; a
    reused connection found dead is reopened and the statement run once more (see above)."""
    return _unchecked(connection, sql, params, rows=True)


def rowcount(connection, sql: str, params) -> int:
    """Like ``fetchone``, for an idempotent statement that returns no rows (an upsert): the number
    of rows it wrote."""
    return _unchecked(connection, sql, params, rows=False)


def _unchecked(connection, sql: str, params, *, rows: bool):
    unchecked = (connection.vendor == "postgresql" and connection.connection is not None
                 and connection.health_check_enabled and not connection.health_check_done
                 and connection.autocommit and not connection.in_atomic_block)
    if unchecked:
        connection.health_check_done = True  # this statement is the check
    try:
        return _run(connection, sql, params, rows)
    except (OperationalError, InterfaceError):
        if not unchecked:
            raise
        connection.close()  # it was dead: open a new one and run the statement again
    return _run(connection, sql, params, rows)
