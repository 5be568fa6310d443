"""deploy/backup.sh and deploy/restore.sh: a PostgreSQL dump (custom format) and the media, restored
over a changed database and media directory, give back exactly what was backed up."""

import os
import secrets
import subprocess
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.deploy.support import BASE_DIR, services_url

BACKUP = str(BASE_DIR / "deploy" / "backup.sh")
RESTORE = str(BASE_DIR / "deploy" / "restore.sh")


def _run(script, *args, env):
    return subprocess.run(["bash", script, *args], env={"PATH": os.environ["PATH"], **env}, capture_output=True,
                          text=True, timeout=120)


def _url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def test_restore_asks_for_confirmation(tmp_path):
    proc = _run(RESTORE, str(tmp_path), env={"DATABASE_URL": "postgres://x@127.0.0.1:1/x"})
    assert proc.returncode == 2 and "--yes" in proc.stderr


def test_restore_refuses_a_damaged_set(tmp_path):
    (tmp_path / "database.dump").write_bytes(b"PGDMP original")
    (tmp_path / "media.tar.gz").write_bytes(b"tar")
    subprocess.run("sha256sum ./database.dump ./media.tar.gz > SHA256SUMS", shell=True, cwd=tmp_path, check=True)
    (tmp_path / "database.dump").write_bytes(b"PGDMP changed")
    proc = _run(RESTORE, str(tmp_path), "--yes", env={"DATABASE_URL": "postgres://x@127.0.0.1:1/x",
                                                      "ANXUN_MEDIA_ROOT": str(tmp_path / "media")})
    assert proc.returncode != 0 and "FAILED" in proc.stdout + proc.stderr
    assert not (tmp_path / "media").exists()


@pytest.mark.skipif(services_url() is None, reason="needs PostgreSQL (DATABASE_URL); CI's second pass runs it")
def test_backup_then_restore_brings_back_database_and_media(tmp_path):
    import psycopg

    server = services_url()[0]
    name = f"anxun_backup_{secrets.token_hex(4)}"
    admin = _url(server, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = _url(server, name)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE certificate (number text PRIMARY KEY, holder text)")
            conn.execute("INSERT INTO certificate VALUES ('T445221198801013318', '陈志强'), ('T1', '王建国')")
        media = tmp_path / "media"
        (media / "certificates" / "2026").mkdir(parents=True)
        (media / "certificates" / "2026" / "证书-T1.pdf").write_bytes(b"%PDF-1.7 one")
        env = {"DATABASE_URL": url, "ANXUN_MEDIA_ROOT": str(media), "ANXUN_BACKUP_KEEP_DAYS": "14"}

        backed_up = _run(BACKUP, str(tmp_path / "backups"), env=env)
        assert backed_up.returncode == 0, backed_up.stderr
        (backup_set,) = [p for p in (tmp_path / "backups").iterdir()]
        assert sorted(p.name for p in backup_set.iterdir()) == ["SHA256SUMS", "database.dump", "media.tar.gz"]
        assert (backup_set / "database.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump custom format

        # Things go wrong after the backup: a row is lost, one is changed, a table and a file appear,
        # a file disappears.
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM certificate WHERE number = 'T1'")
            conn.execute("UPDATE certificate SET holder = '篡改' ")
        (media / "certificates" / "2026" / "证书-T1.pdf").unlink()
        (media / "stray.txt").write_text("not in the backup")

        restored = _run(RESTORE, str(backup_set), "--yes", env=env)
        assert restored.returncode == 0, restored.stderr
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT number, holder FROM certificate ORDER BY number").fetchall()
        assert rows == [("T1", "王建国"), ("T445221198801013318", "陈志强")]
        assert (media / "certificates" / "2026" / "证书-T1.pdf").read_bytes() == b"%PDF-1.7 one"
        assert not (media / "stray.txt").exists()
        kept = [p for p in tmp_path.iterdir() if p.name.startswith("media.before-restore-")]
        assert len(kept) == 1 and (kept[0] / "stray.txt").exists()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
