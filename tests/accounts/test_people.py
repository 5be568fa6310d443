"""The enterprise roster: one rule (accounts.people) for the pages, the import and the API."""

import pytest
from django.core.exceptions import ValidationError

from accounts import people as roster
from accounts.models import Membership, PersonOperation, User
from accounts.roles import LEARNER_ROLES, ROLE_KIND, OrgKind, Role
from core.models import AuditLog
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, id_number_for

pytestmark = pytest.mark.django_db

NEW_ID = id_number_for(501)


@pytest.fixture
def enterprise(db):
    return OrganizationFactory(name="测试机械有限公司")


@pytest.fixture
def ent_admin(make_member, enterprise):
    return make_member(Role.ENT_ADMIN, org=enterprise, real_name="林管理")


@pytest.fixture
def safety_manager(make_member, enterprise):
    return make_member(Role.SAFETY_MANAGER, org=enterprise, real_name="周安全")


def upsert(org, actor, **kw):
    values = {"name": "张三", "id_number": NEW_ID, "phone": "13800138000", "email": "", "roles": ["worker"],
              "operations": []}
    values.update(kw)
    return roster.person_upsert(organization=org, actor=actor, **values)


def test_special_operator_is_an_enterprise_learner_role():
    assert ROLE_KIND[Role.SPECIAL_OPERATOR] == OrgKind.ENTERPRISE
    assert Role.SPECIAL_OPERATOR in LEARNER_ROLES
    assert str(Role.SPECIAL_OPERATOR.label) == "特种作业人员"


def test_create_then_update_is_idempotent_by_id_number(enterprise, ent_admin, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = upsert(enterprise, ent_admin)
    assert first.created and first.joined
    person = first.user
    assert not person.has_usable_password() and person.real_name == "张三"
    assert len(sms_outbox) == 1 and sms_outbox[0].phone == "13800138000"
    with django_capture_on_commit_callbacks(execute=True):
        again = upsert(enterprise, ent_admin)
    assert not again.created and not again.joined and not again.changed
    assert User.objects.by_id_number(NEW_ID).count() == 1
    assert len(sms_outbox) == 1  # no second invitation
    # an update: name, roles and operation items here replaced
    third = upsert(enterprise, ent_admin, name="张叁", roles=["special_operator", "worker"],
                   operations=["weld-fusion"])
    assert third.changed and not third.joined
    person.refresh_from_db()
    assert person.real_name == "张叁"
    assert set(Membership.objects.filter(user=person, organization=enterprise, is_active=True)
               .values_list("role", flat=True)) == {"worker", "special_operator"}
    assert list(PersonOperation.objects.filter(user=person).values_list("operation_item__code", flat=True)) == ["weld-fusion"]
    upsert(enterprise, ent_admin, name="张叁", roles=["worker"])
    assert not PersonOperation.objects.filter(user=person).exists()
    assert not Membership.objects.get(user=person, role="special_operator").is_active
    assert AuditLog.objects.filter(action="person.operations", target_id=str(person.pk)).count() == 2


def test_bad_input_names_the_field_and_writes_nothing(enterprise, ent_admin):
    bad_id = NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        upsert(enterprise, ent_admin, id_number=bad_id, roles=["pilot"], phone="123", operations=["飞行"])
    errors = exc.value.message_dict
    assert {"id_number", "roles", "phone", "operations"} <= set(errors)
    assert "校验位" in errors["id_number"][0]
    assert not User.objects.filter(real_name="张三").exists()
    with pytest.raises(ValidationError) as exc:
        upsert(enterprise, ent_admin, roles=["special_operator"])
    assert "operations" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        upsert(enterprise, ent_admin, roles=["worker"], operations=["weld-fusion"])
    assert "operations" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        upsert(enterprise, ent_admin, phone="", email="")
    assert "phone" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        upsert(enterprise, ent_admin, roles=["proctor"])  # not an enterprise role
    assert "roles" in exc.value.message_dict


def test_numeric_excel_id_is_refused():
    org = OrganizationFactory()
    admin = UserFactory()
    MembershipFactory(user=admin, organization=org, role=Role.ENT_ADMIN)
    with pytest.raises(ValidationError) as exc:
        upsert(org, admin, id_number=1.10101198503071e17)
    assert "Excel" in exc.value.message_dict["id_number"][0]


def test_known_person_joins_instead_of_a_second_account(enterprise, ent_admin, sms_outbox,
                                                        django_capture_on_commit_callbacks):
    other = OrganizationFactory(name="别的公司")
    known = UserFactory(real_name="王建国", phone="13900000000")
    known.set_id_number(NEW_ID)
    known.save()
    MembershipFactory(user=known, organization=other, role=Role.WORKER)
    with pytest.raises(ValidationError) as exc:  # a different name for that ID number: a typo, not a join
        upsert(enterprise, ent_admin, name="王建军")
    assert "name" in exc.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        result = upsert(enterprise, ent_admin, name="王建国", phone="13700000000")
    assert result.joined and not result.created and result.user == known
    assert User.objects.by_id_number(NEW_ID).count() == 1
    known.refresh_from_db()
    assert known.phone == "13900000000"  # their own details stay theirs
    assert Membership.objects.filter(user=known, organization=other, is_active=True).exists()
    assert Membership.objects.filter(user=known, organization=enterprise, is_active=True).exists()
    # an activated account gets a notice, no invitation code
    assert not any("激活码" in m.body for m in sms_outbox if m.phone == "13900000000")


def test_safety_manager_cannot_grant_or_strip_the_admin_role(enterprise, safety_manager, ent_admin):
    with pytest.raises(ValidationError) as exc:
        upsert(enterprise, safety_manager, roles=["ent_admin"])
    assert "roles" in exc.value.message_dict
    admin_id = id_number_for(502)
    person = upsert(enterprise, ent_admin, id_number=admin_id, name="李管", roles=["ent_admin", "worker"]).user
    upsert(enterprise, safety_manager, id_number=admin_id, name="李管", roles=["worker"])
    assert Membership.objects.get(user=person, role="ent_admin").is_active  # not theirs to take away
    with pytest.raises(ValidationError):
        roster.employment_end(organization=enterprise, actor=safety_manager, person=person, reason="调走")


def test_end_of_employment_keeps_person_and_certificates(enterprise, ent_admin):
    from certificates.services import certificate_issue
    from catalogue.models import CertificateKind, OperationItem
    import datetime as dt

    person = upsert(enterprise, ent_admin, roles=["worker", "special_operator"], operations=["weld-fusion"]).user
    officer = UserFactory()
    MembershipFactory(user=officer, organization=OrganizationFactory(kind=OrgKind.EXAM_CENTRE), role=Role.CERT_OFFICER)
    cert = certificate_issue(
        officer=officer, holder=person, holder_name="张三",
        kind=CertificateKind.objects.get(rule_version__code="2010", code="special-op"),
        operation_item=OperationItem.objects.get(category__rule_version__code="2010", code="weld-fusion"),
        issuing_authority="测试应急管理局", employer=enterprise, valid_from=dt.date(2024, 3, 1), render=False)
    with pytest.raises(ValidationError) as exc:
        roster.employment_end(organization=enterprise, actor=ent_admin, person=person, reason=" ")
    assert "reason" in exc.value.message_dict
    n = roster.employment_end(organization=enterprise, actor=ent_admin, person=person, reason="合同到期",
                              ended_on=dt.date(2026, 11, 30))
    assert n == 2
    assert User.objects.filter(pk=person.pk).exists()
    assert person.certificates.filter(pk=cert.pk).exists()
    ms = Membership.objects.filter(user=person, organization=enterprise)
    assert all(not m.is_active and m.ended_on == dt.date(2026, 11, 30) and m.end_reason == "合同到期" for m in ms)
    assert AuditLog.objects.filter(action="person.employment_end", target_id=str(person.pk), reason="合同到期").exists()
    assert list(roster.roster_of(enterprise)) == [ent_admin]
    assert list(roster.roster_of(enterprise, status="ended")) == [person]
    # ending twice is refused; re-hiring by the same ID number reactivates
    with pytest.raises(ValidationError):
        roster.employment_end(organization=enterprise, actor=ent_admin, person=person, reason="再次")
    again = upsert(enterprise, ent_admin, roles=["worker"])
    assert again.joined and not again.created
    m = Membership.objects.get(user=person, organization=enterprise, role="worker")
    assert m.is_active and m.ended_on is None and m.end_reason == ""


def test_cannot_end_own_employment(enterprise, ent_admin):
    with pytest.raises(ValidationError):
        roster.employment_end(organization=enterprise, actor=ent_admin, person=ent_admin, reason="x")


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------


def test_roster_page_lists_filters_and_bounds_queries(client, enterprise, ent_admin, django_assert_max_num_queries):
    for i in range(30):
        upsert(enterprise, ent_admin, id_number=id_number_for(600 + i), name=f"工人{i:02d}",
               roles=["special_operator"] if i % 3 == 0 else ["worker"],
               operations=["weld-fusion"] if i % 3 == 0 else [])
    other = OrganizationFactory()
    stranger = UserFactory(real_name="外单位人")
    MembershipFactory(user=stranger, organization=other, role=Role.WORKER)
    client.force_login(ent_admin)
    client.get("/accounts/people/")  # warm caches
    with django_assert_max_num_queries(12):
        resp = client.get("/accounts/people/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "工人00" in html and "工人29" in html and "外单位人" not in html
    assert id_number_for(600) in html  # the enterprise admin sees their current staff's full numbers
    assert "熔化焊接与热切割作业" in html
    resp = client.get("/accounts/people/", {"role": "special_operator"})
    assert "工人03" in resp.content.decode() and "工人01" not in resp.content.decode()
    resp = client.get("/accounts/people/", {"q": id_number_for(605)})
    assert "工人05" in resp.content.decode() and "工人06" not in resp.content.decode()
    manager = UserFactory()
    MembershipFactory(user=manager, organization=enterprise, role=Role.SAFETY_MANAGER)
    client.force_login(manager)
    html = client.get("/accounts/people/").content.decode()
    assert "工人00" in html and id_number_for(600) not in html and id_number_for(600)[:4] in html  # masked


def test_add_edit_end_through_pages(client, enterprise, ent_admin, sms_outbox, django_capture_on_commit_callbacks):
    client.force_login(ent_admin)
    assert client.get("/accounts/people/add/").status_code == 200
    resp = client.post("/accounts/people/add/", {"name": "李四", "id_number": "11010119850307123X", "phone": "1",
                                                 "roles": ["worker"]})
    assert resp.status_code == 200 and "校验位" in resp.content.decode() and "11位" in resp.content.decode()
    assert not User.objects.filter(real_name="李四").exists()
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post("/accounts/people/add/", {"name": "李四", "id_number": NEW_ID, "phone": "13800138001",
                                                     "roles": ["worker"]})
    person = User.objects.by_id_number(NEW_ID).get()
    assert resp.status_code == 302 and resp["Location"].startswith(f"/accounts/people/{person.pk}/")
    assert len(sms_outbox) == 1
    page = client.get(f"/accounts/people/{person.pk}/").content.decode()
    assert "待激活" in page and "重新发送邀请" in page and "办理离职" in page
    # edit: the ID number is not a field here
    edit = client.get(f"/accounts/people/{person.pk}/edit/").content.decode()
    assert 'name="id_number"' not in edit
    resp = client.post(f"/accounts/people/{person.pk}/edit/", {"name": "李四", "phone": "13800138002",
                                                               "roles": ["special_operator"], "operations": ["weld-fusion"],
                                                               "id_number": id_number_for(999)})
    assert resp.status_code == 302
    person.refresh_from_db()
    assert person.phone == "13800138002" and person.id_number == NEW_ID
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/accounts/people/{person.pk}/invite/").status_code == 302
    assert len(sms_outbox) == 2
    assert "全部角色将结束" in client.get(f"/accounts/people/{person.pk}/end/").content.decode()
    resp = client.post(f"/accounts/people/{person.pk}/end/", {"reason": "辞职"})
    assert resp.status_code == 302
    page = client.get(f"/accounts/people/{person.pk}/").content.decode()
    assert "已离职" in page and "辞职" in page
    assert "李四" not in client.get("/accounts/people/").content.decode()
    assert "李四" in client.get("/accounts/people/", {"status": "ended"}).content.decode()


def test_roster_pages_are_not_for_workers_or_other_enterprises(client, enterprise, ent_admin):
    person = upsert(enterprise, ent_admin).user
    worker = UserFactory()
    MembershipFactory(user=worker, organization=enterprise, role=Role.WORKER)
    client.force_login(worker)
    assert client.get("/accounts/people/add/").status_code == 404
    assert client.get("/accounts/people/import/").status_code == 404
    assert client.get(f"/accounts/people/{person.pk}/edit/").status_code == 404
    other_admin = UserFactory()
    MembershipFactory(user=other_admin, organization=OrganizationFactory(), role=Role.ENT_ADMIN)
    client.force_login(other_admin)
    assert client.get(f"/accounts/people/{person.pk}/edit/").status_code == 404
    assert client.post(f"/accounts/people/{person.pk}/end/", {"reason": "x"}).status_code == 404
    assert client.get(f"/accounts/people/{person.pk}/").status_code == 404


def test_editing_a_person_without_an_id_number_updates_them_here(client, enterprise, ent_admin, safety_manager):
    """Accounts made before the roster (no ID number) are edited in place, never joined a second time."""
    assert not safety_manager.id_number
    result = roster.person_update(organization=enterprise, actor=ent_admin, person=safety_manager, name="周安全",
                                  phone="13600000000", roles=["safety_manager", "worker"])
    assert not result.joined and result.changed
    assert Membership.objects.filter(user=safety_manager, organization=enterprise, is_active=True).count() == 2
    safety_manager.refresh_from_db()
    assert safety_manager.phone == "13600000000"
    client.force_login(ent_admin)
    resp = client.post(f"/accounts/people/{safety_manager.pk}/edit/", {"name": "周安全", "phone": "13600000001",
                                                                       "roles": ["safety_manager"]})
    assert resp.status_code == 302
    assert list(Membership.objects.filter(user=safety_manager, is_active=True).values_list("role", flat=True)) == [
        "safety_manager"]
