"""Roster import from Excel: all rows or none, a report per row, then invitations."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from accounts.models import Membership, PersonOperation, User
from accounts.roles import Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, id_number_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def enterprise(db):
    return OrganizationFactory(name="导入测试有限公司")


@pytest.fixture
def admin(make_member, enterprise):
    return make_member(Role.ENT_ADMIN, org=enterprise)


def xlsx(rows, header=("姓名", "身份证号", "手机号", "电子邮箱", "角色", "操作项目")) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("花名册.xlsx", out.getvalue())


def twenty(bad_row: int | None = None):
    rows = []
    for i in range(20):
        number = id_number_for(800 + i)
        if i == bad_row:
            number = number[:-1] + ("0" if number[-1] != "0" else "1")
        special = i % 5 == 0
        rows.append((f"员工{i:02d}", number, f"137{i:08d}", "", "特种作业人员、从业人员" if special else "从业人员",
                     "熔化焊接与热切割作业" if special else ""))
    return rows


def test_template_download(client, admin):
    client.force_login(admin)
    resp = client.get("/accounts/people/import/template.xlsx")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.content))
    assert [c.value for c in wb.worksheets[0][1]] == ["姓名", "身份证号", "手机号", "电子邮箱", "角色", "操作项目"]
    assert wb.worksheets[0]["B2"].number_format == "@"  # ID numbers stay text
    assert "特种作业人员" in str([[c.value for c in r] for r in wb.worksheets[1].iter_rows()])


def test_one_bad_row_imports_nothing_then_the_fixed_file_imports_all(client, admin, enterprise, sms_outbox,
                                                                      django_capture_on_commit_callbacks):
    client.force_login(admin)
    assert client.get("/accounts/people/import/").status_code == 200
    resp = client.post("/accounts/people/import/", {"file": xlsx(twenty(bad_row=7))})
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "有 1 行存在问题，未导入任何人员" in page and "校验位" in page
    report = resp.context["report"]
    assert [r["row"] for r in report.rows if not r["ok"]] == [9]  # sheet row 9 = 8th data row
    assert User.objects.filter(real_name__startswith="员工").count() == 0
    assert Membership.objects.filter(organization=enterprise).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post("/accounts/people/import/", {"file": xlsx(twenty())})
    assert resp.status_code == 302, resp.context["report"].rows if resp.context else resp
    assert User.objects.filter(real_name__startswith="员工").count() == 20
    assert Membership.objects.filter(organization=enterprise, role=Role.SPECIAL_OPERATOR).count() == 4
    assert PersonOperation.objects.filter(organization=enterprise, operation_item__code="weld-fusion").count() == 4
    assert len(sms_outbox) == 20 and all(re.search(r"激活码\d{6}", m.body) for m in sms_outbox)
    # one worker activates from the code in their text message and signs in with the new password
    sms = next(m for m in sms_outbox if m.phone == "13700000003")
    code = re.search(r"激活码(\d{6})", sms.body).group(1)
    client.logout()
    resp = client.post("/accounts/activate/", {"identifier": "13700000003", "code": code})
    assert resp.status_code == 302
    resp = client.post("/accounts/activate/password/", {"username": "yuangong03", "password1": "Anquan-2026-mima",
                                                        "password2": "Anquan-2026-mima"})
    assert resp.status_code == 302
    worker = User.objects.get(username="yuangong03")
    assert worker.real_name == "员工03" and worker.check_password("Anquan-2026-mima")
    client.force_login(admin)
    # importing the same file again changes nothing and sends nothing
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post("/accounts/people/import/", {"file": xlsx(twenty())})
    assert resp.status_code == 302
    assert User.objects.filter(real_name__startswith="员工").count() == 20 and len(sms_outbox) == 20


def test_row_report_covers_duplicates_missing_columns_and_known_people(client, admin, enterprise):
    client.force_login(admin)
    resp = client.post("/accounts/people/import/", {"file": xlsx([("a", "b")], header=("姓名", "手机号"))})
    assert "缺少必需的列" in resp.content.decode()
    known = UserFactory(real_name="老员工")
    known.set_id_number(id_number_for(850))
    known.save()
    MembershipFactory(user=known, organization=OrganizationFactory(), role=Role.WORKER)
    rows = [("老员工", id_number_for(850), "13700000001", "", "从业人员", ""),
            ("新人", id_number_for(851), "13700000002", "", "从业人员", ""),
            ("新人重复", id_number_for(851), "13700000003", "", "从业人员", ""),
            ("焊工", id_number_for(852), "13700000004", "", "特种作业人员", ""),
            ("数字", 110101198503071235, "13700000005", "", "从业人员", "")]
    resp = client.post("/accounts/people/import/", {"file": xlsx(rows)})
    report = resp.context["report"]
    by_row = {r["row"]: r for r in report.rows}
    assert by_row[2]["ok"] and by_row[3]["ok"]
    assert "第3行重复" in " ".join(by_row[4]["messages"])
    assert "操作项目" in " ".join(by_row[5]["messages"])
    assert "Excel" in " ".join(by_row[6]["messages"])
    assert not Membership.objects.filter(user=known, organization=enterprise).exists()
    # without the bad rows: the known person joins, no second account
    resp = client.post("/accounts/people/import/", {"file": xlsx(rows[:2])})
    assert resp.status_code == 302
    assert Membership.objects.filter(user=known, organization=enterprise, is_active=True).exists()
    assert User.objects.by_id_number(id_number_for(850)).count() == 1
