"""gunicorn settings for Anxun: `gunicorn -c deploy/gunicorn.conf.py config.wsgi`.

Every value can be changed through the environment (see deploy/anxun.env.example). Threads suit
the traffic (many short requests: exam autosave, verification look-ups); CPU-heavy work such as
PDF rendering and report exports runs in Celery workers, not here.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread"
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Recycle workers now and then so a slow leak never grows without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max(1, max_requests // 10) if max_requests else 0
# Only the proxy may tell gunicorn the original scheme and client address.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = os.environ.get("GUNICORN_PROC_NAME", "anxun")
# Heartbeat files on tmpfs: a worker blocked on disk I/O is not killed by mistake.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
