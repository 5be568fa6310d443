"""Crafted hostile spreadsheets against every upload path: each is refused with a clear message in
under 2 s, with bounded memory, and nothing is imported."""

from __future__ import annotations

import datetime as dt
import contextlib
import gc
import io
import os
import time
import tracemalloc
import zipfile
from decimal import Decimal

import openpyxl  # noqa: F401 - imported once here, so no measurement pays for the first import
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from accounts.roles import OrgKind, Role
from core.tables import TableError, read_rows, read_table
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

SECONDS = 2.0
PEAK_BYTES = 50 * 1024 * 1024
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '{extra}</Types>')
SST_TYPE = ('<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>{extra}</Relationships>')
SST_REL = ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
           'Target="sharedStrings.xml"/>')


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


HEADER_ROW = '<row r="1">' + "".join(_inline(f"{c}1", t) for c, t in zip("ABCDE", ("姓名", "身份证号", "操作项目", "学时", "备注"))) + "</row>"


def xlsx(sheet_xml: str, shared: str | None = None, prolog: str = "") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES.format(extra=SST_TYPE if shared is not None else ""))
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(extra=SST_REL if shared is not None else ""))
        z.writestr("xl/worksheets/sheet1.xml",
                   f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{NS}">{sheet_xml}</worksheet>')
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", shared)
    return buf.getvalue()


def dimension_bomb() -> bytes:
    """1.6 KB declaring A1:ZZ100000 with one cell at ZZ100000 (the file of the report)."""
    return xlsx('<dimension ref="A1:ZZ100000"/><sheetData>' + HEADER_ROW
                + '<row r="100000">' + _inline("ZZ100000", "x") + "</row></sheetData>")


def full_sheet_bomb() -> bytes:
    """A full-sheet declaration with one value in the very last row."""
    return xlsx('<dimension ref="A1:XFD1048576"/><sheetData>' + HEADER_ROW
                + '<row r="1048576">' + _inline("A1048576", "x") + "</row></sheetData>")


def zip_bomb() -> bytes:
    """40 MB of sheet XML compressed to a few dozen KB."""
    filler = "<row/>" * (40 * 1024 * 1024 // 6)
    return xlsx("<sheetData>" + HEADER_ROW + "</sheetData>" + f"<!-- {filler} -->")


def billion_laughs() -> bytes:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
    return xlsx("<sheetData>" + HEADER_ROW + '<row r="2">' + _inline("A2", "&lol9;") + "</row></sheetData>",
                prolog=f"<!DOCTYPE worksheet [{entities}]>")


def huge_shared_strings() -> bytes:
    """A shared-strings table of 12 MB (it is held in memory whole by any reader)."""
    items = "".join(f"<si><t>{i:07d}</t></si>" for i in range(600_000))
    shared = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}" count="600000" uniqueCount="600000">{items}</sst>'
    return xlsx("<sheetData>" + HEADER_ROW + '<row r="2"><c r="A2" t="s"><v>599999</v></c></row></sheetData>', shared)


def garbage() -> bytes:
    return os.urandom(4096)


def zip_garbage() -> bytes:
    return b"PK\x03\x04" + os.urandom(4096)


def many_rows(n: int) -> bytes:
    rows = "".join(f'<row r="{r}">' + _inline(f"A{r}", "张三") + "</row>" for r in range(2, n + 2))
    return xlsx("<sheetData>" + HEADER_ROW + rows + "</sheetData>")


HOSTILE = {
    "dimension_bomb": (dimension_bomb, "列数超过上限"),
    "full_sheet_bomb": (full_sheet_bomb, "行数超过上限"),
    "zip_bomb": (zip_bomb, "文件结构异常"),
    "billion_laughs": (billion_laughs, "不允许的 XML 声明"),
    "huge_shared_strings": (huge_shared_strings, "文件结构异常"),
    "garbage": (garbage, "不是有效的 Excel"),
    "zip_garbage": (zip_garbage, "不是有效的 Excel"),
}


@pytest.fixture(scope="module")
def files():
    return {name: (build(), expected) for name, (build, expected) in HOSTILE.items()}


def measured(call):
    """(result or raised exception, seconds, peak traced bytes): timed without tracing, then traced."""
    gc.collect()
    start = time.monotonic()
    try:
        outcome = call()
    except Exception as exc:  # noqa: BLE001 - the caller asserts on it
        outcome = exc
    seconds = time.monotonic() - start
    gc.collect()
    tracemalloc.start()
    with contextlib.suppress(Exception):  # same outcome as above; only the memory is measured here
        call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return outcome, seconds, peak


def warm_up(client, url):
    """The first request of a process loads views and compiles templates: not the upload's cost."""
    assert client.get(url).status_code == 200
    client.post(url, {"file": SimpleUploadedFile("warm.csv", "a,b\n".encode())})


def assert_refused(name, outcome_text, seconds, peak, expected):
    assert expected in outcome_text, (name, outcome_text[:300])
    assert seconds < SECONDS, (name, seconds)
    assert peak < PEAK_BYTES, (name, peak)


def test_the_dimension_bomb_is_small_and_really_declares_a_huge_sheet():
    data = dimension_bomb()
    assert len(data) < 2500
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert b'ref="A1:ZZ100000"' in z.read("xl/worksheets/sheet1.xml")


@pytest.mark.parametrize("name", list(HOSTILE))
def test_the_reader_refuses_each_hostile_file(files, name):
    from certificates.roster import COLUMN_ALIASES

    data, expected = files[name]
    outcome, seconds, peak = measured(
        lambda: read_table(SimpleUploadedFile(f"{name}.xlsx", data), COLUMN_ALIASES, ("name", "id_number", "operation")))
    assert isinstance(outcome, TableError), (name, outcome)
    assert_refused(name, outcome.messages[0], seconds, peak, expected)


def test_roster_upload_refuses_hostile_files(files, client, make_member):
    from certificates.models import RosterCheck

    client.force_login(make_member(Role.ENT_ADMIN, org=OrganizationFactory(name="测试企业")))
    warm_up(client, "/certificates/roster/")
    for name, (data, expected) in files.items():
        outcome, seconds, peak = measured(
            lambda: client.post("/certificates/roster/", {"file": SimpleUploadedFile(f"{name}.xlsx", data)}))
        assert outcome.status_code == 200, name
        assert_refused(name, outcome.content.decode(), seconds, peak, expected)
    assert not RosterCheck.objects.exists()


def test_certificate_import_page_and_command_refuse_hostile_files(files, client, make_member, tmp_path):
    from certificates.models import Certificate

    officer = make_member(Role.CERT_OFFICER, org=OrganizationFactory(kind=OrgKind.EXAM_CENTRE, credit_code=None))
    client.force_login(officer)
    warm_up(client, "/certificates/import/")
    for name, (data, expected) in files.items():
        outcome, seconds, peak = measured(
            lambda: client.post("/certificates/import/", {"file": SimpleUploadedFile(f"{name}.xlsx", data)}))
        assert outcome.status_code == 200, name
        assert_refused(name, outcome.content.decode(), seconds, peak, expected)
        path = tmp_path / f"{name}.xlsx"
        path.write_bytes(data)
        outcome, seconds, peak = measured(
            lambda: call_command("import_certificates", str(path), "--officer", officer.username, stdout=io.StringIO()))
        assert isinstance(outcome, CommandError), (name, outcome)
        assert_refused(name, str(outcome), seconds, peak, expected)
    assert not Certificate.objects.exists()


def test_question_import_page_and_command_refuse_hostile_files(files, client, make_member, tmp_path):
    from exams.models import Question, QuestionBank

    centre = OrganizationFactory(kind=OrgKind.EXAM_CENTRE, credit_code=None)
    bank = QuestionBank.objects.create(code="hostile", name="题库", kind="testing", owner=centre)
    client.force_login(make_member(Role.ITEM_WRITER, org=centre))
    warm_up(client, f"/exams/manage/banks/{bank.code}/import/")
    for name, (data, expected) in files.items():
        outcome, seconds, peak = measured(
            lambda: client.post(f"/exams/manage/banks/{bank.code}/import/", {"file": SimpleUploadedFile(f"{name}.xlsx", data)}))
        assert outcome.status_code == 200, name
        assert_refused(name, outcome.content.decode(), seconds, peak, expected)
        path = tmp_path / f"{name}.xlsx"
        path.write_bytes(data)
        outcome, seconds, peak = measured(
            lambda: call_command("import_questions", str(path), "--bank", bank.code, stdout=io.StringIO(),
                                 stderr=io.StringIO()))
        assert isinstance(outcome, CommandError), (name, outcome)
        assert_refused(name, str(outcome), seconds, peak, expected)
    assert not Question.objects.exists()


def test_attendance_upload_refuses_hostile_files(files, client, make_member):
    from courses import services
    from courses.models import OfflineAttendance
    from tests.courses.factories import CourseFactory

    provider = OrganizationFactory(kind=OrgKind.TRAINING, credit_code=None)
    trainer = make_member(Role.INSTRUCTOR, provider)
    session = services.offline_session_create(
        actor=trainer, provider=provider, course=CourseFactory(code="hostile"), title="复审班", location="教室",
        start_date=dt.date(2026, 9, 14), end_date=dt.date(2026, 9, 15), hours=Decimal("8"))
    client.force_login(trainer)
    warm_up(client, f"/courses/offline/{session.pk}/")
    for name, (data, expected) in files.items():
        outcome, seconds, peak = measured(
            lambda: client.post(f"/courses/offline/{session.pk}/", {"file": SimpleUploadedFile(f"{name}.xlsx", data)}))
        assert outcome.status_code == 200, name
        assert_refused(name, outcome.content.decode(), seconds, peak, expected)
    assert not OfflineAttendance.objects.exists()


def test_csv_as_utf8_or_gb18030_and_garbage_csv_is_refused():
    text = "姓名,身份证号\n张三,110101198503071235\n"
    for encoding in ("utf-8", "utf-8-sig", "gb18030"):
        rows = read_rows(text.encode(encoding), filename="r.csv")
        assert rows == [(1, ["姓名", "身份证号"]), (2, ["张三", "110101198503071235"])]
    with pytest.raises(TableError, match="不是文本格式"):
        read_rows(b"\x89PNG\r\n\x1a\n\x00\x00\x00", filename="r.csv")
    with pytest.raises(TableError, match="旧版 Excel"):
        read_rows(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, filename="r.xls")
    with pytest.raises(TableError, match="文件过大"):
        read_rows(b"a," * (6 * 1024 * 1024), filename="r.csv")


def test_reader_keeps_real_rows_and_ignores_declared_dimension():
    """A declared dimension far beyond the data changes nothing; rows are as wide as their cells."""
    data = xlsx('<dimension ref="A1:ZZ5000"/><sheetData>' + HEADER_ROW
                + '<row r="3">' + _inline("A3", " 张三 ") + '<c r="B3"><v>8</v></c></row></sheetData>')
    rows = read_rows(data, filename="r.xlsx")
    assert rows == [(1, ["姓名", "身份证号", "操作项目", "学时", "备注"]), (3, ["张三", 8])]


def test_rows_columns_and_cells_are_capped_while_streaming():
    from core.tables import Limits

    limits = Limits(max_rows=50, max_columns=5, max_cells=120)
    assert len(read_rows(many_rows(50), filename="r.xlsx", limits=Limits(max_rows=50))) == 51
    with pytest.raises(TableError, match="行数超过上限（50 行）"):
        read_rows(many_rows(51), filename="r.xlsx", limits=limits)
    with pytest.raises(TableError, match="列数超过上限（4 列）"):
        read_rows(xlsx("<sheetData>" + HEADER_ROW + "</sheetData>"), filename="r.xlsx", limits=Limits(max_columns=4))
    with pytest.raises(TableError, match="单元格数超过上限"):
        read_rows("\n".join(["a,b,c"] * 45).encode(), filename="r.csv", limits=limits)
    with pytest.raises(TableError, match="读取超时"):
        read_rows(many_rows(3000), filename="r.xlsx", limits=Limits(seconds=0.0))
