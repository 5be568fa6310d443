"""Enterprise roster check: is every person on the list certified for exactly the operation they do?

The whole roster is answered with a constant number of queries: one for the catalogue and one for
all certificates of all listed people (looked up by the keyed hash of their ID numbers).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connections, router
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from accounts import pii
from accounts.validators import normalize_identifier, validate_id_number

from catalogue.models import CertificateKind, OperationItem
from .models import Certificate, LiveStatus

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


def _tr(text: str, key=None, language: str | None = None) -> str:
    """gettext, remembered per language: a 10,000-row roster asks for the same few messages and
    labels tens of thousands of times, and each lookup walks every installed catalogue. ``text``
    may be a lazy label; then ``key`` names it."""
    cache_key = (get_language() or "" if language is None else language, key if key is not None else text)
    found = _translated.get(cache_key)
    if found is None:
        found = _translated[cache_key] = gettext(text) if isinstance(text, str) else str(text)
    return found


# messages of the per-row report (gettext_noop: translated per check, in _Texts)
_MESSAGES = {
    "no_certificate": N_("未查到此人持有任何证书，不得安排从事特种作业。"),
    "name_mismatch": N_("姓名与证书登记的姓名不一致，请核对身份（可能冒用他人证件）。"),
    "unknown_operation": N_("操作项目“%(op)s”不在目录中，无法确认持证。请填写目录中的操作项目名称或代码。"),
    "other_operation": N_("持有“%(held)s”证书，与所从事的“%(op)s”不符。"),
    "valid": N_("证书有效。"),
    "review_overdue": N_("证书已超过应复审日期（%(d)s）未复审，不得上岗。"),
    "expired": N_("证书已于 %(u)s 过期。"),
    "suspended": N_("证书被暂扣。"),
    "revoked": N_("证书已被撤销。"),
    "review_due": N_("证书有效，已进入复审期，请于 %(d)s 前复审。"),
}


class _Texts:
    """Every message and label of one check, translated once (in the language active at its start)."""

    def __init__(self) -> None:
        language = get_language() or ""
        self.messages = {key: _tr(text, language=language) for key, text in _MESSAGES.items()}
        self.roster = {status: _tr(label, key=("roster", status), language=language) for status, label in STATUSES.items()}
        self.live = {str(value): _tr(label, key=("live", str(value)), language=language)
                     for value, label in LiveStatus.choices}


class _Kind(tuple):
    __slots__ = ()
    code = property(lambda self: self[0])
    name = property(lambda self: self[1])
    review_window_days = property(lambda self: self[2])


class HeldCertificate:
    """One certificate of a listed person, read as plain values rather than model instances
    (10,000 rows would otherwise build some 30,000 of them). The live status comes from
    ``Certificate.status_on`` itself, computed once per check."""

    __slots__ = ("number", "verification_code", "holder_name", "valid_from", "valid_until", "next_review_due",
                 "state", "kind", "operation_item_id", "item_code", "item_name", "holder_real_name", "names", "live")
    State = Certificate.State
    status_on = Certificate.status_on
    review_window_starts = Certificate.review_window_starts

    def keys(self) -> set[str]:
        return {f"item:{self.item_code}"} if self.operation_item_id else {f"kind:{self.kind.code}"}


_COLUMNS = ("number", "verification_code", "holder_name", "valid_from", "valid_until", "next_review_due", "state",
            "kind_id", "kind__code", "kind__name", "kind__review_window_days",
            "operation_item_id", "operation_item__code", "operation_item__name",
            "holder__id_number_hash", "holder__real_name")


def certificate_summary(certificate: HeldCertificate, texts: _Texts) -> dict:
    status = certificate.live
    return {
        "number": certificate.number,
        "verification_code": certificate.verification_code,
        "kind": certificate.kind.name,
        "operation": certificate.item_name if certificate.operation_item_id else "",
        "valid_until": certificate.valid_until.isoformat(),
        "next_review_due": certificate.next_review_due.isoformat() if certificate.next_review_due else None,
        "status": str(status),
        "status_label": texts.live[str(status)],
    }


def _best(certificates: list[HeldCertificate]) -> HeldCertificate:
    return min(certificates, key=lambda c: (_RANK[c.live], -c.valid_until.toordinal()))


def _rows_orm(hashes: list[str], chunk: int):
    for start in range(0, len(hashes), chunk):
        yield from Certificate.objects.filter(holder__id_number_hash__in=hashes[start:start + chunk]).values_list(*_COLUMNS)


_lateral_sql: dict[str, str] = {}


def _lateral_query(connection) -> str | None:
    """PostgreSQL: the same rows as ``_rows_orm``, asked person by person. The listed people are
    found by their ID hash, then each one's certificates through the index on ``holder_id`` (a
    LATERAL subquery kept apart with OFFSET 0), in the model's ordering per person — which is all
    the check relies on. The plain join lets the planner hash-join the whole certificate table (a
    sequential scan of a million rows for 10,000 people); JIT compilation, which its cost estimate
    would switch on, is off for this statement batch only."""
    sql = _lateral_sql.get(connection.alias)
    if sql is not None:
        return sql
    qn = connection.ops.quote_name
    meta = Certificate._meta
    order = []
    for name in meta.ordering:
        if not isinstance(name, str) or name.lstrip("-") in ("?", "pk") or "__" in name:
            return None
        order.append(f"c.{qn(meta.get_field(name.lstrip('-')).column)}{' DESC' if name.startswith('-') else ''}")
    f = meta.get_field
    user, kind, item = f("holder").related_model._meta, f("kind").related_model._meta, f("operation_item").related_model._meta
    col = lambda m, n: qn(m.get_field(n).column)  # noqa: E731
    columns = [f"c.{col(meta, n)}" for n in ("number", "verification_code", "holder_name", "valid_from", "valid_until",
                                            "next_review_due", "state", "kind")]
    columns += [f"k.{col(kind, 'code')}", f"k.{col(kind, 'name')}", f"k.{col(kind, 'review_window_days')}",
                f"c.{col(meta, 'operation_item')}", f"i.{col(item, 'code')}", f"i.{col(item, 'name')}",
                f"u.{col(user, 'id_number_hash')}", f"u.{col(user, 'real_name')}"]
    sql = _lateral_sql[connection.alias] = (
        f"SET LOCAL jit = off; "
        f"SELECT {', '.join(columns)} FROM {qn(user.db_table)} u CROSS JOIN LATERAL ("
        f"SELECT * FROM {qn(meta.db_table)} c WHERE c.{col(meta, 'holder')} = u.{qn(user.pk.column)} "
        f"ORDER BY {', '.join(order)} OFFSET 0) c "
        f"INNER JOIN {qn(kind.db_table)} k ON (c.{col(meta, 'kind')} = k.{qn(kind.pk.column)}) "
        f"LEFT OUTER JOIN {qn(item.db_table)} i ON (c.{col(meta, 'operation_item')} = i.{qn(item.pk.column)}) "
        f"WHERE u.{col(user, 'id_number_hash')} = ANY(string_to_array(%s, ','))")
    return sql


def _rows(hashes: list[str], chunk: int):
    """(certificate …, holder's ID hash, holder's real name) tuples in the order of _COLUMNS."""
    using = router.db_for_read(Certificate)
    connection = connections[using]
    sql = None
    if connection.vendor == "postgresql" and not connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"):
        sql = _lateral_query(connection)
    if sql is None:
        yield from _rows_orm(hashes, chunk)
        return
    with connection.cursor() as cursor:
        # the hashes (hexadecimal) as one comma-separated string: quoting one string is far cheaper
        # than quoting a 10,000-element array; one round trip for the SET LOCAL and the rows
        cursor.execute(sql, [",".join(hashes)])
        cursor.nextset()
        yield from cursor.fetchall()


def fetch_certificates(hashes: set[str], today: dt.date, chunk: int = MAX_ROWS) -> dict[str, list[HeldCertificate]]:
    """All certificates of the people with these ID hashes, each person's newest first (the
    model's ordering)."""
    by_hash: dict[str, list[HeldCertificate]] = {}
    kinds: dict[int, _Kind] = {}
    if not hashes:
        return by_hash
    for (number, code, holder_name, valid_from, valid_until, review_due, state, kind_id, kind_code, kind_name,
         window, item_id, item_code, item_name, id_hash, real_name) in _rows(sorted(hashes), chunk):
        c = HeldCertificate()
        c.number, c.verification_code, c.holder_name = number, code, holder_name
        c.valid_from, c.valid_until, c.next_review_due, c.state = valid_from, valid_until, review_due, state
        kind = kinds.get(kind_id)
        if kind is None:
            kind = kinds[kind_id] = _Kind((kind_code, kind_name, window))
        c.kind, c.operation_item_id, c.item_code, c.item_name = kind, item_id, item_code, item_name
        c.holder_real_name = real_name
        c.names = (_norm_name(holder_name), _norm_name(real_name))
        c.live = c.status_on(today)
        by_hash.setdefault(id_hash, []).append(c)
    return by_hash


def check_rows(rows: list[dict], *, today: dt.date | None = None) -> tuple[list[dict], dict]:
    """Per-row result (status, message, deciding certificate) and a summary by status."""
    if len(rows) > MAX_ROWS:
        raise ValidationError(_("一次最多核查 %(n)d 行，请拆分后上传。") % {"n": MAX_ROWS})
    today = today or timezone.localdate()
    texts = _Texts()
    resolver = OperationResolver()
    prepared = []
    hashes: set[str] = set()
    keyed_hash, mask_id = pii.keyed_hash, pii.mask_id
    for index, row in enumerate(rows, start=1):
        raw_id = row.get("id_number")
        try:
            number = validate_id_number(raw_id)
            error = ""
            digest = keyed_hash(number)
            hashes.add(digest)
        except ValidationError as exc:
            number, digest, error = "", "", exc.messages[0]
        prepared.append((index, row, number, digest, error))
    by_hash = fetch_certificates(hashes, today)

    results = []
    summary = {key: 0 for key in STATUSES}
    roster_labels = texts.roster
    for index, row, number, digest, error in prepared:
        name = str(row.get("name") or "").strip()
        operation = str(row.get("operation") or "").strip()
        result = {
            "row": row.get("_row", index), "name": name, "id_number": mask_id(number or raw_masked(row)),
            "operation": operation, "certificate": None,
        }
        if error:
            status, message = "invalid_id", error
        else:
            status, message, deciding = _decide(name, operation, by_hash.get(digest, ()), resolver, texts)
            if deciding is not None:
                result["certificate"] = certificate_summary(deciding, texts)
        result["status"] = status
        result["status_label"] = roster_labels[status]
        result["message"] = message
        summary[status] += 1
        results.append(result)
    summary_out = {"total": len(results), "ok": sum(summary[s] for s in GOOD), "by_status": summary}
    return results, summary_out


def raw_masked(row: dict) -> str:
    value = row.get("id_number")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize_identifier(value if value is not None else "")


def _decide(name: str, operation: str, certificates, resolver: OperationResolver, texts: _Texts) -> tuple[str, str, HeldCertificate | None]:
    m = texts.messages
    if not certificates:
        return "no_certificate", m["no_certificate"], None
    wanted = _norm_name(name)
    named = [c for c in certificates if wanted and wanted in c.names]
    if not named:
        # Someone else's certificates: the row learns nothing of them (number, code, operation, status).
        return "name_mismatch", m["name_mismatch"], None
    keys = resolver.resolve(operation)
    if not keys:
        return "wrong_operation", m["unknown_operation"] % {"op": operation or "—"}, _best(named)
    matching = [c for c in named if c.keys() & keys]
    if not matching:
        best = _best(named)
        held = best.item_name if best.operation_item_id else best.kind.name
        return "wrong_operation", m["other_operation"] % {"held": held, "op": operation}, best
    best = _best(matching)
    live = best.live
    status = _STATUS_FOR[live]
    if live == LiveStatus.REVIEW_DUE:
        return status, m["review_due"] % {"d": best.next_review_due}, best
    message = m[status]
    if "%(" in message:
        message = message % {"d": best.next_review_due, "u": best.valid_until}
    return status, message, best
