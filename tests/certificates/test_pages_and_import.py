import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from accounts.roles import Role
from certificates.imports import certificate_import
from catalogue.models import OperationItem, RuleVersion
from certificates.models import Certificate, CertificateBatch

from .conftest import WELDER_ID

pytestmark = pytest.mark.django_db


def test_holder_sees_own_certificates_and_downloads_pdf(issue, welder, client, make_member, enterprise):
    c = issue(welder)
    other = make_member(Role.WORKER, org=enterprise, id_number="440704199002154027")
    theirs = issue(other)
    client.force_login(welder)
    page = client.get("/certificates/mine/").content.decode()
    assert c.number in page and theirs.number not in page
    pdf = client.get(f"/certificates/{c.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert client.get(f"/certificates/{theirs.pk}/pdf/").status_code == 404
    assert client.get(f"/certificates/{theirs.pk}/").status_code == 404
    assert client.get("/certificates/manage/").status_code == 404


def test_enterprise_admin_sees_own_people_only_with_bounded_queries(issue, welder, ent_admin, client, make_member,
                                                                    django_assert_max_num_queries):
    from accounts.validators import make_id_number

    for i in range(15):
        issue(make_member(Role.WORKER, org=welder.memberships.first().organization,
                          id_number=make_id_number(f"44070419900101{i:03d}")))
    outsider = make_member(Role.WORKER, id_number="440704199002154027")
    foreign = issue(outsider)
    client.force_login(ent_admin)
    with django_assert_max_num_queries(12):
        page = client.get("/certificates/people/").content.decode()
    assert page.count('data-status=') == 15 and foreign.number not in page
    assert client.get(f"/certificates/{foreign.pk}/").status_code == 404


def test_officer_manages_revokes_and_lists_with_bounded_queries(issue, welder, officer, client,
                                                               django_assert_max_num_queries):
    # twelve of the same operation: only history can hold that (issuing refuses a second valid one)
    certificates = [issue(welder, valid_from=dt.date(2024, 1, 1) + dt.timedelta(days=i), source="imported")
                    for i in range(12)]
    client.force_login(officer)
    with django_assert_max_num_queries(12):
        page = client.get("/certificates/manage/").content.decode()
    assert all(c.number in page for c in certificates)
    resp = client.post(f"/certificates/{certificates[0].pk}/action/", {"action": "revoke", "category": "fraud",
                                                                         "reason": "以欺骗手段取得"})
    assert resp.status_code == 302
    assert Certificate.objects.get(pk=certificates[0].pk).state == "revoked"
    detail = client.get(f"/certificates/{certificates[0].pk}/").content.decode()
    assert "certificate.revoke" in detail and "以欺骗手段取得" in detail


def test_certificate_page_names_the_rule_version_once(issue, welder, client):
    c = issue(welder)
    version = c.rule_version
    assert version.name.endswith("（2010）")
    assert str(version) == version.name  # the name already carries the code
    assert str(RuleVersion(code="2026", name="特种作业人员安全技术培训考核管理规定")) == "特种作业人员安全技术培训考核管理规定（2026）"
    client.force_login(welder)
    page = client.get(f"/certificates/{c.pk}/").content.decode()
    assert "（2010）（2010）" not in page and page.count("（2010）") == 1


def test_navigation_entries_by_role(welder, officer, ent_admin, client):
    client.force_login(welder)
    assert "我的证书" in client.get("/").content.decode()
    client.force_login(officer)
    assert "证书管理" in client.get("/").content.decode()
    client.force_login(ent_admin)
    assert "持证核查" in client.get("/").content.decode()
    client.logout()
    assert "证书查验" in client.get("/").content.decode()


def _import_rows(**overrides):
    row = {"_row": 2, "name": "赵老焊", "id_number": "440704197001011236", "kind": "特种作业操作证",
           "operation": "熔化焊接与热切割作业", "authority": "江门市应急管理局", "first_issued_on": "2019-04-01",
           "valid_from": "2022-04-01", "valid_until": "2028-03-31", "next_review_due": "2025-04-01",
           "last_reviewed_on": "2022-03-20"}
    row.update(overrides)
    return row


def test_import_all_or_nothing_with_row_report(officer):
    from accounts.validators import make_id_number

    good_id = make_id_number("44070419700101123")
    rows = [_import_rows(id_number=good_id),
            _import_rows(_row=3, id_number=WELDER_ID[:-1] + "4"),
            _import_rows(_row=4, id_number=make_id_number("44070419800101123"), operation="潜水作业"),
            _import_rows(_row=5, id_number=make_id_number("44070419800101124"), valid_until="2020-01-01")]
    report = certificate_import(officer=officer, rows=rows)
    assert not report.ok and report.error_count == 3
    assert not Certificate.objects.exists() and not User.objects.filter(real_name="赵老焊").exists()
    messages = {r["row"]: " ".join(r["messages"]) for r in report.rows}
    assert "校验位" in messages[3] and "潜水作业" in messages[4] and "晚于" in messages[5]
    assert all(WELDER_ID not in r["id_number"] for r in report.rows)

    report = certificate_import(officer=officer, rows=[rows[0]])
    assert report.ok
    c = Certificate.objects.get()
    assert (c.source, c.holder_name, c.valid_until, c.next_review_due) == ("imported", "赵老焊", dt.date(2028, 3, 31), dt.date(2025, 4, 1))
    assert c.rule_version.code == "2010" and c.holder.id_number == good_id and not c.holder.has_usable_password()
    again = certificate_import(officer=officer, rows=[rows[0]])
    assert not again.ok and "已在平台中" in again.rows[0]["messages"][0]


def test_import_page_and_command(officer, client, tmp_path, django_capture_on_commit_callbacks):
    from openpyxl import Workbook

    from certificates.imports import TEMPLATE_HEADER

    wb = Workbook()
    ws = wb.active
    ws.append(TEMPLATE_HEADER)
    ws.append(["钱老电", "440704197203041232", "special-op", "低压电工作业", "江门市应急管理局", dt.date(2021, 5, 6),
               dt.date(2021, 5, 6), dt.date(2027, 5, 5), dt.date(2024, 5, 6), None, None])
    out = io.BytesIO()
    wb.save(out)
    from accounts.validators import validate_id_number

    with pytest.raises(ValidationError):
        validate_id_number("440704197203041232")  # wrong check digit: the page must refuse the file
    client.force_login(officer)
    resp = client.post("/certificates/import/", {"file": SimpleUploadedFile("old.xlsx", out.getvalue())})
    assert resp.status_code == 200 and "未导入任何证书" in resp.content.decode()
    assert not Certificate.objects.exists()

    from accounts.validators import make_id_number

    ws.cell(row=2, column=2, value=make_id_number("44070419720304123"))
    out = io.BytesIO()
    wb.save(out)
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post("/certificates/import/", {"file": SimpleUploadedFile("old.xlsx", out.getvalue())})
    batch = CertificateBatch.objects.get()
    assert resp["Location"] == f"/certificates/batches/{batch.pk}/" and batch.done == 1
    assert Certificate.objects.get().pdf

    csv_path = tmp_path / "old.csv"
    csv_path.write_text(",".join(TEMPLATE_HEADER) + "\n孙老高,{},special-op,登高架设作业,江门市应急管理局,2023-01-02,"
                        "2023-01-02,2029-01-01,,,\n".format(make_id_number("44070419750607123")), encoding="utf-8")
    call_command("import_certificates", str(csv_path), "--officer", officer.username, "--dry-run", stdout=io.StringIO())
    assert Certificate.objects.count() == 1
    with pytest.raises(CommandError):
        call_command("import_certificates", str(csv_path), "--officer", "nobody", stdout=io.StringIO())


def test_catalogue_new_version_and_ended_version_is_read_only():
    call_command("catalogue_new_version", "2026", "--from", "2010", "--effective", "2026-06-01", stdout=io.StringIO())
    new = RuleVersion.objects.get(code="2026")
    assert OperationItem.objects.filter(category__rule_version=new, code="weld-fusion").exists()
    assert RuleVersion.objects.get(code="2010").effective_until == dt.date(2026, 6, 1)
    old_item = OperationItem.objects.get(category__rule_version__code="2010", code="weld-fusion")
    old_item.name = "改名"
    with pytest.raises(ValidationError):
        old_item.full_clean()
    new_item = OperationItem.objects.get(category__rule_version=new, code="weld-fusion")
    new_item.name = "熔化焊接与热切割作业（2026）"
    new_item.full_clean()
    with pytest.raises(CommandError):
        call_command("catalogue_new_version", "2026", "--from", "2010", "--effective", "2026-06-01", stdout=io.StringIO())


def test_catalogue_is_editable_in_wagtail_admin_by_superuser(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.test", "pw-Anxun-2026")
    client.force_login(admin)
    resp = client.get("/admin/snippets/catalogue/operationitem/")
    assert resp.status_code == 200 and "熔化焊接与热切割作业" in resp.content.decode()
