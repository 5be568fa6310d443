"""Enterprises joining: self-registration, the bureau's review, the register import and edits."""

import pytest
from django.core.exceptions import ValidationError

from accounts import enterprises as svc
from accounts import selectors
from accounts.models import EnterpriseApplication, HazardTag, Membership, Organization, ProcessTag, Region, User
from accounts.roles import OrgKind, Role
from accounts.validators import make_credit_code
from core.exports import table_xlsx
from core.models import AuditLog, Notification
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

CODE = make_credit_code("91", "440704", "MA4UJ5XK")
CODE2 = make_credit_code("91", "440704", "MA4UJ5XL")
PASSWORD = "Anquan-2026-xyz"


@pytest.fixture
def bureau(make_member):
    """A reviewer of the Jiangmen city bureau (440700) and one of Dongguan (441900)."""
    jiangmen = OrganizationFactory(kind=OrgKind.BUREAU, name="江门市应急管理局", credit_code=None,
                                   region=Region.objects.get(code="440700"))
    dongguan = OrganizationFactory(kind=OrgKind.BUREAU, name="东莞市应急管理局", credit_code=None,
                                   region=Region.objects.get(code="441900"))
    return {
        "reviewer": make_member(Role.BUREAU_EDITOR, org=jiangmen, phone="13900000001"),
        "analyst": make_member(Role.BUREAU_ANALYST, org=jiangmen),
        "other": make_member(Role.BUREAU_EDITOR, org=dongguan),
    }


def join_post(**overrides):
    hazards = list(HazardTag.objects.filter(code__in=["dust-explosion", "confined-space"]).values_list("pk", flat=True))
    processes = list(ProcessTag.objects.filter(code__in=["dust-collector", "polishing"]).values_list("pk", flat=True))
    data = {
        "e-name": "江门市安全机械有限公司", "e-credit_code": CODE, "e-region": "440704",
        "e-industry": "", "e-hazard_tags": hazards, "e-process_tags": processes, "e-address": "江海区示例路1号",
        "p-real_name": "李明", "p-phone": "138 0013 8000", "p-email": "li@example.com", "p-username": "liming",
        "p-password": PASSWORD, "p-password2": PASSWORD,
    }
    data.update(overrides)
    return data


def apply(**overrides) -> EnterpriseApplication:
    data = svc.EnterpriseData(name=overrides.pop("name", "江门市安全机械有限公司"),
                              credit_code=overrides.pop("credit_code", CODE),
                              region=Region.objects.get(code=overrides.pop("region", "440704")),
                              hazard_tags=list(HazardTag.objects.filter(code="dust-explosion")))
    person = svc.ApplicantData(username=overrides.pop("username", "liming"), password=PASSWORD, real_name="李明",
                               phone="13800138000", email="li@example.com")
    return svc.enterprise_apply(data=data, person=person)


# ------------------------------------------------------------------------------------------------
# Sign-up
# ------------------------------------------------------------------------------------------------


def test_join_page_is_public_chinese_and_uses_check_boxes(client):
    page = client.get("/accounts/join/").content.decode()
    assert 'type="checkbox"' in page and "粉尘涉爆" in page and "<select multiple" not in page
    assert "---------" not in page and "请选择所在地区" in page
    assert "<legend>风险特征" in page  # a group of check boxes is a fieldset with a legend
    assert "/accounts/join/" in client.get("/accounts/login/").content.decode()


def test_register_creates_pending_application_account_and_no_enterprise(client, bureau):
    response = client.post("/accounts/join/", join_post())
    assert response.status_code == 302 and response["Location"] == "/accounts/join/status/"
    application = EnterpriseApplication.objects.get()
    assert application.status == EnterpriseApplication.Status.PENDING
    assert application.credit_code == CODE and application.region_id == "440704"
    assert {t.code for t in application.hazard_tags.all()} == {"dust-explosion", "confined-space"}
    assert {t.code for t in application.process_tags.all()} == {"dust-collector", "polishing"}
    user = application.applicant
    assert user.username == "liming" and user.phone == "13800138000" and user.check_password(PASSWORD)
    # nothing exists as an enterprise yet, and the applicant holds no role
    assert not Organization.objects.filter(credit_code=CODE).exists()
    assert not Membership.objects.filter(user=user).exists()
    # the applicant is signed in and sees the state
    page = client.get("/accounts/join/status/").content.decode()
    assert "待审核" in page and "江门市安全机械有限公司" in page
    # the reviewers of the region are told; the other region's are not
    assert Notification.objects.filter(user=bureau["reviewer"], kind="enterprise_join").exists()
    assert not Notification.objects.filter(user=bureau["other"]).exists()
    assert AuditLog.objects.filter(action="enterprise.apply", actor=user).exists()


def test_duplicate_credit_code_of_an_enterprise_is_refused_with_message(client):
    OrganizationFactory(name="已入驻公司", credit_code=CODE)
    response = client.post("/accounts/join/", join_post(**{"e-credit_code": CODE.lower()}))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"统一社会信用代码 {CODE} 已登记为“已入驻公司”，不能重复登记" in page
    assert not EnterpriseApplication.objects.exists() and not User.objects.filter(username="liming").exists()


def test_duplicate_credit_code_of_an_open_application_is_refused(client):
    apply(username="first")
    response = client.post("/accounts/join/", join_post())
    assert "已有入驻申请正在办理，不能重复申请" in response.content.decode()
    assert EnterpriseApplication.objects.count() == 1 and not User.objects.filter(username="liming").exists()


def test_bad_check_character_is_refused(client):
    wrong = CODE[:17] + ("0" if CODE[17] != "0" else "1")
    response = client.post("/accounts/join/", join_post(**{"e-credit_code": wrong}))
    assert "统一社会信用代码校验位错误" in response.content.decode()
    assert not EnterpriseApplication.objects.exists() and not User.objects.exists()


def test_account_fields_are_checked_and_nothing_is_written(client, make_member):
    make_member(Role.WORKER, username="liming")
    wrong = CODE[:17] + ("0" if CODE[17] != "0" else "1")
    response = client.post("/accounts/join/", join_post(**{"p-phone": "12345", "p-password2": "other",
                                                          "e-credit_code": wrong}))
    page = response.content.decode()
    # every problem of both parts is shown at once
    assert "用户名“liming”已被使用" in page and "请输入11位手机号码" in page and "两次输入的密码不一致" in page
    assert "统一社会信用代码校验位错误" in page
    assert not EnterpriseApplication.objects.exists()


def test_sign_up_is_throttled_per_address(client, settings):
    settings.ANXUN_ENTERPRISE_JOIN_PER_ADDRESS = 2
    for _ in range(2):
        assert client.post("/accounts/join/", join_post(**{"e-credit_code": "bad"})).status_code == 200
    response = client.post("/accounts/join/", join_post())
    assert response.status_code == 429 and "提交过于频繁" in response.content.decode()
    assert not EnterpriseApplication.objects.exists()


def test_signed_in_user_applies_with_own_account(client, make_member):
    user = make_member(Role.WORKER)
    client.force_login(user)
    page = client.get("/accounts/join/").content.decode()
    assert "p-username" not in page
    data = {k: v for k, v in join_post().items() if k.startswith("e-")}
    assert client.post("/accounts/join/", data).status_code == 302
    assert EnterpriseApplication.objects.get().applicant == user
    # a second application while one is open: the status page instead
    assert client.get("/accounts/join/")["Location"] == "/accounts/join/status/"


# ------------------------------------------------------------------------------------------------
# Review
# ------------------------------------------------------------------------------------------------


def test_bureau_of_another_region_cannot_see_or_approve(client, bureau):
    application = apply()
    assert list(selectors.enterprise_applications_waiting(bureau["other"])) == []
    client.force_login(bureau["other"])
    assert "江门市安全机械有限公司" not in client.get("/accounts/enterprise-applications/").content.decode()
    url = f"/accounts/enterprise-applications/{application.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"decision": "approve"}).status_code == 404
    with pytest.raises(ValidationError):
        svc.enterprise_application_approve(application=application, actor=bureau["other"])
    application.refresh_from_db()
    assert application.status == EnterpriseApplication.Status.PENDING
    assert not Organization.objects.filter(credit_code=CODE).exists()


def test_waiting_selector_is_scoped_to_the_bureau_region(bureau, make_member):
    apply()
    apply(username="other", credit_code=CODE2, region="441900", name="东莞公司")
    assert [a.name for a in selectors.enterprise_applications_waiting(bureau["reviewer"])] == ["江门市安全机械有限公司"]
    assert selectors.enterprise_applications_waiting(bureau["analyst"]).count() == 1
    assert selectors.enterprise_applications_waiting(bureau["other"]).count() == 1
    assert selectors.enterprise_applications_waiting(make_member(Role.ENT_ADMIN)).count() == 0


def test_approve_creates_enterprise_and_activates_admin(client, bureau, sms_outbox, mailoutbox,
                                                        django_capture_on_commit_callbacks):
    application = apply()
    applicant = application.applicant
    assert not selectors.has_role(applicant, Role.ENT_ADMIN)
    client.force_login(bureau["reviewer"])
    url = f"/accounts/enterprise-applications/{application.pk}/"
    page = client.get(url).content.decode()
    assert "江门市安全机械有限公司" in page and "通过" in page and "13800138000" in page
    assert not Organization.objects.filter(credit_code=CODE).exists()  # looking changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"decision": "approve"}, follow=True)
    assert response.status_code == 200
    application.refresh_from_db()
    assert application.status == EnterpriseApplication.Status.APPROVED
    assert application.reviewed_by == bureau["reviewer"] and application.reviewed_at is not None
    org = application.organization
    assert org.kind == OrgKind.ENTERPRISE and org.credit_code == CODE and org.region_id == "440704"
    assert [t.code for t in org.hazard_tags.all()] == ["dust-explosion"]
    applicant = User.objects.get(pk=applicant.pk)
    assert selectors.has_role(applicant, Role.ENT_ADMIN, organization=org)
    assert any(m.phone == "13800138000" and "已通过" in m.body for m in sms_outbox)
    assert mailoutbox and mailoutbox[0].to == ["li@example.com"]
    assert AuditLog.objects.filter(action="enterprise.approve", actor=bureau["reviewer"]).exists()
    # approving twice is refused
    with pytest.raises(ValidationError):
        svc.enterprise_application_approve(application=application, actor=bureau["reviewer"])


def test_analyst_sees_queue_but_cannot_decide(client, bureau):
    application = apply()
    client.force_login(bureau["analyst"])
    assert "江门市安全机械有限公司" in client.get("/accounts/enterprise-applications/").content.decode()
    url = f"/accounts/enterprise-applications/{application.pk}/"
    assert 'name="decision"' not in client.get(url).content.decode()
    assert client.post(url, {"decision": "approve"}).status_code == 404
    application.refresh_from_db()
    assert application.status == EnterpriseApplication.Status.PENDING


def test_return_needs_reason_then_applicant_corrects_and_resubmits(client, bureau, sms_outbox,
                                                                   django_capture_on_commit_callbacks):
    application = apply()
    client.force_login(bureau["reviewer"])
    url = f"/accounts/enterprise-applications/{application.pk}/"
    response = client.post(url, {"decision": "return", "reason": "  "})
    assert response.status_code == 200 and "退回时必须填写原因" in response.content.decode()
    application.refresh_from_db()
    assert application.status == EnterpriseApplication.Status.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"decision": "return", "reason": "企业名称与营业执照不一致"})
    application.refresh_from_db()
    assert application.status == EnterpriseApplication.Status.RETURNED
    assert application.return_reason == "企业名称与营业执照不一致"
    assert any("企业名称与营业执照不一致" in m.body and m.phone == "13800138000" for m in sms_outbox)
    assert AuditLog.objects.get(action="enterprise.return").reason == "企业名称与营业执照不一致"

    # the applicant signs in: reminded, sees the reason, corrects and resubmits
    client.logout()
    response = client.post("/accounts/login/", {"username": "liming", "password": PASSWORD}, follow=True)
    assert "已被退回" in response.content.decode()
    assert '<a href="/accounts/join/status/">' in response.content.decode()  # the reminder's link works
    page = client.get("/accounts/join/status/").content.decode()
    assert "企业名称与营业执照不一致" in page and "重新提交" in page
    data = {k: v for k, v in join_post(**{"e-name": "江门市安全机械制造有限公司"}).items() if k.startswith("e-")}
    assert client.post("/accounts/join/status/", data).status_code == 302
    application.refresh_from_db()
    assert application.status == EnterpriseApplication.Status.PENDING and application.name == "江门市安全机械制造有限公司"
    assert AuditLog.objects.filter(action="enterprise.resubmit").exists()
    # a pending one cannot be resubmitted
    with pytest.raises(ValidationError):
        svc.enterprise_application_resubmit(application=application, actor=application.applicant,
                                            data=svc.EnterpriseData.of(application))

    org = svc.enterprise_application_approve(application=application, actor=bureau["reviewer"])
    assert org.name == "江门市安全机械制造有限公司"


def test_only_the_applicant_resubmits(bureau, make_member):
    application = apply()
    svc.enterprise_application_return(application=application, actor=bureau["reviewer"], reason="请补充地址")
    with pytest.raises(ValidationError, match="只有申请人本人"):
        svc.enterprise_application_resubmit(application=application, actor=make_member(Role.WORKER),
                                            data=svc.EnterpriseData.of(application))
    application.refresh_from_db()
    assert application.status == EnterpriseApplication.Status.RETURNED


def test_approve_is_refused_when_the_code_was_registered_meanwhile(bureau):
    application = apply()
    OrganizationFactory(name="导入的公司", credit_code=CODE)  # e.g. imported by the bureau in the meantime
    with pytest.raises(ValidationError, match="已登记为“导入的公司”"):
        svc.enterprise_application_approve(application=application, actor=bureau["reviewer"])
    assert not Membership.objects.filter(user=application.applicant).exists()


def test_queue_list_query_count_does_not_grow(client, bureau, django_assert_max_num_queries):
    client.force_login(bureau["reviewer"])
    for n in range(3):
        apply(username=f"applicant{n}", credit_code=make_credit_code("91", "440704", f"MA4UJ{n}AA"), name=f"公司{n}")
    with django_assert_max_num_queries(12) as few:
        assert client.get("/accounts/enterprise-applications/").status_code == 200
    for n in range(3, 15):
        apply(username=f"applicant{n}", credit_code=make_credit_code("91", "440704", f"MA4U{n:02d}AA"), name=f"公司{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/accounts/enterprise-applications/").content.decode()
    assert page.count("/accounts/enterprise-applications/") >= 15


def test_enterprise_list_query_count_does_not_grow(client, bureau, django_assert_max_num_queries):
    client.force_login(bureau["reviewer"])
    for _ in range(3):
        OrganizationFactory().hazard_tags.set(HazardTag.objects.all()[:2])
    with django_assert_max_num_queries(12) as few:
        assert client.get("/accounts/enterprises/").status_code == 200
    for _ in range(12):
        OrganizationFactory().hazard_tags.set(HazardTag.objects.all()[:2])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/accounts/enterprises/").status_code == 200


def test_navigation_shows_the_queue_to_bureau_roles_only(client, bureau, make_member):
    client.force_login(bureau["analyst"])
    assert "企业入驻审核" in client.get("/").content.decode()
    client.force_login(make_member(Role.ENT_ADMIN))
    assert "企业入驻审核" not in client.get("/").content.decode()


# ------------------------------------------------------------------------------------------------
# Import of the register
# ------------------------------------------------------------------------------------------------

HEADER = ["名称", "统一社会信用代码", "行政区划代码", "行业", "风险特征", "设备工艺", "地址"]


def upload(client, rows, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    f = SimpleUploadedFile("register.xlsx", table_xlsx(HEADER, rows))
    return client.post("/accounts/enterprises/import/", {"file": f, **extra})


def test_import_good_file_creates_every_enterprise(client, bureau):
    client.force_login(bureau["reviewer"])
    rows = [["甲机械厂", make_credit_code("91", "440704", "AMP00001"), 440704, "机械", "粉尘涉爆、有限空间作业",
             "干式除尘器，抛光打磨", "江海区一路"],
            ["乙冷库", make_credit_code("91", "440705", "AMP00002"), "440705", "商贸", "涉氨制冷", "", ""]]
    response = upload(client, rows)
    assert response.status_code == 302
    a = Organization.objects.get(name="甲机械厂")
    assert a.region_id == "440704" and a.industry.name == "机械" and a.kind == OrgKind.ENTERPRISE
    assert {t.name for t in a.hazard_tags.all()} == {"粉尘涉爆", "有限空间作业"}
    assert {t.name for t in a.process_tags.all()} == {"干式除尘器", "抛光打磨"}
    assert Organization.objects.get(name="乙冷库").region_id == "440705"
    assert AuditLog.objects.filter(action="enterprise.import").count() == 2


def test_import_with_bad_rows_imports_nothing_and_reports_each_row(client, bureau):
    OrganizationFactory(name="已有公司", credit_code=make_credit_code("91", "440704", "AMP00009"))
    client.force_login(bureau["reviewer"])
    good = make_credit_code("91", "440704", "AMP00001")
    rows = [
        ["甲机械厂", good, "440704", "机械", "粉尘涉爆", "", ""],                                  # row 2: fine
        ["重复行", good, "440704", "", "", "", ""],                                              # row 3
        ["东莞厂", make_credit_code("91", "441900", "AMP00003"), "441900", "", "", "", ""],       # row 4
        ["已有", make_credit_code("91", "440704", "AMP00009"), "440704", "", "", "", ""],         # row 5
        ["坏码", good[:17] + ("0" if good[17] != "0" else "1"), "440704", "", "", "", ""],        # row 6
        ["怪标签", make_credit_code("91", "440704", "AMP00004"), "440704", "", "会飞", "", ""],   # row 7
    ]
    response = upload(client, rows)
    assert response.status_code == 200
    page = response.content.decode()
    assert "有 5 行存在问题，未导入任何企业" in page
    assert "与第 2 行重复" in page and "不在您所在监管部门的辖区内" in page
    assert "已登记为“已有公司”" in page and "校验位错误" in page and "风险特征“会飞”不在平台的标签中" in page
    assert not Organization.objects.filter(name="甲机械厂").exists()
    report = svc.enterprise_import(actor=bureau["reviewer"], rows=[
        {"_row": 2, "name": "x", "credit_code": good, "region": "440704"}], dry_run=True)
    assert report.ok and not Organization.objects.filter(credit_code=good).exists()


def test_import_numeric_credit_code_cell_is_refused(bureau):
    report = svc.enterprise_import(actor=bureau["reviewer"], rows=[
        {"_row": 2, "name": "x", "credit_code": 9.144e17, "region": "440704"}])
    assert not report.ok and "Excel 存为数字" in " ".join(report.rows[0]["messages"])


def test_import_template_and_access(client, bureau):
    client.force_login(bureau["reviewer"])
    response = client.get("/accounts/enterprises/import/template/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    from core.tables import read_table

    rows = read_table(response.content, svc.COLUMN_ALIASES, svc.REQUIRED)
    assert svc.enterprise_import(actor=bureau["reviewer"], rows=rows, dry_run=True).ok
    client.force_login(bureau["analyst"])
    assert client.get("/accounts/enterprises/import/").status_code == 404


# ------------------------------------------------------------------------------------------------
# Edit
# ------------------------------------------------------------------------------------------------


def test_edit_is_audited_with_before_and_after(client, bureau):
    org = OrganizationFactory(name="旧名称公司")
    client.force_login(bureau["reviewer"])
    url = f"/accounts/enterprises/{org.pk}/edit/"
    page = client.get(url).content.decode()
    assert "旧名称公司" in page and 'type="checkbox"' in page
    hazard = HazardTag.objects.get(code="hot-work")
    response = client.post(url, {"e-name": "新名称公司", "e-credit_code": org.credit_code, "e-region": "440705",
                                 "e-hazard_tags": [hazard.pk], "e-address": ""})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "新名称公司" and org.region_id == "440705" and list(org.hazard_tags.all()) == [hazard]
    entry = AuditLog.objects.get(action="enterprise.update")
    assert entry.actor == bureau["reviewer"]
    assert entry.before["name"] == "旧名称公司" and entry.after["name"] == "新名称公司"
    assert entry.before["hazard_tags"] == [] and entry.after["hazard_tags"] == ["hot-work"]
    assert "credit_code" not in entry.after  # only what changed
    assert "修改企业信息" in client.get(url).content.decode()


def test_edit_refuses_other_region_duplicate_code_and_moving_out(client, bureau):
    org = OrganizationFactory()
    other = OrganizationFactory()
    client.force_login(bureau["other"])
    assert client.get(f"/accounts/enterprises/{org.pk}/edit/").status_code == 404
    client.force_login(bureau["reviewer"])
    url = f"/accounts/enterprises/{org.pk}/edit/"
    page = client.post(url, {"e-name": org.name, "e-credit_code": other.credit_code, "e-region": "440704"}).content.decode()
    assert "不能重复登记" in page
    page = client.post(url, {"e-name": org.name, "e-credit_code": org.credit_code, "e-region": "441900"}).content.decode()
    assert "只能选择您所在监管部门辖区内的地区" in page
    org.refresh_from_db()
    assert org.region_id == "440704"
    assert not AuditLog.objects.filter(action="enterprise.update").exists()


def test_applicant_withdraws_and_the_code_is_free_again(client, make_member):
    application = apply()
    client.force_login(make_member(Role.WORKER))
    assert client.post("/accounts/join/withdraw/").status_code == 404  # no application of their own
    client.force_login(application.applicant)
    assert "撤回申请" in client.get("/accounts/join/status/").content.decode()
    assert client.post("/accounts/join/withdraw/").status_code == 302
    application.refresh_from_db()
    assert application.status == EnterpriseApplication.Status.WITHDRAWN
    assert AuditLog.objects.filter(action="enterprise.withdraw").exists()
    with pytest.raises(ValidationError):
        svc.enterprise_application_withdraw(application=application, actor=application.applicant)
    # the same code can be registered again, by the same person here
    data = {k: v for k, v in join_post().items() if k.startswith("e-")}
    assert client.post("/accounts/join/", data).status_code == 302
    assert EnterpriseApplication.objects.filter(credit_code=CODE, status="pending").count() == 1


def test_bureau_import_waits_for_a_pending_application_but_not_for_a_returned_one(bureau):
    application = apply()
    row = {"_row": 2, "name": "名册中的公司", "credit_code": CODE, "region": "440704"}
    report = svc.enterprise_import(actor=bureau["reviewer"], rows=[row])
    assert not report.ok and "待审核的入驻申请" in " ".join(report.rows[0]["messages"])
    svc.enterprise_application_return(application=application, actor=bureau["reviewer"], reason="资料不全")
    report = svc.enterprise_import(actor=bureau["reviewer"], rows=[row])
    assert report.ok and Organization.objects.get(credit_code=CODE).name == "名册中的公司"
    # the returned applicant can no longer take the code
    with pytest.raises(ValidationError, match="已登记为“名册中的公司”"):
        svc.enterprise_application_resubmit(application=application, actor=application.applicant,
                                            data=svc.EnterpriseData.of(application))


def test_home_tasks_for_the_bureau_and_the_returned_applicant(bureau, client):
    from core.todo import tasks_for

    application = apply()
    task = next(t for t in tasks_for(bureau["reviewer"]) if "企业入驻申请" in t.title)
    assert task.count == selectors.enterprise_applications_waiting(bureau["reviewer"]).count() == 1
    assert not [t for t in tasks_for(bureau["other"]) if "企业入驻申请" in t.title]
    svc.enterprise_application_return(application=application, actor=bureau["reviewer"], reason="营业执照地址不一致")
    mine = [t for t in tasks_for(application.applicant) if "退回" in t.title]
    assert len(mine) == 1 and mine[0].urgent and "营业执照地址不一致" in mine[0].detail
    client.force_login(application.applicant)
    assert "企业入驻申请被退回" in client.get("/").content.decode()
