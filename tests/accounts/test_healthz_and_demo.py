import json

import pytest
from django.http import HttpRequest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from accounts.models import Membership, Organization, User

pytestmark = pytest.mark.django_db


def test_healthz_reports_each_dependency(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    data = json.loads(resp.content)
    assert data["status"] == "ok"
    assert data["database"]["status"] == "ok" and data["cache"]["status"] == "ok"
    assert data["broker"]["status"] == "ok"


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_healthz_reports_unreachable_broker(client):
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert json.loads(resp.content)["broker"]["status"] == "error"


def _snapshot():
    return (
        sorted(User.objects.values_list("username", "real_name", "id_number_hash")),
        sorted(Organization.objects.values_list("name", "kind", "credit_code", "region_id")),
        sorted(Membership.objects.values_list("user__username", "organization__name", "role")),
    )


def test_seed_demo_is_idempotent_and_logins_work(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    first = _snapshot()
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert _snapshot() == first
    principal = User.objects.get(username="principal")
    assert principal.real_name == "陈志强" and principal.id_number == "445221198801013318"
    assert User.objects.get(username="welder").masked_id_number == "1101**********1235"
    for username in ["editor", "publisher", "examiner", "trainer", "ent_admin", "principal", "welder", "newhire"]:
        # a request, as every sign-in has one (the lock is per username and address)
        assert client.login(request=HttpRequest(), username=username, password="anxun-demo-2026"), username
    assert Organization.objects.filter(kind="enterprise").count() == 3


def test_seed_demo_refuses_production_settings(settings):
    settings.SETTINGS_MODULE = "config.settings.production"
    with pytest.raises(CommandError):
        call_command("seed_demo")


def test_home_page_in_chinese(client):
    page = client.get("/").content.decode()
    assert 'lang="zh-hans"' in page and "安全生产培训考试平台" in page
