"""Production: PostgreSQL, Redis (cache, sessions, Celery broker), secrets from the environment.

Start-up is refused (ImproperlyConfigured) when a secret or a required service is missing, so a
half-configured server never answers requests. deploy/anxun.env.example lists every variable.
"""

import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import ANXUN_MEDIA_ENCRYPTION_KEY, ANXUN_PUBLIC_BASE_URL
from .base import DATABASES, MAILERS, PII_ENCRYPTION_KEY, PII_HASH_KEY, REDIS_URL, SECRET_KEY, SIGNING_KEY_FILE, env

DEBUG = False

_missing = [
    name
    for name, bad in (
        ("DJANGO_SECRET_KEY", SECRET_KEY.startswith("anxun-insecure")),
        ("ANXUN_PII_ENCRYPTION_KEY", not PII_ENCRYPTION_KEY),
        ("ANXUN_PII_HASH_KEY", not PII_HASH_KEY),
        ("DJANGO_ALLOWED_HOSTS", not env("DJANGO_ALLOWED_HOSTS", default="")),
        ("REDIS_URL", not REDIS_URL),
        ("ANXUN_SIGNING_KEY_FILE", not env("ANXUN_SIGNING_KEY_FILE", default="")),
        ("ANXUN_PUBLIC_BASE_URL", not ANXUN_PUBLIC_BASE_URL),
    )
    if bad
]
if _missing:
    raise ImproperlyConfigured(
        "Production needs these environment variables: " + ", ".join(_missing) + " (see deploy/anxun.env.example)."
    )
if PII_ENCRYPTION_KEY == PII_HASH_KEY or SECRET_KEY in (PII_ENCRYPTION_KEY, PII_HASH_KEY):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY, ANXUN_PII_ENCRYPTION_KEY and ANXUN_PII_HASH_KEY must differ.")
if ANXUN_MEDIA_ENCRYPTION_KEY in (SECRET_KEY, PII_HASH_KEY):
    raise ImproperlyConfigured("ANXUN_MEDIA_ENCRYPTION_KEY must differ from DJANGO_SECRET_KEY and ANXUN_PII_HASH_KEY.")
if not re.fullmatch(r"https?://[^/\s?#]+", ANXUN_PUBLIC_BASE_URL):
    # Printed on every certificate: a scheme and a host only, e.g. https://anxun.example.cn
    raise ImproperlyConfigured(
        f"ANXUN_PUBLIC_BASE_URL {ANXUN_PUBLIC_BASE_URL!r} must be a scheme and host, e.g. https://anxun.example.cn.")
if not Path(SIGNING_KEY_FILE).is_file():
    # Every app server and worker must sign with the same key: never let one generate its own.
    raise ImproperlyConfigured(f"ANXUN_SIGNING_KEY_FILE {SIGNING_KEY_FILE} does not exist.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and not env.bool("ANXUN_ALLOW_SQLITE", default=False):
    raise ImproperlyConfigured("Production needs DATABASE_URL pointing at PostgreSQL.")

# Behind the TLS-terminating proxy (deploy/nginx/anxun.conf sets X-Forwarded-Proto).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP on the private network
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# nosniff, frame denial, referrer and opener policies and the Content-Security-Policy: base.py.

# Static files: WhiteNoise serves STATIC_ROOT (gzip/brotli variants made by `collectstatic` at each
# release, base.py's CompressedStaticFilesStorage). No CDN: intranet installations are often offline.
# Mail goes out over SMTP unless another backend is named.
MAILERS["default"]["BACKEND"] = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")

# Restricted media through nginx (X-Accel-Redirect to its internal /protected/ location) instead of
# streaming it through gunicorn; see core/protected_files.py.
X_ACCEL_REDIRECT = env.bool("ANXUN_X_ACCEL_REDIRECT", default=False)
X_ACCEL_REDIRECT_PREFIX = "/protected/"
if X_ACCEL_REDIRECT:
    SENDFILE_BACKEND = "core.protected_files"
