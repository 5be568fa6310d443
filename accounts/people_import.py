"""Roster (花名册) import from Excel or CSV: every row checked by the roster's one rule
(``accounts.people.person_clean``); all rows are written, or none, with a report per row."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.tables import cell_text

from . import pii
from .models import Organization
from .people import OperationResolver, UpsertResult, person_apply, person_clean
from .roles import ENTERPRISE_ROLES, Role

COLUMN_ALIASES = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "id_number"),
    "phone": ("手机号", "手机号码", "手机", "联系电话", "phone"),
    "email": ("电子邮箱", "邮箱", "email"),
    "roles": ("角色", "人员类别", "roles"),
    "operations": ("操作项目", "特种作业操作项目", "operations"),
}
REQUIRED = ("name", "id_number", "roles")
TEMPLATE_HEADER = ["姓名", "身份证号", "手机号", "电子邮箱", "角色", "操作项目"]
MAX_ROWS = 5000
FIELD_LABELS = {"name": "姓名", "id_number": "身份证号", "phone": "手机号", "email": "电子邮箱", "roles": "角色",
                "operations": "操作项目", "__all__": ""}


@dataclass
class ImportReport:
    rows: list[dict] = field(default_factory=list)
    results: list[UpsertResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(r["ok"] for r in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if not r["ok"])

    @property
    def created(self) -> int:
        return sum(1 for r in self.results if r.created)

    @property
    def joined(self) -> int:
        return sum(1 for r in self.results if r.joined and not r.created)

    @property
    def updated(self) -> int:
        return sum(1 for r in self.results if r.changed and not r.joined)


def _text(value) -> str:
    """Text columns; identifiers (ID number, phone) are passed on as the cell holds them."""
    return cell_text(value)


@transaction.atomic
def people_import(*, organization: Organization, actor, rows: list[dict], request=None) -> ImportReport:
    report = ImportReport()
    if len(rows) > MAX_ROWS:
        raise ValidationError(_("一次最多导入%(n)d人，请拆分后分批导入。") % {"n": MAX_ROWS})
    resolver = OperationResolver()
    seen: dict[str, int] = {}
    plans = []
    for index, row in enumerate(rows, start=1):
        number = row.get("_row", index)
        messages: list[str] = []
        data = None
        try:
            data = person_clean(organization=organization, actor=actor, name=_text(row.get("name")),
                                id_number=row.get("id_number"), phone=row.get("phone"),
                                email=_text(row.get("email")), roles=_text(row.get("roles")),
                                operations=_text(row.get("operations")), resolver=resolver)
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                label = FIELD_LABELS.get(key, key)
                messages.extend(f"{label}：{e}" if label else e for e in errors)
        if data is not None:
            first = seen.get(data.id_hash)
            if first is not None:
                messages.append(_("身份证号与第%(row)d行重复。") % {"row": first})
            else:
                seen[data.id_hash] = number
        report.rows.append({"row": number, "name": pii.mask_name(_text(row.get("name"))),
                            "id_number": pii.mask_id(_text(row.get("id_number"))), "ok": not messages,
                            "messages": messages,
                            "action": "" if data is None else (_("更新") if data.in_enterprise else
                                                               _("加入本单位") if data.existing else _("新建"))})
        plans.append(data)
    if not report.ok:
        return report
    for data in plans:
        report.results.append(person_apply(organization=organization, actor=actor, data=data, request=request))
    return report


def template_xlsx() -> bytes:
    """The template: the header row with text-formatted identifier columns, and a sheet of notes."""
    from openpyxl.styles import Font

    from core.exports import workbook, xlsx_bytes

    wb = workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(TEMPLATE_HEADER)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEF", (12, 22, 16, 24, 24, 30)):
        ws.column_dimensions[column].width = width
        if column in "BC":  # ID numbers and phone numbers as text: Excel must not round them
            for r in range(2, 1002):
                ws[f"{column}{r}"].number_format = "@"
    notes = wb.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 70
    notes.append(["列", "说明"])
    notes.append(["姓名", "必填。"])
    notes.append(["身份证号", "必填，18位；请保持本列为文本格式。已在平台登记的身份证号将加入本单位，不会重复建账号。"])
    notes.append(["手机号", "手机号或电子邮箱至少填一项，用于发送激活邀请。"])
    notes.append(["电子邮箱", "可选。"])
    notes.append(["角色", "必填，可填多个，用顿号分隔。可选："
                  + "、".join(str(r.label) for r in Role if r in ENTERPRISE_ROLES)])
    notes.append(["操作项目", "特种作业人员必填：所从事的操作项目名称或代码（如 熔化焊接与热切割作业），可填多个，用顿号分隔。"])
    notes.append(["导入规则", "所有行通过校验才导入，否则一行也不导入，并逐行列出问题。"])
    return xlsx_bytes(wb)
