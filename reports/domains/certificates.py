"""Certificates (status, reviews, revocations) and enterprises' roster checks.

Certificates are counted for the people of the scope (their holders); a certificate's live status is
worked out in SQL from its state and dates the way ``Certificate.status_on`` does, with each kind's
review window read from the catalogue (data, not a constant)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce

from ..metrics import (Metric, Source, _people, member_of_q, model, register_metric, register_source,
                       register_sums)
from ..scope import Scope

AHEAD_DAYS = 60  # “due in the next 60 days” on the dashboards (the review application window)


def _certificates(scope: Scope) -> QuerySet:
    return model("certificates.Certificate").objects.filter(holder__in=_people(scope))


def _window_q(scope: Scope) -> Q:
    """next_review_due falls within its kind's review window from today (one small catalogue read)."""
    q = Q(pk__in=[])
    for kind_id, days in model("catalogue.CertificateKind").objects.values_list("pk", "review_window_days"):
        q |= Q(kind_id=kind_id, next_review_due__lte=scope.today + dt.timedelta(days=days))
    return q


def status_q(scope: Scope, status: str) -> Q:
    today = scope.today
    active = Q(state="active")
    current = active & Q(valid_until__gte=today)
    if status == "revoked":
        return Q(state="revoked")
    if status == "suspended":
        return Q(state="suspended")
    if status == "expired":
        return active & Q(valid_until__lt=today)
    started = Q(valid_from__lte=today)
    if status == "review_overdue":
        return current & started & Q(next_review_due__lt=today)
    if status == "review_due":
        return current & started & Q(next_review_due__gte=today) & _window_q(scope)
    if status == "valid":
        return current & ~(started & Q(next_review_due__lt=today)) & ~(
            started & Q(next_review_due__gte=today) & _window_q(scope))
    raise KeyError(status)


STATUSES = [("valid", "有效", "#1d7a3e"), ("review_due", "待复审", "#e69f00"),
            ("review_overdue", "逾期未复审", "#d55e00"), ("expired", "已过期", "#b42318"),
            ("suspended", "暂扣", "#8c6d1f"), ("revoked", "已撤销", "#5f6b7a")]

register_source(Source(
    key="certificates", label="证书", models=("certificates.Certificate",), base=_certificates,
    template="reports/rows/certificates.html",
    facets={"operation_item": lambda scope, v: Q(operation_item_id=v) if v != "none" else Q(operation_item__isnull=True),
            "org": lambda scope, v: member_of_q(v, "holder_id")},
    order_by=("valid_until", "pk"), select_related=("holder", "kind", "operation_item", "employer"),
    membership="holder__memberships",
))
for _key, _label, _colour in STATUSES:
    register_metric(Metric(f"cert_{_key}", f"证书·{_label}", "certificates",
                           lambda s, k=_key: status_q(s, k), unit="本"))
register_metric(Metric("cert_total", "证书总数", "certificates", unit="本"))
register_metric(Metric("certs_issued", "发放证书", "certificates",
                       lambda s: s.in_period("first_issued_on", is_date=True) & ~Q(source="imported"), unit="本",
                       help="统计期间内初领的证书（不含历史导入）。"))
register_metric(Metric("certs_reviewed", "完成复审", "certificates",
                       lambda s: s.in_period("last_reviewed_on", is_date=True), unit="本"))
register_metric(Metric("certs_revoked", "撤销证书", "certificates",
                       lambda s: Q(state="revoked") & s.in_period("state_changed_at"), unit="本"))
register_metric(Metric("cert_review_60", f"{AHEAD_DAYS}天内应复审", "certificates",
                       lambda s: Q(state="active", valid_until__gte=s.today, next_review_due__gte=s.today,
                                   next_review_due__lte=s.today + dt.timedelta(days=AHEAD_DAYS)), unit="本"))
register_metric(Metric("cert_expiring_60", f"{AHEAD_DAYS}天内到期", "certificates",
                       lambda s: Q(state="active", valid_until__gte=s.today,
                                   valid_until__lte=s.today + dt.timedelta(days=AHEAD_DAYS)), unit="本"))
register_metric(Metric("cert_problem", "过期、逾期未复审、暂扣或撤销的证书", "certificates",
                       lambda s: status_q(s, "expired") | status_q(s, "review_overdue")
                       | status_q(s, "suspended") | status_q(s, "revoked"), unit="本"))


# ------------------------------------------------------------------ roster checks

UNLICENSED = ("no_certificate", "wrong_operation")
INVALID = ("review_overdue", "expired", "suspended", "revoked")


def _checks(scope: Scope) -> QuerySet:
    return model("certificates.RosterCheck").objects.filter(organization__in=scope.enterprise_ids())


def latest_in_period_q(scope: Scope) -> Q:
    """The last check of each enterprise within the period (earlier checks are superseded)."""
    later = model("certificates.RosterCheck").objects.filter(
        organization_id=OuterRef("organization_id"), created_at__gt=OuterRef("created_at"))
    later = later.filter(scope.in_period("created_at"))
    return scope.in_period("created_at") & ~Q(Exists(later))


def status_sum(*statuses: str):
    parts = [Coalesce(Cast(KT(f"summary__by_status__{s}"), IntegerField()), 0) for s in statuses]
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def unlicensed_q(scope: Scope) -> Q:
    return latest_in_period_q(scope) & Q(Exists(
        model("certificates.RosterCheck").objects.filter(pk=OuterRef("pk")).annotate(_n=status_sum(*UNLICENSED))
        .filter(_n__gt=0)))


register_source(Source(
    key="roster_checks", label="持证核查", models=("certificates.RosterCheck",), base=_checks,
    template="reports/rows/roster_checks.html",
    facets={"org": lambda scope, v: Q(organization_id=v)},
    order_by=("-created_at", "pk"), select_related=("organization",), org_field="organization_id",
))
register_metric(Metric("roster_checks_run", "开展持证核查", "roster_checks",
                       lambda s: s.in_period("created_at"), unit="次"))
register_metric(Metric("roster_latest", "各企业最近一次核查", "roster_checks", latest_in_period_q, unit="次",
                       help="统计期间内每家企业的最后一次核查。"))
register_metric(Metric("roster_with_unlicensed", "发现无证人员的核查", "roster_checks", unlicensed_q, unit="次",
                       help="各企业统计期间内最后一次核查中有“无证”或“操作项目不符”人员的。"))


def ent_unlicensed_q(scope: Scope) -> Q:
    checks = model("certificates.RosterCheck").objects.filter(organization_id=OuterRef("pk"))
    checks = checks.filter(unlicensed_q(scope))
    return Q(Exists(checks))


register_metric(Metric("ent_roster_unlicensed", "持证核查发现无证上岗的企业", "enterprises", ent_unlicensed_q,
                       unit="家", help="统计期间内最后一次持证核查中有无证或操作项目不符人员的企业。",
                       requires=("certificates.RosterCheck",)))

# Sums over the latest checks: the drill-down list shows the checks with their per-status counts.
ROW_SUMS = {
    "roster_rows_checked": ("核查人数", ("total",)),
    "roster_unlicensed_rows": ("无证或操作项目不符的人员", UNLICENSED),
    "roster_invalid_rows": ("证书过期、逾期未复审、暂扣或撤销的人员", INVALID),
}


def roster_sums(scope: Scope) -> dict[str, int | None]:
    """Row counts summed over each enterprise's latest check in the period (one query)."""
    if not model_available():
        return {k: None for k in ROW_SUMS}
    exprs = {}
    for key, (_label, statuses) in ROW_SUMS.items():
        if statuses == ("total",):
            exprs[key] = Sum(Coalesce(Cast(KT("summary__total"), IntegerField()), 0))
        else:
            exprs[key] = Sum(status_sum(*statuses))
    values = _checks(scope).filter(latest_in_period_q(scope)).aggregate(**exprs)
    return {k: v or 0 for k, v in values.items()}


def roster_sums_by_enterprise(scope: Scope) -> dict[int, dict[str, int]]:
    """``roster_sums`` per enterprise (its latest check in the period), one query."""
    if not model_available():
        return {}
    exprs = {}
    for key, (_label, statuses) in ROW_SUMS.items():
        if statuses == ("total",):
            exprs[key] = Sum(Coalesce(Cast(KT("summary__total"), IntegerField()), 0))
        else:
            exprs[key] = Sum(status_sum(*statuses))
    rows = _checks(scope).filter(latest_in_period_q(scope)).order_by().values("organization_id").annotate(**exprs)
    return {r.pop("organization_id"): {k: v or 0 for k, v in r.items()} for r in rows}


def model_available() -> bool:
    from ..metrics import SOURCES

    return SOURCES["roster_checks"].available()


register_sums(ROW_SUMS, roster_sums, over={k: (label, "roster_latest", "人") for k, (label, _s) in ROW_SUMS.items()})
