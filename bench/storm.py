"""Start storm: every candidate presses “start” within the same second.

Each candidate has “my exams” open first (signed in, not timed), as in the exam room. Press times are spread evenly over one second; requests go out on a bounded number of keep-alive
connections. Latency is counted from each candidate's press (so waiting for a free connection
counts, as it would for a person) and, separately, from the moment the request was sent.
"""

from __future__ import annotations

import threading
import time

from bench import lib


def _open_my_exams(base: str, cands: list[dict], clients: list, concurrency: int) -> int:
    """Every candidate first opens “my exams”, where the start button is (not timed): as in the
    exam room, the browser is signed in and has the page open when the session starts."""
    lock = threading.Lock()
    queue = list(range(len(cands)))
    failures = 0

    def worker():
        nonlocal failures
        while True:
            with lock:
                if not queue:
                    return
                i = queue.pop()
            client = lib.Client(base, cands[i]["cookies"], timeout=120)
            status, _h, _b = client.get("/exams/my/")
            clients[i] = client
            if status != 200:
                with lock:
                    failures += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures


def run(base: str, prep: dict, *, concurrency: int) -> dict:
    cands = prep["candidates"]
    n = len(cands)
    clients: list = [None] * n
    my_exams_failures = _open_my_exams(base, cands, clients, min(concurrency, 16))
    t_start = time.perf_counter() + 0.5
    press = [t_start + i / n for i in range(n)]
    lock = threading.Lock()
    queue = list(range(n))
    from_press: list[float] = []
    from_send: list[float] = []
    errors: list[str] = []

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                i = queue.pop(0)
            delay = press[i] - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            c = cands[i]
            client = clients[i] or lib.Client(base, c["cookies"], timeout=120)
            sent = time.perf_counter()
            try:
                status, headers, body = client.post(c["path"], {})
                done = time.perf_counter()
                loc = headers.get("location", "")
                ok = status == 302 and "/exams/attempts/" in loc
                err = None if ok else f"{status} → {loc or body[:120]!r}"
            except Exception as exc:  # noqa: BLE001
                done = time.perf_counter()
                err = repr(exc)[:200]
            with lock:
                from_press.append((done - press[i]) * 1000)
                from_send.append((done - sent) * 1000)
                if err:
                    errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t_start
    return {
        "candidates": n, "concurrency": concurrency, "errors": len(errors) + my_exams_failures,
        "error_samples": errors[:5], "my_exams_page_failures": my_exams_failures,
        "p50_ms": lib._r(lib.percentile(from_press, 50)), "p95_ms": lib._r(lib.percentile(from_press, 95)),
        "max_ms": lib._r(max(from_press) if from_press else None),
        "p95_ms_from_send": lib._r(lib.percentile(from_send, 95)),
        "seconds_until_last_start": round(wall, 2), "bank_size": prep.get("bank_size"),
        # papers frozen ahead of time by the product's service before the presses (None: not built)
        "prepared": prep.get("prepared"), "prepare_s": prep.get("prepare_s"),
    }
