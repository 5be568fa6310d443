"""A throwaway production deployment for the multi-process checks: its own PostgreSQL database
(migrated), Redis key prefixes and Celery queue, the production settings, a process group that the
test fills — and, whatever happens, every process stopped, the database dropped and the keys gone."""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.support import BASE_DIR, production_env, run_manage, services_url
from tests.multiprocess.processes import ProcessGroup, admin_connection, database_url_for, forget_redis_keys


# The multi-process checks start real gunicorn and Celery processes against PostgreSQL and Redis.
# The embedded default (SQLite, no broker) has neither, so there they are skipped with this reason;
# CI's second pass provides both and runs them.
MULTIPROCESS = [
    pytest.mark.multiprocess,
    pytest.mark.skipif(services_url() is None,
                       reason="needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL); CI's second pass runs it"),
]


@dataclass
class Deployment:
    env: dict[str, str]
    procs: ProcessGroup
    uid: str
    database_url: str


@contextmanager
def scratch_deployment(tmp_path: Path, label: str, origins: list[str], *, replica: bool = False,
                       **overrides: str | None):
    """Yield a migrated :class:`Deployment`; ``origins`` are the https origins the app servers answer
    as (CSRF); ``replica``: the same database through a second, read-only connection stands in for a
    streaming replica; ``overrides`` further environment variables (None removes one)."""
    database_url, redis_url = services_url()
    broker_url = os.environ.get("CELERY_BROKER_URL") or redis_url
    uid = secrets.token_hex(4)
    db_name = f"anxun_{label}_{uid}"
    cache_prefix, broker_prefix = f"anxun-{label}-{uid}", f"anxun-{label}-{uid}:"
    env = production_env(tmp_path, **{
        "DATABASE_URL": database_url_for(database_url, db_name),
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": cache_prefix,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_QUEUE": f"anxun-{label}-{uid}",
        "CELERY_BROKER_KEY_PREFIX": broker_prefix,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_CSRF_TRUSTED_ORIGINS": ",".join(origins),
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "ANXUN_X_ACCEL_REDIRECT": "false",
        "PYTHONPATH": str(BASE_DIR),
        "DATABASE_REPLICA_URL": database_url_for(database_url, db_name) if replica else None,
        **overrides,
    })
    (tmp_path / "logs").mkdir()
    procs = ProcessGroup(tmp_path / "logs", BASE_DIR)
    with admin_connection(database_url) as conn:
        conn.execute(f'CREATE DATABASE "{db_name}"')
    killed: list[str] = []
    try:
        migrated = run_manage(env, "migrate", "--noinput", timeout=400)
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        yield Deployment(env=env, procs=procs, uid=uid, database_url=database_url_for(database_url, db_name))
    finally:
        killed = procs.stop_all()
        try:
            with admin_connection(database_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            forget_redis_keys(redis_url, cache_prefix)
            forget_redis_keys(broker_url, broker_prefix)
        finally:
            assert not procs.leftovers(), f"processes still running: {procs.leftovers()}"
    assert killed == [], f"needed SIGKILL to stop: {killed}\n{procs.logs_tail()}"
