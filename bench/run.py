#!/usr/bin/env python
"""Anxun benchmarks, in one run on this machine: ``python bench/run.py [--quick] [--json FILE] [--readme]``.

Hot paths are compared side by side with a bare Django view behind the same middleware (ratios),
and a candidate's sitting with the peer quiz app django-mcq. ``--quick`` only checks that every
part runs (tiny sizes, short loads); its figures are not measurements.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import lib, peer  # noqa: E402

NA = "n/a (not built yet)"

# the parts, in the order they run, and the figures each gives (``--only`` runs one of them)
GROUPS = {
    "inprocess": ["pdf_ratio", "paper_ms", "paper_queries", "roster_10k_s", "roster_10k_queries", "verify_flat"],
    "http": ["autosave_ratio", "verify_ratio", "start_storm_p95_ms"],
    "peer": ["peer_answer_speedup", "peer_queries_ratio", "peer_throughput_ratio"],
    "scale": ["dashboard_flat", "coverage_flat", "warning_status_flat", "progress_rollup_flat", "search_flat",
              "heartbeat_ratio", "roster_100k_linear"],
}

# the bureau pages measured at city and province scale (bench/scaleparts.py PAGES)
PAGE_FIGURES = ("dashboard_flat", "coverage_flat", "warning_status_flat", "progress_rollup_flat")

# key: (goal text, predicate, unit)
GOALS = {
    "autosave_ratio": ("≥ 0.5", lambda v: v >= 0.5, ""),
    "verify_ratio": ("≥ 0.5", lambda v: v >= 0.5, ""),
    "verify_flat": ("≤ 1.3", lambda v: v <= 1.3, ""),
    "roster_10k_s": ("≤ 1.0 s", lambda v: v <= 1.0, " s"),
    "roster_10k_queries": ("≤ 10", lambda v: v <= 10, ""),
    "paper_ms": ("≤ 10 ms", lambda v: v <= 10, " ms"),
    "paper_queries": ("≤ 5", lambda v: v <= 5, ""),
    "pdf_ratio": ("≤ 2 (< 300 KiB, text extractable)", lambda v: v <= 2, ""),
    "peer_answer_speedup": ("≥ 5×", lambda v: v >= 5, "×"),
    "peer_queries_ratio": ("≤ 0.2", lambda v: v <= 0.2, ""),
    "peer_throughput_ratio": ("≥ 5×", lambda v: v >= 5, "×"),
    "start_storm_p95_ms": ("≤ 1000 ms, 0 errors, distinct papers", lambda v: v <= 1000, " ms"),
    "dashboard_flat": ("≤ 2, ≤ 15 queries", lambda v: v <= 2, ""),
    "coverage_flat": ("≤ 2, ≤ 15 queries", lambda v: v <= 2, ""),
    "warning_status_flat": ("≤ 2, ≤ 15 queries", lambda v: v <= 2, ""),
    "progress_rollup_flat": ("≤ 2, ≤ 15 queries", lambda v: v <= 2, ""),
    "search_flat": ("≤ 2", lambda v: v <= 2, ""),
    "heartbeat_ratio": ("≥ 0.5", lambda v: v >= 0.5, ""),
    "roster_100k_linear": ("≤ 1.2", lambda v: v <= 1.2, ""),
}


class Run:
    def __init__(self, quick: bool, keep: bool, only: str | None = None, province: int = 100_000):
        self.province = province
        self.quick = quick
        self.keep = keep
        self.only = only
        self.id = f"{os.getpid()}"
        self.tmp = Path(tempfile.mkdtemp(prefix="anxun-bench-"))
        self.db = f"anxun_bench_{self.id}"
        self.figures: dict = {k: None for k in GOALS}
        self.notes: dict[str, str] = {}  # key -> why n/a / what failed
        self.raw: dict = {}
        self.errors: list[str] = []
        self.extra_checks: dict[str, bool] = {}
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "CELERY_", "PYTEST", "BENCH_"))}
        base.update({"PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_RUN_ID": self.id,
                     "BENCH_MEDIA_ROOT": str(self.tmp / "media")})
        self.env_pg = {**base, "BENCH_DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{self.db}"}
        self.env_sqlite = {**base, "BENCH_DATABASE_URL": f"sqlite:///{self.tmp / 'anxun.sqlite3'}",
                           "BENCH_REDIS_URL": "", "BENCH_BROKER_URL": "",
                           "BENCH_RUN_ID": self.id + "s", "BENCH_MEDIA_ROOT": str(self.tmp / "media-s")}
        if quick:
            self.env_pg["BENCH_SYNCDB"] = self.env_sqlite["BENCH_SYNCDB"] = "1"
        self.pg_ok = False
        self.sqlite_ok = False
        self.peer_site: peer.PeerSite | None = None
        self.peer_error: str | None = None

    # ------------------------------------------------------------------ helpers

    def wants(self, group: str) -> bool:
        return self.only in (None, group)

    def part(self, name: str, env: dict, arg: str = "", timeout: float = 900) -> dict:
        cmd = [sys.executable, "-m", "bench.parts", name, *(["--quick"] if self.quick else []),
               *(["--arg", arg] if arg else [])]
        r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        if r.returncode:
            raise RuntimeError(f"part {name} failed:\n{r.stderr[-3000:]}")
        return json.loads(r.stdout.strip().splitlines()[-1])

    def guard(self, keys: list[str], fn, *args):
        """Run one measurement; a crash is reported against its figures and the run goes on."""
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001
            msg = f"{type(exc).__name__}: {exc}"
            lib.log(f"ERROR in {fn.__name__}: {msg}")
            traceback.print_exc(file=sys.stderr)
            self.errors.append(f"{fn.__name__}: {msg[:2000]}")
            for k in keys:
                self.notes.setdefault(k, f"error: {msg.splitlines()[0][:160]}")
            return None

    def missing(self, keys: list[str], what: str) -> None:
        for k in keys:
            self.notes.setdefault(k, NA)
        self.raw.setdefault("not_built", []).append(what)

    # ------------------------------------------------------------------ setup

    def setup(self) -> None:
        jobs = []
        needs_pg = self.wants("inprocess") or self.wants("http") or self.wants("scale")
        if needs_pg and lib.pg_available() and lib.redis_available():
            def pg():
                lib.pg_create(self.db)
                self.schema(self.env_pg, "PostgreSQL")
                self.pg_ok = True
            jobs.append(threading.Thread(target=self.guard, args=(["setup"], pg)))
        elif needs_pg:
            self.errors.append("PostgreSQL at 127.0.0.1:5432 or Redis at 127.0.0.1:6379 is not reachable")

        def sqlite():
            self.schema(self.env_sqlite, "SQLite")
            self.sqlite_ok = True

        def peer_build():
            try:
                self.peer_site = peer.build_site(self.tmp, n_questions=100, n_users=8 if self.quick else 200)
                self.raw["peer_versions"] = self.peer_site.versions
            except peer.PeerUnavailable as exc:
                self.peer_error = str(exc)

        if self.wants("peer"):
            jobs.append(threading.Thread(target=self.guard, args=(["setup"], sqlite)))
            jobs.append(threading.Thread(target=self.guard, args=(["setup"], peer_build)))
        t0 = time.perf_counter()
        for j in jobs:
            j.start()
        for j in jobs:
            j.join()
        self.raw["setup_s"] = round(time.perf_counter() - t0, 1)
        lib.log(f"setup done in {self.raw['setup_s']} s (PostgreSQL {self.pg_ok}, SQLite {self.sqlite_ok}, "
                f"peer {'ok' if self.peer_site else self.peer_error})")

    def schema(self, env: dict, what: str) -> None:
        if self.quick:
            r = subprocess.run([sys.executable, "-m", "bench.schema"], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=600)
            if r.returncode == 0:
                return
            lib.log(f"fast schema on {what} failed, running the migrations: {r.stderr[-500:]}")
            env.pop("BENCH_SYNCDB", None)
        lib.finish(lib.start_manage(["migrate", "--noinput", "-v0"], env), f"migrate ({what})")

    def cleanup(self) -> None:
        lib.pg_drop(self.db)
        try:  # this run's cache keys, and the tasks queued to the worker-less broker database
            import redis

            r = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=2)
            keys = list(r.scan_iter(f"*anxun-bench-{self.id}*"))
            if keys:
                r.delete(*keys)
            redis.Redis.from_url("redis://127.0.0.1:6379/9", socket_connect_timeout=2).delete("celery")
        except Exception:  # noqa: BLE001
            pass
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ------------------------------------------------------------------ in-process parts (PostgreSQL)

    def inprocess(self) -> None:
        parts = self.part("pdf_baseline,pdf_certificate,paper,certificates_scale", self.env_pg, timeout=1500)
        base = parts["pdf_baseline"]
        self.raw["pdf_one_line_ms"] = base["ms"]
        cert = parts["pdf_certificate"]
        if "missing" in cert:
            self.missing(["pdf_ratio"], cert["missing"])
        else:
            self.raw["pdf_certificate"] = cert
            self.figures["pdf_ratio"] = lib.ratio(cert["ms"], base["ms"], 1)
            self.extra_checks["pdf_under_300KiB"] = cert["bytes"] < 300 * 1024
            self.extra_checks["pdf_text_extractable"] = bool(cert.get("name_extracted"))

        paper = parts["paper"]
        if "missing" in paper:
            self.missing(["paper_ms", "paper_queries"], paper["missing"])
        else:
            self.raw["paper"] = paper
            self.figures["paper_ms"] = paper["ms"]
            self.figures["paper_queries"] = paper["queries"]

        scale = parts["certificates_scale"]
        if "missing" in scale:
            self.missing(["roster_10k_s", "roster_10k_queries", "verify_flat"], scale["missing"])
        else:
            self.raw["certificates_scale"] = scale
            # the roster figure is taken with the big table in place (national scale), the smaller
            # table's figure is kept in raw
            self.figures["roster_10k_s"] = scale["roster_big_table"]["s"]
            self.figures["roster_10k_queries"] = scale["roster_big_table"]["queries"]
            self.figures["verify_flat"] = scale["verify_flat"]

    # ------------------------------------------------------------------ HTTP parts (PostgreSQL, gunicorn)

    def http(self) -> None:
        seconds = 1.5 if self.quick else 10
        conc = 4 if self.quick else 16
        wrk = lib.ensure_wrk(install=not self.quick)
        self.raw["load_generator"] = "wrk" if wrk else "python threads (http.client)"
        # The production shape (deploy/gunicorn.conf.py): more processes than cores, each with
        # threads and keep-alive, so that while one request waits for PostgreSQL's commit to reach
        # the disk the cores serve others.
        workers, shape = lib.production_shape(ROOT)
        server = lib.gunicorn("bench.wsgi", env=self.env_pg, cwd=ROOT, workers=workers, ports=lib.PORTS_A,
                              log_dir=self.tmp, ready_path="/bench/baseline/anon/", extra=shape)
        self.raw["gunicorn"] = f"bench.wsgi, {workers} workers, {' '.join(shape)}"
        try:
            def record(name, res, distinct=None):
                s = res.summary()
                if distinct is not None:
                    s["distinct_requests"] = distinct
                if res.error_samples:
                    s["error_samples"] = res.error_samples[:3]
                self.raw.setdefault(name, []).append(s)
                lib.log(f"{name}: {s}")
                if res.errors:
                    raise RuntimeError(f"{name}: {res.errors} errors of {res.requests} requests: {res.error_samples[:2]}")
                return res

            def measure(name, method, path, cookies=None, data=None, headers=None):
                return record(name, lib.load(server.base, method, path, wrk=wrk, tmp=self.tmp, cookies=cookies,
                                             data=data, headers=headers, seconds=half, concurrency=conc))

            def measure_many(name, requests, headers):
                return record(name, lib.load_many(server.base, "POST", requests, wrk=wrk, tmp=self.tmp,
                                                  headers=headers, seconds=half, concurrency=conc),
                              distinct=len(requests))

            def paired(baseline, hot) -> float:
                """Baseline, hot path, hot path, baseline (each for half the round's time): a drift of
                the machine's speed during the round hits both sides alike. Requests/s of the two
                hot-path runs together ÷ that of the two baseline runs."""
                a1, b1, b2, a2 = baseline(), hot(), hot(), baseline()
                rps = [(x.requests + y.requests) / (x.seconds + y.seconds) for x, y in ((b1, b2), (a1, a2))]
                return lib.ratio(rps[0], rps[1], 3)

            prep = self.part("baseline_user,autosave_prepare,verify_prepare", self.env_pg, timeout=1200)
            user, auto, ver = prep["baseline_user"], prep["autosave_prepare"], prep["verify_prepare"]
            if "missing" in auto:
                self.missing(["autosave_ratio"], auto["missing"])
            if "missing" in ver:
                self.missing(["verify_ratio"], ver["missing"])
            # Each hot path paired with its baseline, in rounds; a figure is the median of the
            # rounds' ratios. The reads go first; after the autosaves' writes PostgreSQL is let
            # finish its checkpoint and autovacuum, which would otherwise take CPU from whatever is
            # measured next.
            # seven rounds: on a shared machine one round's ratio may land anywhere within ±0.15
            # of the median, and the median of seven moves less from one run to the next than that of five
            rounds = 1 if self.quick else 7
            half = seconds / 2
            ratios: dict[str, list] = {"autosave_ratio": [], "verify_ratio": []}
            settled = [lib.pg_settle()]  # the in-process parts wrote a million certificates
            for r in range(rounds):
                tag = f"#{r + 1}" if rounds > 1 else ""
                if "missing" not in ver:
                    ratios["verify_ratio"].append(paired(
                        lambda: measure(f"baseline_anonymous{tag}", "GET", "/bench/baseline/anon/"),
                        lambda: measure(f"verify_page{tag}", "GET", ver["path"])))
                if "missing" not in auto:
                    # The autosaves cycle through every candidate's questions; the baseline is sent
                    # as the same candidates, with the same POST bodies, CSRF tokens and htmx header.
                    saves = auto.get("requests") or [auto]
                    baseline = [{**r, "path": user["path"]} for r in saves]
                    ratios["autosave_ratio"].append(paired(
                        lambda: measure_many(f"baseline_authenticated{tag}", baseline, auto["headers"]),
                        lambda: measure_many(f"autosave{tag}", saves, auto["headers"])))
                    settled.append(lib.pg_settle())
            self.raw["postgresql_settle_s"] = settled
            for key, values in ratios.items():
                if values:
                    self.raw[f"{key}_rounds"] = values
                    self.figures[key] = round(lib.median(values), 2)

            self.guard(["start_storm_p95_ms"], self.storm, server)
        finally:
            server.stop()

    def storm(self, server: lib.Server) -> None:
        n = 20 if self.quick else 500
        prep = self.part("storm_prepare", self.env_pg, arg=str(n), timeout=1200)
        if "missing" in prep:
            self.missing(["start_storm_p95_ms"], prep["missing"])
            return
        from bench import storm

        result = storm.run(server.base, prep, concurrency=min(n, 64))
        check = self.part("storm_check", self.env_pg, arg=json.dumps(prep.get("check", {})))
        result.update(check)
        self.raw["start_storm"] = result
        self.figures["start_storm_p95_ms"] = result["p95_ms"]
        self.extra_checks["start_storm_zero_errors"] = result["errors"] == 0
        self.extra_checks["start_storm_distinct_papers"] = result.get("distinct_papers") == n

    # ------------------------------------------------------------------ province scale (PostgreSQL)

    def scale(self) -> None:
        """Bureau pages at city and province scale (both generated by seed_demo --scale), search at
        1,000 and 100,000 documents, the roster check at 10,000 and 100,000 rows, study heartbeats."""
        arg = str(60 if self.quick else self.province)
        pages = self.guard(list(PAGE_FIGURES), self.part, "scale_pages",
                           self.env_pg, arg, 3600)
        if pages:
            self.raw["scale_pages"] = pages
            for key in PAGE_FIGURES:
                if pages.get(key) is not None:
                    self.figures[key] = pages[key]
                    self.extra_checks[f"{key}_queries_le_15"] = pages[f"{key}_queries"] <= 15
                else:
                    self.notes[key] = f"page failed: {pages['city']['pages'].get(key)}"
        search = self.guard(["search_flat"], self.part, "search_scale", self.env_pg, "", 1800)
        if search:
            self.raw["search_scale"] = search
            self.figures["search_flat"] = search["search_flat"]
        roster = self.guard(["roster_100k_linear"], self.part, "roster_scale", self.env_pg, "", 1800)
        if roster:
            if "missing" in roster:
                self.missing(["roster_100k_linear"], roster["missing"])
            else:
                self.raw["roster_scale"] = roster
                self.figures["roster_100k_linear"] = roster["roster_100k_linear"]
        self.guard(["heartbeat_ratio"], self.heartbeat)

    def heartbeat(self) -> None:
        """Study heartbeats/s ÷ the bare authenticated view's, paired in rounds as autosave_ratio."""
        prep = self.part("baseline_user,heartbeat_prepare", self.env_pg)
        beats = prep["heartbeat_prepare"]
        if "missing" in beats:
            self.missing(["heartbeat_ratio"], beats["missing"])
            return
        seconds = 1.5 if self.quick else 10
        conc = 4 if self.quick else 16
        wrk = lib.ensure_wrk(install=not self.quick)
        workers, shape = lib.production_shape(ROOT)
        server = lib.gunicorn("bench.wsgi", env=self.env_pg, cwd=ROOT, workers=workers, ports=lib.PORTS_A,
                              log_dir=self.tmp, ready_path="/bench/baseline/anon/", extra=shape)
        try:
            saves = beats["requests"]
            baseline = [{**r, "path": prep["baseline_user"]["path"]} for r in saves]
            ratios = []

            def go(name, reqs):
                res = lib.load_many(server.base, "POST", reqs, wrk=wrk, tmp=self.tmp, headers=beats["headers"],
                                    seconds=seconds / 2, concurrency=conc)
                s = res.summary()
                if res.error_samples:
                    s["error_samples"] = res.error_samples[:3]
                self.raw.setdefault(name, []).append(s)
                if res.errors:
                    raise RuntimeError(f"{name}: {res.errors} errors of {res.requests}: {res.error_samples[:2]}")
                return res

            for _ in range(1 if self.quick else 5):
                a1, b1, b2, a2 = (go("heartbeat_baseline", baseline), go("heartbeat", saves),
                                  go("heartbeat", saves), go("heartbeat_baseline", baseline))
                rps = [(x.requests + y.requests) / (x.seconds + y.seconds) for x, y in ((b1, b2), (a1, a2))]
                ratios.append(lib.ratio(rps[0], rps[1], 3))
                lib.pg_settle()
            self.raw["heartbeat_ratio_rounds"] = ratios
            self.figures["heartbeat_ratio"] = round(lib.median(ratios), 2)
        finally:
            server.stop()

    # ------------------------------------------------------------------ peer comparison (SQLite both sides)

    def peer_comparison(self) -> None:
        keys = GROUPS["peer"]
        if self.peer_site is None:
            for k in keys:
                self.notes[k] = f"n/a (peer: {self.peer_error or 'not installed'})"
            self.raw["peer_unavailable"] = self.peer_error
            return
        seconds = 3 if self.quick else 10
        rounds = 1 if self.quick else 3
        single = peer.measure_single(self.peer_site)
        self.raw["peer_single"] = single
        lib.log(f"peer single candidate: {single}")

        if not self.sqlite_ok:
            raise RuntimeError("Anxun on SQLite could not be set up")
        ours = self.part("sitting_single", self.env_sqlite)
        if "missing" in ours:
            self.missing(keys, ours["missing"])
            return
        self.raw["anxun_single"] = ours
        self.figures["peer_answer_speedup"] = lib.ratio(single["ms_per_answer"], ours["ms_per_answer"], 1)
        self.figures["peer_queries_ratio"] = lib.ratio(ours["queries_per_answer"], single["queries_per_answer"], 3)
        pool = self.part("sitting_prepare", self.env_sqlite, arg=str(20 if self.quick else 600))
        from bench import sitting

        # Both sites up at once, measured in turns: the peer, then Anxun, `rounds` times, each round
        # with its own share of the sittings; the figure is the median of the rounds' ratios.
        peer_server = peer.start_server(self.peer_site, log_dir=self.tmp)
        server = lib.gunicorn("bench.wsgi", env=self.env_sqlite, cwd=ROOT, workers=2, ports=lib.PORTS_A,
                              log_dir=self.tmp, ready_path="/bench/baseline/anon/", extra=lib.GTHREAD)
        theirs_t, ours_t, ratios = [], [], []
        try:
            for r in range(rounds):
                t = peer.throughput(self.peer_site, peer_server, seconds=seconds, candidates=20, part=r, parts=rounds)
                lib.log(f"peer throughput #{r + 1}: {t}")
                o = sitting.throughput(server.base, {"pool": pool["pool"][r::rounds]}, seconds=seconds,
                                       candidates=20)
                lib.log(f"anxun throughput #{r + 1}: {o}")
                theirs_t.append(t)
                ours_t.append(o)
                ratios.append(lib.ratio(o["answers_per_s"], t["answers_per_s"], 2))
                if o["errors"]:
                    self.errors.append(f"Anxun sitting under load: {o['errors']} errors {o['error_samples'][:2]}")
                if t["errors"]:
                    self.errors.append(f"peer sitting under load: {t['errors']} errors {t['error_samples'][:2]}")
        finally:
            server.stop()
            peer_server.stop()
        self.raw["peer_throughput"] = theirs_t
        self.raw["anxun_throughput"] = ours_t
        self.raw["peer_throughput_ratio_rounds"] = ratios
        self.figures["peer_throughput_ratio"] = round(lib.median([x for x in ratios if x is not None]), 1) \
            if any(x is not None for x in ratios) else None

    # ------------------------------------------------------------------ report

    def table(self) -> str:
        return render_table(self.report())

    def report(self) -> dict:
        return {
            **self.figures,
            "quick": self.quick,
            "machine": lib.machine(),
            "checks": self.extra_checks,
            "notes": self.notes,
            "raw": self.raw,
            "errors": self.errors,
        }


def render_table(rep: dict) -> str:
    """The figures as a Markdown table: value, goal, pass/fail (a null figure shows why)."""
    checks, notes = rep.get("checks", {}), rep.get("notes", {})
    rows = [("figure", "value", "goal", "result")]
    for key, (goal, ok, unit) in GOALS.items():
        v = rep.get(key)
        if v is None:
            rows.append((key, notes.get(key, NA), goal, "—"))
            continue
        passed = ok(v)
        if key == "pdf_ratio":
            passed = passed and checks.get("pdf_under_300KiB", False) and checks.get("pdf_text_extractable", False)
        if key in PAGE_FIGURES:
            passed = passed and checks.get(f"{key}_queries_le_15", False)
        if key == "start_storm_p95_ms":
            passed = passed and checks.get("start_storm_zero_errors", False) and \
                checks.get("start_storm_distinct_papers", False)
        rows.append((key, f"{v}{unit}", goal, ("pass" if passed else "FAIL") + (" (quick)" if rep.get("quick") else "")))
    widths = [max(len(str(r[i])) for r in rows) for i in range(4)]
    lines = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def update_readme(rep: dict) -> None:
    """Write the table of a full run between the bench:table markers of docs/benchmarks.md."""
    readme = ROOT / "docs" / "benchmarks.md"
    text = readme.read_text()
    start, end = "<!-- bench:table -->", "<!-- /bench:table -->"
    if start not in text or end not in text:
        lib.log("docs/benchmarks.md has no bench table markers; not updated")
        return
    m, raw = rep["machine"], rep["raw"]
    load = raw.get("load_average_at_start", ["?"])[0], raw.get("load_average_at_end", ["?"])[0]
    block = (
        f"{start}\nLatest full run: {m['date_utc']} on {m['nproc']} × {m['cpu']}, {m['ram_gib']} GiB RAM, "
        f"Python {m['python']}, load average {load[0]} → {load[1]} during the run; load generator: "
        f"{raw.get('load_generator', '—')}; peer: django-mcq {raw.get('peer_versions', {}).get('django-mcq', '—')} "
        f"on Django {raw.get('peer_versions', {}).get('Django', '—')}.\n\n{render_table(rep)}\n{end}"
    )
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(head + block + tail)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that every part runs")
    parser.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    parser.add_argument("--readme", action="store_true", help="write the table into docs/benchmarks.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--from-json", metavar="FILE", help="print (and with --readme write) the table of a saved run")
    parser.add_argument("--province", type=int, default=100_000,
                        help="enterprises of the generated province (scale group; about 15 people each)")
    parser.add_argument("--only", choices=["inprocess", "http", "peer", "scale"],
                        help="run one group of parts (to work on it; docs/benchmarks.md takes only full runs)")
    args = parser.parse_args(argv)
    if args.from_json:
        rep = json.loads(Path(args.from_json).read_text())
        print(render_table(rep))
        if args.readme and not rep.get("quick"):
            update_readme(rep)
        return 0
    t0 = time.perf_counter()
    run = Run(args.quick, args.keep, only=args.only, province=args.province)
    run.raw["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    lib.log(f"temporary directory {run.tmp}; database {run.db}")
    try:
        run.setup()
        for group, keys in GROUPS.items():
            if not run.wants(group):
                for k in keys:
                    run.notes[k] = f"not run (--only {args.only})"
        for group, part in (("inprocess", run.inprocess), ("http", run.http), ("scale", run.scale)):
            if not run.wants(group):
                continue
            if run.pg_ok:
                run.guard(GROUPS[group], part)
            else:
                for k in GROUPS[group]:
                    run.notes.setdefault(k, "n/a (PostgreSQL/Redis not available)")
        if run.wants("peer"):
            run.guard(GROUPS["peer"], run.peer_comparison)
    finally:
        run.cleanup()
    run.raw["total_s"] = round(time.perf_counter() - t0, 1)
    run.raw["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    table = run.table()
    m = lib.machine()
    print(f"\nAnxun benchmarks{' (quick: checks only, not measurements)' if args.quick else ''} — "
          f"{m['date_utc']}, {m['nproc']} × {m['cpu']}, {m['ram_gib']} GiB RAM, {run.raw['total_s']} s, "
          f"load average {run.raw['load_average_at_start'][0]} → {run.raw['load_average_at_end'][0]}")
    print(table)
    if run.raw.get("peer_unavailable"):
        print(f"\nPeer django-mcq unavailable: {run.raw['peer_unavailable']}")
    if run.errors:
        print("\nErrors:")
        for e in run.errors:
            print(f"- {e}")
    if args.json:
        Path(args.json).write_text(json.dumps(run.report(), ensure_ascii=False, indent=2))
    if args.readme and not args.quick and not args.only:
        update_readme(run.report())
    return 1 if run.errors else 0


if __name__ == "__main__":
    sys.exit(main())
