"""The multi-process check: two gunicorn app servers, two Celery workers and one beat, all with the
production settings, against PostgreSQL and Redis on 127.0.0.1 — the way the platform runs in
production (deploy/). The test creates its own database, Redis key prefixes and queue, starts and
stops every process itself, and drives a smoke journey across both app servers with `requests`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import requests

from tests.deploy.support import run_django_code, run_manage
from tests.multiprocess.processes import BehindTLSProxy, free_port, wait_until
from tests.multiprocess.deployment import MULTIPROCESS, scratch_deployment

pytestmark = MULTIPROCESS

BIN = Path(sys.executable).parent
PASSWORD = "Anxun-ops-2026!"


def test_two_app_servers_two_workers_and_one_beat_share_database_cache_and_queue(tmp_path):
    port_a, port_b = free_port(), free_port()
    while port_b == port_a:
        port_b = free_port()
    with scratch_deployment(
        tmp_path, "mp", [f"https://127.0.0.1:{port_a}", f"https://127.0.0.1:{port_b}"], replica=True,
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="2",
        GUNICORN_ACCESS_LOG="-",
        ANXUN_TEST_HEARTBEAT_SECONDS="2",
    ) as deployment:
        env, procs, uid = deployment.env, deployment.procs, deployment.uid
        created = run_manage(env, "shell", "-c", (
            "from accounts.models import User; "
            f"User.objects.create_user(username='ops', password='{PASSWORD}', real_name='值班运维', is_staff=True)"
        ))
        assert created.returncode == 0, created.stderr[-3000:]

        for name, port in (("web-a", port_a), ("web-b", port_b)):
            procs.start(name, [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
                        {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_PROC_NAME": f"anxun-mp-{name}"})
        for n in (1, 2):
            procs.start(f"worker-{n}", [str(BIN / "celery"), "-A", "config", "worker", f"--hostname=mp{n}-{uid}@%h",
                                        "--concurrency=1", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
                        env)
        procs.start("beat", [str(BIN / "celery"), "-A", "tests.multiprocess.beat_app", "beat", "--loglevel=INFO",
                             f"--schedule={tmp_path / 'celerybeat-schedule'}", "--pidfile="], env)

        a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
        http = BehindTLSProxy()

        def healthy(base):
            resp = http.get(f"{base}/healthz", timeout=5)
            return resp.json() if resp.status_code == 200 else None

        for base in (a, b):
            report = wait_until(lambda: healthy(base), 60, f"{base}/healthz", procs)
            assert report["database"]["vendor"] == "postgresql"
            assert report["cache"]["backend"] == "RedisCache" and report["broker"]["mode"] == "celery"
        for n in (1, 2):
            procs.wait_for_log(f"worker-{n}", "ready.", 60)

        # Plain HTTP without the proxy header is redirected to HTTPS (production settings).
        plain = requests.get(f"{a}/accounts/login/", allow_redirects=False, timeout=5)
        assert plain.status_code == 301 and plain.headers["Location"].startswith("https://127.0.0.1")

        # Log in on app server A ...
        login_page = http.get(f"{a}/accounts/login/", timeout=10)
        assert login_page.status_code == 200 and "登录" in login_page.text
        resp = http.post(f"{a}/accounts/login/", timeout=10, allow_redirects=False,
                         data={"username": "ops", "password": PASSWORD,
                               "csrfmiddlewaretoken": http.cookies["csrftoken"]},
                         headers={"Origin": f"https://127.0.0.1:{port_a}", "Referer": f"https://127.0.0.1:{port_a}/"})
        assert resp.status_code == 302, resp.text[:2000]
        assert "sessionid=" in resp.headers["Set-Cookie"] and "Secure" in resp.headers["Set-Cookie"]

        # ... and carry on, signed in, on app server B (sessions live in Redis + PostgreSQL).
        me = http.get(f"{b}/accounts/me/", timeout=10, allow_redirects=False)
        assert me.status_code == 200 and "值班运维" in me.text

        # A task queued by app server B is run by one of the workers; app server A sees the result.
        headers_b = {"X-CSRFToken": http.cookies["csrftoken"], "Origin": f"https://127.0.0.1:{port_b}"}
        tokens = []
        for _ in range(4):
            queued = http.post(f"{b}/ops/ping", headers=headers_b, timeout=10)
            assert queued.status_code == 202, queued.text[:2000]
            tokens.append(queued.json()["token"])
        for token in tokens:
            done = wait_until(lambda: http.get(f"{a}/ops/ping/{token}", timeout=5).json()["status"] == "done",
                               30, f"ping {token} run by a worker", procs)
            assert done
        worker_logs = procs.log("worker-1") + procs.log("worker-2")
        assert all("succeeded in" in worker_logs and f"'{t}'" in worker_logs for t in tokens), worker_logs[-3000:]

        # Beat ticks: the heartbeat it sends is run by a worker and shows on either app server.
        beat = wait_until(lambda: (healthy(b) or {}).get("broker", {}).get("last_beat"), 30,
                           "a beat heartbeat", procs)
        assert beat.startswith("20")
        assert "Sending due task core-heartbeat" in procs.log("beat")

        # A certificate issued by the back office is rendered to PDF by a worker (queued on commit);
        # app server B serves the worker's file as it is, and A shows its public verification page.
        issued = run_django_code(env, (
            "from accounts.models import User\n"
            "from accounts.validators import make_id_number\n"
            "from catalogue.models import CertificateKind\n"
            "from certificates.services import certificate_issue\n"
            "user = User.objects.get(username='ops')\n"
            "user.set_id_number(make_id_number('44070419850307001'))\n"
            "user.save()\n"
            "kind = CertificateKind.objects.filter(requires_operation_item=False).order_by('pk').first()\n"
            "c = certificate_issue(officer=None, holder=user, kind=kind)\n"
            "result = {'pk': c.pk, 'code': c.verification_code, 'number': c.number}\n"
        ))

        def rendered():
            state = run_django_code(env, (
                "from certificates.models import Certificate\n"
                f"c = Certificate.objects.get(pk={issued['pk']})\n"
                "result = c.pdf.path if c.pdf and c.pdf_revision == c.revision else None\n"
            ))
            return state

        pdf_path = wait_until(rendered, 60, "the certificate PDF rendered by a worker", procs, interval=1)
        worker_logs = procs.log("worker-1") + procs.log("worker-2")
        assert "certificates.tasks.render_certificate_pdf" in worker_logs and "succeeded" in worker_logs
        on_disk = Path(pdf_path).read_bytes()
        served = http.get(f"{b}/certificates/{issued['pk']}/pdf/", timeout=20)
        assert served.status_code == 200 and served.headers["Content-Type"] == "application/pdf"
        assert served.content == on_disk and on_disk.startswith(b"%PDF")
        assert Path(pdf_path).read_bytes() == on_disk  # served, not rendered again by the app server

        # Public verification pages (read through the replica connection) show the live status.
        anonymous = BehindTLSProxy()
        verify = anonymous.get(f"{a}/verify/{issued['code']}/", timeout=10, allow_redirects=False)
        assert verify.status_code == 200, verify.text[:2000]
        assert issued["number"] in verify.text and "有效" in verify.text and "值**维" in verify.text and "值班运维" not in verify.text
        assert "no-store" in verify.headers["Cache-Control"]

        # Logging out on B ends the session on A as well.
        out = http.post(f"{b}/accounts/logout/", headers=headers_b, timeout=10, allow_redirects=False)
        assert out.status_code == 302
        after = http.get(f"{a}/accounts/me/", timeout=10, allow_redirects=False)
        assert after.status_code == 302 and "/accounts/login/" in after.headers["Location"]
        procs.assert_running()
