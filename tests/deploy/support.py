"""Helpers for tests that start Django processes with production settings."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
ENV_TEMPLATE = BASE_DIR / "deploy" / "anxun.env.example"
PYTHON = sys.executable


def services_url() -> tuple[str, str] | None:
    """(DATABASE_URL, REDIS_URL) of the PostgreSQL and Redis this run uses, or None (embedded run)."""
    database = os.environ.get("DATABASE_URL", "")
    redis = os.environ.get("REDIS_URL", "")
    if database.startswith(("postgres://", "postgresql://")) and redis.startswith("redis://"):
        return database, redis
    return None


def read_env_template(path: Path = ENV_TEMPLATE) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not KEY=value: {line!r}"
        values[key.strip()] = value.strip()
    return values


def write_signing_key(path: Path) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_bytes(pem)
    return path


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """The env template with its blanks filled by fresh secrets; overrides win (None removes a key)."""
    env = {k: v for k, v in read_env_template().items()}
    env.update(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        ANXUN_PII_ENCRYPTION_KEY=secrets.token_urlsafe(32),
        ANXUN_PII_HASH_KEY=secrets.token_urlsafe(32),
        ANXUN_SIGNING_KEY_FILE=str(write_signing_key(tmp_path / "signing_ed25519.pem")),
        ANXUN_STATIC_ROOT=str(tmp_path / "static"),
        ANXUN_MEDIA_ROOT=str(tmp_path / "media"),
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    # Only what a service manager would pass: no variables of the test run leak in.
    for key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"):
        if key in os.environ:
            env.setdefault(key, os.environ[key])
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env


def run_manage(env: dict[str, str], *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                          timeout=timeout)


def run_django_code(env: dict[str, str], code: str, timeout: int = 120) -> dict:
    """Run ``code`` after django.setup() in a fresh interpreter; it must assign ``result`` (JSON-able)."""
    script = "import django, json\ndjango.setup()\n" + code + "\nprint('RESULT=' + json.dumps(result))\n"
    proc = subprocess.run([PYTHON, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT=")][-1]
    return json.loads(line[len("RESULT="):])
