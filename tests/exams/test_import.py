"""Question import: all-or-nothing with a numbered row report, xlsx and csv, English and Chinese headers."""

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from accounts.roles import Role
from exams.importer import template_workbook
from exams.models import KnowledgeTag, Question, QuestionBank

HEAD = "type,stem,option_a,option_b,option_c,option_d,answer,explanation,tags,difficulty\n"


@pytest.fixture
def bank(centre):
    KnowledgeTag.objects.create(code="kp-earthing", name="接地与接零")
    return QuestionBank.objects.create(code="imp", name="导入题库", kind="testing", owner=centre)


def _csv(tmp_path, body, name="q.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes((HEAD + body).encode(encoding))
    return path


def test_good_csv_imports_everything(tmp_path, bank):
    path = _csv(tmp_path, "single,题一,甲,乙,丙,丁,B,解析一,kp-earthing,2\n"
                          "multiple,题二,甲,乙,丙,,\"A,C\",,接地与接零,\n"
                          "判断,题三,,,,,对,,,\n"
                          "essay,题四,,,,,,要点,,4\n")
    out = io.StringIO()
    call_command("import_questions", str(path), "--bank", "imp", stdout=out)
    assert "已导入 4 道" in out.getvalue()
    qs = {q.stem: q for q in Question.objects.filter(bank=bank)}
    assert qs["题一"].answer == "B" and qs["题一"].difficulty == 2
    assert qs["题二"].answer == "AC" and len(qs["题二"].options) == 3
    assert qs["题三"].type == "truefalse" and qs["题三"].answer == "T"
    assert [t.code for t in qs["题一"].tags.all()] == ["kp-earthing"]


def test_any_bad_row_imports_nothing_and_reports_every_row(tmp_path, bank):
    Question.objects.create(bank=bank, type="truefalse", stem="已有的题", options=[], answer="T")
    path = _csv(tmp_path,
                "single,好题,甲,乙,丙,丁,A,,,\n"          # row 2 ok
                "choice,题,甲,乙,,,A,,,\n"                # row 3 unknown type
                "single,缺答案,甲,乙,,,,,,\n"              # row 4 missing answer
                "single,答案不在选项,甲,乙,,,D,,,\n"       # row 5 answer not among options
                "truefalse,已有的题,,,,,T,,,\n"            # row 6 duplicate in bank
                "single,好题,甲,乙,丙,丁,A,,,\n"          # row 7 duplicate in file
                "single,标签错,甲,乙,,,A,,没有这个标签,\n"  # row 8 unknown tag
                "multiple,难度错,甲,乙,丙,,AB,,,9\n")      # row 9 difficulty
    err = io.StringIO()
    with pytest.raises(CommandError, match="未导入"):
        call_command("import_questions", str(path), "--bank", "imp", stderr=err)
    report = err.getvalue()
    for row, why in [(3, "未知题型"), (4, "缺少答案"), (5, "不在选项中"), (6, "已有相同题干"), (7, "与第 2 行题干重复"),
                     (8, "未知标签"), (9, "难度")]:
        assert f"第 {row} 行" in report and why in report, (row, why, report)
    assert "第 2 行" not in report.replace("与第 2 行", "")
    assert Question.objects.filter(bank=bank).count() == 1


def test_xlsx_with_chinese_headers(tmp_path, bank):
    wb = Workbook()
    ws = wb.active
    ws.append(["题型", "题干", "选项A", "选项B", "选项C", "答案", "解析", "标签", "难度"])
    ws.append(["单选", "Excel 题", "一", "二", "三", "C", "解析", "", 3])
    ws.append(["判断题", "Excel 判断", None, None, None, "错", "", "", None])
    path = tmp_path / "q.xlsx"
    wb.save(path)
    call_command("import_questions", str(path), "--bank", "imp", stdout=io.StringIO())
    assert Question.objects.get(stem="Excel 题").answer == "C"
    assert Question.objects.get(stem="Excel 判断").answer == "F"


def test_gbk_csv_and_unknown_bank(tmp_path, bank):
    path = _csv(tmp_path, "single,国标编码,甲,乙,,,A,,,\n", encoding="gb18030")
    call_command("import_questions", str(path), "--bank", "imp", stdout=io.StringIO())
    assert Question.objects.filter(stem="国标编码").exists()
    with pytest.raises(CommandError, match="不存在"):
        call_command("import_questions", str(path), "--bank", "nope")


def test_template_imports_cleanly(tmp_path, bank):
    path = tmp_path / "template.xlsx"
    path.write_bytes(template_workbook())
    call_command("import_questions", str(path), "--bank", "imp", stdout=io.StringIO())
    assert Question.objects.filter(bank=bank).count() == 4


def test_back_office_import_with_report(client, bank, make_member, centre, tmp_path):
    writer = make_member(Role.ITEM_WRITER, org=centre)
    client.force_login(writer)
    assert client.get(f"/exams/manage/banks/{bank.code}/import/").status_code == 200
    assert client.get("/exams/manage/import-template.xlsx").status_code == 200
    bad = io.BytesIO((HEAD + "single,好,甲,乙,,,A,,,\nsingle,坏,甲,乙,,,E,,,\n").encode())
    bad.name = "q.csv"
    r = client.post(f"/exams/manage/banks/{bank.code}/import/", {"file": bad})
    body = r.content.decode()
    assert "第 3 行" in body and "不在选项中" in body and Question.objects.filter(bank=bank).count() == 0
    good = io.BytesIO((HEAD + "single,好,甲,乙,,,A,,,\n").encode())
    good.name = "q.csv"
    r = client.post(f"/exams/manage/banks/{bank.code}/import/", {"file": good}, follow=True)
    assert Question.objects.filter(bank=bank).count() == 1
    # a training-institution instructor cannot import into (or even see) the testing bank
    instructor = make_member(Role.INSTRUCTOR)
    client.force_login(instructor)
    assert client.get(f"/exams/manage/banks/{bank.code}/import/").status_code == 404


def test_an_oversized_file_is_refused_before_reading_rows(bank):
    from exams.importer import MAX_FILE_BYTES, ImportFileError, import_questions

    data = (HEAD + "single,题,甲,乙,丙,丁,A,,,3\n").encode() + b"#" * MAX_FILE_BYTES
    with pytest.raises(ImportFileError, match="文件过大"):
        import_questions(actor=None, bank=bank, data=data, filename="big.csv")
    assert not Question.objects.filter(bank=bank).exists()


CELL = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["single", "multiple", "判断", "essay", "A", "AC", "对", "3", "9", "-1", "kp-earthing", "接地与接零", ""])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELL, min_size=0, max_size=12), min_size=1, max_size=6))
def test_fuzzed_question_files_import_all_or_nothing(bank, rows):
    """Whatever the rows hold: a clear file error, or a report; rows go in all together or not at all."""
    import csv

    from exams.importer import ImportFileError, import_questions

    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    before = Question.objects.filter(bank=bank).count()
    try:
        report = import_questions(actor=None, bank=bank, data=(HEAD + buf.getvalue()).encode(), filename="f.csv")
    except ImportFileError as exc:
        assert str(exc)
        assert Question.objects.filter(bank=bank).count() == before
        return
    after = Question.objects.filter(bank=bank).count()
    if report.ok:
        assert after == before + report.created
    else:
        assert after == before
        assert report.lines() and all(line.startswith("第 ") for line in report.lines())


def test_an_essay_row_with_text_in_the_answer_column_imports_without_it(bank):
    """Found by the fuzz test on PostgreSQL: the answer column holds option letters (at most 8
    characters); an essay's answer cell is ignored, as the question editor does."""
    from exams.importer import import_questions

    data = (HEAD + "essay,简述有限空间作业的审批要求。,,,,,先通风、再检测、后作业,要点：审批、通风、检测、监护,,3\n").encode()
    report = import_questions(actor=None, bank=bank, data=data, filename="e.csv")
    assert report.ok and report.created == 1
    q = Question.objects.get(bank=bank)
    assert q.type == "essay" and q.answer == "" and q.explanation.startswith("要点")
