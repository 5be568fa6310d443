"""The dashboards, assembled from panels. Each panel runs a fixed number of aggregate queries.

A panel is a plain dict the template renders generically:
``{"key", "title", "available", "note", "figures": [{"label", "value", "unit", "url", "tone"}],
"charts": [SafeString], "table": {...} | None}``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from accounts.models import HazardTag

from core.ui import charts
from .metrics import METRICS, SOURCES, breakdown, compute, metric_url, monthly
from .scope import Scope, add_months, month_end, month_start

PanelBuilder = Callable[[Scope], dict]
BUREAU_PANELS: list[tuple[str, PanelBuilder]] = []
ENTERPRISE_PANELS: list[tuple[str, PanelBuilder]] = []


def _register(panels: list, key: str, first: bool) -> Callable[[PanelBuilder], PanelBuilder]:
    def deco(fn: PanelBuilder) -> PanelBuilder:
        if all(k != key for k, _f in panels):
            panels.insert(0, (key, fn)) if first else panels.append((key, fn))
        return fn
    return deco


def bureau_panel(key: str, *, first: bool = False):
    return _register(BUREAU_PANELS, key, first)


def enterprise_panel(key: str, *, first: bool = False):
    return _register(ENTERPRISE_PANELS, key, first)


def figure(scope: Scope, values: dict, key: str, *, label: str | None = None, tone: str = "", **facets) -> dict:
    metric = METRICS[key]
    value = values.get(key)
    return {
        "key": key, "label": label or metric.label, "value": value, "unit": metric.unit,
        "url": metric_url(scope, key, **facets) if value is not None else "", "tone": tone if value else "",
        "help": metric.help,
    }


def rate(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole:
        return None
    return round(100.0 * part / whole, 1)


def unavailable(key: str, title: str, source: str) -> dict:
    note = SOURCES[source].unavailable_note or _("相关业务数据尚未接入平台，暂不统计。")
    return {"key": key, "title": title, "available": False, "note": note, "figures": [], "charts": [],
            "table": None}


def panel(key: str, title: str, figures: list, charts_: list | None = None, *, note: str = "",
          table: dict | None = None) -> dict:
    return {"key": key, "title": title, "available": True, "note": note, "figures": figures,
            "charts": charts_ or [], "table": table}


def values_of(scope: Scope, keys) -> dict:
    """The figures: from the day's roll-up when the scope reads one, else counted now."""
    return scope.rollup.values(keys) if scope.rollup is not None else compute(scope, keys)


def _rolled_breakdown(counts: dict, labels: dict) -> list[dict]:
    rows = [{"value": k, "label": labels.get(str(k), ""), "n": n} for k, n in counts.items() if n]
    return sorted(rows, key=lambda r: (-r["n"], str(r["value"])))


def build(panels: list[tuple[str, PanelBuilder]], scope: Scope) -> list[dict]:
    return [builder(scope) for _key, builder in panels]


# ------------------------------------------------------------------ bureau: overview

@bureau_panel("overview")
def overview_panel(scope: Scope) -> dict:
    values = values_of(scope, ["ent_total", "ent_high_risk", "people_total", "people_principal",
                             "people_safety_manager", "people_worker"])
    if scope.rollup is not None:
        from .rollup import hazard_counts

        labels = scope.rollup.labels
        by_industry = [{**r, "value": r["value"] or None}
                       for r in _rolled_breakdown(scope.rollup.by_industry, labels["industry"])]
        by_region = _rolled_breakdown(scope.rollup.by_region, labels["region"])
        hazards = sorted(({"hazardtag__code": code, "hazardtag__name": labels["hazard"].get(code, code), "n": n}
                          for code, n in hazard_counts(scope, scope.rollup).items()),
                         key=lambda r: (-r["n"], r["hazardtag__code"]))
    else:
        by_industry = breakdown(scope, "ent_total", "industry_id", "industry__name")
        by_region = breakdown(scope, "ent_total", "region_id", "region__name")
        hazards = list(
            HazardTag.organizations.through.objects.filter(organization__in=scope.enterprise_ids())
            .values("hazardtag__code", "hazardtag__name").annotate(n=Count("pk")).order_by("-n", "hazardtag__code")
        )
    industry_chart = charts.bar_chart(
        [charts.Datum(r["label"] or _("未填行业"), r["n"],
                      metric_url(scope, "ent_total", industry_id=r["value"]) if r["value"] else "")
         for r in by_industry],
        title=_("企业行业分布"), unit=_("家"))
    hazard_chart = charts.bar_chart(
        [charts.Datum(r["hazardtag__name"], r["n"], metric_url(scope, "ent_total", hazard_code=r["hazardtag__code"]))
         for r in hazards],
        title=_("企业风险特征分布"), unit=_("家"), empty=_("暂无带风险特征的企业"))
    region_chart = charts.bar_chart(
        [charts.Datum(r["label"], r["n"], metric_url(scope, "ent_total", region_id=r["value"])) for r in by_region],
        title=_("企业地区分布"), unit=_("家"))
    return panel("overview", _("监管对象概况"), [
        figure(scope, values, "ent_total"),
        figure(scope, values, "ent_high_risk"),
        figure(scope, values, "people_principal"),
        figure(scope, values, "people_safety_manager"),
        figure(scope, values, "people_worker"),
    ], [industry_chart, hazard_chart, region_chart])


# ------------------------------------------------------------------ trends

def trend_scope(scope: Scope) -> Scope:
    """At least the 12 months up to the period end (at most 24), so a short period still shows a trend."""
    last = month_start(scope.end)
    start = max(min(scope.start, add_months(last, -11)), add_months(last, -23))
    return scope.with_period(start, scope.end)


def months_of(scope: Scope) -> list:
    out, m = [], month_start(scope.start)
    while m <= scope.end:
        out.append(m)
        m = add_months(m, 1)
    return out


def trend_series(scope: Scope, items: list[tuple[str, str, str]]) -> tuple[list[str], list[charts.Series]]:
    """items: (metric key, series name, date field). One query per series."""
    ts = trend_scope(scope)
    months = months_of(ts)
    series = []
    for key, name, date_field in items:
        if scope.rollup is not None:
            rolled = scope.rollup.figures.get("m", {}).get(key, {})
            counts = {m: rolled.get(f"{m:%Y-%m}", 0) for m in months}
        else:
            counts = monthly(ts, key, date_field)
        hrefs = [metric_url(ts.with_period(max(m, ts.start), min(month_end(m), ts.end)), key) for m in months]
        series.append(charts.Series(name, [counts.get(m, 0) for m in months], hrefs=hrefs))
    return [f"{m:%Y-%m}" for m in months], series


# ------------------------------------------------------------------ training

def _training_figures(scope: Scope) -> tuple[dict, list]:
    from .domains.courses import POPULATIONS

    keys = ["people_trained", "managers_trained", "managers_untrained", "people_overdue", "people_managers"]
    keys += [f"pop_{k}_{s}" for k, _l, _r in POPULATIONS for s in ("trained", "untrained")]
    values = values_of(scope, keys)
    values.update(values_of(scope, ["ent_trained", "ent_total"]))
    coverage = charts.stacked_bar_chart(
        [str(label) for _k, label, _r in POPULATIONS],
        [charts.Series(_("已培训"), [values[f"pop_{k}_trained"] for k, _l, _r in POPULATIONS],
                       colour="#1d7a3e", hrefs=[metric_url(scope, f"pop_{k}_trained") for k, _l, _r in POPULATIONS]),
         charts.Series(_("未培训"), [values[f"pop_{k}_untrained"] for k, _l, _r in POPULATIONS],
                       colour="#b42318", hrefs=[metric_url(scope, f"pop_{k}_untrained") for k, _l, _r in POPULATIONS])],
        title=_("各类人员培训覆盖"), unit=_("人"), share=True)
    return values, [coverage]


@bureau_panel("training")
def training_panel(scope: Scope) -> dict:
    if not SOURCES["training_records"].available():
        return unavailable("training", _("培训覆盖"), "training_records")
    values, charts_ = _training_figures(scope)
    labels, series = trend_series(scope, [("records_in_period", _("培训人次"), "end_date")])
    charts_.append(charts.line_chart(labels, series, title=_("培训人次月度趋势"), unit=_("人次")))
    coverage = rate(values["managers_trained"], values["people_managers"])
    return panel("training", _("培训覆盖"), [
        figure(scope, values, "ent_trained"),
        figure(scope, values, "people_trained"),
        figure(scope, values, "managers_trained"),
        {**figure(scope, values, "managers_untrained", tone="warn")},
        figure(scope, values, "people_overdue", tone="bad"),
    ], charts_, note=_("主要负责人和安全生产管理人员培训覆盖率：%(rate)s") % {
        "rate": "—" if coverage is None else f"{coverage}%"})


# ------------------------------------------------------------------ exams

def exam_figures(scope: Scope) -> dict:
    values = values_of(scope, ["exam_registered", "exam_sat", "exam_passed", "exam_failed"])
    values.update(values_of(scope, ["exam_sessions_held"]))
    return values


@bureau_panel("exams")
def exams_panel(scope: Scope) -> dict:
    if not SOURCES["registrations"].available():
        return unavailable("exams", _("考试"), "registrations")
    values = exam_figures(scope)
    labels, series = trend_series(scope, [("exam_sat", _("参加考试"), "session__starts_at"),
                                          ("exam_passed", _("考试合格"), "session__starts_at")])
    trend = charts.line_chart(labels, series, title=_("考试人次与合格人次月度趋势"), unit=_("人次"))
    if scope.rollup is not None:
        ops, op_names = scope.rollup.figures.get("exam_ops", {}), scope.rollup.labels["op"]
        passed = {int(k) or None: {"value": int(k) or None, "label": op_names.get(k), "n": v[0]}
                  for k, v in ops.items() if v[0]}
        failed = {int(k) or None: {"value": int(k) or None, "label": op_names.get(k), "n": v[1]}
                  for k, v in ops.items() if v[1]}
    else:
        passed = {r["value"]: r for r in breakdown(scope, "exam_passed", "session__operation_item_id",
                                                    "session__operation_item__name")}
        failed = {r["value"]: r for r in breakdown(scope, "exam_failed", "session__operation_item_id",
                                                    "session__operation_item__name")}
    items = sorted(set(passed) | set(failed), key=lambda v: -((passed.get(v) or {}).get("n", 0)
                                                                + (failed.get(v) or {}).get("n", 0)))[:12]
    names = [((passed.get(v) or failed.get(v))["label"] or _("未指定操作项目")) for v in items]
    by_item = charts.stacked_bar_chart(
        names,
        [charts.Series(_("合格"), [(passed.get(v) or {}).get("n", 0) for v in items], colour="#1d7a3e",
                       hrefs=[metric_url(scope, "exam_passed", operation_item=v or "") for v in items]),
         charts.Series(_("未合格"), [(failed.get(v) or {}).get("n", 0) for v in items], colour="#d55e00",
                       hrefs=[metric_url(scope, "exam_failed", operation_item=v or "") for v in items])],
        title=_("各操作项目考试结果"), unit=_("人次"))
    pass_rate = rate(values["exam_passed"], values["exam_sat"])
    return panel("exams", _("考试"), [
        figure(scope, values, "exam_sessions_held"),
        figure(scope, values, "exam_registered"),
        figure(scope, values, "exam_sat"),
        figure(scope, values, "exam_passed", tone="ok"),
        {"key": "exam_pass_rate", "label": _("合格率（合格/参加考试）"), "value": pass_rate, "unit": "%",
         "url": metric_url(scope, "exam_passed") if pass_rate is not None else "", "tone": "", "help": ""},
    ], [trend, by_item])


# ------------------------------------------------------------------ warnings

def read_by_enterprise(scope: Scope, limit: int = 10) -> list[dict]:
    """Per enterprise: pushes in the period, read, unread; the most unread first. One query."""
    from .metrics import METRICS as M

    if scope.rollup is not None:
        return [{"organization_id": org, "organization__name": name, "sent": sent, "read": read,
                 "unread": sent - read} for org, name, sent, read in scope.rollup.figures.get("read", [])[:limit]]
    sent_q = M["notif_sent"].where(scope)
    rows = (SOURCES["notifications"].base(scope).filter(sent_q).order_by()
            .values("organization_id", "organization__name")
            .annotate(sent=Count("pk"), read=Count("pk", filter=Q(read_at__isnull=False)))
            .order_by("read", "-sent", "organization__name"))
    out = []
    for r in rows:
        r["unread"] = r["sent"] - r["read"]
        out.append(r)
    out.sort(key=lambda r: (-r["unread"], r["read"] / r["sent"] if r["sent"] else 1, r["organization__name"]))
    return out[:limit]


@bureau_panel("warnings")
def warnings_panel(scope: Scope) -> dict:
    if not SOURCES["notifications"].available():
        return unavailable("warnings", _("警示教育"), "notifications")
    values = values_of(scope, ["notif_sent", "notif_read", "notif_unread"])
    values.update(values_of(scope, ["warnings_published"]))
    read_rate = rate(values["notif_read"], values["notif_sent"])
    donut = charts.donut_chart([
        charts.Datum(_("已读"), values["notif_read"] or 0, metric_url(scope, "notif_read"), "#1d7a3e"),
        charts.Datum(_("未读"), values["notif_unread"] or 0, metric_url(scope, "notif_unread"), "#b42318"),
    ], title=_("警示通知阅读情况"), unit=_("份"), centre_label=_("推送"))
    rows = read_by_enterprise(scope)
    table = {
        "caption": _("各企业阅读情况（未读多的在前）"),
        "head": [_("企业"), _("推送"), _("已读"), _("未读"), _("阅读率")],
        "rows": [[
            {"text": r["organization__name"], "url": ""},
            {"text": r["sent"], "url": metric_url(scope, "notif_sent", org=r["organization_id"])},
            {"text": r["read"], "url": metric_url(scope, "notif_read", org=r["organization_id"])},
            {"text": r["unread"], "url": metric_url(scope, "notif_unread", org=r["organization_id"])},
            {"text": f"{rate(r['read'], r['sent'])}%", "url": ""},
        ] for r in rows],
    }
    return panel("warnings", _("警示教育"), [
        figure(scope, values, "warnings_published"),
        figure(scope, values, "notif_sent"),
        figure(scope, values, "notif_read", tone="ok"),
        figure(scope, values, "notif_unread", tone="bad"),
        {"key": "notif_read_rate", "label": _("阅读率"), "value": read_rate, "unit": "%",
         "url": metric_url(scope, "notif_read") if read_rate is not None else "", "tone": "", "help": ""},
    ], [donut], table=table)


@enterprise_panel("warnings")
def enterprise_warnings_panel(scope: Scope) -> dict:
    if not SOURCES["notifications"].available():
        return unavailable("warnings", _("警示教育"), "notifications")
    values = values_of(scope, ["notif_unread_all", "notif_sent", "notif_read"])
    return panel("warnings", _("警示教育"), [
        figure(scope, values, "notif_unread_all", tone="bad"),
        figure(scope, values, "notif_sent"),
        figure(scope, values, "notif_read", tone="ok"),
    ])


# ------------------------------------------------------------------ enterprise: people

@enterprise_panel("people")
def enterprise_people_panel(scope: Scope) -> dict:
    values = values_of(scope, ["people_total", "people_principal", "people_safety_manager", "people_worker"])
    return panel("people", _("本单位人员"), [
        figure(scope, values, "people_total"),
        figure(scope, values, "people_principal"),
        figure(scope, values, "people_safety_manager"),
        figure(scope, values, "people_worker"),
    ])


@enterprise_panel("training")
def enterprise_training_panel(scope: Scope) -> dict:
    if not SOURCES["training_records"].available():
        return unavailable("training", _("培训情况"), "training_records")
    values, charts_ = _training_figures(scope)
    values.update(values_of(scope, ["enrol_total", "enrol_completed", "enrol_overdue", "enrol_active"]))
    # the enrolment figures are those of the training progress table (courses' selectors), the
    # people figures count training records of the period, online or offline
    return panel("training", _("培训情况"), [
        figure(scope, values, "enrol_total"),
        figure(scope, values, "enrol_completed", tone="ok"),
        figure(scope, values, "enrol_overdue", tone="bad"),
        figure(scope, values, "enrol_active"),
        figure(scope, values, "people_trained"),
        figure(scope, values, "managers_untrained", tone="warn"),
        figure(scope, values, "people_overdue", tone="bad"),
    ], charts_, note=_("选课的完成与逾期与“培训进度”页一致；“取得培训记录的人员”按统计期间内的培训记录计，"
                       "含线下培训和复审培训。"))


@enterprise_panel("exams")
def enterprise_exams_panel(scope: Scope) -> dict:
    if not SOURCES["registrations"].available():
        return unavailable("exams", _("考试情况"), "registrations")
    values = exam_figures(scope)
    return panel("exams", _("考试情况"), [
        figure(scope, values, "exam_registered"),
        figure(scope, values, "exam_sat"),
        figure(scope, values, "exam_passed", tone="ok"),
        figure(scope, values, "exam_failed", tone="warn"),
    ])


# ------------------------------------------------------------------ certificates and roster checks

def certificates_by_operation(scope: Scope, limit: int = 10) -> list[dict]:
    """Per operation item: certificates in each live status. One query."""
    from .domains.certificates import STATUSES, status_q

    if scope.rollup is not None:
        names = scope.rollup.labels["op"]
        rows = [{**r, "operation_item_id": int(k) or None, "operation_item__name": names.get(k) if int(k) else None}
                for k, r in scope.rollup.figures.get("cert_ops", {}).items()]
        rows.sort(key=lambda r: (-r["n"], r["operation_item__name"] or ""))
        return rows[:limit]
    rows = (SOURCES["certificates"].base(scope).order_by().values("operation_item_id", "operation_item__name")
            .annotate(**{f"s_{k}": Count("pk", filter=status_q(scope, k)) for k, _l, _c in STATUSES},
                      n=Count("pk"))
            .order_by("-n", "operation_item__name")[:limit])
    return list(rows)


def _certificate_charts(scope: Scope) -> list:
    from .domains.certificates import STATUSES

    rows = certificates_by_operation(scope)
    names = [r["operation_item__name"] or _("管理能力考核合格证等") for r in rows]
    facet = [str(r["operation_item_id"]) if r["operation_item_id"] else "none" for r in rows]
    stacked = charts.stacked_bar_chart(names, [
        charts.Series(label, [r[f"s_{k}"] for r in rows], colour=colour,
                      hrefs=[metric_url(scope, f"cert_{k}", operation_item=f) for f in facet])
        for k, label, colour in STATUSES
    ], title=_("各操作项目证书状态"), unit=_("本"), width=560)
    totals = {k: sum(r[f"s_{k}"] for r in rows) for k, _l, _c in STATUSES}
    donut = charts.donut_chart(
        [charts.Datum(label, totals[k], metric_url(scope, f"cert_{k}"), colour) for k, label, colour in STATUSES],
        title=_("证书状态（当前）"), unit=_("本"), centre_label=_("证书"))
    return [stacked, donut], totals


@bureau_panel("certificates")
def certificates_panel(scope: Scope) -> dict:
    if not SOURCES["certificates"].available():
        return unavailable("certificates", _("证书"), "certificates")
    values = values_of(scope, ["certs_issued", "certs_reviewed", "certs_revoked", "cert_review_60",
                             "cert_expiring_60", "cert_problem"])
    charts_, _totals = _certificate_charts(scope)
    return panel("certificates", _("证书"), [
        figure(scope, values, "certs_issued"),
        figure(scope, values, "certs_reviewed"),
        figure(scope, values, "certs_revoked", tone="bad"),
        figure(scope, values, "cert_review_60", tone="warn"),
        figure(scope, values, "cert_expiring_60", tone="warn"),
        figure(scope, values, "cert_problem", tone="bad"),
    ], charts_, note=_("发放、复审、撤销按统计期间计；状态及到期按今天计。按操作项目统计的为持证人数最多的 10 项。"))


def roster_figures(scope: Scope) -> list[dict]:
    from .domains.certificates import ROW_SUMS, roster_sums

    values = values_of(scope, ["roster_checks_run", "roster_latest", "roster_with_unlicensed"])
    sums = values_of(scope, list(ROW_SUMS)) if scope.rollup is not None else roster_sums(scope)
    figures = [figure(scope, values, "roster_checks_run")]
    if scope.is_bureau:  # a count of enterprises means nothing on one enterprise's own dashboard
        values.update(values_of(scope, ["ent_roster_unlicensed"]))
        figures.append(figure(scope, values, "ent_roster_unlicensed", tone="bad"))
    for key, tone in (("roster_rows_checked", ""), ("roster_unlicensed_rows", "bad"), ("roster_invalid_rows", "warn")):
        figures.append({"key": key, "label": ROW_SUMS[key][0], "value": sums[key], "unit": _("人"),
                        "url": metric_url(scope, "roster_latest", total=key), "tone": tone if sums[key] else "",
                        "help": _("按各企业统计期间内最后一次核查合计。")})
    return figures


@bureau_panel("roster")
def roster_panel(scope: Scope) -> dict:
    if not SOURCES["roster_checks"].available():
        return unavailable("roster", _("持证核查"), "roster_checks")
    return panel("roster", _("持证核查"), roster_figures(scope),
                 note=_("人数按各企业统计期间内最后一次核查合计，同一企业多次核查不重复计算。"))


@enterprise_panel("certificates")
def enterprise_certificates_panel(scope: Scope) -> dict:
    if not SOURCES["certificates"].available():
        return unavailable("certificates", _("证书与持证核查"), "certificates")
    values = values_of(scope, ["cert_valid", "cert_review_60", "cert_expiring_60", "cert_problem"])
    figures = [figure(scope, values, "cert_valid", tone="ok"), figure(scope, values, "cert_review_60", tone="warn"),
               figure(scope, values, "cert_expiring_60", tone="warn"), figure(scope, values, "cert_problem", tone="bad")]
    if SOURCES["roster_checks"].available():
        figures += roster_figures(scope)
    return panel("certificates", _("证书与持证核查"), figures)


# ------------------------------------------------------------------ open problems

@bureau_panel("problems")
def problems_panel(scope: Scope) -> dict:
    from .problems import enterprises_with_most_problems

    if scope.rollup is not None:
        from .problems import active_problems

        problems = active_problems()
        rows = [{"pk": org, "name": name, "total": total,
                 "cells": [{"n": n, "url": metric_url(scope, p.metric, org=org) if n else ""}
                           for p, n in zip(problems, counts)]}
                for org, name, total, counts in scope.rollup.figures.get("problems", [])]
    else:
        problems, rows = enterprises_with_most_problems(scope)
    if not problems:
        return unavailable("problems", _("问题较多的企业"), "enterprises")
    table = {
        "caption": _("按未解决问题总数排列，前 10 家"),
        "head": [_("企业")] + [p.label for p in problems] + [_("合计")],
        "rows": [[{"text": r["name"], "url": ""}]
                 + [{"text": c["n"], "url": c["url"]} for c in r["cells"]]
                 + [{"text": r["total"], "url": ""}] for r in rows],
    }
    return panel("problems", _("问题较多的企业"), [], table=table,
                 note=_("“未培训”按所选统计期间计算；逾期培训和未读警示为当前状态。"))


@enterprise_panel("fix_first", first=True)
def fix_first_panel(scope: Scope) -> dict:
    """What the enterprise should fix first, most serious first."""
    keys = [k for k, src in (("people_overdue", "enrolments"), ("managers_untrained", "training_records"),
                             ("notif_unread_all", "notifications"), *FIX_FIRST_EXTRA) if SOURCES[src].available()]
    values = values_of(scope, keys)
    figures = [figure(scope, values, k, tone="bad") for k in keys]
    outstanding = [f for f in figures if f["value"]]
    note = _("目前没有需要立即处理的事项。") if not outstanding else ""
    return panel("fix_first", _("须优先处理"), outstanding or figures, note=note)


# metric keys (with their source) of the enterprise's “fix first” list beyond training and warnings
FIX_FIRST_EXTRA: list[tuple[str, str]] = [("cert_problem", "certificates"), ("roster_with_unlicensed", "roster_checks"),
                                          ("cert_review_60", "certificates")]


def bureau_dashboard(scope: Scope) -> list[dict]:
    return build(BUREAU_PANELS, scope)


def bureau_only(key: str) -> bool:
    """Figures counting enterprises (“N家企业”): a bureau's figures, meaningless for one enterprise."""
    return key in METRICS and METRICS[key].source == "enterprises"


def enterprise_dashboard(scope: Scope) -> list[dict]:
    panels = build(ENTERPRISE_PANELS, scope)
    for p in panels:
        p["figures"] = [f for f in p["figures"] if not bureau_only(f["key"])]
    return panels
