from .base import *  # noqa: F401,F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PII_ENCRYPTION_KEY = env("ANXUN_PII_ENCRYPTION_KEY", default="test-pii-encryption-key")
PII_HASH_KEY = env("ANXUN_PII_HASH_KEY", default="test-pii-hash-key")
# Tests exercise the task code paths synchronously unless a test starts real workers itself.
CELERY_TASK_ALWAYS_EAGER = True

# Each test process gets its own cache key prefix, so concurrent runs (xdist workers, several
# checkouts on one machine) never see or clear each other's keys.
import os  # noqa: E402

from .base import CACHES, REDIS_URL  # noqa: E402

_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
CACHES["default"]["KEY_PREFIX"] = f"anxun-test-{os.getpid()}"
if not REDIS_URL:
    CACHES["default"]["LOCATION"] = f"anxun-test-{_worker}"
MEDIA_ROOT = str(BASE_DIR / "var" / f"test-media-{_worker}")  # noqa: F405
ANXUN_SMS_BACKEND = "core.sms.LocmemBackend"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A database file per test process, as the embedded default runs (WAL, a connection per thread),
    # not Django's shared in-memory database: the browser tests' live server answers the page's
    # parallel requests on threads of its own, which on one shared in-memory connection interleave
    # and fail at random ("bad parameter or other API misuse").
    # Named per test run (xdist gives its workers one run id; a run without workers uses its process
    # id), so that two runs from one checkout never open each other's file.
    _run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:12] or str(os.getpid())
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{_run}-{_worker}.sqlite3")}  # noqa: F405
