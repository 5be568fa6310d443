"""The roster API for HR systems: POST/GET /api/v1/people/, POST /api/v1/people/end-employment/."""

import datetime as dt

import pytest
from rest_framework.authtoken.models import Token

from accounts.models import Membership, User
from accounts.roles import OrgKind, Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, id_number_for

pytestmark = pytest.mark.django_db

PERSON_ID = id_number_for(701)


@pytest.fixture
def enterprise(db):
    return OrganizationFactory(name="接口测试有限公司")


@pytest.fixture
def auth(make_member, enterprise):
    admin = make_member(Role.ENT_ADMIN, org=enterprise)
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=admin).key}"}


def post(client, auth, path="/api/v1/people/", **data):
    return client.post(path, data, content_type="application/json", **auth)


def payload(**kw):
    body = {"name": "赵六", "id_number": PERSON_ID, "phone": "13800138010", "email": "zhao@example.test",
            "roles": ["worker", "special_operator"], "operations": ["熔化焊接与热切割作业"]}
    body.update(kw)
    return body


def test_create_then_update_is_idempotent(client, auth, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, auth, **payload())
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["created"] and body["roles"] == ["special_operator", "worker"]
    assert body["operations"] == ["weld-fusion"]
    assert body["id_number"] != PERSON_ID and body["id_number"].startswith(PERSON_ID[:4]) and "*" in body["id_number"]
    assert not body["activated"]
    assert len(sms_outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        again = post(client, auth, **payload())
    assert again.status_code == 200 and not again.json()["changed"] and again.json()["id"] == body["id"]
    assert len(sms_outbox) == 1
    changed = post(client, auth, **payload(name="赵陆", roles="worker", operations=[]))
    assert changed.status_code == 200 and changed.json()["changed"]
    assert changed.json()["roles"] == ["worker"] and changed.json()["operations"] == []
    assert User.objects.by_id_number(PERSON_ID).count() == 1
    assert User.objects.by_id_number(PERSON_ID).get().real_name == "赵陆"


@pytest.mark.parametrize("field,value", [
    ("id_number", PERSON_ID[:-1] + ("1" if PERSON_ID[-1] != "1" else "2")),
    ("id_number", "12345"),
    ("id_number", 110101198503071235),
    ("phone", "12"),
    ("email", "not-an-address"),
    ("roles", ["pilot"]),
    ("roles", 7),
    ("operations", ["造火箭"]),
    ("name", ""),
])
def test_bad_input_is_a_400_naming_the_field(client, auth, field, value):
    resp = post(client, auth, **payload(**{field: value}))
    assert resp.status_code == 400, resp.content
    error = resp.json()["error"]
    assert field in error["details"], error
    assert not User.objects.filter(real_name="赵六").exists()


def test_missing_fields_and_garbage_are_400_not_500(client, auth):
    resp = post(client, auth, name="x")
    assert resp.status_code == 400 and {"id_number", "roles"} <= set(resp.json()["error"]["details"])
    resp = client.post("/api/v1/people/", "[1, 2", content_type="application/json", **auth)
    assert resp.status_code == 400
    resp = client.post("/api/v1/people/", [1, 2], content_type="application/json", **auth)
    assert resp.status_code == 400
    assert client.get("/api/v1/people/?limit=x", **auth).status_code == 400
    assert client.get("/api/v1/people/?status=gone", **auth).status_code == 400


def test_other_enterprise_token_never_sees_these_people(client, auth, make_member):
    assert post(client, auth, **payload()).status_code == 201
    other = OrganizationFactory(name="别家公司")
    other_admin = make_member(Role.ENT_ADMIN, org=other)
    other_auth = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=other_admin).key}"}
    listing = client.get("/api/v1/people/", **other_auth).json()
    assert [p["id"] for p in listing["results"]] == [other_admin.pk]
    assert "赵六" not in str(listing)
    # ending someone not on their roster: 404, nothing changed
    resp = post(client, other_auth, "/api/v1/people/end-employment/", id_number=PERSON_ID, reason="x")
    assert resp.status_code == 404
    person = User.objects.by_id_number(PERSON_ID).get()
    assert Membership.objects.filter(user=person, is_active=True).count() == 2
    # asking for an enterprise they do not keep
    mine = client.get("/api/v1/people/", **auth).json()
    org_id = Membership.objects.filter(user=person).values_list("organization_id", flat=True).first()
    resp = client.get(f"/api/v1/people/?organization={org_id}", **other_auth)
    assert resp.status_code == 400 and "organization" in resp.json()["error"]["details"]
    assert "赵六" in str(mine) and PERSON_ID not in str(mine)


def test_workers_and_anonymous_are_refused(client, enterprise):
    worker = UserFactory()
    MembershipFactory(user=worker, organization=enterprise, role=Role.WORKER)
    token = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=worker).key}"}
    assert client.get("/api/v1/people/", **token).status_code == 403
    assert post(client, token, **payload()).status_code == 403
    assert client.get("/api/v1/people/").status_code in (401, 403)


def test_end_of_employment_keeps_person_and_certificates(client, auth, enterprise):
    from catalogue.models import CertificateKind, OperationItem
    from certificates.services import certificate_issue

    person_id = post(client, auth, **payload()).json()["id"]
    person = User.objects.get(pk=person_id)
    officer = UserFactory()
    MembershipFactory(user=officer, organization=OrganizationFactory(kind=OrgKind.EXAM_CENTRE), role=Role.CERT_OFFICER)
    cert = certificate_issue(
        officer=officer, holder=person, holder_name="赵六",
        kind=CertificateKind.objects.get(rule_version__code="2010", code="special-op"),
        operation_item=OperationItem.objects.get(category__rule_version__code="2010", code="weld-fusion"),
        issuing_authority="测试应急管理局", employer=enterprise, valid_from=dt.date(2024, 3, 1), render=False)
    bad = post(client, auth, "/api/v1/people/end-employment/", id_number="123", reason="合同到期")
    assert bad.status_code == 400 and "id_number" in bad.json()["error"]["details"]
    no_reason = post(client, auth, "/api/v1/people/end-employment/", id_number=PERSON_ID)
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["details"]
    resp = post(client, auth, "/api/v1/people/end-employment/", id_number=PERSON_ID, reason="合同到期",
                ended_on="2026-11-30")
    assert resp.status_code == 200, resp.content
    assert resp.json()["active"] is False and resp.json()["ended_on"] == "2026-11-30"
    assert User.objects.filter(pk=person_id).exists()
    cert.refresh_from_db()
    assert cert.holder_id == person_id
    assert "赵六" not in str(client.get("/api/v1/people/", **auth).json())
    ended = client.get("/api/v1/people/?status=ended", **auth).json()
    assert [p["id"] for p in ended["results"]] == [person_id]
    # a second end call: structured 400, not a 500
    again = post(client, auth, "/api/v1/people/end-employment/", id_number=PERSON_ID, reason="合同到期")
    assert again.status_code == 400 and "id_number" in again.json()["error"]["details"]


def test_list_query_count_is_bounded(client, auth, django_assert_max_num_queries):
    for i in range(25):
        post(client, auth, **payload(id_number=id_number_for(720 + i), name=f"人员{i}", phone=f"139000000{i:02d}"))
    with django_assert_max_num_queries(10):
        resp = client.get("/api/v1/people/", **auth)
    assert resp.json()["count"] == 26
