"""Exam day under load, with faults: candidates sit a real exam against gunicorn + PostgreSQL while
an app-server worker is killed with SIGKILL, then a 200-certificate batch is rendered while a Celery
worker is killed the same way.

What must hold: every answer the server acknowledged is in the database afterwards; every candidate
finishes (a request cut off by the crash is sent again, as the page's htmx request would be on the
next click); every certificate exists once and gets its PDF (late acknowledgement, redelivery of
tasks a dead worker held, idempotent rendering). Bounded: 300 candidates × 10 questions, 200 PDFs.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.deploy.support import run_django_code
from tests.multiprocess.processes import BehindTLSProxy, free_port, wait_until
from tests.multiprocess.deployment import MULTIPROCESS, scratch_deployment

pytestmark = MULTIPROCESS

BIN = Path(sys.executable).parent
CANDIDATES = 300
QUESTIONS = 10
CERTIFICATES = 200
CONNECTIONS = 24

SETUP = f"""
import datetime as dt
from decimal import Decimal
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.middleware.csrf import _get_new_csrf_string

from bench import data

bank = data.testing_bank(code="exam-day", size=400)
bp = data.blueprint(code="exam-day", bank=bank, sections=[
    ("单选题", "single", 6, "10", ()), ("多选题", "multiple", 2, "10", ()), ("判断题", "truefalse", 2, "10", ())])
session = data.exam_session(bp=bp, name="考试日压力检查", seats={CANDIDATES})
users = data.candidates("examday-", {CANDIDATES})
engine = import_module(settings.SESSION_ENGINE)
result = []
for reg in data.registrations(session=session, users=users):
    s = engine.SessionStore()
    s[SESSION_KEY] = str(reg.candidate.pk)
    s[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]  # the backend that signs users in (axes only guards)
    s[HASH_SESSION_KEY] = reg.candidate.get_session_auth_hash()
    s.create()
    result.append({{"registration": reg.pk, "cookies": {{settings.SESSION_COOKIE_NAME: s.session_key,
                                                          settings.CSRF_COOKIE_NAME: _get_new_csrf_string()}}}})
"""

ACTION_RE = re.compile(r'hx-post="([^"]+/save/)"')
CHOICE_RE = re.compile(r'name="choice" value="([0-9a-f]{12})"')


class Candidate:
    """One candidate's browser: retries a request the network cut off (never a refused one)."""

    def __init__(self, base: str, port: int, entry: dict, stats: dict, lock: threading.Lock):
        self.base, self.entry, self.stats, self.lock = base, entry, stats, lock
        self.http = BehindTLSProxy()
        for name, value in entry["cookies"].items():
            self.http.cookies.set(name, value, domain="127.0.0.1", path="/")
        self.headers = {"X-CSRFToken": entry["cookies"]["csrftoken"], "Origin": f"https://127.0.0.1:{port}",
                        "Referer": f"https://127.0.0.1:{port}/"}
        self.acknowledged: list[tuple[int, str]] = []  # (item id, response) the server said it saved

    def _send(self, method: str, path: str, headers: dict | None = None, **kwargs) -> requests.Response:
        for attempt in range(6):
            try:
                response = self.http.request(method, f"{self.base}{path}", timeout=30, allow_redirects=False,
                                             headers={**self.headers, **(headers or {})}, **kwargs)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):  # a worker killed mid-reply
                with self.lock:
                    self.stats["cut_off"] += 1
                time.sleep(0.2 * (attempt + 1))
                continue
            if response.status_code >= 500:
                with self.lock:
                    self.stats["server_errors"] += 1
                    self.stats["samples"].append(f"{response.status_code} {path}")
                time.sleep(0.2 * (attempt + 1))
                continue
            return response
        raise AssertionError(f"{method} {path}: no answer after 6 tries")

    def sit(self) -> int:
        started = self._send("POST", f"/exams/registrations/{self.entry['registration']}/start/")
        assert started.status_code == 302 and "/exams/attempts/" in started.headers["Location"], started.text[:500]
        attempt = int(re.search(r"/exams/attempts/(\d+)/", started.headers["Location"]).group(1))
        # The exam page carries the whole paper; the browser moves between questions without page
        # loads and autosaves every click. Halfway through, the candidate reloads the page.
        sections = []
        for position in range(1, QUESTIONS + 1):
            if position in (1, QUESTIONS // 2 + 1):
                page = self._send("GET", f"/exams/attempts/{attempt}/q/{position}/")
                assert page.status_code == 200, (page.status_code, page.text[:300])
                sections = page.text.split('<section class="card exam-question"')[1:]
                assert len(sections) == QUESTIONS, len(sections)
            section = sections[position - 1]
            action = ACTION_RE.search(section).group(1)
            item_id = int(re.search(r"/items/(\d+)/save/", action).group(1))
            choices = CHOICE_RE.findall(section)
            choice = choices[(attempt + position) % len(choices)]
            saved = self._send("POST", action, data={"choice": choice, "clear": ""}, headers={"HX-Request": "true"})
            assert saved.status_code == 200, (saved.status_code, saved.text[:300])
            if "已保存" in saved.text:
                self.acknowledged.append((item_id, choice))
        done = self._send("POST", f"/exams/attempts/{attempt}/submit/", data={"confirm": "yes"})
        assert done.status_code == 302 and "/result/" in done.headers["Location"], done.text[:300]
        return attempt


def test_exam_day_load_with_a_killed_app_worker_and_a_killed_celery_worker(tmp_path):
    port = free_port()
    with scratch_deployment(
        tmp_path, "examday", [f"https://127.0.0.1:{port}"],
        # A task held by a killed worker is delivered again after 10 s (production: an hour).
        CELERY_VISIBILITY_TIMEOUT="10",
        CELERY_UNACKED_RESTORE_INTERVAL="2",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="4",
        GUNICORN_ACCESS_LOG="/dev/null",
    ) as deployment:
        env, procs, uid = deployment.env, deployment.procs, deployment.uid
        entries = run_django_code(env, SETUP, timeout=300)
        assert len(entries) == CANDIDATES

        procs.start("web", [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "config.wsgi"], env)
        base = f"http://127.0.0.1:{port}"
        probe = BehindTLSProxy()
        wait_until(lambda: probe.get(f"{base}/healthz", timeout=5).status_code == 200, 60, "/healthz", procs)

        # 1. Exam-day load: every candidate starts, answers every question (autosave), submits.
        stats = {"cut_off": 0, "server_errors": 0, "samples": []}
        lock = threading.Lock()
        sitters = [Candidate(base, port, e, stats, lock) for e in entries]
        killed_at = CANDIDATES // 3
        finished = []

        def sit(index_and_candidate):
            index, candidate = index_and_candidate
            attempt = candidate.sit()
            with lock:
                finished.append(attempt)
                if len(finished) == killed_at:  # mid-run: kill -9 one app-server worker
                    workers = procs.children("web")
                    assert workers, procs.logs_tail()
                    os.kill(workers[0], signal.SIGKILL)
                    stats["killed_worker"] = workers[0]
            return attempt

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
            attempts = list(pool.map(sit, enumerate(sitters)))
        elapsed = time.monotonic() - started
        assert "killed_worker" in stats
        assert len(set(attempts)) == CANDIDATES
        assert stats["server_errors"] == 0, stats["samples"][:10]
        procs.assert_running()  # gunicorn replaced its worker

        acknowledged = {item: response for c in sitters for item, response in c.acknowledged}
        assert len(acknowledged) == CANDIDATES * QUESTIONS
        stored = run_django_code(env, (
            "from exams.models import Answer, Attempt\n"
            f"ids = {attempts!r}\n"
            "result = {'answers': {str(a.item_id): ' '.join(a.item.tokens_for(a.response)) for a in "
            "Answer.objects.filter(attempt_id__in=ids).select_related('item')},\n"
            "          'submitted': Attempt.objects.filter(pk__in=ids).exclude(status='in_progress').count()}\n"
        ))
        lost = {item: response for item, response in acknowledged.items()
                if stored["answers"].get(str(item)) != response}  # the paper's token of the stored key
        assert not lost, f"{len(lost)} acknowledged answers missing or different, e.g. {list(lost.items())[:5]}"
        assert stored["submitted"] == CANDIDATES
        print(f"\nexam day: {CANDIDATES} candidates, {len(acknowledged)} answers in {elapsed:.1f}s; "
              f"requests cut off by the killed worker and sent again: {stats['cut_off']}")

        # 2. A 200-certificate batch; one Celery worker is killed with SIGKILL while rendering.
        worker_cmd = [str(BIN / "celery"), "-A", "config", "worker", "--concurrency=1", "--without-gossip",
                      "--without-mingle", "--loglevel=INFO"]
        procs.start("worker-1", [*worker_cmd, f"--hostname=ed1-{uid}@%h"], env)
        procs.start("worker-2", [*worker_cmd, f"--hostname=ed2-{uid}@%h"], env)
        for name in ("worker-1", "worker-2"):
            procs.wait_for_log(name, "ready.", 60)
        issued = run_django_code(env, (
            "from accounts.validators import make_id_number\n"
            "from catalogue.models import CertificateKind\n"
            "from certificates.services import certificate_issue\n"
            "from bench import data\n"
            "kind = CertificateKind.objects.filter(requires_operation_item=False).order_by('pk').first()\n"
            f"holders = data.candidates('holder-', {CERTIFICATES})\n"
            "result = []\n"
            "for i, holder in enumerate(holders):\n"
            "    holder.set_id_number(make_id_number(f'44070419800101{i:03d}'))\n"
            "    holder.save(update_fields=['id_number_encrypted', 'id_number_hash'])\n"
            "    result.append(certificate_issue(officer=None, holder=holder, kind=kind).pk)\n"
        ), timeout=300)
        assert len(issued) == CERTIFICATES

        count_rendered = (
            "from django.db.models import F\n"
            "from certificates.models import Certificate\n"
            "result = Certificate.objects.exclude(pdf='').filter(pdf_revision=F('revision')).count()\n"
        )
        wait_until(lambda: run_django_code(env, count_rendered) >= 20, 120, "the first PDFs", procs, interval=1)
        procs.kill9("worker-1")
        procs.start("worker-3", [*worker_cmd, f"--hostname=ed3-{uid}@%h"], env)  # what systemd would do
        wait_until(lambda: run_django_code(env, count_rendered) == CERTIFICATES, 300, "all PDFs", procs, interval=2)

        final = run_django_code(env, (
            "import os\n"
            "from certificates.models import Certificate\n"
            "rows = list(Certificate.objects.values_list('number', 'pdf'))\n"
            "from django.conf import settings\n"
            "result = {'count': len(rows), 'numbers': len({n for n, _p in rows}),\n"
            "          'pdfs_ok': sum(1 for _n, p in rows if p and open(os.path.join(settings.MEDIA_ROOT, p), 'rb')"
            ".read(4) == b'%PDF')}\n"
        ))
        assert final == {"count": CERTIFICATES, "numbers": CERTIFICATES, "pdfs_ok": CERTIFICATES}, json.dumps(final)
        procs.assert_running()
