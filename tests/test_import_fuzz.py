"""Fuzzed roster and attendance files: whatever the cells hold, the answer is a per-row report or
one clear file error — never an unexpected exception, never a half-done import."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.validators import make_id_number

pytestmark = pytest.mark.django_db

# printable text (openpyxl refuses control characters in cells, as Excel does)
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20)
ID_LIKE = st.builds(lambda n: make_id_number(f"44070419850307{n:03d}"), st.integers(0, 999)) | TEXT
CELL = TEXT | ID_LIKE | st.sampled_from(["是", "否", "8", "-1", "999", "熔化焊接与热切割作业", "weld-fusion", "",
                                                   "NaN", "-Infinity", "sNaN", "1e400"]) | \
    st.integers(-10, 100)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@FUZZ
@given(header=st.sampled_from([["姓名", "身份证号", "操作项目"], ["name", "id_number", "operation"], ["名字", "号码"]]),
       rows=st.lists(st.lists(CELL, max_size=5), max_size=8))
def test_fuzzed_roster_files_give_a_report_or_a_clear_error(header, rows):
    from certificates.roster import COLUMN_ALIASES, STATUSES, check_rows
    from core.tables import read_table
    from tests.conftest import ensure_reference_data

    ensure_reference_data()
    upload = SimpleUploadedFile("roster.xlsx", _xlsx([header, *rows]))
    try:
        table = read_table(upload, COLUMN_ALIASES, ("name", "id_number", "operation"))
        results, summary = check_rows(table)
    except ValidationError as exc:
        assert exc.messages and all(m.strip() for m in exc.messages)
        return
    assert len(results) == len(table) == summary["total"]
    assert all(r["status"] in STATUSES and r["message"] for r in results)
    assert all("*" in r["id_number"] or len(r["id_number"]) <= 8 for r in results if r["id_number"])


@FUZZ
@given(rows=st.lists(st.lists(CELL, max_size=6), max_size=8))
def test_fuzzed_attendance_files_import_all_or_nothing(rows):
    from courses.imports import HEADERS, parse_attendance

    result = parse_attendance(io.BytesIO(_xlsx([HEADERS, *rows])), session_hours=Decimal("8"))
    if result.file_error:
        assert not result.rows or not result.ok
        return
    bad = [r for r in result.report if not r.ok]
    assert result.ok == (not bad and bool(result.rows))
    assert all(r.errors for r in bad)


@pytest.mark.parametrize("hours", ["NaN", "sNaN", "Infinity", "-inf", "1e400"])
def test_hours_that_parse_as_no_number_are_a_row_error(hours):
    from courses.imports import HEADERS, parse_attendance

    result = parse_attendance(io.BytesIO(_xlsx([HEADERS, ["张三", make_id_number("44070419850307001"), "是", hours]])),
                              session_hours=Decimal("8"))
    assert not result.ok and not result.file_error
    assert [len(r.errors) > 0 for r in result.report] == [True]


def test_an_unreadable_attendance_file_is_one_clear_error():
    from courses.imports import parse_attendance

    result = parse_attendance(io.BytesIO(b"PK\x03\x04 not really a workbook"), session_hours=Decimal("8"))
    assert result.file_error and not result.ok and not result.rows
