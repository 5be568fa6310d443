"""Production settings: `check --deploy` passes with realistic values, missing secrets stop start-up,
the environment template is complete, and the storage/session/cache switches do what README says."""

import re

import pytest

from tests.deploy.support import BASE_DIR, production_env, read_env_template, run_django_code, run_manage, services_url

REQUIRED = ["DJANGO_SECRET_KEY", "ANXUN_PII_ENCRYPTION_KEY", "ANXUN_PII_HASH_KEY", "DJANGO_ALLOWED_HOSTS",
            "REDIS_URL", "ANXUN_SIGNING_KEY_FILE", "ANXUN_PUBLIC_BASE_URL"]


def _database_url() -> str:
    services = services_url()
    return services[0] if services else "postgres://anxun:s3cret@db.internal:5432/anxun"


def test_check_deploy_passes_with_the_env_template_filled_in(tmp_path):
    env = production_env(tmp_path, DATABASE_URL=_database_url())
    # Every deployment (security) check passes, warnings included ...
    proc = run_manage(env, "check", "--deploy", "--tag", "security", "--fail-level", "WARNING")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "System check identified no issues" in proc.stdout
    # ... and the full deploy check has no error (apps' API-schema hints are warnings of their own).
    proc = run_manage(env, "check", "--deploy")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ERRORS:" not in proc.stdout + proc.stderr and "(security." not in proc.stdout + proc.stderr


@pytest.mark.parametrize("missing", REQUIRED)
def test_production_refuses_to_start_without_a_secret(tmp_path, missing):
    env = production_env(tmp_path, DATABASE_URL=_database_url(), **{missing: None})
    proc = run_manage(env, "check")
    assert proc.returncode != 0
    assert "ImproperlyConfigured" in proc.stderr and missing in proc.stderr


@pytest.mark.parametrize("problem", ["sqlite", "shared-key", "media-key-is-hash-key", "no-key-file",
                                     "default-secret", "base-url-with-path"])
def test_production_refuses_unsafe_configuration(tmp_path, problem):
    overrides = {"DATABASE_URL": _database_url()}
    if problem == "sqlite":
        overrides["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        overrides["ANXUN_ALLOW_SQLITE"] = "false"
        expected = "PostgreSQL"
    elif problem == "shared-key":
        overrides["ANXUN_PII_HASH_KEY"] = "same-key-for-both-purposes-0123456789"
        overrides["ANXUN_PII_ENCRYPTION_KEY"] = "same-key-for-both-purposes-0123456789"
        expected = "must differ"
    elif problem == "media-key-is-hash-key":
        overrides["ANXUN_PII_HASH_KEY"] = "same-key-for-both-purposes-0123456789"
        overrides["ANXUN_MEDIA_ENCRYPTION_KEY"] = "same-key-for-both-purposes-0123456789"
        expected = "ANXUN_MEDIA_ENCRYPTION_KEY must differ"
    elif problem == "no-key-file":
        overrides["ANXUN_SIGNING_KEY_FILE"] = str(tmp_path / "absent.pem")
        expected = "does not exist"
    elif problem == "base-url-with-path":
        overrides["ANXUN_PUBLIC_BASE_URL"] = "anxun.example.cn/verify"
        expected = "ANXUN_PUBLIC_BASE_URL"
    else:
        overrides["DJANGO_SECRET_KEY"] = "anxun-insecure-development-key-change-me-in-production"
        expected = "DJANGO_SECRET_KEY"
    proc = run_manage(production_env(tmp_path, **overrides), "check")
    assert proc.returncode != 0 and expected in proc.stderr, proc.stderr[-2000:]


def test_env_template_lists_every_variable_the_settings_read():
    documented = set(read_env_template())
    read = set()
    for path in (BASE_DIR / "config" / "settings").glob("*.py"):
        read |= set(re.findall(r'env(?:\.[a-z]+)?\(\s*"([A-Z0-9_]+)"', path.read_text(encoding="utf-8")))
    gunicorn = (BASE_DIR / "deploy" / "gunicorn.conf.py").read_text(encoding="utf-8")
    read |= set(re.findall(r'"(GUNICORN_[A-Z_]+)"', gunicorn))
    assert {"DATABASE_URL", "DJANGO_SECRET_KEY", "GUNICORN_WORKERS", "GUNICORN_THREADS"} <= read
    missing = read - documented
    assert not missing, f"add these to deploy/anxun.env.example with their meaning: {sorted(missing)}"


def test_production_services_sessions_cache_and_local_media(tmp_path):
    env = production_env(tmp_path, DATABASE_URL=_database_url(), REDIS_URL="redis://redis.internal:6379/4",
                         CELERY_BROKER_URL="redis://redis.internal:6379/5", CELERY_QUEUE="anxun-a",
                         CELERY_BROKER_KEY_PREFIX="site-a:")
    result = run_django_code(env, """
from django.conf import settings
from django.core.files.storage import storages
default_storage = storages["default"]
from config.celery import app
result = {
    "storage": type(default_storage).__module__ + "." + type(default_storage).__name__,
    "location": str(default_storage.location),
    "session": settings.SESSION_ENGINE,
    "cache": settings.CACHES["default"]["BACKEND"], "cache_location": settings.CACHES["default"]["LOCATION"],
    "engine": settings.DATABASES["default"]["ENGINE"],
    "broker": app.conf.broker_url, "queue": app.conf.task_default_queue,
    "prefix": app.conf.broker_transport_options.get("global_keyprefix"),
    "eager": app.conf.task_always_eager, "debug": settings.DEBUG,
    "mail": settings.MAILERS["default"]["BACKEND"],
}
""")
    assert result["storage"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert result["location"] == str(tmp_path / "media")
    assert result["session"] == "django.contrib.sessions.backends.cached_db"
    assert result["cache"].endswith("RedisCache") and result["cache_location"] == "redis://redis.internal:6379/4"
    assert result["engine"] == "django.db.backends.postgresql"
    assert result["broker"] == "redis://redis.internal:6379/5" and result["eager"] is False
    assert result["queue"] == "anxun-a" and result["prefix"] == "site-a:"
    assert result["debug"] is False and result["mail"].endswith("smtp.EmailBackend")


def test_bucket_name_switches_media_to_signed_s3_urls(tmp_path):
    env = production_env(tmp_path, DATABASE_URL=_database_url(), AWS_STORAGE_BUCKET_NAME="anxun-media",
                         AWS_S3_ENDPOINT_URL="https://minio.internal:9000", AWS_S3_REGION_NAME="cn-north-1",
                         AWS_ACCESS_KEY_ID="AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY="example-secret")
    result = run_django_code(env, """
from django.core.files.storage import storages
default_storage = storages["default"]
result = {
    "storage": type(default_storage).__module__ + "." + type(default_storage).__name__,
    "bucket": default_storage.bucket_name,
    "url": default_storage.url("certificates/2026/T445221198801013318-r1.pdf"),
}
""")
    assert result["storage"] == "storages.backends.s3.S3Storage"
    assert result["bucket"] == "anxun-media"
    url = result["url"]
    # Private bucket: a signed, expiring URL under the media folder on the configured endpoint.
    assert url.startswith("https://minio.internal:9000/anxun-media/media/certificates/2026/")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=600" in url


def test_gunicorn_config_takes_its_sizing_from_the_environment(monkeypatch):
    import runpy

    monkeypatch.setenv("GUNICORN_BIND", "10.0.0.11:8000")
    monkeypatch.setenv("GUNICORN_WORKERS", "5")
    monkeypatch.setenv("GUNICORN_THREADS", "8")
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "1000")
    conf = runpy.run_path(str(BASE_DIR / "deploy" / "gunicorn.conf.py"))
    assert (conf["bind"], conf["workers"], conf["threads"]) == ("10.0.0.11:8000", 5, 8)
    assert conf["worker_class"] == "gthread" and conf["max_requests_jitter"] == 100
    monkeypatch.setenv("GUNICORN_WORKERS", "")  # empty in the env file: derived from the CPU count
    assert runpy.run_path(str(BASE_DIR / "deploy" / "gunicorn.conf.py"))["workers"] >= 3
