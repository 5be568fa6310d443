"""The embedded default's SQLite connection: write-ahead log, commits without a disk flush each."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_sqlite_runs_with_the_write_ahead_log_and_normal_sync():
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite options of the embedded default (the SQLite pass of CI runs this)")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 1  # NORMAL
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    # the test database is in memory, where SQLite keeps its journal in memory too
    assert mode in ("wal", "memory")
    assert "journal_mode=WAL" in connection.settings_dict["OPTIONS"]["init_command"]
