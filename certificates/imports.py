"""Import of certificates issued before the platform existed: all rows or none, with a row report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import pii
from accounts.models import Organization, User
from accounts.validators import validate_credit_code, validate_id_number

from core.tables import cell_text

from catalogue.models import CertificateKind, OperationItem, RuleVersion
from .models import Certificate

COLUMN_ALIASES = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "id_number"),
    "kind": ("证书种类", "证书类型", "kind"),
    "operation": ("操作项目", "operation"),
    "authority": ("发证机关", "authority"),
    "first_issued_on": ("初领日期", "first_issued_on"),
    "valid_from": ("有效期开始", "有效期起", "valid_from"),
    "valid_until": ("有效期结束", "有效期至", "valid_until"),
    "next_review_due": ("应复审日期", "next_review_due"),
    "last_reviewed_on": ("实际复审日期", "last_reviewed_on"),
    "employer": ("单位统一社会信用代码", "统一社会信用代码", "employer"),
}
REQUIRED = ("name", "id_number", "operation", "authority", "first_issued_on", "valid_from", "valid_until")
TEMPLATE_HEADER = ["姓名", "身份证号", "证书种类", "操作项目", "发证机关", "初领日期", "有效期开始", "有效期结束",
                   "应复审日期", "实际复审日期", "单位统一社会信用代码"]


@dataclass
class ImportReport:
    rows: list[dict] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(r["ok"] for r in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if not r["ok"])


def _date(value, label: str, errors: list[str], required: bool = True) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    if not text:
        if required:
            errors.append(_("缺少%(f)s。") % {"f": label})
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(_("%(f)s“%(v)s”不是有效日期（格式：2024-05-10）。") % {"f": label, "v": text})
        return None


def _match(values, text: str):
    text = "".join(str(text or "").split())
    for obj in values:
        if text in (obj.code, obj.name):
            return obj
    return None


@transaction.atomic
def certificate_import(*, officer, rows: list[dict], dry_run: bool = False) -> ImportReport:
    """Validate every row; when all are valid create the certificates (and holder accounts for
    people not yet on the platform), otherwise create nothing. PDFs are rendered afterwards as a batch."""
    from .services import certificate_issue

    report = ImportReport()
    versions = list(RuleVersion.objects.filter(scope=RuleVersion.Scope.SPECIAL_OPERATION).order_by("effective_from"))
    kinds = list(CertificateKind.objects.select_related("rule_version"))
    items = list(OperationItem.objects.select_related("category"))
    seen: set[tuple] = set()
    plans = []
    for index, row in enumerate(rows, start=1):
        errors: list[str] = []
        name = cell_text(row.get("name"))
        if not name:
            errors.append(_("缺少姓名。"))
        try:
            id_number = validate_id_number(row.get("id_number"))
        except ValidationError as exc:
            id_number = ""
            errors.append(exc.messages[0])
        first = _date(row.get("first_issued_on"), _("初领日期"), errors)
        valid_from = _date(row.get("valid_from"), _("有效期开始"), errors)
        valid_until = _date(row.get("valid_until"), _("有效期结束"), errors)
        review_due = _date(row.get("next_review_due"), _("应复审日期"), errors, required=False)
        reviewed = _date(row.get("last_reviewed_on"), _("实际复审日期"), errors, required=False)
        if valid_from and valid_until and valid_until <= valid_from:
            errors.append(_("有效期结束日期须晚于开始日期。"))
        if first and valid_from and first > valid_from:
            errors.append(_("初领日期不能晚于有效期开始日期。"))
        version = None
        if first:
            version = next((v for v in reversed(versions) if v.effective_from <= first), None)
            if version is None:
                errors.append(_("初领日期早于所有规则版本的施行日期。"))
        kind = item = None
        if version is not None:
            version_kinds = [k for k in kinds if k.rule_version_id == version.pk]
            kind_text = str(row.get("kind") or "").strip() or "special-op"
            kind = _match(version_kinds, kind_text)
            if kind is None:
                errors.append(_("证书种类“%(k)s”在规则版本%(v)s中不存在。") % {"k": kind_text, "v": version.code})
            elif kind.requires_operation_item:
                op_text = str(row.get("operation") or "").strip()
                item = _match([i for i in items if i.category.rule_version_id == version.pk], op_text)
                if item is None:
                    errors.append(_("操作项目“%(o)s”在规则版本%(v)s的目录中不存在。") % {"o": op_text or "—", "v": version.code})
        authority = str(row.get("authority") or "").strip()
        if not authority:
            errors.append(_("缺少发证机关。"))
        employer = None
        credit = row.get("employer")
        if credit not in (None, ""):
            try:
                employer = Organization.objects.filter(credit_code=validate_credit_code(credit)).first()
                if employer is None:
                    errors.append(_("统一社会信用代码对应的单位不在平台中。"))
            except ValidationError as exc:
                errors.append(exc.messages[0])
        if id_number and kind is not None and valid_from:
            key = (id_number, kind.pk, item.pk if item else None, valid_from)
            if key in seen:
                errors.append(_("与文件中前面的行重复。"))
            seen.add(key)
            if Certificate.objects.filter(holder__id_number_hash=pii.keyed_hash(id_number), kind=kind,
                                          operation_item=item, valid_from=valid_from).exists():
                errors.append(_("该证书已在平台中。"))
        report.rows.append({"row": row.get("_row", index), "name": pii.mask_name(name),
                            "id_number": pii.mask_id(id_number or cell_text(row.get("id_number"))),
                            "ok": not errors, "messages": errors})
        plans.append((name, id_number, kind, item, authority, first, valid_from, valid_until, review_due, reviewed, employer))
    if not report.ok or dry_run:
        return report
    for name, id_number, kind, item, authority, first, valid_from, valid_until, review_due, reviewed, employer in plans:
        holder = User.objects.filter(id_number_hash=pii.keyed_hash(id_number)).first()
        if holder is None:
            holder = User(username=f"h{pii.keyed_hash(id_number)[:12]}", real_name=name)
            holder.set_id_number(id_number)
            holder.set_unusable_password()
            holder.save()
        certificate = certificate_issue(
            officer=officer, holder=holder, holder_name=name, kind=kind, operation_item=item,
            issuing_authority=authority, employer=employer, valid_from=valid_from, first_issued_on=first,
            valid_until=valid_until, next_review_due=review_due, last_reviewed_on=reviewed,
            source=Certificate.Source.IMPORTED, render=False,
        )
        report.certificates.append(certificate)
    return report
