"""Question import from xlsx/csv: all-or-nothing with a numbered per-row report.

Header row (English or Chinese names): type/题型, stem/题干, option_a…option_f/选项A…选项F,
answer/答案, explanation/解析, tags/标签, difficulty/难度. Used by the ``import_questions`` command
and the back-office import page.
"""

from __future__ import annotations

from pathlib import Path
import re
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.tables import Limits, TableError, cell_text
from core.tables import read_rows as read_table_rows

from .models import OPTION_KEYS, KnowledgeTag, Question, QuestionBank, stem_digest, truefalse_options
from . import pools
from .services import TF_ALIASES, question_problems

MAX_FILE_BYTES = 10 * 1024 * 1024  # a bank of tens of thousands of questions fits well within this
MAX_QUESTIONS = 20_000  # rows per file

HEADER_ALIASES = {
    "type": "type", "题型": "type", "类型": "type",
    "stem": "stem", "题干": "stem", "题目": "stem",
    "answer": "answer", "答案": "answer", "正确答案": "answer",
    "explanation": "explanation", "解析": "explanation", "答案解析": "explanation",
    "tags": "tags", "标签": "tags", "知识点": "tags",
    "difficulty": "difficulty", "难度": "difficulty",
}
for _k in OPTION_KEYS:
    HEADER_ALIASES[f"option_{_k.lower()}"] = f"option_{_k.lower()}"
    HEADER_ALIASES[f"选项{_k}"] = f"option_{_k.lower()}"
    HEADER_ALIASES[f"选项{_k.lower()}"] = f"option_{_k.lower()}"

TYPE_ALIASES = {
    "single": "single", "单选": "single", "单选题": "single", "单项选择题": "single",
    "multiple": "multiple", "多选": "multiple", "多选题": "multiple", "多项选择题": "multiple",
    "truefalse": "truefalse", "判断": "truefalse", "判断题": "truefalse", "true/false": "truefalse",
    "essay": "essay", "简答": "essay", "简答题": "essay", "问答题": "essay",
}

TEMPLATE_HEADERS = ["type", "stem", "option_a", "option_b", "option_c", "option_d", "option_e", "option_f",
                    "answer", "explanation", "tags", "difficulty"]
TEMPLATE_HEADERS_ZH = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F", "答案", "解析", "标签", "难度"]
TEMPLATE_EXAMPLES = [
    ["single", "我国安全电压额定值的最高等级是？", "12V", "24V", "36V", "42V", "", "", "D",
     "安全电压额定值等级为42V、36V、24V、12V、6V。", "", "2"],
    ["multiple", "保证电气安全的技术措施包括？", "停电", "验电", "装设接地线", "悬挂标示牌和装设遮栏", "", "", "ABCD",
     "四项技术措施。", "", "3"],
    ["truefalse", "带电灭火可以使用泡沫灭火器。", "", "", "", "", "", "", "F", "泡沫导电，不得用于带电灭火。", "", "1"],
    ["essay", "简述发现有人触电时的处置步骤。", "", "", "", "", "", "", "", "评分要点：脱离电源、判断伤情、心肺复苏、呼救。", "", "3"],
]


class ImportFileError(Exception):
    """The file itself cannot be read (format, encoding, header)."""


@dataclass
class ImportReport:
    created: int = 0
    total: int = 0
    errors: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def lines(self) -> list[str]:
        return [_("第 %(row)d 行：%(why)s") % {"row": row, "why": "；".join(msgs)} for row, msgs in self.errors]


def read_rows(data: bytes | Path, filename: str) -> list[tuple[int, dict]]:
    """(row number, {canonical header: text}) for every non-empty data row."""
    limits = Limits(max_bytes=MAX_FILE_BYTES, max_rows=MAX_QUESTIONS)
    try:
        raw = read_table_rows(data, filename=filename, limits=limits)
    except TableError as exc:
        raise ImportFileError(exc.messages[0]) from None
    if not raw:
        raise ImportFileError(_("文件是空的。"))
    header = []
    for h in raw[0][1]:
        h = cell_text(h)
        header.append(HEADER_ALIASES.get(h.lower(), HEADER_ALIASES.get(h, "")))
    missing = [h for h in ("type", "stem", "answer") if h not in header]
    if missing:
        raise ImportFileError(_("表头缺少必需的列：%(cols)s（应有 type、stem、option_a…option_f、answer、explanation、tags、difficulty）")
                              % {"cols": "、".join(missing)})
    rows = []
    for number, values in raw[1:]:
        texts = [cell_text(v) for v in values]
        rows.append((number, {h: (texts[i] if i < len(texts) else "") for i, h in enumerate(header) if h}))
    return rows


def _split_tags(value: str) -> list[str]:
    return [t for t in re.split(r"[,，;；、|\s]+", value or "") if t]


def _tag_resolvers() -> tuple[dict, dict]:
    """Tag codes/names → KnowledgeTag, and clause codes → Clause (when the cms app provides clauses)."""
    tags = {}
    for t in KnowledgeTag.objects.all():
        tags[t.code.lower()] = t
        tags[t.name.lower()] = t
    clauses = {}
    if hasattr(Question, "clauses"):
        Clause = Question.clauses.field.related_model
        clauses = {c.code.lower(): c for c in Clause.objects.all()}
    return tags, clauses


def validate_rows(bank: QuestionBank, rows: list[tuple[int, dict]]):
    report = ImportReport(total=len(rows))
    tags_by_key, clauses_by_code = _tag_resolvers()
    existing = set(Question.objects.filter(bank=bank, is_current=True).values_list("stem_digest", flat=True))
    seen: dict[str, int] = {}
    prepared = []
    for number, r in rows:
        problems: list[str] = []
        raw_type = r.get("type", "").strip().lower()
        qtype = TYPE_ALIASES.get(raw_type, TYPE_ALIASES.get(r.get("type", "").strip(), raw_type))
        stem = r.get("stem", "").strip()
        if qtype == "truefalse":
            options = truefalse_options()
        elif qtype == "essay":
            options = []
        else:
            options = []
            for k in OPTION_KEYS:
                text = r.get(f"option_{k.lower()}", "").strip()
                if text:
                    options.append({"key": k, "text": text})
        answer = r.get("answer", "").strip().upper()
        if qtype == "truefalse":
            answer = TF_ALIASES.get(answer, answer)
        elif qtype in ("single", "multiple"):
            answer = re.sub(r"[\s,，、]", "", answer)
        elif qtype == "essay":
            answer = ""  # essays are marked by hand; a reference answer belongs in the explanation
        difficulty = r.get("difficulty", "").strip() or "3"
        problems += question_problems(qtype=qtype, stem=stem, options=options, answer=answer, difficulty=difficulty)
        digest = stem_digest(stem) if stem else ""
        if digest and digest in existing:
            problems.append(_("题库中已有相同题干的试题"))
        elif digest and digest in seen:
            problems.append(_("与第 %(n)d 行题干重复") % {"n": seen[digest]})
        if digest:
            seen.setdefault(digest, number)
        tag_objs, clause_objs = [], []
        for t in _split_tags(r.get("tags", "")):
            key = t.lower()
            if key in clauses_by_code:
                clause_objs.append(clauses_by_code[key])
            elif key in tags_by_key:
                tag_objs.append(tags_by_key[key])
            else:
                problems.append(_("未知标签“%(t)s”") % {"t": t})
        if problems:
            report.errors.append((number, problems))
            continue
        prepared.append({"type": qtype, "stem": stem, "options": options,
                         "answer": "".join(sorted(answer)) if qtype in ("single", "multiple") else answer,
                         "explanation": r.get("explanation", "").strip(), "difficulty": int(difficulty),
                         "tags": tag_objs, "clauses": clause_objs, "digest": digest})
    return report, prepared


def import_questions(*, actor, bank: QuestionBank, data: bytes | Path, filename: str, dry_run: bool = False) -> ImportReport:
    """Validate every row; import all of them or none. Raises ImportFileError for unreadable files."""
    rows = read_rows(data, filename)
    if not rows:
        raise ImportFileError(_("文件中没有试题。"))
    report, prepared = validate_rows(bank, rows)
    if not report.ok or dry_run:
        return report
    with transaction.atomic():
        objs = [Question(bank=bank, lineage=uuid.uuid4(), type=p["type"], stem=p["stem"], stem_digest=p["digest"],
                         options=p["options"], answer=p["answer"], explanation=p["explanation"],
                         difficulty=p["difficulty"], created_by=actor if getattr(actor, "pk", None) else None)
                for p in prepared]
        created = Question.objects.bulk_create(objs)
        through = Question.tags.through
        through.objects.bulk_create([through(question_id=q.pk, knowledgetag_id=t.pk)
                                     for q, p in zip(created, prepared) for t in p["tags"]])
        if hasattr(Question, "clauses"):
            cthrough = Question.clauses.through
            fk = Question.clauses.field.m2m_reverse_field_name()
            cthrough.objects.bulk_create([cthrough(**{"question_id": q.pk, f"{fk}_id": c.pk})
                                          for q, p in zip(created, prepared) for c in p["clauses"]])
        pools.bank_touch(bank.pk)
        audit_record(actor=actor, action="question.import", target=bank, after={"file": filename, "created": len(created)})
    report.created = len(created)
    return report


def template_workbook(chinese: bool = False) -> bytes:
    from openpyxl.styles import Font

    from core.exports import workbook, xlsx_bytes

    wb = workbook()
    ws = wb.active
    ws.title = "试题"
    ws.append(TEMPLATE_HEADERS_ZH if chinese else TEMPLATE_HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in TEMPLATE_EXAMPLES:
        ws.append(row)
    ws.column_dimensions["B"].width = 48
    notes = wb.create_sheet("说明")
    for line in [
        "type（题型）：single 单选、multiple 多选、truefalse 判断、essay 简答；也可填写中文“单选/多选/判断/简答”。",
        "stem（题干）：必填，同一题库中题干不得重复。",
        "option_a … option_f（选项A…选项F）：选择题从 A 开始连续填写，至少两个选项；判断题和简答题留空。",
        "answer（答案）：选项字母，如 B 或 ACD；判断题填 T/F（或 对/错）；简答题留空。",
        "explanation（解析）：练习时显示；简答题可填写评分要点。",
        "tags（标签）：知识点代码或名称（或条款代码），多个用逗号分隔；必须是已有的标签。",
        "difficulty（难度）：1（易）至 5（难），留空为 3。",
        "导入为“全部或全不”：任何一行有错，整批不导入，并逐行列出错误原因。",
    ]:
        notes.append([line])
    notes.column_dimensions["A"].width = 110
    return xlsx_bytes(wb)
