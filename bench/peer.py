"""The peer: django-mcq (django-quiz-app family), installed at run time into its own virtualenv.

Nothing of django-mcq is kept in this repository. ``build_site`` creates a temporary virtualenv,
installs ``django-mcq`` with the same Django and gunicorn versions Anxun pins, writes a minimal
Django site (settings, urls, base template) and a 100-question quiz, and ``measure_single`` /
``throughput`` drive it the way a candidate does: answer (POST) and get the next question.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench import lib

PEER_PACKAGE = "django-mcq"

SETTINGS = '''
from pathlib import Path
BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "peer-bench-secret-key-0123456789abcdef0123456789abcdef"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = [
    "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "django.contrib.staticfiles", "quiz",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "peersite.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [BASE_DIR / "templates"], "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
WSGI_APPLICATION = "peersite.wsgi.application"
# Same SQLite options as Anxun's embedded default, so both sides run on the same database setup.
DATABASES = {"default": {
    "ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "peer.sqlite3",
    "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
    "CONN_MAX_AGE": 60,
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
USE_TZ = True
STATIC_URL = "/static/"
LOGIN_URL = "/login/"
'''

URLS = '''
from django.urls import include, path
urlpatterns = [path("quiz/", include("quiz.urls"))]
'''

WSGI = '''
import os
from django.core.wsgi import get_wsgi_application
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersite.settings")
application = get_wsgi_application()
'''

BASE_TEMPLATE = '''<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>quiz</title>{% block quiz_css %}{% endblock %}</head>
<body>{% block quiz_body %}{% endblock %}{% block quiz_js %}{% endblock %}</body></html>
'''

# Creates the quiz and the candidates, prints their session keys as JSON (runs in the peer venv).
SETUP_SCRIPT = '''
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersite.settings")
import django
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from quiz.models import Answer, Question, Quiz, Subject

n_questions, n_users = int(sys.argv[1]), int(sys.argv[2])
with transaction.atomic():
    subject = Subject.objects.create(name="安全生产")
    quiz = Quiz.objects.create(name="特种作业理论考试（演练）", subject=subject)
    for i in range(n_questions):
        q = Question.objects.create(quiz=quiz, text=f"第{i:03d}题：动火作业前必须确认哪一项？")
        Answer.objects.bulk_create([
            Answer(question=q, text=f"选项{letter}：第{i}题的说明文字", is_correct=(letter == "A"))
            for letter in "ABCD"
        ])
    User = get_user_model()
    keys = []
    for u in range(n_users):
        user = User.objects.create_user(f"cand{u:04d}", password="x")
        s = SessionStore()
        s[SESSION_KEY] = str(user.pk)
        s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        s[HASH_SESSION_KEY] = user.get_session_auth_hash()
        s.create()
        keys.append(s.session_key)
print(json.dumps({"quiz": quiz.pk, "sessions": keys}))
'''

# One candidate answers the whole quiz in-process through Django's test client (full middleware);
# per answer: POST the choice, then GET the next question. Prints timings and query counts as JSON.
DRIVER_SCRIPT = '''
import json, os, re, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersite.settings")
import django
django.setup()
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

quiz_id, username = int(sys.argv[1]), sys.argv[2]
user = get_user_model().objects.get(username=username)
c = Client()
c.force_login(user)
url = f"/quiz/q/{quiz_id}/"
page = c.get(url)
assert page.status_code == 200, page.status_code
times, queries = [], []
while True:
    html = page.content.decode()
    m = re.search(r'name="answer" value="(\\d+)"', html)
    assert m, html[:500]
    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as ctx:
        # urlencoded, as a browser submits the form
        resp = c.post(url, "answer=" + m.group(1), content_type="application/x-www-form-urlencoded")
        assert resp.status_code == 302, resp.status_code
        last = "studentresults" in resp["Location"]
        if not last:
            page = c.get(resp["Location"])
            assert page.status_code == 200
    if last:
        break
    times.append((time.perf_counter() - t0) * 1000)
    queries.append(len(ctx.captured_queries))
with CaptureQueriesContext(connection) as ctx:
    result = c.get(resp["Location"])
assert result.status_code == 200, result.status_code
print(json.dumps({"ms": times, "queries": queries, "result_queries": len(ctx.captured_queries)}))
'''


@dataclass
class PeerSite:
    root: Path
    python: str
    quiz_id: int
    sessions: list[str]
    versions: dict

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "PYTHONPATH"))}
        env["PYTHONPATH"] = str(self.root)
        env["DJANGO_SETTINGS_MODULE"] = "peersite.settings"
        return env


class PeerUnavailable(Exception):
    """django-mcq could not be installed or run; the message says exactly why."""


def _pin(name: str) -> str | None:
    for line in (lib.ROOT / "requirements.txt").read_text().splitlines():
        if line.lower().startswith(name.lower() + "=="):
            return line.strip()
    return None


def base_python() -> str:
    """The Python 3.12 from pyenv when there is one, else the interpreter running the benchmark."""
    try:
        prefix = subprocess.run(["pyenv", "prefix", "3.12.1"], capture_output=True, text=True, timeout=20).stdout.strip()
        if prefix and Path(prefix, "bin/python").exists():
            return str(Path(prefix, "bin/python"))
    except (OSError, subprocess.SubprocessError):
        pass
    return getattr(sys, "_base_executable", sys.executable)


def build_site(tmp: Path, *, n_questions: int, n_users: int) -> PeerSite:
    root = tmp / "peer"
    venv = root / "venv"
    root.mkdir(parents=True, exist_ok=True)
    run = lambda cmd, **kw: subprocess.run(cmd, capture_output=True, text=True, **kw)  # noqa: E731
    # No pip inside the peer's virtualenv: the benchmark's own pip installs into it (--python), faster.
    r = run([base_python(), "-m", "venv", "--without-pip", str(venv)], timeout=120)
    if r.returncode:
        raise PeerUnavailable(f"python -m venv failed: {r.stderr.strip()[-500:]}")
    py = str(venv / "bin" / "python")
    pins = [p for p in (_pin("Django"), _pin("gunicorn")) if p]
    pip = [sys.executable, "-m", "pip", "--python", py]
    r = run([*pip, "install", "-q", "--no-compile", "--disable-pip-version-check", PEER_PACKAGE, *pins], timeout=600)
    if r.returncode:
        raise PeerUnavailable(f"pip install {PEER_PACKAGE} {' '.join(pins)} failed: {r.stderr.strip()[-800:]}")
    r = run([*pip, "show", PEER_PACKAGE, "Django", "gunicorn"], timeout=60)
    versions = {}
    name = None
    for line in r.stdout.splitlines():
        if line.startswith("Name:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("Version:") and name:
            versions[name] = line.split(":", 1)[1].strip()
    site = root / "peersite"
    (site / "templates").mkdir(parents=True, exist_ok=True)
    (site / "__init__.py").write_text("")
    (site / "settings.py").write_text(SETTINGS)
    (site / "urls.py").write_text(URLS)
    (site / "wsgi.py").write_text(WSGI)
    (site / "templates" / "quiz_base.html").write_text(BASE_TEMPLATE)
    (site / "templates" / "404.html").write_text("not found")
    (root / "setup_quiz.py").write_text(SETUP_SCRIPT)
    (root / "drive.py").write_text(DRIVER_SCRIPT)
    peer = PeerSite(root, py, 0, [], versions)
    r = run([py, "-m", "django", "migrate", "-v0"], cwd=root, env=peer.env(), timeout=300)
    if r.returncode:
        raise PeerUnavailable(f"{PEER_PACKAGE} migrate failed on Django {versions.get('Django')}: {r.stderr.strip()[-800:]}")
    r = run([py, "setup_quiz.py", str(n_questions), str(n_users)], cwd=root, env=peer.env(), timeout=300)
    if r.returncode:
        raise PeerUnavailable(f"creating the quiz failed: {r.stderr.strip()[-800:]}")
    data = json.loads(r.stdout.strip().splitlines()[-1])
    peer.quiz_id, peer.sessions = data["quiz"], data["sessions"]
    return peer


def measure_single(peer: PeerSite) -> dict:
    """One candidate, in-process: ms and SQL queries per answer (POST + next page), result page queries."""
    username = "cand0000"
    r = subprocess.run([peer.python, "drive.py", str(peer.quiz_id), username], cwd=peer.root, env=peer.env(),
                       capture_output=True, text=True, timeout=600)
    if r.returncode:
        raise PeerUnavailable(f"{PEER_PACKAGE} sitting failed: {r.stderr.strip()[-800:]}")
    d = json.loads(r.stdout.strip().splitlines()[-1])
    return {
        "answers": len(d["ms"]),
        "ms_per_answer": round(lib.median(d["ms"]), 2),
        "ms_per_answer_mean": round(sum(d["ms"]) / len(d["ms"]), 2),
        "queries_per_answer": round(sum(d["queries"]) / len(d["queries"]), 2),
        "result_page_queries": d["result_queries"],
    }


ANSWER_RE = re.compile(r'name="answer" value="(\d+)"')


def start_server(peer: PeerSite, *, log_dir: Path) -> lib.Server:
    """gunicorn with 2 workers in the same production shape as Anxun's side (4 threads each, keep-alive)."""
    return lib.gunicorn("peersite.wsgi", env=peer.env(), cwd=peer.root, workers=2, ports=lib.PORTS_B,
                        log_dir=log_dir, python=peer.python, ready_path="/quiz/q/", extra=lib.GTHREAD)


def throughput(peer: PeerSite, server: lib.Server, *, seconds: float, candidates: int, part: int = 0,
               parts: int = 1) -> dict:
    """Answers/s with `candidates` parallel candidates; round ``part`` of ``parts`` takes its own
    share of the candidates, so no sitting is taken twice."""
    sessions = peer.sessions[1:]  # cand0000 sat in-process
    pool = [{"cookies": {"sessionid": key}} for key in sessions[part::parts]]
    return sitting_load(server.base, pool, seconds=seconds, candidates=candidates,
                        first=lambda c, entry: c.get(f"/quiz/q/{peer.quiz_id}/"),
                        answer=lambda c, page: _peer_answer(c, peer.quiz_id, page))


def _peer_answer(client: lib.Client, quiz_id: int, page: bytes):
    """POST the first choice; follow to the next question. Returns (next page or None when finished)."""
    m = ANSWER_RE.search(page.decode())
    if not m:
        raise RuntimeError(f"no question on page: {page[:300]!r}")
    status, headers, _ = client.post(f"/quiz/q/{quiz_id}/", {"answer": m.group(1)})
    if status != 302:
        raise RuntimeError(f"answer refused: {status}")
    if "studentresults" in headers.get("location", ""):
        return None  # the last answer; the result page is measured separately
    status, _, page = client.get(headers["location"])
    if status != 200:
        raise RuntimeError(f"next question: {status}")
    return page


def sitting_load(base: str, pool: list[dict], *, seconds: float, candidates: int, first, answer) -> dict:
    """Closed loop: each thread is one candidate; a candidate who finishes takes the next sitting.

    pool: one entry per sitting, {"cookies": {...}, ...}; first(client, entry) returns the first
    question page; answer(client, page) answers it and returns the next page (None when done).
    """
    lock = threading.Lock()
    answers = errors = 0
    samples: list[str] = []
    latencies: list[float] = []
    pool = list(pool)
    stop_at = time.perf_counter() + seconds
    start = time.perf_counter()

    def take():
        with lock:
            return pool.pop(0) if pool else None

    def worker():
        nonlocal answers, errors
        n = e = 0
        lat = []
        entry = take()
        while entry and time.perf_counter() < stop_at:
            client = lib.Client(base, entry["cookies"])
            try:
                status, _, page = first(client, entry)
                if status != 200:
                    raise RuntimeError(f"first page {status}")
                # the CSRF cookie is set by the first page
                while page is not None and time.perf_counter() < stop_at:
                    t0 = time.perf_counter()
                    page = answer(client, page)
                    lat.append((time.perf_counter() - t0) * 1000)
                    n += 1
            except Exception as exc:  # noqa: BLE001
                e += 1
                with lock:
                    if len(samples) < 5:
                        samples.append(repr(exc)[:300])
            entry = take() if time.perf_counter() < stop_at else None
        with lock:
            answers += n
            errors += e
            latencies.extend(lat)

    threads = [threading.Thread(target=worker) for _ in range(candidates)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {
        "answers": answers, "errors": errors, "seconds": round(elapsed, 2),
        "answers_per_s": round(answers / elapsed, 1) if elapsed else None,
        "p50_ms": lib._r(lib.percentile(latencies, 50)), "p95_ms": lib._r(lib.percentile(latencies, 95)),
        "pool_exhausted": not pool, "error_samples": samples,
    }


def cleanup(tmp: Path) -> None:
    shutil.rmtree(tmp / "peer", ignore_errors=True)


if __name__ == "__main__":  # manual check: python -m bench.peer
    with tempfile.TemporaryDirectory(prefix="anxun-peer-") as d:
        site = build_site(Path(d), n_questions=100, n_users=30)
        print(site.versions, measure_single(site))
        srv = start_server(site, log_dir=Path(d))
        try:
            print(throughput(site, srv, seconds=5, candidates=20))
        finally:
            srv.stop()
