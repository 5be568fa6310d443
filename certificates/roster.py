"""Enterprise roster check: is every person on the list certified for exactly the operation they do?

The whole roster is answered with a constant number of queries: one for the catalogue and one for
all certificates of all listed people (looked up by the keyed hash of their ID numbers).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_lazy
from django.utils.translation import gettext as _

from accounts import pii
from accounts.validators import validate_id_number

from .models import Certificate, CertificateKind, LiveStatus, OperationItem

MAX_ROWS = 10_000

STATUSES = {
    "valid": gettext_lazy("持证有效"),
    "no_certificate": gettext_lazy("无证"),
    "wrong_operation": gettext_lazy("操作项目不符"),
    "review_overdue": gettext_lazy("逾期未复审"),
    "expired": gettext_lazy("证书过期"),
    "suspended": gettext_lazy("证书暂扣"),
    "revoked": gettext_lazy("证书已撤销"),
    "name_mismatch": gettext_lazy("姓名不符"),
    "invalid_id": gettext_lazy("身份证号无效"),
}
GOOD = {"valid"}

COLUMN_ALIASES = {
    "name": ("姓名", "名字", "name"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "证件号码", "id_number", "id"),
    "operation": ("操作项目", "作业项目", "岗位作业", "特种作业", "operation"),
}

# Preference when a person holds several certificates for the operation: the best one decides.
_RANK = {
    LiveStatus.VALID: 0, LiveStatus.REVIEW_DUE: 0, LiveStatus.REVIEW_OVERDUE: 1, LiveStatus.SUSPENDED: 2,
    LiveStatus.EXPIRED: 3, LiveStatus.REVOKED: 4,
}
_STATUS_FOR = {
    LiveStatus.VALID: "valid", LiveStatus.REVIEW_DUE: "valid", LiveStatus.REVIEW_OVERDUE: "review_overdue",
    LiveStatus.EXPIRED: "expired", LiveStatus.SUSPENDED: "suspended", LiveStatus.REVOKED: "revoked",
}


def _norm_name(value: str) -> str:
    return "".join(str(value or "").split()).replace("\u3000", "").replace("·", "").replace("•", "")


def _norm_op(value: str) -> str:
    return "".join(str(value or "").split()).replace("（", "(").replace("）", ")").lower()


class OperationResolver:
    """Maps what a roster says (catalogue code or Chinese name, any rule version) to operation keys."""

    def __init__(self) -> None:
        self.keys: dict[str, set[str]] = {}
        for item in OperationItem.objects.only("code", "name"):
            for alias in (item.code, item.name, item.name.removesuffix("作业")):
                self.keys.setdefault(_norm_op(alias), set()).add(f"item:{item.code}")
        for kind in CertificateKind.objects.filter(requires_operation_item=False).only("code", "name"):
            for alias in (kind.code, kind.name):
                self.keys.setdefault(_norm_op(alias), set()).add(f"kind:{kind.code}")

    def resolve(self, operation: str) -> set[str]:
        return self.keys.get(_norm_op(operation), set())


_translated: dict[tuple, str] = {}


def _tr(text: str, key=None) -> str:
    """gettext, remembered per language: a 10,000-row roster asks for the same few messages and
    labels tens of thousands of times, and each lookup walks every installed catalogue. ``text``
    may be a lazy label; then ``key`` names it."""
    cache_key = (get_language() or "", key if key is not None else text)
    found = _translated.get(cache_key)
    if found is None:
        found = _translated[cache_key] = gettext(text) if isinstance(text, str) else str(text)
    return found


def certificate_keys(certificate: Certificate) -> set[str]:
    if certificate.operation_item_id:
        return {f"item:{certificate.operation_item.code}"}
    return {f"kind:{certificate.kind.code}"}


def certificate_summary(certificate: Certificate, today: dt.date) -> dict:
    status = certificate.status_on(today)
    return {
        "number": certificate.number,
        "verification_code": certificate.verification_code,
        "kind": certificate.kind.name,
        "operation": certificate.operation_item.name if certificate.operation_item_id else "",
        "valid_until": certificate.valid_until.isoformat(),
        "next_review_due": certificate.next_review_due.isoformat() if certificate.next_review_due else None,
        "status": str(status),
        "status_label": _tr(LiveStatus(status).label, key=("live", str(status))),
    }


def _best(certificates: list[Certificate], today: dt.date) -> Certificate:
    return min(certificates, key=lambda c: (_RANK[c.status_on(today)], -c.valid_until.toordinal()))


def fetch_certificates(hashes: set[str], chunk: int = MAX_ROWS) -> dict[str, list[Certificate]]:
    by_hash: dict[str, list[Certificate]] = {}
    ordered = sorted(hashes)
    for start in range(0, len(ordered), chunk):
        qs = Certificate.objects.filter(holder__id_number_hash__in=ordered[start:start + chunk]).select_related(
            "kind", "operation_item", "holder").only(
            "number", "verification_code", "holder_name", "valid_from", "valid_until", "next_review_due", "state",
            "kind__code", "kind__name", "kind__review_window_days", "operation_item__code", "operation_item__name",
            "holder__id_number_hash", "holder__real_name")
        for certificate in qs:
            by_hash.setdefault(certificate.holder.id_number_hash, []).append(certificate)
    return by_hash


def check_rows(rows: list[dict], *, today: dt.date | None = None) -> tuple[list[dict], dict]:
    """Per-row result (status, message, deciding certificate) and a summary by status."""
    if len(rows) > MAX_ROWS:
        raise ValidationError(_("一次最多核查 %(n)d 行，请拆分后上传。") % {"n": MAX_ROWS})
    today = today or timezone.localdate()
    resolver = OperationResolver()
    prepared = []
    hashes: set[str] = set()
    for index, row in enumerate(rows, start=1):
        raw_id = str(row.get("id_number") or "")
        try:
            number = validate_id_number(raw_id)
            error = ""
            digest = pii.keyed_hash(number)
            hashes.add(digest)
        except ValidationError as exc:
            number, digest, error = "", "", exc.messages[0]
        prepared.append((index, row, number, digest, error))
    by_hash = fetch_certificates(hashes)

    results = []
    summary = {key: 0 for key in STATUSES}
    for index, row, number, digest, error in prepared:
        name = str(row.get("name") or "").strip()
        operation = str(row.get("operation") or "").strip()
        result = {
            "row": row.get("_row", index), "name": name, "id_number": pii.mask_id(number or raw_masked(row)),
            "operation": operation, "certificate": None,
        }
        if error:
            status, message = "invalid_id", error
        else:
            status, message, deciding = _decide(name, operation, by_hash.get(digest, []), resolver, today)
            if deciding is not None:
                result["certificate"] = certificate_summary(deciding, today)
        result["status"] = status
        result["status_label"] = _tr(STATUSES[status], key=("roster", status))
        result["message"] = message
        summary[status] += 1
        results.append(result)
    summary_out = {"total": len(results), "ok": sum(summary[s] for s in GOOD), "by_status": summary}
    return results, summary_out


def raw_masked(row: dict) -> str:
    return str(row.get("id_number") or "").strip().upper()


def _decide(name: str, operation: str, certificates: list[Certificate], resolver: OperationResolver,
            today: dt.date) -> tuple[str, str, Certificate | None]:
    if not certificates:
        return "no_certificate", _tr("未查到此人持有任何证书，不得安排从事特种作业。"), None
    wanted = _norm_name(name)
    named = [c for c in certificates if wanted and wanted in (_norm_name(c.holder_name), _norm_name(c.holder.real_name))]
    if not named:
        best = _best(certificates, today)
        return "name_mismatch", _tr("姓名与证书登记的姓名不一致，请核对身份（可能冒用他人证件）。"), best
    keys = resolver.resolve(operation)
    if not keys:
        return "wrong_operation", _tr("操作项目“%(op)s”不在目录中，无法确认持证。请填写目录中的操作项目名称或代码。") % {
            "op": operation or "—"}, _best(named, today)
    matching = [c for c in named if certificate_keys(c) & keys]
    if not matching:
        best = _best(named, today)
        held = best.operation_item.name if best.operation_item_id else best.kind.name
        return "wrong_operation", _tr("持有“%(held)s”证书，与所从事的“%(op)s”不符。") % {"held": held, "op": operation}, best
    best = _best(matching, today)
    live = best.status_on(today)
    status = _STATUS_FOR[live]
    messages = {
        "valid": _tr("证书有效。"),
        "review_overdue": _tr("证书已超过应复审日期（%(d)s）未复审，不得上岗。"),
        "expired": _tr("证书已于 %(u)s 过期。"),
        "suspended": _tr("证书被暂扣。"),
        "revoked": _tr("证书已被撤销。"),
    }
    message = messages[status] % {"d": best.next_review_due, "u": best.valid_until} if "%(" in messages[status] else messages[status]
    if live == LiveStatus.REVIEW_DUE:
        message = _tr("证书有效，已进入复审期，请于 %(d)s 前复审。") % {"d": best.next_review_due}
    return status, message, best
