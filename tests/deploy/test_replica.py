"""Read replica for verification traffic: the router sends reads of GET /verify/… to the replica,
writes and every other request to the primary; the replica is never migrated."""

from django.http import HttpResponse
from django.test import RequestFactory

from core.db_router import ReplicaReadsMiddleware, ReplicaRouter, reading_from_replica, replica_reads
from tests.deploy.support import production_env, run_django_code


def _seen(method: str, path: str) -> bool:
    seen = {}

    def view(request):
        seen["replica"] = reading_from_replica()
        return HttpResponse("ok")

    ReplicaReadsMiddleware(view)(getattr(RequestFactory(), method)(path))
    return seen["replica"]


def test_verification_reads_go_to_the_replica_when_one_is_configured(settings, monkeypatch):
    monkeypatch.setattr("core.db_router.replica_configured", lambda: True)
    settings.REPLICA_READ_PATHS = ["/verify/"]
    assert _seen("get", "/verify/T445221198801013318/") is True
    assert _seen("head", "/verify/") is True
    assert _seen("post", "/verify/") is False  # a form post may write
    assert _seen("get", "/certificates/mine/") is False
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(None) == "replica" and router.db_for_write(None) == "default"
    assert router.db_for_read(None) is None
    assert router.allow_migrate("replica", "accounts") is False and router.allow_migrate("default", "accounts")


def test_without_a_replica_everything_stays_on_the_primary(settings):
    assert "replica" not in settings.DATABASES
    assert _seen("get", "/verify/") is False
    with replica_reads():
        assert ReplicaRouter().db_for_read(None) is None


def test_replica_database_is_really_read(tmp_path):
    """Two SQLite files stand in for primary and replica: a row only on the primary is invisible to
    replica reads, and a write made while reading from the replica lands on the primary."""
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="config.settings.dev",
                         DATABASE_URL=f"sqlite:///{tmp_path / 'primary.sqlite3'}",
                         DATABASE_REPLICA_URL=f"sqlite:///{tmp_path / 'replica.sqlite3'}")
    result = run_django_code(env, """
from django.conf import settings
from django.db import connections
from accounts.models import Region
from core.db_router import replica_reads
for alias in ("default", "replica"):
    with connections[alias].schema_editor() as editor:
        editor.create_model(Region)
Region.objects.create(code="440700", name="江门市")
with replica_reads():
    on_replica = Region.objects.filter(code="440700").exists()
    Region.objects.create(code="440703", name="蓬江区")
result = {
    "primary": sorted(Region.objects.values_list("code", flat=True)),
    "replica_saw_it": on_replica,
    "replica_rows": Region.objects.using("replica").count(),
    "middleware": "core.db_router.ReplicaReadsMiddleware" in settings.MIDDLEWARE,
    "routers": settings.DATABASE_ROUTERS,
}
""")
    assert result["primary"] == ["440700", "440703"]
    assert result["replica_saw_it"] is False and result["replica_rows"] == 0
    assert result["middleware"] and result["routers"] == ["core.db_router.ReplicaRouter"]


def test_postgres_replica_sessions_are_read_only(tmp_path):
    env = production_env(tmp_path, DATABASE_URL="postgres://anxun:s3cret@db.internal:5432/anxun",
                         DATABASE_REPLICA_URL="postgres://verify:s3cret@replica.internal:5432/anxun")
    result = run_django_code(env, """
from django.conf import settings
result = {"options": settings.DATABASES["replica"]["OPTIONS"], "host": settings.DATABASES["replica"]["HOST"],
          "mirror": settings.DATABASES["replica"]["TEST"]}
""")
    assert result["options"]["options"] == "-c default_transaction_read_only=on"
    assert result["host"] == "replica.internal" and result["mirror"]["MIRROR"] == "default"
