"""The benchmark harness runs end to end (``bench/run.py --quick``): every part starts, and every
figure is either a number or says why it is not available — never a made-up value."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import lib

ROOT = Path(__file__).resolve().parents[2]
KEYS = [
    "autosave_ratio", "verify_ratio", "verify_flat", "roster_10k_s", "roster_10k_queries", "paper_ms",
    "paper_queries", "pdf_ratio", "peer_answer_speedup", "peer_queries_ratio", "peer_throughput_ratio",
    "start_storm_p95_ms",
]


@pytest.mark.multiprocess
@pytest.mark.skipif(not (lib.pg_available() and lib.redis_available()),
                    reason="the benchmark harness needs PostgreSQL and Redis on 127.0.0.1")
def test_quick_run_reports_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "bench/run.py", "--quick", "--json", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    report = json.loads(out.read_text())
    assert report["quick"] is True
    assert report["machine"]["nproc"] >= 1
    for key in KEYS:
        value = report[key]
        assert value is None or isinstance(value, (int, float)), key
        if value is None:
            assert report["notes"].get(key), f"{key} is null without a reason"
        assert key in proc.stdout
    # parts that need no app code always measure
    # each hot path is measured twice between two runs of its baseline (baseline, hot, hot, baseline)
    assert len(report["raw"]["baseline_anonymous"]) == 2
    assert all(run["requests"] > 0 for run in report["raw"]["baseline_anonymous"])
    if report["autosave_ratio"] is not None:  # the autosaves cycle over every candidate's questions
        saves = report["raw"]["autosave"]
        assert len(saves) == 2
        assert all(s["requests"] > 0 and s["errors"] == 0 and s["distinct_requests"] > 1 for s in saves)
        assert [b["distinct_requests"] for b in report["raw"]["baseline_authenticated"]] == \
            [s["distinct_requests"] for s in saves]
    assert report["raw"]["pdf_one_line_ms"] > 0
    peer = report["raw"].get("peer_single")
    if peer is not None:  # django-mcq installed and ran: its sitting was measured
        assert peer["answers"] == 99 and peer["queries_per_answer"] > 0
        rounds = report["raw"]["peer_throughput"]  # one entry per round, both sides measured in turns
        assert rounds and all(r["answers"] > 0 for r in rounds)
        assert len(report["raw"]["anxun_throughput"]) == len(rounds)
        assert all(r["answers"] > 0 and r["errors"] == 0 for r in report["raw"]["anxun_throughput"])
    else:
        assert report["raw"]["peer_unavailable"]
    if report["start_storm_p95_ms"] is not None:  # exams' start endpoint measured: every start succeeded
        storm = report["raw"]["start_storm"]
        assert storm["errors"] == 0, storm["error_samples"]
        assert storm["attempts"] == storm["candidates"] == storm["distinct_papers"]
    if report["paper_queries"] is not None:
        assert report["paper_queries"] >= 1 and report["raw"]["paper"]["blueprint_questions"] == 100
