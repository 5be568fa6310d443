"""Offline attendance from Excel: every row is checked first; one bad row stops the whole import
and the report says which rows are wrong and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.validators import validate_id_number
from core.decimals import finite_decimal
from core.tables import TableError, cell_text, read_rows

from .services import AttendanceRow

HEADERS = ["姓名", "身份证号", "出勤", "学时", "备注"]
YES = {"是", "出勤", "到", "√", "y", "yes", "1", "true"}
NO = {"否", "缺勤", "未到", "×", "n", "no", "0", "false"}


@dataclass
class RowReport:
    line: int
    name: str
    id_masked: str
    errors: list[str] = field(default_factory=list)
    ok: bool = True


@dataclass
class ImportResult:
    rows: list[AttendanceRow]
    report: list[RowReport]
    file_error: str = ""

    @property
    def ok(self) -> bool:
        return not self.file_error and bool(self.rows) and all(r.ok for r in self.report)


def template_workbook():
    from core.exports import workbook

    wb = workbook()
    ws = wb.active
    ws.title = "签到表"
    ws.append(HEADERS)
    ws.append(["王建国（示例）", "110101198503071235", "是", 8, ""])
    return wb


def parse_attendance(fileobj, *, session_hours: Decimal) -> ImportResult:
    from accounts.pii import mask_id

    try:
        table = read_rows(fileobj, filename=getattr(fileobj, "name", "") or "attendance.xlsx")
    except TableError as exc:
        return ImportResult([], [], exc.messages[0])
    if not table or [cell_text(h) for h in table[0][1][:2]] != HEADERS[:2]:
        return ImportResult([], [], _("表头应为：%(h)s") % {"h": "、".join(HEADERS)})
    raw = []
    for line, values in table[1:]:
        values = list(values) + [None] * 5
        if not any(v not in (None, "") for v in values[:5]):
            continue
        raw.append((line, values[:5]))
    if not raw:
        return ImportResult([], [], _("签到表没有数据行。"))
    numbers, id_errors = {}, {}
    for line, (name, id_number, *_rest) in raw:
        try:
            numbers[line] = validate_id_number(id_number)
        except ValidationError as exc:
            numbers[line], id_errors[line] = None, exc.messages[0]
    from accounts.pii import keyed_hash

    hashes = {keyed_hash(n): n for n in numbers.values() if n}
    users = {hashes[u.id_number_hash]: u for u in User.objects.filter(id_number_hash__in=list(hashes))}
    seen: dict[str, int] = {}
    report, rows = [], []
    for line, (name, id_number, present, hours, note) in raw:
        name = cell_text(name)
        number = numbers[line]
        r = RowReport(line=line, name=name, id_masked=mask_id(number or cell_text(id_number)))
        if not name:
            r.errors.append(_("姓名为空"))
        if number is None:
            r.errors.append(id_errors[line])
        elif number in seen:
            r.errors.append(_("与第%(n)d行重复") % {"n": seen[number]})
        else:
            seen[number] = line
        user = users.get(number) if number else None
        if number and user is None:
            r.errors.append(_("平台上没有该身份证号的人员"))
        elif user is not None and name and user.real_name and user.real_name != name:
            r.errors.append(_("姓名与身份证号不符"))
        flag = cell_text(present if present is not None else "是").lower()
        if flag in YES:
            is_present = True
        elif flag in NO:
            is_present = False
        else:
            is_present = False
            r.errors.append(_("出勤应填“是”或“否”"))
        if hours in (None, ""):
            value = session_hours if is_present else Decimal("0")
        else:
            value = finite_decimal(hours)
            try:
                value = value.quantize(Decimal("0.1")) if value is not None else Decimal("-1")
            except InvalidOperation:  # too many digits for the quantum
                value = Decimal("-1")
            if value < 0 or value > session_hours:
                r.errors.append(_("学时应在0至%(h)s之间") % {"h": session_hours})
        r.ok = not r.errors
        report.append(r)
        if r.ok:
            rows.append(AttendanceRow(person_id=user.pk, present=is_present, hours=value, note=cell_text(note)[:200]))
    return ImportResult(rows, report)
