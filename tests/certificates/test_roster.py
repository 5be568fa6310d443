import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token

from accounts.validators import make_id_number
from certificates.models import RosterCheck
from certificates.roster import check_rows
from certificates.services import certificate_revoke, certificate_suspend
from tests.factories import UserFactory

from .conftest import WELDER_ID

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def people(issue, welder, officer):
    """One certificate per status, plus the welder's valid one."""
    def person(name, seq):
        return UserFactory(real_name=name, id_number=make_id_number(f"44070419900101{seq:03d}"))

    issue(welder, valid_from=dt.date(2025, 9, 1))                                   # valid
    overdue, expired, suspended, revoked = person("赵一", 11), person("钱二", 12), person("孙三", 13), person("李四", 14)
    issue(overdue, item_code="elec-lv", valid_from=dt.date(2022, 1, 10))           # review due 2025-01-10
    issue(expired, item_code="weld-pressure", valid_from=dt.date(2019, 5, 1))      # until 2025-04-30
    certificate_suspend(category="violation", actor=officer, certificate=issue(suspended, valid_from=dt.date(2025, 1, 1)), reason="违章")
    certificate_revoke(category="fraud", actor=officer, certificate=issue(revoked, item_code="height-scaffold",
                                                        valid_from=dt.date(2025, 1, 1)), reason="假材料")
    return {"overdue": overdue, "expired": expired, "suspended": suspended, "revoked": revoked}


def test_every_roster_status(people):
    newcomer = UserFactory(real_name="李秀梅", id_number="440704199002154027")
    rows = [
        {"name": "王建国", "id_number": WELDER_ID, "operation": "熔化焊接与热切割作业"},
        {"name": "李秀梅", "id_number": newcomer.id_number, "operation": "weld-fusion"},
        {"name": "王建国", "id_number": WELDER_ID, "operation": "低压电工作业"},
        {"name": "赵一", "id_number": people["overdue"].id_number, "operation": "elec-lv"},
        {"name": "钱二", "id_number": people["expired"].id_number, "operation": "压力焊作业"},
        {"name": "孙三", "id_number": people["suspended"].id_number, "operation": "熔化焊接与热切割"},
        {"name": "李四", "id_number": people["revoked"].id_number, "operation": "登高架设作业"},
        {"name": "王建军", "id_number": WELDER_ID, "operation": "熔化焊接与热切割作业"},
        {"name": "张伟", "id_number": WELDER_ID[:-1] + "4", "operation": "熔化焊接与热切割作业"},
        {"name": "张伟", "id_number": "12345", "operation": "熔化焊接与热切割作业"},
    ]
    results, summary = check_rows(rows, today=TODAY)
    assert [r["status"] for r in results] == [
        "valid", "no_certificate", "wrong_operation", "review_overdue", "expired", "suspended", "revoked",
        "name_mismatch", "invalid_id", "invalid_id"]
    assert "校验位" in results[8]["message"]
    assert results[2]["certificate"]["operation"] == "熔化焊接与热切割作业"  # the certificate that decided it
    assert results[0]["certificate"]["number"].startswith("AX2025")
    assert results[1]["certificate"] is None
    assert summary["total"] == 10 and summary["ok"] == 1 and summary["by_status"]["invalid_id"] == 2
    assert all(WELDER_ID not in r["id_number"] for r in results)


def test_best_certificate_decides_when_several_match(issue, welder, officer):
    old = issue(welder, valid_from=dt.date(2018, 1, 1))   # expired
    issue(welder, valid_from=dt.date(2025, 9, 1))         # valid
    results, _ = check_rows([{"name": "王建国", "id_number": WELDER_ID, "operation": "weld-fusion"}], today=TODAY)
    assert results[0]["status"] == "valid" and results[0]["certificate"]["number"] != old.number


def _xlsx(rows):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "操作项目"])
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_enterprise_admin_uploads_excel_sees_summary_and_downloads_result(people, ent_admin, client):
    client.force_login(ent_admin)
    data = _xlsx([("王建国", WELDER_ID, "熔化焊接与热切割作业"), ("李秀梅", "440704199002154027", "熔化焊接与热切割作业"),
                  ("王建国", WELDER_ID, "低压电工作业")])
    resp = client.post("/certificates/roster/", {"file": SimpleUploadedFile("名单.xlsx", data)})
    check = RosterCheck.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/certificates/roster/{check.pk}/"
    page = client.get(resp["Location"]).content.decode()
    assert "持证有效" in page and "无证" in page and "操作项目不符" in page
    assert WELDER_ID not in page
    download = client.get(f"/certificates/roster/{check.pk}/download.xlsx")
    sheet = load_workbook(io.BytesIO(download.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][4] == "核查结果" and [v[5] for v in values[1:]] == ["valid", "no_certificate", "wrong_operation"]
    assert WELDER_ID not in str(values)


def test_csv_upload_and_bad_file_changes_nothing(people, ent_admin, client):
    client.force_login(ent_admin)
    csv_bytes = f"姓名,身份证号,操作项目\n王建国,{WELDER_ID},weld-fusion\n".encode("gb18030")
    assert client.post("/certificates/roster/", {"file": SimpleUploadedFile("r.csv", csv_bytes)}).status_code == 302
    bad = "名字,号码\n王建国,1\n".encode()
    resp = client.post("/certificates/roster/", {"file": SimpleUploadedFile("r.csv", bad)})
    assert resp.status_code == 200 and "缺少必需的列" in resp.content.decode()
    assert RosterCheck.objects.count() == 1
    # an oversized upload (over 10 MB) is refused with a message, nothing checked
    huge = csv_bytes + b"#" * (10 * 1024 * 1024)
    resp = client.post("/certificates/roster/", {"file": SimpleUploadedFile("r.csv", huge)})
    assert resp.status_code == 200 and "文件过大" in resp.content.decode()
    assert RosterCheck.objects.count() == 1


def test_workers_cannot_use_roster_check(welder, client):
    client.force_login(welder)
    assert client.get("/certificates/roster/").status_code == 404
    assert client.post("/api/v1/roster-checks/", {"rows": []}, content_type="application/json").status_code == 403


def test_api_with_token(people, ent_admin, client):
    token = Token.objects.create(user=ent_admin)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    rows = [{"name": "王建国", "id_number": WELDER_ID, "operation": "weld-fusion"},
            {"name": "王建国", "id_number": WELDER_ID[:-1] + "4", "operation": "weld-fusion"}]
    resp = client.post("/api/v1/roster-checks/", {"rows": rows}, content_type="application/json", **auth)
    assert resp.status_code == 201
    data = resp.json()
    assert [r["status"] for r in data["rows"]] == ["valid", "invalid_id"]
    assert data["rows"][0]["certificate"]["operation"] == "熔化焊接与热切割作业"
    # a bare list is accepted too; malformed input is a structured 400
    assert client.post("/api/v1/roster-checks/", rows, content_type="application/json", **auth).status_code == 201
    bad = client.post("/api/v1/roster-checks/", {"rows": [{"name": "x"}]}, content_type="application/json", **auth)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    assert client.post("/api/v1/roster-checks/", {"rows": rows}, content_type="application/json").status_code in (401, 403)


def test_openapi_schema_lists_the_endpoints(client, ent_admin):
    client.force_login(ent_admin)
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/roster-checks/" in schema and "/api/v1/certificates/verify/" in schema


def test_ten_thousand_rows_with_a_constant_number_of_queries(people, ent_admin, django_assert_max_num_queries):
    from certificates.services import roster_check_run

    rows = []
    for i in range(10_000):
        day = dt.date(1970, 1, 1) + dt.timedelta(days=i // 100)
        rows.append({"name": f"工人{i}", "id_number": make_id_number(f"440704{day:%Y%m%d}{i % 100:03d}"),
                     "operation": "熔化焊接与热切割作业"})
    rows[5000] = {"name": "王建国", "id_number": WELDER_ID, "operation": "weld-fusion"}
    with django_assert_max_num_queries(3):  # catalogue items, kinds, certificates
        results, summary = check_rows(rows, today=TODAY)
    assert summary["total"] == 10_000 and summary["by_status"]["valid"] == 1
    assert summary["by_status"]["no_certificate"] == 9_999
    with django_assert_max_num_queries(8):  # + savepoint, stored result, audit entry
        check = roster_check_run(user=ent_admin, rows=rows)
    # stored with its Chinese text as itself (not as \uXXXX escapes, a quarter longer), read back alike
    from django.db import connection

    with connection.cursor() as c:
        cast = "::text" if connection.vendor == "postgresql" else ""
        c.execute(f"SELECT results{cast} FROM {RosterCheck._meta.db_table} WHERE id = %s", [check.pk])
        stored = c.fetchone()[0]
    assert "熔化焊接与热切割作业" in stored and "\\u" not in stored  # SQLite keeps the text as sent
    import json  # PostgreSQL's jsonb decodes escapes either way: what is sent to it is checked too

    sent = json.dumps(check.results[:1], cls=RosterCheck._meta.get_field("results").encoder)
    assert "熔化焊接与热切割作业" in sent
    assert RosterCheck.objects.get(pk=check.pk).results == check.results


def test_postgresql_per_person_query_reads_what_the_orm_reads(people, issue, welder):
    """The LATERAL query (PostgreSQL) and the plain ORM query give each person the same
    certificates in the same order; on SQLite the ORM query is the one used."""
    from django.db import connection

    from accounts import pii
    from certificates import roster

    issue(welder, valid_from=dt.date(2018, 1, 1))
    issue(welder, item_code="elec-lv", valid_from=dt.date(2025, 9, 1))
    hashes = sorted({pii.keyed_hash(WELDER_ID), *(pii.keyed_hash(u.id_number) for u in people.values()),
                     pii.keyed_hash("440704199002154027")})

    def grouped(rows):
        out = {}
        for row in rows:
            out.setdefault(row[14], []).append(tuple(row))
        return out

    orm = grouped(roster._rows_orm(hashes, roster.MAX_ROWS))
    assert len(orm[pii.keyed_hash(WELDER_ID)]) == 3 and len(orm) == 5
    used = grouped(roster._rows(hashes, roster.MAX_ROWS))
    assert used == orm
    if connection.vendor == "postgresql":
        assert roster._lateral_query(connection) is not None


def test_report_is_in_the_language_active_at_the_start(people):
    from django.utils import translation

    rows = [{"name": "王建国", "id_number": WELDER_ID, "operation": "熔化焊接与热切割作业"},
            {"name": "李秀梅", "id_number": "440704199002154027", "operation": "weld-fusion"}]
    with translation.override("en"):
        english, _ = check_rows(rows, today=TODAY)
    chinese, _ = check_rows(rows, today=TODAY)
    assert english[0]["message"] == "Certificate valid." and chinese[0]["message"] == "证书有效。"
    assert english[0]["status_label"] != chinese[0]["status_label"] == "持证有效"
    assert english[0]["certificate"]["status_label"] == "Valid" and chinese[0]["certificate"]["status_label"] == "有效"
    assert chinese[1]["message"] == "未查到此人持有任何证书，不得安排从事特种作业。"


def test_name_mismatch_tells_nothing_of_the_other_persons_certificate(people, ent_admin, client, welder):
    """A wrong name with a certified person's ID number: the row says only that the name does not
    match — no certificate number, verification code, operation or status of that person, on the
    page, in the API and in the export."""
    held = welder.certificates.get()
    secrets = [held.number, held.verification_code, "熔化焊接与热切割", "持证有效", "有效期", held.valid_until.isoformat()]
    results, summary = check_rows([{"name": "王建军", "id_number": WELDER_ID, "operation": "低压电工作业"}], today=TODAY)
    assert results[0]["status"] == "name_mismatch" and results[0]["certificate"] is None
    assert "姓名" in results[0]["message"] and not any(s in str(results[0]) for s in secrets[:2])

    client.force_login(ent_admin)
    data = _xlsx([("王建军", WELDER_ID, "低压电工作业")])
    resp = client.post("/certificates/roster/", {"file": SimpleUploadedFile("名单.xlsx", data)})
    page = client.get(resp["Location"]).content.decode()
    row = page[page.index('data-status="name_mismatch"'):]
    row = row[:row.index("</tr>")]
    assert "姓名不符" in row and not any(s in row for s in secrets), row
    check = RosterCheck.objects.get()
    download = client.get(f"/certificates/roster/{check.pk}/download.xlsx")
    values = [[c.value for c in row] for row in load_workbook(io.BytesIO(download.content)).active.iter_rows()]
    assert values[1][5] == "name_mismatch" and all(v in ("", None) for v in values[1][7:]), values[1]
    assert not any(s in str(values) for s in secrets[:2])

    token = Token.objects.create(user=ent_admin)
    api = client.post("/api/v1/roster-checks/", {"rows": [{"name": "王建军", "id_number": WELDER_ID, "operation": "weld-fusion"}]},
                      content_type="application/json", HTTP_AUTHORIZATION=f"Token {token.key}").json()
    assert api["rows"][0]["status"] == "name_mismatch" and api["rows"][0]["certificate"] is None
    assert not any(s in str(api) for s in secrets[:2] + ["熔化焊接与热切割作业"])


def test_checks_kept_before_forget_the_other_persons_certificate(ent_admin):
    from importlib import import_module

    from django.apps import apps

    leaked = {"number": "AX20250000017", "verification_code": "ABCD234567", "status": "valid"}
    check = RosterCheck.objects.create(
        created_by=ent_admin, row_count=2, summary={"total": 2, "ok": 1, "by_status": {"valid": 1, "name_mismatch": 1}},
        results=[{"row": 1, "status": "valid", "certificate": leaked},
                 {"row": 2, "status": "name_mismatch", "certificate": leaked}])
    import_module("certificates.migrations.0008_roster_name_mismatch_forgets_certificate").forwards(apps, None)
    check.refresh_from_db()
    assert check.results[0]["certificate"] == leaked and check.results[1]["certificate"] is None
