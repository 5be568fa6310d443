"""The measurements that run inside a Django process (``python -m bench.parts PART [--quick]``).

Each part prints one JSON object on its last stdout line. A part whose product code is not on main
yet prints ``{"missing": "..."}``; the harness then reports n/a, never a number.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.middleware.csrf import _get_new_csrf_string  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench import lib  # noqa: E402

PARTS = {}
MISSING = "not built yet"


def part(fn):
    PARTS[fn.__name__] = fn
    return fn


def need(module: str, *names: str):
    """The module when it is importable and has every name, else None."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    return mod if all(hasattr(mod, n) for n in names) else None


def login_cookies(user) -> dict:
    """Session + CSRF cookies of a signed-in user, made the way django.contrib.auth.login stores them."""
    engine = importlib.import_module(settings.SESSION_ENGINE)
    s = engine.SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]  # the backend that signs users in (axes only guards)
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    return {settings.SESSION_COOKIE_NAME: s.session_key, settings.CSRF_COOKIE_NAME: _get_new_csrf_string()}


def timed(fn, reps: int) -> tuple[list[float], int]:
    """Run fn reps times; ms of each run and the SQL query count of the last one."""
    times = []
    n = 0
    for _ in range(reps):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
        n = len(ctx.captured_queries)
    return times, n


# --------------------------------------------------------------------------- parts


@part
def baseline_user(quick: bool, arg: str = "") -> dict:
    """A signed-in user for the authenticated baseline view."""
    User = get_user_model()
    user, _ = User.objects.get_or_create(username="bench-baseline", defaults={"real_name": "基准用户"})
    return {"cookies": login_cookies(user), "path": "/bench/baseline/auth/"}


@part
def pdf_baseline(quick: bool, arg: str = "") -> dict:
    """One-line WeasyPrint document, same process as the certificate PDF."""
    from weasyprint import HTML

    reps = 3 if quick else 15
    HTML(string="<p>one line</p>").write_pdf()  # warm-up (fontconfig, CSS defaults)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        pdf = HTML(string="<p>one line</p>").write_pdf()
        times.append((time.perf_counter() - t0) * 1000)
    return {"ms": round(lib.median(times), 2), "bytes": len(pdf), "reps": reps}


# --------------------------------------------------------------------------- exams

PAPER_SECTIONS = [
    ("单选题", "single", 60, "1", ()),
    ("多选题", "multiple", 20, "1", tuple(f"bench-{i:02d}" for i in range(10))),
    ("判断题", "truefalse", 20, "1", ()),
]


def exams_ready():
    return need("exams.services", "draw_paper", "attempt_start", "answer_save")


def paper_setup(quick: bool):
    from bench import data

    bank = data.testing_bank(code="bench-testing", size=600 if quick else 20000)
    bp = data.blueprint(code="bench-paper", bank=bank, sections=PAPER_SECTIONS)
    return bank, bp


@part
def paper(quick: bool, arg: str = "") -> dict:
    svc = exams_ready()
    if not svc:
        return {"missing": "exams.services.draw_paper"}
    from exams.models import Blueprint, Question

    bank, bp = paper_setup(quick)
    reps = 5 if quick else 60

    blueprint = Blueprint.objects.get(pk=bp.pk)

    def draw():
        drawn = svc.draw_paper(blueprint=blueprint, bank=bank)
        assert len(drawn) == 100 and len({q for _s, q in drawn}) == 100
        return drawn

    draw()  # warm-up
    times, queries = timed(draw, reps)
    return {"ms": round(lib.median(times), 2), "p95_ms": round(lib.percentile(times, 95), 2), "queries": queries,
            "reps": reps, "bank_size": Question.objects.filter(bank=bank).count(), "blueprint_questions": 100}


def attempt_for(user, session):
    from exams.models import Registration

    svc = exams_ready()
    reg = Registration.objects.create(session=session, candidate=user, seat=session.registrations.count() + 1,
                                      ticket_number=f"BA{session.pk:05d}{user.pk:07d}")
    return svc.attempt_start(user=user, registration=reg, ip="127.0.0.1")


AUTOSAVE_CANDIDATES = 32


@part
def autosave_prepare(quick: bool, arg: str = "") -> dict:
    """Candidates of one session, each with a started attempt, and the autosaves they send: one per
    single-choice question of each paper. The load cycles through them (as an exam room's clicks
    spread over candidates and questions), so no two concurrent requests write the same answer row."""
    if not exams_ready():
        return {"missing": "exams autosave endpoint"}
    from bench import data

    n = 4 if quick else AUTOSAVE_CANDIDATES
    bank, bp = paper_setup(quick)
    session = data.exam_session(bp=bp, name="基准·自动保存", seats=n)
    requests = []
    for user in data.candidates("bench-autosave-", n):
        attempt = attempt_for(user, session)
        cookies = login_cookies(user)
        for item in attempt.items.select_related("question").filter(question__type="single").order_by("position"):
            requests.append({"path": f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/", "cookies": cookies,
                             "data": {"choice": item.tokens_for(item.option_order[1])[0], "clear": ""}})
    import random

    random.Random(7).shuffle(requests)  # candidates interleaved, as clicks arrive in an exam room
    first = requests[0]
    return {"path": first["path"], "cookies": first["cookies"], "data": first["data"],
            "headers": {"HX-Request": "true"}, "requests": requests, "candidates": n}


@part
def storm_prepare(quick: bool, arg: str = "") -> dict:
    if not exams_ready():
        return {"missing": "exams start endpoint"}
    from bench import data

    n = int(arg or 20)
    bank, bp = paper_setup(quick)
    session = data.exam_session(bp=bp, name="基准·集中开考", seats=n)
    users = data.candidates(f"storm{session.pk}-", n)
    regs = data.registrations(session=session, users=users)
    out = {
        "candidates": [{"path": f"/exams/registrations/{r.pk}/start/", "cookies": login_cookies(r.candidate)} for r in regs],
        "check": {"session": session.pk, "n": n},
        "bank_size": bank.questions.count(),
    }
    svc = need("exams.services", "papers_prepare")
    if svc is not None:
        # what the beat job does before the session opens (exams.prepare_papers_due)
        t0 = time.perf_counter()
        out["prepared"] = svc.papers_prepare(session=session)
        out["prepare_s"] = round(time.perf_counter() - t0, 2)
    return out


@part
def storm_check(quick: bool, arg: str = "") -> dict:
    from exams.models import Attempt, AttemptItem

    check = json.loads(arg)
    # started attempts only (a paper prepared ahead of time and never claimed is no attempt)
    attempts = list(Attempt.objects.filter(registration__session_id=check["session"], status="in_progress")
                    .values_list("id", flat=True))
    everything = getattr(Attempt, "all_objects", Attempt.objects)
    prepared_left = everything.filter(registration__session_id=check["session"], status="prepared").count()
    claimed = everything.filter(pk__in=attempts, pool_token__isnull=False).count() \
        if hasattr(Attempt, "all_objects") else 0
    papers: dict[int, list[int]] = {}
    for attempt_id, qid in AttemptItem.objects.filter(attempt_id__in=attempts).order_by("attempt_id", "position") \
            .values_list("attempt_id", "question_id"):
        papers.setdefault(attempt_id, []).append(qid)
    sizes = [len(p) for p in papers.values()]
    return {
        "attempts": len(attempts), "claimed_prepared": claimed, "prepared_left": prepared_left,
        "distinct_papers": len({tuple(p) for p in papers.values()}),
        "distinct_question_sets": len({frozenset(p) for p in papers.values()}),
        "items_min": min(sizes) if sizes else 0, "items_max": max(sizes) if sizes else 0,
    }


SITTING_SECTIONS = [("单选题", "single", 100, "1", ())]


def sitting_setup(quick: bool, name: str, n: int):
    from bench import data

    bank = data.testing_bank(code="bench-sitting", size=2000, types={"single": 1.0})
    bp = data.blueprint(code="bench-sitting", bank=bank, sections=SITTING_SECTIONS)
    session = data.exam_session(bp=bp, name=name, seats=n)
    users = data.candidates(f"{name}-{session.pk}-", n)
    regs = data.registrations(session=session, users=users)
    svc = exams_ready()
    return [(r.candidate, svc.attempt_start(user=r.candidate, registration=r, ip="127.0.0.1")) for r in regs]


@part
def sitting_prepare(quick: bool, arg: str = "") -> dict:
    """A pool of started attempts (100 single-choice questions each), for parallel candidates."""
    if not exams_ready():
        return {"missing": "exams sitting (autosave + next question)"}
    pool = sitting_setup(quick, "pool", int(arg or 20))
    return {"pool": [{"cookies": login_cookies(u), "attempt": a.pk} for u, a in pool]}


@part
def sitting_single(quick: bool, arg: str = "") -> dict:
    """One candidate, in-process (Django test client, full middleware). The exam page carries the
    whole paper and the browser moves between questions without page loads, so per answer there is
    one htmx autosave POST; the one page load is spread over the answers and added to each. The
    last answer is left out (as on the peer's side); then submission and the result page."""
    if not exams_ready():
        return {"missing": "exams sitting (autosave + next question)"}
    from django.test import Client

    from bench.sitting import paper_items

    (user, attempt), = sitting_setup(quick, "single", 1)
    c = Client()
    c.force_login(user)
    base = f"/exams/attempts/{attempt.pk}"
    c.get(f"{base}/q/1/")  # warm-up (templates, cached paper)
    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        page = c.get(f"{base}/q/1/")
        page_ms = (time.perf_counter() - t0) * 1000
    assert page.status_code == 200, page.status_code
    page_queries = len(ctx.captured_queries)
    items = paper_items(page.content.decode())
    total = attempt.items.count()
    assert len(items) == total, (len(items), total)
    times, queries = [], []
    for position, (action, choice) in enumerate(items, start=1):
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            # urlencoded, as htmx sends the form (the peer's side does the same)
            r = c.post(action, f"choice={choice}&clear=", content_type="application/x-www-form-urlencoded",
                       HTTP_HX_REQUEST="true")
            assert r.status_code == 200 and "已保存".encode() in r.content, (r.status_code, r.content[:200])
        if position < total:
            times.append((time.perf_counter() - t0) * 1000)
            queries.append(len(ctx.captured_queries))
    r = c.post(f"{base}/submit/", {"confirm": "yes"})
    assert r.status_code in (302, 200), r.status_code
    with CaptureQueriesContext(connection) as ctx:
        result = c.get(f"{base}/result/")
    assert result.status_code == 200, result.status_code
    n = len(times)
    return {
        "answers": n, "ms_per_answer": round(lib.median(times) + page_ms / n, 2),
        "ms_per_answer_mean": round((sum(times) + page_ms) / n, 2),
        "autosave_ms": round(lib.median(times), 3), "paper_page_ms": round(page_ms, 2),
        "paper_page_queries": page_queries,
        "queries_per_answer": round((sum(queries) + page_queries) / n, 2),
        "result_page_queries": len(ctx.captured_queries),
    }


# --------------------------------------------------------------------------- certificates


def certs_ready():
    return need("certificates.services", "certificate_issue", "roster_check_run") and \
        need("certificates.selectors", "certificate_by_code")


def holders(prefix: str, n: int, *, start: int, with_id: bool = True) -> list:
    """n users; with valid resident ID numbers (encrypted + keyed hash, as the product stores them)
    when with_id. ID numbers are unique for distinct i = start … start + n - 1 (i < 10,000,000)."""
    from accounts.validators import make_id_number

    User = get_user_model()
    password = make_password(None)
    users = []
    for i in range(start, start + n):
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=(i * 37) % 14000)
        u = User(username=f"{prefix}{i:07d}", real_name=f"{SURNAMES[i % len(SURNAMES)]}{GIVEN[(i // 7) % len(GIVEN)]}",
                 password=password, identity_verified=True)
        if with_id:
            u.set_id_number(make_id_number(f"44{(i // 1000) % 10000:04d}{birth:%Y%m%d}{i % 1000:03d}"))
        users.append(u)
    User.objects.bulk_create(users, batch_size=2000)
    return list(User.objects.filter(username__startswith=prefix).order_by("username"))


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ["建国", "秀梅", "志强", "丽华", "伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "军", "涛", "明",
         "超", "霞", "平", "刚", "桂英", "海燕", "红梅", "晓东", "春生", "国庆", "玉兰", "德胜", "雪梅"]


def template_certificate(holder):
    """One certificate made by the product's own issuing service; bulk copies are cloned from it."""
    from certificates import services
    from catalogue.models import CertificateKind, OperationItem

    kind = CertificateKind.objects.filter(requires_operation_item=True).order_by("id").first()
    item = OperationItem.objects.filter(category__rule_version=kind.rule_version).order_by("id").first()
    return services.certificate_issue(officer=None, holder=holder, kind=kind, operation_item=item, render=False)


def clone_certificates(template, *, first: int, count: int, holder_prefix: str | None = None) -> None:
    """INSERT … SELECT from generate_series on the server: unique columns get per-row values,
    holders are spread over the users whose username starts with holder_prefix (or the template's)."""
    from certificates.models import Certificate

    table = Certificate._meta.db_table
    fields = [f for f in Certificate._meta.concrete_fields if not f.primary_key]
    exprs = []
    for f in fields:
        col = f'"{f.column}"'
        if f.name == "number":
            exprs.append("'BX' || lpad(g::text, 12, '0')")
        elif f.name == "verification_code":
            exprs.append("'Q' || lpad(g::text, 9, '0')")
        elif f.name == "national_number_hash":
            exprs.append("md5('bench-national-' || g::text) || md5(g::text)")
        elif f.name == "holder" and holder_prefix:
            exprs.append("u.id")
        elif f.name == "holder_name" and holder_prefix:
            exprs.append("u.real_name")
        elif f.name in ("created_at", "updated_at"):
            exprs.append("now()")
        elif f.unique:
            if not f.null:
                raise RuntimeError(f"cannot clone certificates: unknown unique column {f.name}")
            exprs.append("NULL")
        else:
            exprs.append(f"t.{col}")
    cols = ", ".join(f'"{f.column}"' for f in fields)
    if holder_prefix:
        # holders numbered 0 … n-1 in a materialised CTE; row g goes to holder g mod n (a hash join)
        n = get_user_model().objects.filter(username__startswith=holder_prefix).count()
        sql = (f"WITH u AS MATERIALIZED (SELECT id, real_name, row_number() OVER (ORDER BY id) - 1 AS rn "
               f"FROM accounts_user WHERE username LIKE %s) "
               f"INSERT INTO {table} ({cols}) SELECT {', '.join(exprs)} FROM {table} t "
               f"CROSS JOIN generate_series(%s, %s) g JOIN u ON u.rn = (g %% %s) WHERE t.id = %s")
        params = [holder_prefix + "%", first, first + count - 1, n, template.pk]
    else:
        sql = (f"INSERT INTO {table} ({cols}) SELECT {', '.join(exprs)} FROM {table} t "
               f"CROSS JOIN generate_series(%s, %s) g WHERE t.id = %s")
        params = [first, first + count - 1, template.pk]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        cur.execute(f"ANALYZE {table}")


def certificate_count() -> int:
    from certificates.models import Certificate

    return Certificate.objects.count()


@part
def pdf_certificate(quick: bool, arg: str = "") -> dict:
    if not need("certificates.pdf", "render_certificate_pdf_bytes") or not certs_ready():
        return {"missing": "certificates.pdf.render_certificate_pdf_bytes"}
    import shutil
    import subprocess
    import tempfile

    from certificates.pdf import render_certificate_pdf_bytes

    holder = holders("bench-pdf-", 1, start=9_000_000)[0]
    holder.real_name = "欧阳建国"
    holder.save(update_fields=["real_name"])
    cert = template_certificate(holder)
    render_certificate_pdf_bytes(cert)  # warm-up: font subset, QR, CSS
    reps = 2 if quick else 10
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        pdf = render_certificate_pdf_bytes(cert)
        times.append((time.perf_counter() - t0) * 1000)
    extracted = None
    if shutil.which("pdftotext"):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "c.pdf")
            with open(path, "wb") as fh:
                fh.write(pdf)
            text = subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], capture_output=True, text=True).stdout
        extracted = cert.holder_name in "".join(text.split())
    return {"ms": round(lib.median(times), 1), "bytes": len(pdf), "kib": round(len(pdf) / 1024, 1),
            "name_extracted": extracted, "holder_name": cert.holder_name, "reps": reps}


def verify_latency(codes: list[str]) -> dict:
    """Median ms of the public verification page (test client, full middleware), of the lookup
    alone, and of the bare anonymous view (the same client, same middleware) requested right before
    each page: the reference that tells how fast the machine was while this size was timed."""
    import gc

    from django.test import Client

    from certificates import selectors

    c = Client()
    for code in codes[:5]:
        c.get(f"/verify/{code}/")  # warm-up
    page, lookup, reference = [], [], []
    # The objects this process holds (the roster check's 10,000 rows and results by the second
    # measurement) are set aside from the garbage collector's scans, so both sizes are timed with
    # the same heap to scan: the figure is about the table's size, not the harness's memory.
    gc.collect()
    gc.freeze()
    try:
        for code in codes:
            t0 = time.perf_counter()
            assert c.get("/bench/baseline/anon/").status_code == 200
            reference.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            r = c.get(f"/verify/{code}/")
            page.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, (r.status_code, code)
            t0 = time.perf_counter()
            assert selectors.certificate_by_code(code) is not None
            lookup.append((time.perf_counter() - t0) * 1000)
    finally:
        gc.unfreeze()
    return {"page_ms": round(lib.median(page), 3), "page_p95_ms": round(lib.percentile(page, 95), 3),
            "lookup_ms": round(lib.median(lookup), 3), "reference_ms": round(lib.median(reference), 3),
            "n": len(codes)}


def settle_tables() -> None:
    """After a bulk load: the tables' statistics and visibility map as autovacuum would leave them
    in a running system, and the load's dirty pages written out, before anything is timed."""
    from django.db import connection

    from accounts.models import User
    from certificates.models import Certificate

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as c:
        for model in (Certificate, User):
            c.execute(f'VACUUM (ANALYZE) "{model._meta.db_table}"')
        c.execute("CHECKPOINT")


def _codes(upto: int, n: int, seed: int) -> list[str]:
    import random

    rng = random.Random(seed)
    return [f"Q{g:09d}" for g in rng.sample(range(1, upto + 1), n)]


@part
def certificates_scale(quick: bool, arg: str = "") -> dict:
    """verify_flat and the roster check: verification latency with 1,000 certificates, the roster
    check of 10,000 people, then again with 1,000,000 certificates in the table."""
    if not certs_ready():
        return {"missing": "certificates services (verification, roster check)"}
    from certificates import services

    small, big = (1_000, 20_000) if quick else (1_000, 1_000_000)
    roster_n = 200 if quick else 10_000
    samples = 30 if quick else 1000
    out: dict = {"small": small, "big": big, "roster_rows": roster_n}
    t0 = time.perf_counter()
    officer = holders("bench-tpl-", 1, start=9_100_000)[0]
    template = template_certificate(officer)
    holders("bench-fill-", 2_000 if quick else 100_000, start=0, with_id=False)
    clone_certificates(template, first=1, count=small - 1, holder_prefix="bench-fill-")
    out["setup_small_s"] = round(time.perf_counter() - t0, 1)
    out["certificates_small"] = certificate_count()
    settle_tables()
    out["verify_small"] = verify_latency(_codes(small - 1, min(samples, small - 1), 1))

    # roster: people holding certificates (most valid, some for another operation) and people without
    t0 = time.perf_counter()
    people = holders("bench-roster-", roster_n, start=5_000_000)
    certified = int(roster_n * 0.8)  # 80 % hold a certificate (one each), 20 % hold none
    clone_certificates(template, first=small, count=certified, holder_prefix="bench-roster-")
    from catalogue.models import OperationItem

    out["setup_roster_s"] = round(time.perf_counter() - t0, 1)
    settle_tables()
    op_name = template.operation_item.name
    other = OperationItem.objects.exclude(pk=template.operation_item_id).order_by("id").first().name
    rows = []
    for i, u in enumerate(people):
        operation = op_name if i % 10 else other  # every tenth person does another operation
        rows.append({"name": u.real_name, "id_number": u.id_number, "operation": operation})
    for i in range(0, len(rows), 50):
        rows[i]["id_number"] = rows[i]["id_number"][:-1] + ("0" if rows[i]["id_number"][-1] != "0" else "1")

    def roster_run():
        return services.roster_check_run(user=officer, rows=rows, source_name="基准名单.xlsx")

    roster_run()  # warm-up
    times, queries = timed(roster_run, 1 if quick else 3)
    last = roster_run()
    out["roster_small_table"] = {"s": round(lib.median(times) / 1000, 3), "queries": queries,
                                 "summary": last.summary, "certificates": certificate_count()}

    # grow to the big table
    t0 = time.perf_counter()
    remaining = big - certificate_count()
    step = 250_000
    first = small + certified
    while remaining > 0:
        n = min(step, remaining)
        clone_certificates(template, first=first, count=n, holder_prefix="bench-fill-")
        first += n
        remaining -= n
    out["setup_big_s"] = round(time.perf_counter() - t0, 1)
    out["certificates_big"] = certificate_count()
    settle_tables()
    out["verify_big"] = verify_latency(_codes(first - 1, samples, 3))
    times, queries = timed(roster_run, 1 if quick else 3)
    out["roster_big_table"] = {"s": round(lib.median(times) / 1000, 3), "queries": queries,
                               "certificates": certificate_count()}
    # The two sizes are timed minutes apart, with a million-row load in between; on a shared machine
    # its speed can change more in that time than the table's size changes the page. Each size's
    # latency is taken relative to the bare view timed alongside it, so only the table's size
    # enters the figure; the plain ratio of the medians is kept too.
    small_page, big_page = out["verify_small"]["page_ms"], out["verify_big"]["page_ms"]
    out["verify_flat_unadjusted"] = round(big_page / small_page, 3)
    out["verify_flat"] = round((big_page / out["verify_big"]["reference_ms"])
                               / (small_page / out["verify_small"]["reference_ms"]), 3)
    return out


@part
def verify_prepare(quick: bool, arg: str = "") -> dict:
    if not certs_ready():
        return {"missing": "certificates public verification page"}
    cert = template_certificate(holders("bench-verify-", 1, start=9_200_000)[0])
    return {"path": f"/verify/{cert.verification_code}/"}


from bench import scaleparts  # noqa: E402,F401  (registers the province-scale parts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("parts", help="one part, or several separated by commas (one Django start-up)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--arg", default="")
    args = parser.parse_args()
    names = args.parts.split(",")
    # run as __main__, the scale parts registered themselves in the importable bench.parts
    PARTS.update({k: v for k, v in sys.modules["bench.parts"].PARTS.items() if k not in PARTS})
    results = {}
    for name in names:
        results[name] = PARTS[name](args.quick, args.arg)
    out = results[names[0]] if len(names) == 1 else results
    sys.stdout.write("\n" + json.dumps(out, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
