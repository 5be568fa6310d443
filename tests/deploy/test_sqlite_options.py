"""The embedded default's SQLite options: write-ahead log, commits without a disk flush each.
Checked on a database file of its own with Django's SQLite backend, so both CI passes run it."""

from django.conf import settings
from django.db.backends.sqlite3.base import DatabaseWrapper


def test_sqlite_runs_with_the_write_ahead_log_and_normal_sync(tmp_path, django_db_blocker):
    from config.settings.base import SQLITE_OPTIONS

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        assert settings.DATABASES["default"]["OPTIONS"].items() >= SQLITE_OPTIONS.items()
    conn = DatabaseWrapper({
        "ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "embedded.sqlite3"), "OPTIONS": SQLITE_OPTIONS,
        "ATOMIC_REQUESTS": False, "AUTOCOMMIT": True, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False, "TIME_ZONE": None,
        "USER": "", "PASSWORD": "", "HOST": "", "PORT": "", "TEST": {},
    })
    with django_db_blocker.unblock():  # a database of the test's own, not the test database
        try:
            with conn.cursor() as cursor:
                cursor.execute("PRAGMA synchronous")
                assert cursor.fetchone()[0] == 1  # NORMAL
                cursor.execute("PRAGMA journal_mode")
                assert cursor.fetchone()[0] == "wal"
        finally:
            conn.close()
