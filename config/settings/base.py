"""Settings shared by every environment. Values come from environment variables.

The embedded default needs nothing: SQLite in ``var/``, tasks run eagerly, local-memory cache.
Set DATABASE_URL, REDIS_URL / CELERY_BROKER_URL to run on PostgreSQL and Redis.
"""

from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
(BASE_DIR / "var" / "static").mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="anxun-insecure-development-key-change-me-in-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Reverse proxies (addresses or CIDRs) whose X-Forwarded-For is believed (core.audit.client_ip, the one
# source of the client address for exam-room ranges, sign-in locks, rate limits and the audit log).
# Empty (default): no forwarded header is trusted, the address is the TCP peer's (REMOTE_ADDR).
ANXUN_TRUSTED_PROXIES = env.list("ANXUN_TRUSTED_PROXIES", default=[])
# /healthz: everyone gets the bare status; the detail (database, cache, broker and their backends) goes
# to these networks (CIDRs, matched against client_ip) or to a request carrying the token below in
# the X-Healthz-Token header.
ANXUN_HEALTHZ_INTERNAL_NETWORKS = env.list("ANXUN_HEALTHZ_INTERNAL_NETWORKS", default=["127.0.0.0/8", "::1/128"])
ANXUN_HEALTHZ_TOKEN = env("ANXUN_HEALTHZ_TOKEN", default="")

# Keys protecting personal data. In production both must be set explicitly (see production.py).
PII_ENCRYPTION_KEY = env("ANXUN_PII_ENCRYPTION_KEY", default="")
PII_HASH_KEY = env("ANXUN_PII_HASH_KEY", default="")
# Identity and face photos are encrypted at rest (core/storage.py) with this key; empty: the PII
# encryption key. Keys used before (after a change) stay listed in the OLD_KEYS so older files open.
ANXUN_MEDIA_ENCRYPTION_KEY = env("ANXUN_MEDIA_ENCRYPTION_KEY", default="")
ANXUN_MEDIA_ENCRYPTION_OLD_KEYS = env.list("ANXUN_MEDIA_ENCRYPTION_OLD_KEYS", default=[])
# Ed25519 private key (PEM) signing certificate QR payloads; generated into var/ when absent.
SIGNING_KEY_FILE = env("ANXUN_SIGNING_KEY_FILE", default=str(BASE_DIR / "var" / "signing_ed25519.pem"))

# The project's own apps, written once: INSTALLED_APPS, the API routes (config/urls.py) and the
# periodic jobs (config/celery.py) read this list. Allowed imports between them: pyproject.toml.
ANXUN_APPS = [
    "core",
    "accounts",
    "catalogue",
    "cms",
    "courses",
    "exams",
    "certificates",
    "reports",
]

INSTALLED_APPS = [
    *ANXUN_APPS,
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.table_block",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    # Security headers first, so that static files served by WhiteNoise carry them too.
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Below Django's CSP middleware: the editors' admin gets its own policy (core/security.py).
    "core.security.AdminContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # optional second factor (TOTP) for staff: a session owes its code until it is entered
    "django_otp.middleware.OTPMiddleware",
    "accounts.twofactor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # last: turns a sign-in refused for a locked pair into the sign-in page with the wait (429)
    "axes.middleware.AxesMiddleware",
]

if env("DATABASE_REPLICA_URL", default=""):
    MIDDLEWARE.insert(1, "core.db_router.ReplicaReadsMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# The standard model backend, with the signed-in user's row kept in the cache (accounts/backends.py).
# django-axes first: it refuses a locked (username, address) pair before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.CachedUserBackend"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "accounts.context_processors.navigation",
            ],
            "builtins": ["accounts.templatetags.pii"],
        },
    }
]

DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'anxun.sqlite3'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
SQLITE_OPTIONS = {"timeout": 20, "transaction_mode": "IMMEDIATE",
                  "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    # WAL with synchronous=NORMAL: a commit reaches the log in the operating system's cache at once and
    # the disk at the next checkpoint, so a crash or kill of the application loses nothing; only
    # a power loss or operating-system crash can undo the last commits. Production runs PostgreSQL.
    DATABASES["default"]["OPTIONS"].update(SQLITE_OPTIONS)
    # Kept open across requests: closing the last connection to a WAL database checkpoints and
    # removes the log, which made every request of a single app server pay for a full checkpoint.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
else:
    INSTALLED_APPS.append("django.contrib.postgres")
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Optional read replica for read-only public traffic (certificate verification): core/db_router.py.
REPLICA_READ_PATHS = env.list("ANXUN_REPLICA_READ_PATHS", default=["/verify/"])
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.sqlite3":
        DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"].get("CONN_MAX_AGE", 0)
        DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
        DATABASES["replica"].setdefault("OPTIONS", {})["options"] = "-c default_transaction_read_only=on"
    DATABASE_ROUTERS = ["core.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="anxun"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "anxun"}}

# Public verification: how long a certificate's public card is kept in the cache (every change to the
# certificate drops it on commit). Only a cache shared by every app process may keep cards.
ANXUN_CARD_CACHE_SECONDS = env.int("ANXUN_CARD_CACHE_SECONDS", default=24 * 3600 if REDIS_URL else 0)
# The address the public reaches this site at (scheme and host, no path), printed in every
# certificate PDF's QR code and footer. Required in production; in development, empty means the
# address of the request a PDF is rendered in (certificates/pdf.py).
ANXUN_PUBLIC_BASE_URL = env("ANXUN_PUBLIC_BASE_URL", default="").rstrip("/")

# Celery: a broker when configured, eager execution otherwise (embedded default).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
# A task is acknowledged when it has finished, so a worker killed mid-task (OOM, kill -9, a lost
# machine) leaves it on the broker to be delivered again; every task is idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A stuck task is stopped rather than holding a worker forever (seconds).
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)

# Exams: papers of a session are prepared (drawn and frozen) this many minutes before it opens.
EXAMS_PREPARE_PAPERS_AHEAD_MINUTES = env.int("ANXUN_PREPARE_PAPERS_AHEAD_MINUTES", default=60)
CELERY_TIMEZONE = "Asia/Shanghai"
# Several deployments (or test runs) may share one Redis: a queue name and a key prefix keep them apart.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
# With Redis as the broker, a task taken by a worker that then died is delivered again once this
# many seconds have passed since it was taken; it must exceed the longest task (time limit above).
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
if env("CELERY_UNACKED_RESTORE_INTERVAL", default=""):  # how often workers look for such tasks (s)
    CELERY_BROKER_TRANSPORT_OPTIONS.update(unacked_restore_interval=env.int("CELERY_UNACKED_RESTORE_INTERVAL"),
                                           unacked_restore_throttle=1)
if env("CELERY_BROKER_KEY_PREFIX", default=""):
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = env("CELERY_BROKER_KEY_PREFIX")
if env("CELERY_CONCURRENCY", default=""):
    CELERY_WORKER_CONCURRENCY = env.int("CELERY_CONCURRENCY")  # processes per worker (default: CPU count)
CELERY_BEAT_SCHEDULE: dict = {}  # each app adds its periodic jobs in config/celery.py

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Sign-in locks (django-axes; accounts/signin.py): failures are counted per pair (username, client
# address), never per username alone. LIMIT failures inside WINDOW seconds lock the pair for WINDOW
# seconds; each further failure doubles the wait, up to LOCK_MAX. Staff unlock in the Django admin
# ("Access attempts"); a password reset unlocks the account.
ANXUN_LOGIN_THROTTLE_WINDOW = env.int("ANXUN_LOGIN_THROTTLE_WINDOW", default=900)
ANXUN_LOGIN_LOCK_MAX = env.int("ANXUN_LOGIN_LOCK_MAX", default=24 * 3600)
AXES_FAILURE_LIMIT = env.int("ANXUN_LOGIN_THROTTLE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = "accounts.signin.cool_off"
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.audit.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.signin.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are not logged twice; failures are
AXES_HTTP_RESPONSE_CODE = 429
# Authenticator apps show this name next to the account.
OTP_TOTP_ISSUER = "安训 Anxun"
# Password reset requests per hour: per entered e-mail address and per client address.
ANXUN_PASSWORD_RESET_PER_ACCOUNT = env.int("ANXUN_PASSWORD_RESET_PER_ACCOUNT", default=3)
ANXUN_PASSWORD_RESET_PER_ADDRESS = env.int("ANXUN_PASSWORD_RESET_PER_ADDRESS", default=10)
# Enterprise sign-up (/accounts/join/) submissions per hour per client address.
ANXUN_ENTERPRISE_JOIN_PER_ADDRESS = env.int("ANXUN_ENTERPRISE_JOIN_PER_ADDRESS", default=10)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env("ANXUN_STATIC_ROOT", default=str(BASE_DIR / "var" / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env("ANXUN_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if env("AWS_STORAGE_BUCKET_NAME", default=""):
    # S3-compatible object storage for media (MinIO, OSS, COS ...), configured by django-storages' AWS_* vars.
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default="") or None  # MinIO / OSS / COS endpoint
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default="") or None
    AWS_LOCATION = env("AWS_LOCATION", default="media")
    # Private bucket: every URL is signed and expires (certificates and photos are personal data).
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_QUERYSTRING_EXPIRE = env.int("AWS_QUERYSTRING_EXPIRE", default=600)
    AWS_S3_FILE_OVERWRITE = False
    # Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment (read by django-storages).

# Outgoing mail (password reset, reminders). Console backend unless configured.
MAILERS = {
    "default": {
        "BACKEND": env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"),
        "OPTIONS": {
            k: v
            for k, v in {
                "host": env("DJANGO_EMAIL_HOST", default=""),
                "port": env.int("DJANGO_EMAIL_PORT", default=0),
                "username": env("DJANGO_EMAIL_HOST_USER", default=""),
                "password": env("DJANGO_EMAIL_HOST_PASSWORD", default=""),
                "use_tls": env.bool("DJANGO_EMAIL_USE_TLS", default=False),
            }.items()
            if v
        },
    }
}
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="安训平台 <noreply@anxun.local>")

# --- Security headers ------------------------------------------------------------------------------
# Every response (pages, API, static and media files) carries a Content-Security-Policy, nosniff, a
# frame denial, a referrer policy and a cross-origin opener policy. HSTS and the HTTPS redirect need
# HTTPS and are switched on in production.py.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # Wagtail's preview views answer SAMEORIGIN themselves: the editor frames them

# Origins of uploaded media when it lives in object storage (images and videos load from there).
_MEDIA_ORIGINS: list[str] = []
if env("AWS_STORAGE_BUCKET_NAME", default=""):
    from urllib.parse import urlsplit

    if AWS_S3_ENDPOINT_URL:
        _endpoint = urlsplit(AWS_S3_ENDPOINT_URL)
        _MEDIA_ORIGINS = [f"{_endpoint.scheme}://{_endpoint.netloc}"]
    else:
        _MEDIA_ORIGINS = ["https://*.amazonaws.com", "https://*.amazonaws.com.cn"]

# The site's policy: scripts only from this origin or carrying the response's nonce (no inline
# handlers, no eval); styles may be inline (templates use style attributes); images from here or data:
# URIs; a lesson's video may come from the organisation's own video server (Lesson.video_url, any
# http(s) address: media cannot run script); no plugins, no <base>, forms post here only, and no
# other site may frame a page.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", *_MEDIA_ORIGINS],
    "media-src": [CSP.SELF, *_MEDIA_ORIGINS, "https:", "http:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Page previews in the editor: the site's policy, framed by the editor (same origin) only.
ANXUN_PREVIEW_CSP = {**SECURE_CSP, "frame-ancestors": [CSP.SELF]}
# Wagtail's admin under a policy Wagtail 8 works with: its panels and date widgets write inline
# <script> (no nonce support, so no nonce either: a nonce would make browsers ignore 'unsafe-inline'),
# modal choosers run the scripts of the HTML they load, image uploads preview blob: URLs, and the
# editor frames its own preview. No 'unsafe-eval': the admin works without it.
# core.security.AdminContentSecurityPolicyMiddleware applies it to the admin's paths.
ANXUN_ADMIN_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:", *_MEDIA_ORIGINS],
    "media-src": [CSP.SELF, "blob:", *_MEDIA_ORIGINS, "https:", "http:"],
    "font-src": [CSP.SELF, "data:"],
    "frame-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
}
# The admin's dashboard would ask wagtail.io for new releases: an outside request that the policy
# blocks and that offline intranets cannot make anyway.
WAGTAIL_ENABLE_UPDATE_CHECK = False

WAGTAIL_SITE_NAME = "安训 Anxun"
WAGTAIL_GRAVATAR_PROVIDER_URL = None  # no external avatar service (offline intranets)
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAIL_CONTENT_LANGUAGES = [("zh-hans", "简体中文")]
# Wagtail's own sign-in form leaves its password label untranslated ("Password"); ours labels it.
WAGTAILADMIN_USER_LOGIN_FORM = "cms.admin_forms.AdminLoginForm"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # The API speaks JSON only (uploads of spreadsheets go through the pages, with their reports).
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "accounts.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "安训 Anxun API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI assets are served by the app itself (no CDN on government intranets).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema documents the product API (/api/…), not Wagtail's internal admin API.
    "PREPROCESSING_HOOKS": ["core.schema.only_product_api"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.schema.document_errors"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Background-task bookkeeping and page-tree events are noise at INFO level.
        "django.tasks": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
    },
}

# Text messages (core.sms): console by default; an HTTP gateway in production.
ANXUN_SMS_BACKEND = env("ANXUN_SMS_BACKEND", default="core.sms.ConsoleBackend")
ANXUN_SMS_GATEWAY_URL = env("ANXUN_SMS_GATEWAY_URL", default="")
ANXUN_SMS_GATEWAY_TOKEN = env("ANXUN_SMS_GATEWAY_TOKEN", default="")
ANXUN_SMS_SIGN = env("ANXUN_SMS_SIGN", default="安训")
