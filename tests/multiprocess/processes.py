"""Start and stop the processes of the multi-process check: each in its own process group, logs in
files, everything stopped (TERM, then KILL) in a finally block, and no process left behind."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests


class BehindTLSProxy(requests.Session):
    """A client talking plain HTTP to 127.0.0.1 while telling the app (X-Forwarded-Proto) that a
    TLS-terminating proxy is in front, as nginx does. The app marks its cookies Secure, so the client
    keeps sending them as a browser behind HTTPS would."""

    def __init__(self):
        super().__init__()
        self.headers["X-Forwarded-Proto"] = "https"

    def request(self, *args, **kwargs):
        response = super().request(*args, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False
        return response


def database_url_for(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def admin_connection(url: str):
    import psycopg

    return psycopg.connect(database_url_for(url, "postgres"), autocommit=True)


def forget_redis_keys(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{prefix}*", count=500))
    if keys:
        client.delete(*keys)
    client.close()


def wait_until(check, timeout: float, what: str, procs: ProcessGroup, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except requests.RequestException as exc:
            last = exc
            last_ok = False
        else:
            last_ok = bool(last)
        if last_ok:
            return last
        procs.assert_running()
        time.sleep(interval)
    raise AssertionError(f"{what} not seen within {timeout}s (last: {last!r})\n{procs.logs_tail()}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProcessGroup:
    def __init__(self, log_dir: Path, cwd: Path):
        self.log_dir = log_dir
        self.cwd = cwd
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "wb")
        proc = subprocess.Popen(args, cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def logs_tail(self, chars: int = 1500) -> str:
        return "\n".join(f"--- {name} (exit {proc.poll()}) ---\n{self.log(name)[-chars:]}"
                         for name, proc in self.procs.items())

    def assert_running(self) -> None:
        dead = {name: proc.returncode for name, proc in self.procs.items() if proc.poll() is not None}
        assert not dead, f"processes exited early: {dead}\n{self.logs_tail()}"

    def wait_for_log(self, name: str, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log(name):
                return
            self.assert_running()
            time.sleep(0.2)
        raise AssertionError(f"{name} did not log {text!r} within {timeout}s\n{self.logs_tail()}")

    def stop_all(self, timeout: float = 15) -> list[str]:
        """TERM every group, wait, KILL what is left; returns the names of groups that needed KILL."""
        for proc in self.procs.values():
            _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):  # the KILL below handles stragglers
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        killed = []
        for name, proc in self.procs.items():
            if _group_alive(proc.pid):
                killed.append(name)
                _signal_group(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):  # reported by leftovers()
                proc.wait(timeout=5)
        # Children of a group leader (gunicorn and celery workers) leave with their group.
        end = time.monotonic() + 5
        while any(_group_alive(p.pid) for p in self.procs.values()) and time.monotonic() < end:
            time.sleep(0.1)
        return killed

    def children(self, name: str) -> list[int]:
        """Pids of the direct children of a process (gunicorn's workers, celery's pool)."""
        pid = self.procs[name].pid
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except (OSError, IndexError):
                    continue
                if int(fields[1]) == pid and fields[0] != "Z":
                    found.append(int(entry.name))
        return found

    def kill9(self, name: str) -> None:
        """kill -9 a whole process and its children, as a crash or the OOM killer would."""
        _signal_group(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(timeout=10)
        del self.procs[name]

    def leftovers(self) -> list[str]:
        return [name for name, proc in self.procs.items() if _group_alive(proc.pid)]


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group has already exited
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Zombies of already-reaped leaders do not count; look for any live member of the group.
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False
