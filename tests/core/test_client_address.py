"""The client address: a forwarded header counts only from a trusted proxy, read from the right."""

import json

import pytest
from django.test import RequestFactory, override_settings

from core.audit import audit_record, client_ip
from core.models import AuditLog

rf = RequestFactory()


def _request(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


def test_spoofed_header_is_ignored_by_default():
    assert client_ip(_request("203.0.113.7", "10.1.2.3")) == "203.0.113.7"


@override_settings(ANXUN_TRUSTED_PROXIES=["127.0.0.1"])
def test_header_from_an_untrusted_peer_is_ignored_even_when_proxies_are_configured():
    assert client_ip(_request("203.0.113.7", "10.1.2.3")) == "203.0.113.7"


@override_settings(ANXUN_TRUSTED_PROXIES=["127.0.0.1", "10.0.0.0/24"])
def test_trusted_proxy_gives_the_rightmost_untrusted_address():
    # nginx appended the address it saw (198.51.100.9); the client wrote 10.1.2.3 itself.
    assert client_ip(_request("127.0.0.1", "10.1.2.3, 198.51.100.9")) == "198.51.100.9"
    # a load balancer in the trusted network between client and nginx
    assert client_ip(_request("127.0.0.1", "6.6.6.6, 198.51.100.9, 10.0.0.4")) == "198.51.100.9"
    # a trusted proxy without the header: the proxy's own address
    assert client_ip(_request("127.0.0.1")) == "127.0.0.1"
    # garbage in the header stops the walk at the last good address
    assert client_ip(_request("127.0.0.1", "x'; drop, 198.51.100.9")) == "198.51.100.9"
    assert client_ip(_request("127.0.0.1", "not-an-ip")) == "127.0.0.1"


@override_settings(ANXUN_TRUSTED_PROXIES=["::1"])
def test_ipv6_proxy_and_mapped_addresses():
    assert client_ip(_request("::1", "198.51.100.9")) == "198.51.100.9"
    assert client_ip(_request("::ffff:203.0.113.7", "1.1.1.1")) == "203.0.113.7"


@pytest.mark.django_db
def test_audit_log_records_the_real_address_not_the_spoofed_one():
    audit_record(actor=None, action="test.ip", request=_request("203.0.113.7", "10.9.9.9"))
    assert AuditLog.objects.get(action="test.ip").ip == "203.0.113.7"


@pytest.mark.django_db
def test_healthz_is_bare_for_outsiders_and_detailed_inside(client, settings):
    outside = json.loads(client.get("/healthz", REMOTE_ADDR="203.0.113.7").content)
    assert outside == {"status": "ok"}
    # a spoofed internal address in the header changes nothing
    spoofed = json.loads(client.get("/healthz", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="127.0.0.1").content)
    assert spoofed == {"status": "ok"}
    inside = json.loads(client.get("/healthz", REMOTE_ADDR="127.0.0.1").content)
    assert inside["database"]["status"] == "ok" and "backend" in inside["cache"]
    settings.ANXUN_HEALTHZ_TOKEN = "s3cret-token"
    assert "database" not in json.loads(
        client.get("/healthz", REMOTE_ADDR="203.0.113.7", HTTP_X_HEALTHZ_TOKEN="wrong").content)
    assert "database" in json.loads(
        client.get("/healthz", REMOTE_ADDR="203.0.113.7", HTTP_X_HEALTHZ_TOKEN="s3cret-token").content)
    settings.ANXUN_HEALTHZ_INTERNAL_NETWORKS = ["10.0.0.0/8"]
    assert "database" in json.loads(client.get("/healthz", REMOTE_ADDR="10.3.4.5").content)


@pytest.mark.django_db
@override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_healthz_failure_is_a_bare_503_outside(client):
    resp = client.get("/healthz", REMOTE_ADDR="203.0.113.7")
    assert resp.status_code == 503 and json.loads(resp.content) == {"status": "error"}
