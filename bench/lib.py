"""Shared machinery of the benchmark harness: machine facts, databases, gunicorn, load generation."""

from __future__ import annotations

import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
PORTS_A = range(8110, 8120)
PORTS_B = range(8120, 8130)


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S', time.gmtime())}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- machine


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "ram_gib": ram_gib,
        "python": platform.python_version(),
        "os": platform.platform(),
        "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def median(values):
    return statistics.median(values) if values else None


# --------------------------------------------------------------------------- databases


def pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001
        return False


def redis_available(url: str = "redis://127.0.0.1:6379/0") -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:  # noqa: BLE001
        return False


def pg_create(name: str) -> None:
    import psycopg

    assert re.fullmatch(r"[a-z0-9_]+", name)
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def pg_settle(timeout: float = 20.0) -> float:
    """Let PostgreSQL finish what a write load left behind — a checkpoint now, then until no client
    backend or autovacuum worker is busy — so it does not take CPU from the next measurement.
    Returns the seconds waited."""
    import psycopg

    t0 = time.monotonic()
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        while time.monotonic() - t0 < timeout:
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
                "AND backend_type IN ('client backend', 'autovacuum worker')").fetchone()[0]
            if not busy:
                break
            time.sleep(0.2)
    return round(time.monotonic() - t0, 2)


def pg_drop(name: str) -> None:
    import psycopg

    assert re.fullmatch(r"[a-z0-9_]+", name)
    try:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception as exc:  # noqa: BLE001
        log(f"could not drop database {name}: {exc}")


def manage(args: list[str], env: dict, *, timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, timeout=timeout,
        capture_output=True, text=True, check=check,
    )


def start_manage(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def finish(proc: subprocess.Popen, what: str, timeout: float = 900) -> None:
    out, _ = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed ({proc.returncode}):\n{out[-3000:]}")


# --------------------------------------------------------------------------- ports and gunicorn


def free_port(candidates: range | None = None) -> int:
    for port in candidates or ():
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# Threaded workers with keep-alive, as deploy/gunicorn.conf.py runs them.
GTHREAD = ["--worker-class", "gthread", "--threads", "4", "--keep-alive", "5"]


def production_shape(root: Path) -> tuple[int, list[str]]:
    """Workers and worker options as deploy/gunicorn.conf.py gives them on this machine (its
    defaults: 2 × cores + 1 workers, gthread, 4 threads; GUNICORN_* variables change them there)."""
    import runpy

    conf = runpy.run_path(str(root / "deploy" / "gunicorn.conf.py"))
    return int(conf["workers"]), ["--worker-class", conf["worker_class"], "--threads", str(conf["threads"]),
                                  "--keep-alive", str(conf["keepalive"])]


def gunicorn(app: str, *, env: dict, cwd: Path, workers: int, ports: range | None, log_dir: Path,
             python: str | None = None, extra: list[str] | None = None, ready_path: str = "/") -> Server:
    """Start gunicorn on 127.0.0.1 (sync workers unless ``extra`` says otherwise) and wait until it answers."""
    last_error = ""
    for _attempt in range(3):
        port = free_port(ports)
        log_path = log_dir / f"gunicorn-{port}.log"
        exe = [python, "-m", "gunicorn"] if python else [sys.executable, "-m", "gunicorn"]
        cmd = [*exe, app, "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--timeout", "120", "--backlog", "2048", "--log-level", "warning", *(extra or [])]
        fh = open(log_path, "w")  # noqa: SIM115
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", ready_path)
                conn.getresponse().read()
                conn.close()
                # warm every worker (imports, URL resolver, template loaders)
                for _ in range(workers * 6):
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    c.request("GET", ready_path)
                    c.getresponse().read()
                    c.close()
                return Server(proc, port, log_path)
            except OSError:
                time.sleep(0.2)
        last_error = log_path.read_text()[-2000:]
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    raise RuntimeError(f"gunicorn did not start:\n{last_error}")


# --------------------------------------------------------------------------- HTTP clients


class Client:
    """A small keep-alive HTTP/1.1 client with a cookie jar (one per simulated user, one thread each).

    It speaks HTTP over a plain socket (requests written in one send, responses read with
    Content-Length or chunked framing) instead of http.client, whose header parsing cost the load
    generator several times the CPU of the request itself: the generator runs on the machine it
    measures, so every microsecond it spends is taken from the server under test — from the faster
    side most of all.
    """

    def __init__(self, base: str, cookies: dict | None = None, timeout: float = 60):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.cookies = dict(cookies or {})
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.buf = b""

    def _connect(self) -> socket.socket:
        if self.sock is None:
            self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buf = b""
        return self.sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buf = None, b""

    def _fill(self) -> None:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        self.buf += chunk

    def _until(self, marker: bytes) -> bytes:
        while (i := self.buf.find(marker)) < 0:
            self._fill()
        out, self.buf = self.buf[:i], self.buf[i + len(marker):]
        return out

    def _exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _response(self, method: str) -> tuple[int, list[tuple[str, str]], bytes, bool]:
        head = self._until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        version, status = head[0].split(" ", 2)[:2]
        headers = []
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        h = dict(headers)
        code = int(status)
        keep = h.get("connection", "").lower() != "close" and version != "HTTP/1.0"
        if method == "HEAD" or code in (204, 304) or 100 <= code < 200:
            body = b""
        elif h.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self._until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    self._until(b"\r\n")  # no trailers are sent
                    break
                parts.append(self._exactly(size))
                self._exactly(2)
            body = b"".join(parts)
        elif "content-length" in h:
            body = self._exactly(int(h["content-length"]))
        else:  # delimited by the end of the connection
            try:
                while True:
                    self._fill()
            except ConnectionResetError:
                pass
            body, self.buf, keep = self.buf, b"", False
        return code, headers, body, keep

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None,
                follow: bool = False) -> tuple[int, dict, bytes]:
        body = urllib.parse.urlencode(data or {}, doseq=True).encode() if data is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "User-Agent: anxun-bench"]
        if data is not None:
            lines.append("Content-Type: application/x-www-form-urlencoded")
        if data is not None or method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(body)}")
        if "csrftoken" in self.cookies and method != "GET":
            lines.append(f"X-CSRFToken: {self.cookies['csrftoken']}")
            lines.append(f"Referer: http://{self.host}:{self.port}{path}")
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body
        for attempt in range(2):
            fresh = self.sock is None
            try:
                self._connect().sendall(raw)
                status, header_list, payload, keep = self._response(method)
                break
            except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
                # a keep-alive connection the server had closed meanwhile: open a new one, once
                self.close()
                if attempt or fresh:
                    raise
        if not keep:
            self.close()
        for name, value in header_list:
            if name == "set-cookie":
                cookie, _, _rest = value.partition(";")
                key, _, val = cookie.partition("=")
                self.cookies[key.strip()] = val
        hdrs = dict(header_list)
        if follow and status in (301, 302, 303) and "location" in hdrs:
            loc = urllib.parse.urlsplit(hdrs["location"])
            return self.request("GET", loc.path + (f"?{loc.query}" if loc.query else ""))
        return status, hdrs, payload

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, data=None, **kw):
        return self.request("POST", path, data=data or {}, **kw)


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    tool: str = "python"
    error_samples: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def summary(self) -> dict:
        if self.tool == "wrk":  # wrk reports the two percentiles only
            p50, p95 = (self.latencies_ms + [None, None])[:2]
        else:
            p50, p95 = percentile(self.latencies_ms, 50), percentile(self.latencies_ms, 95)
        return {
            "rps": round(self.rps, 1), "requests": self.requests, "errors": self.errors,
            "seconds": round(self.seconds, 2), "tool": self.tool,
            "p50_ms": _r(p50), "p95_ms": _r(p95),
        }


def _r(v, n=1):
    return None if v is None else round(v, n)


def python_load(base: str, method: str, path: str, *, cookies: dict | None = None, data: dict | None = None,
                headers: dict | None = None, seconds: float, concurrency: int, ok=(200,),
                requests: list[dict] | None = None) -> LoadResult:
    """Closed-loop load: `concurrency` threads each send requests back to back for `seconds` — the
    same one, or each thread the next of ``requests`` ({"path", "cookies", "data"}) in turn."""
    requests = requests or [{"path": path, "cookies": cookies, "data": data}]
    result = LoadResult()
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    start = time.perf_counter()

    def worker(offset: int):
        clients: dict[int, Client] = {}
        n = e = 0
        lat = []
        samples = []
        i = offset
        while time.perf_counter() < stop_at:
            r = requests[i % len(requests)]
            i += 1
            client = clients.get(id(r.get("cookies")))
            if client is None:
                client = clients[id(r.get("cookies"))] = Client(base, r.get("cookies"))
            t0 = time.perf_counter()
            try:
                status, _, body = client.request(method, r["path"], data=r.get("data"), headers=headers)
            except Exception as exc:  # noqa: BLE001
                e += 1
                samples.append(repr(exc))
                continue
            lat.append((time.perf_counter() - t0) * 1000)
            n += 1
            if status not in ok:
                e += 1
                if len(samples) < 3:
                    samples.append(f"{status}: {body[:200]!r}")
        with lock:
            result.requests += n
            result.errors += e
            result.latencies_ms.extend(lat)
            result.error_samples.extend(samples[:3])

    step = max(1, len(requests) // concurrency)
    threads = [threading.Thread(target=worker, args=(k * step,)) for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - start
    return result


WRK_REPORT_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("BENCHJSON {{\\"requests\\": %d, \\"errors\\": %d, \\"status\\": %d, \\"seconds\\": %f, \\"p50\\": %f, \\"p95\\": %f}}\\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


def ensure_wrk(install: bool) -> str | None:
    """Path of wrk; installs Debian's package when allowed (root + apt) and missing."""
    exe = shutil.which("wrk")
    if exe or not install:
        return exe
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing Debian's wrk (load generator)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], env=env,
                       capture_output=True, timeout=300)
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=300)
            subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], env=env,
                           capture_output=True, timeout=300)
    return shutil.which("wrk")


def wrk_load(wrk: str, base: str, method: str, path: str, *, cookies: dict | None = None, data: dict | None = None,
             headers: dict | None = None, seconds: float, concurrency: int, tmp: Path) -> LoadResult:
    return load_many(base, method, [{"path": path, "cookies": cookies, "data": data}], wrk=wrk, tmp=tmp,
                     headers=headers, seconds=seconds, concurrency=concurrency)


def load(base: str, method: str, path: str, *, wrk: str | None, tmp: Path, **kw) -> LoadResult:
    if wrk:
        return wrk_load(wrk, base, method, path, tmp=tmp, **kw)
    return python_load(base, method, path, **kw)


WRK_MANY_LUA = """
local requests = {{}}
local n = 0
init = function(args)
  for i, r in ipairs(REQUESTS) do
    requests[i] = wrk.format(r[1], r[2], r[3], r[4])
  end
  n = math.random(#requests)
end
request = function()
  n = n % #requests + 1
  return requests[n]
end
REQUESTS = {{
{rows}
}}
""" + WRK_REPORT_LUA


def _lua(value: str) -> str:
    if not value.isascii():
        raise ValueError("the load generator sends ASCII requests only")
    return json.dumps(value)  # a JSON string of ASCII is a Lua string


def request_headers(base: str, method: str, path: str, cookies: dict | None, headers: dict | None,
                    with_body: bool) -> dict:
    """The headers a browser's form post (or GET) would carry: cookies, and for a POST the CSRF token."""
    h = dict(headers or {})
    if with_body:
        h["Content-Type"] = "application/x-www-form-urlencoded"
    if cookies:
        h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if "csrftoken" in cookies and method != "GET":
            h["X-CSRFToken"] = cookies["csrftoken"]
            h["Referer"] = base + path
    return h


def load_many(base: str, method: str, requests: list[dict], *, wrk: str | None, tmp: Path, headers: dict | None = None,
              seconds: float, concurrency: int) -> LoadResult:
    """Like ``load``, cycling through many requests ({"path", "cookies", "data"}), each connection
    sending the next one (wrk: one round-robin per load thread, started at a random place)."""
    if not wrk:
        return python_load(base, method, requests[0]["path"], headers=headers, seconds=seconds,
                           concurrency=concurrency, requests=requests)
    rows = []
    for r in requests:
        body = urllib.parse.urlencode(r.get("data") or {}, doseq=True) if r.get("data") is not None else ""
        h = request_headers(base, method, r["path"], r.get("cookies"), headers, r.get("data") is not None)
        lua_headers = "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in h.items()) + "}"
        rows.append(f"  {{{_lua(method)}, {_lua(r['path'])}, {lua_headers}, {_lua(body)}}},")
    script = tmp / f"wrk-many-{os.getpid()}-{threading.get_ident()}.lua"
    script.write_text(WRK_MANY_LUA.format(rows="\n".join(rows)))
    out = subprocess.run(
        [wrk, "-t", "2", "-c", str(concurrency), "-d", f"{max(1, int(seconds))}s", "--timeout", "30s",
         "-s", str(script), base + requests[0]["path"]],
        capture_output=True, text=True, timeout=seconds + 60,
    ).stdout
    m = re.search(r"BENCHJSON (\{.*\})", out)
    if not m:
        raise RuntimeError(f"wrk output not understood:\n{out[-1500:]}")
    d = json.loads(m.group(1))
    res = LoadResult(requests=d["requests"], errors=d["errors"] + d["status"], seconds=d["seconds"], tool="wrk")
    res.latencies_ms = [d["p50"], d["p95"]]
    return res


def ratio(a, b, digits=2):
    if a is None or b in (None, 0):
        return None
    return round(a / b, digits)
