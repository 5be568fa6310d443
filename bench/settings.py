"""Production settings for benchmarking: same apps, middleware and session engine as production.

Differences, all forced by the loopback setup and documented in docs/benchmarks.md:
- plain HTTP on 127.0.0.1 (no TLS terminator), so no HTTPS redirect and cookies are not marked Secure;
- the database is a dedicated one the harness creates and drops (``BENCH_DATABASE_URL``), PostgreSQL
  by default; ``BENCH_DB=sqlite`` runs the same site on SQLite for the side-by-side peer comparison;
- the Celery broker is a Redis database of its own with no worker, so queued tasks never reach the
  workers of anything else running on this machine.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-secret-key-not-used-anywhere-else-7f3a9c1e5b")
os.environ.setdefault("ANXUN_PII_ENCRYPTION_KEY", "bench-pii-encryption-key")
os.environ.setdefault("ANXUN_PII_HASH_KEY", "bench-pii-hash-key")
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/anxun_bench")
os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
# The SQLite side of the peer comparison runs without Redis, like the peer; production settings
# insist on Redis, so they see a placeholder and the embedded cache/session/eager tasks are put back below.
_WITHOUT_REDIS = not os.environ["REDIS_URL"]
if _WITHOUT_REDIS:
    os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/0"
os.environ["CELERY_BROKER_URL"] = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/9")
os.environ["CACHE_KEY_PREFIX"] = f"anxun-bench-{os.environ.get('BENCH_RUN_ID', 'x')}"
if os.environ["DATABASE_URL"].startswith("sqlite"):
    os.environ["ANXUN_ALLOW_SQLITE"] = "1"
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("ANXUN_PUBLIC_BASE_URL", "http://127.0.0.1")  # printed in certificate PDFs only
_key_file = os.environ.setdefault("ANXUN_SIGNING_KEY_FILE", "/tmp/anxun-bench-signing-ed25519.pem")
if not os.path.exists(_key_file):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    with open(_key_file, "wb") as fh:
        fh.write(Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

from config.settings.production import *  # noqa: E402,F401,F403


if _WITHOUT_REDIS:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "anxun-bench"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"  # as production, on the local cache
    CELERY_BROKER_URL = ""
    CELERY_TASK_ALWAYS_EAGER = True

ROOT_URLCONF = "bench.urls"
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

# The harness measures the request path, not e-mail delivery.
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = os.environ.get("BENCH_MEDIA_ROOT", "/tmp/anxun-bench-media")
# The public verification page counts lookups per client address; every benchmark request comes
# from 127.0.0.1, so the limit is lifted (the counting itself still runs on every request).
ANXUN_VERIFY_RATE_LIMIT = 10**9


class _NoMigrations(dict):
    def __contains__(self, item):
        return True

    def __getitem__(self, item):
        return None


if os.environ.get("BENCH_SYNCDB"):
    # --quick: tables are created straight from the models (no migration history) to save a minute;
    # bench/schema.py then loads the reference data the migrations ship.
    MIGRATION_MODULES = _NoMigrations()
