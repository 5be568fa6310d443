"""The daily roll-up of the bureau pages (bureau dashboard, coverage): figures per period and per cell
of enterprises (region × industry × hazard tag), built once a day and added up per request.

``rollup_build`` counts every figure with the figure's own rule (the metric's base queryset and
condition, ``metrics.compute_by_enterprise``; coverage with ``coverage.coverage`` and
``coverage.register_coverage``), grouped by enterprise, and adds the enterprises up into cells. A page
reads the cells inside the viewer's scope (region prefix, industry, hazard tag), so its cost depends
on the number of cells, not on the number of enterprises or people.

Periods: the dashboard's standard periods as of the build day (本月, 上月, 近12个月, 本年, and
专项活动以来 for every campaign in force). Any other period is counted live.

A person or an exam session belongs to every enterprise they are a member of; sessions and warning
cases are added up as sets of ids (counted once), people as counts (a person who is an active member
of two enterprises of a scope counts in each; the live figure counts them once).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import HazardTag, Industry, Organization, Region, region_prefix
from accounts.roles import OrgKind, Role

from .metrics import METRICS, breakdown_by_enterprise, compute_by_enterprise, monthly_by_enterprise
from .models import Campaign, RollupBuild, RollupCell
from .scope import ReportKind, Scope, add_months, month_end, month_start

# every count the bureau dashboard shows
COUNT_KEYS = [
    "ent_total", "ent_high_risk", "people_total", "people_principal", "people_safety_manager", "people_worker",
    "people_trained", "managers_trained", "managers_untrained", "people_overdue", "people_managers",
    *[f"pop_{k}_{s}" for k in ("principal", "safety_manager", "worker") for s in ("trained", "untrained")],
    "ent_trained", "exam_registered", "exam_sat", "exam_passed", "exam_failed", "exam_sessions_held",
    "notif_sent", "notif_read", "notif_unread", "notif_unread_all", "warnings_published",
    "certs_issued", "certs_reviewed", "certs_revoked", "cert_review_60", "cert_expiring_60", "cert_problem",
    "roster_checks_run", "roster_latest", "roster_with_unlicensed", "ent_roster_unlicensed",
]
TRENDS = [("records_in_period", "end_date"), ("exam_sat", "session__starts_at"), ("exam_passed", "session__starts_at")]
TOP = 10
ALL_COURSES = "all"  # the coverage rows over every mandatory course
COVERAGE_PERIOD = "year"  # coverage does not depend on the period: its rows are kept in this one only
# the parts of a cell the dashboard reads (the coverage rows ``cov`` are left in the database)
DASHBOARD_PARTS = ("v", "ids", "m", "exam_ops", "cert_ops", "read", "problems", "register")


# ------------------------------------------------------------------ periods

def standard_periods(day: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
    """The dashboard's quick periods as of ``day`` (see ``views.quick_periods``)."""
    this_month = month_start(day)
    last_month = add_months(this_month, -1)
    periods = {
        "this_month": (this_month, day),
        "last_month": (last_month, month_end(last_month)),
        "last_12": (add_months(this_month, -11), day),
        "year": (day.replace(month=1, day=1), day),
    }
    for start in Campaign.objects.active_on(day).values_list("start_date", flat=True).distinct():
        periods[f"since:{start.isoformat()}"] = (start, day)
    return periods


def period_key(start: dt.date, end: dt.date, today: dt.date) -> str | None:
    """The standard period (as of ``today``) that ``start``–``end`` is, if any."""
    for key, (s, e) in standard_periods_cheap(today).items():
        if (s, e) == (start, end):
            return key
    if end == today:
        return f"since:{start.isoformat()}"
    return None


def standard_periods_cheap(day: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
    this_month = month_start(day)
    last_month = add_months(this_month, -1)
    return {"this_month": (this_month, day), "last_month": (last_month, month_end(last_month)),
            "last_12": (add_months(this_month, -11), day), "year": (day.replace(month=1, day=1), day)}


# ------------------------------------------------------------------ building

def _all_enterprises():
    return Organization.objects.filter(kind=OrgKind.ENTERPRISE, is_active=True)


def _scope(start: dt.date, end: dt.date, day: dt.date) -> Scope:
    return Scope(user=None, kind=ReportKind.BUREAU, enterprises=_all_enterprises(), start=start, end=end,
                 params={"start": start.isoformat(), "end": end.isoformat()}, today=day)


def _period_figures(scope: Scope) -> dict[int, dict]:
    """Every enterprise's share of every dashboard figure in the scope's period."""
    from .dashboards import trend_scope
    from .domains.certificates import STATUSES, roster_sums_by_enterprise, status_q
    from .metrics import SOURCES, _grouped
    from .problems import active_problems, enterprises_with_most_problems

    per: dict[int, dict] = defaultdict(lambda: {"v": {}, "ids": {}, "m": {}, "exam_ops": {}, "cert_ops": {}})
    for org, values in compute_by_enterprise(scope, COUNT_KEYS).items():
        for key, value in values.items():
            per[org]["ids" if isinstance(value, list) else "v"][key] = value
    for org, sums in roster_sums_by_enterprise(scope).items():
        per[org]["v"].update(sums)
    ts = trend_scope(scope)
    for key, date_field in TRENDS:
        for org, months in monthly_by_enterprise(ts, key, date_field).items():
            per[org]["m"][key] = months
    for i, key in enumerate(("exam_passed", "exam_failed")):
        for org, items in breakdown_by_enterprise(scope, key, "session__operation_item_id").items():
            for item, n in items.items():
                per[org]["exam_ops"].setdefault(str(item or 0), [0, 0])[i] += n
    if SOURCES["certificates"].available():
        from django.db.models import Count

        qs, org_field, _distinct = _grouped(scope, SOURCES["certificates"])
        rows = qs.values(org_field, "operation_item_id").annotate(
            **{f"s_{k}": Count("pk", filter=status_q(scope, k), distinct=True) for k, _l, _c in STATUSES},
            n=Count("pk", distinct=True))
        for r in rows:
            per[r.pop(org_field)]["cert_ops"][str(r.pop("operation_item_id") or 0)] = r
    problems = active_problems()
    if all(p.figure for p in problems):  # each count is a per-enterprise figure counted above
        for org, fig in per.items():
            counts = [fig["v"].get(p.figure) or 0 for p in problems]
            if sum(counts):
                fig["problems"] = [sum(counts), counts]
    else:  # a registered problem without a figure: its correlated counts, every enterprise at once
        problems, rows = enterprises_with_most_problems(scope, limit=None)
        for r in rows:
            per[r["pk"]]["problems"] = [r["total"], [c["n"] for c in r["cells"]]]
    return per


def _register_figures(day: dt.date) -> dict[int, dict]:
    """Per enterprise and role: [target, covered, no account, not activated] against the register."""
    from .coverage import register_coverage

    out: dict[int, dict] = defaultdict(dict)
    data = register_coverage(None, orgs_qs=_all_enterprises(), today=day)
    for p in data["people"]:
        t = out[p.enterprise.pk].setdefault(p.role, [0, 0, 0, 0])
        t[0] += 1
        t[1] += p.covered
        t[2] += p.person is None
        t[3] += p.person is not None and not p.activated
    return out


def _coverage_figures(day: dt.date) -> dict[int, dict]:
    """Per enterprise, course ("c<id>", "all" = every mandatory course) and role: [target, completed, overdue]."""
    from .coverage import coverage

    out: dict[int, dict] = defaultdict(lambda: defaultdict(dict))
    data = coverage(None, dimension="cell", today=day,
                    orgs_qs=Organization.objects.filter(kind=OrgKind.ENTERPRISE))
    for course_id, rows in data["by_course"].items():
        for key, row in rows.items():
            org, role = key[1:].split(":", 1)
            for course in (f"c{course_id}", ALL_COURSES):  # keys are never digits (JSON paths)
                t = out[int(org)][course].setdefault(role, [0, 0, 0])
                t[0] += row.target
                t[1] += row.completed
                t[2] += row.overdue
    return out


def _add(into: dict, part: dict) -> None:
    """Add figures ``part`` into ``into`` (numbers add, id lists unite, nested dicts recurse)."""
    for key, value in part.items():
        if isinstance(value, dict):
            _add(into.setdefault(key, {}), value)
        elif isinstance(value, list) and value and isinstance(value[0], list):
            into.setdefault(key, []).extend(value)
        elif isinstance(value, list) and key in ("exam_sessions_held", "warnings_published"):
            into[key] = sorted(set(into.get(key, [])) | set(value))
        elif isinstance(value, list):
            have = into.setdefault(key, [0] * len(value))
            for i, v in enumerate(value):
                have[i] += v
        elif value is not None:
            into[key] = into.get(key, 0) + value


def _keep_top(fig: dict) -> None:
    """A cell keeps only its 10 first enterprises of each table (the page shows 10 over all cells)."""
    if "read" in fig:
        fig["read"] = sorted(fig["read"], key=read_order)[:TOP]
    if "problems" in fig:
        fig["problems"] = sorted(fig["problems"], key=lambda r: (-r[2], r[1]))[:TOP]


def read_order(r: list) -> tuple:
    _org, name, sent, read = r
    return (-(sent - read), read / sent if sent else 1, name)


@transaction.atomic
def rollup_build(*, day: dt.date | None = None) -> RollupBuild:
    """Build (or build again) the roll-up of ``day`` (default today, Asia/Shanghai). Idempotent: the
    day's previous build is replaced; builds older than a week are dropped."""
    day = day or timezone.localdate()
    started = time.perf_counter()
    periods = standard_periods(day)
    orgs = {o["pk"]: o for o in Organization.objects.filter(kind=OrgKind.ENTERPRISE, region__isnull=False)
            .values("pk", "name", "region_id", "industry_id", "is_active")}
    tags: dict[int, list[str]] = defaultdict(list)
    for org_id, code in HazardTag.organizations.through.objects.values_list("organization_id", "hazardtag__code"):
        tags[org_id].append(code)
    register = _register_figures(day)
    cover = _coverage_figures(day)

    cells: dict[tuple, dict] = {}
    counts: dict[tuple, int] = defaultdict(int)
    for key, (start, end) in periods.items():
        per = _period_figures(_scope(start, end, day))
        for org_id, org in orgs.items():
            fig = per.get(org_id, {})
            fig = {k: v for k, v in fig.items() if v and k != "problems"}
            if org_id in per and "problems" in per[org_id]:
                fig["problems"] = [[org_id, org["name"], *per[org_id]["problems"]]]
            v = fig.get("v", {})
            if v.get("notif_sent"):
                fig["read"] = [[org_id, org["name"], v["notif_sent"], v.get("notif_read", 0)]]
            if org_id in register:
                fig["register"] = register[org_id]
            if org_id in cover and key == COVERAGE_PERIOD:
                fig["cov"] = _coverage_dims(org, tags.get(org_id, []), cover[org_id])
            for hazard in ["", *tags.get(org_id, [])]:
                exact = (key, False, org["region_id"], org["industry_id"] or 0, hazard)
                cells.setdefault(exact, {})
                counts[exact] += org["is_active"]
                for region in tree_codes(org["region_id"]):
                    cell = (key, True, region, org["industry_id"] or 0, hazard)
                    _add(cells.setdefault(cell, {}), fig)
                    counts[cell] += org["is_active"]
    for fig in cells.values():
        _keep_top(fig)

    RollupBuild.objects.filter(Q(day=day) | Q(day__lt=day - dt.timedelta(days=7))).delete()
    build = RollupBuild.objects.create(day=day, built_at=timezone.now(), periods={
        k: [s.isoformat(), e.isoformat()] for k, (s, e) in periods.items()}, labels=_labels())
    RollupCell.objects.bulk_create([
        RollupCell(build=build, period=period, tree=tree, region_id=region, industry_id=industry, hazard=hazard,
                   enterprises=counts[(period, tree, region, industry, hazard)], figures=fig)
        for (period, tree, region, industry, hazard), fig in cells.items()], batch_size=500)
    build.seconds = round(time.perf_counter() - started, 2)
    build.save(update_fields=["seconds"])
    return build


def tree_codes(code: str) -> list[str]:
    """The region and the regions above it (county → city → province): the tree cells an enterprise
    of ``code`` adds into."""
    out = []
    for c in (code, code[:4] + "00", code[:2] + "0000"):
        if c not in out:
            out.append(c)
    return out


def roots(prefixes) -> list[str] | None:
    """The region codes whose tree cells cover exactly the regions of ``prefixes`` (none nested)."""
    if prefixes is None:
        return None
    kept = [p for p in prefixes if not any(q != p and p.startswith(q) for q in prefixes)]
    return sorted({p.ljust(6, "0") for p in kept})


def _coverage_dims(org: dict, tags: list[str], per_course: dict) -> dict:
    """One enterprise's coverage rows by course ("c<id>" or "all") and dimension group, as the coverage page
    groups them: i<industry>, h<hazard code>, r<region>, o<role>."""
    out: dict = {}
    for course, roles in per_course.items():
        groups: dict = {}
        for role, t in roles.items():
            for g in (f"i{org['industry_id'] or 0}", *[f"h{code}" for code in tags], f"r{org['region_id']}",
                      f"o{role}", "total"):
                have = groups.setdefault(g, [0, 0, 0])
                for i in range(3):
                    have[i] += t[i]
        out[course] = groups
    return out


def _labels() -> dict:
    from django.apps import apps

    labels = {
        "industry": {str(pk): name for pk, name in Industry.objects.values_list("pk", "name")},
        "hazard": {code: name for code, name in HazardTag.objects.values_list("code", "name")},
        "hazard_pk": {code: pk for code, pk in HazardTag.objects.values_list("code", "pk")},
        "region": dict(Region.objects.values_list("code", "name")),
        "role": {str(v): str(label) for v, label in Role.choices},
    }
    try:
        item = apps.get_model("catalogue", "OperationItem")
        labels["op"] = {str(pk): name for pk, name in item.objects.values_list("pk", "name")}
    except LookupError:
        labels["op"] = {}
    return labels


# ------------------------------------------------------------------ reading

def latest_build() -> RollupBuild | None:
    return RollupBuild.objects.order_by("-day").first()


def ensure_build() -> RollupBuild:
    """The latest roll-up; on a fresh install (none yet) it is built now (cheap while data is small)."""
    from django.db import IntegrityError

    build = latest_build()
    if build is not None:
        return build
    try:
        return rollup_build()
    except IntegrityError:  # another request built it at the same moment
        return latest_build()


@dataclass
class Rollup:
    """The cells of one build and period inside a scope, added up."""

    build: RollupBuild
    period: str
    start: dt.date
    end: dt.date
    figures: dict = field(default_factory=dict)
    by_region: dict = field(default_factory=dict)
    by_industry: dict = field(default_factory=dict)
    by_hazard: dict = field(default_factory=dict)

    @property
    def labels(self) -> dict:
        return self.build.labels

    def values(self, keys) -> dict:
        v, ids = self.figures.get("v", {}), self.figures.get("ids", {})
        out = {}
        for key in keys:
            if key in ("exam_sessions_held", "warnings_published"):
                out[key] = len(ids.get(key, [])) if METRICS[key].available() else None
            elif key in METRICS and not METRICS[key].available():
                out[key] = None
            else:
                out[key] = v.get(key, 0)
        return out


def cells_for(build: RollupBuild, period: str, scope: Scope, *, prefixes: list[str] | None, hazard: str | None = "",
              industry_id: int | None = None, region_code: str = "", tree: bool = True):
    """Tree cells: those of the viewer's own region codes (a handful of rows per industry, however
    many regions and enterprises lie below). Exact cells (``tree=False``): every region under them."""
    qs = RollupCell.objects.filter(build=build, period=period, tree=tree)
    if hazard is not None:
        qs = qs.filter(hazard=hazard)
    if region_code:
        prefixes = [region_prefix(region_code)]
    if tree:
        codes = roots(prefixes)
        qs = qs.filter(region_id__in=codes) if codes is not None else qs.filter(region__code__endswith="0000")
    elif prefixes is not None:
        q = Q(pk__in=[])
        for p in prefixes:
            q |= Q(region__code__startswith=p)
        qs = qs.filter(q)
    if industry_id is not None:
        qs = qs.filter(industry_id=industry_id)
    return qs


def scope_prefixes(user) -> list[str] | None:
    """Region prefixes of the viewer's scope (``None``: everything, the superuser): the same rule as
    ``scope.build_scope`` (a bureau sees the enterprises of its regions)."""
    from accounts import selectors as acc

    if user.is_superuser:
        return None
    return list(acc.region_prefixes(user))


def load(scope: Scope, build: RollupBuild, period: str) -> Rollup:
    """Add up the cells of ``period`` inside the scope (its region prefixes and its filters). One query."""
    params = scope.params
    hazard = params.get("hazard") or ""
    industry = params.get("industry")
    region = params.get("region") or ""
    qs = cells_for(build, period, scope, prefixes=scope_prefixes(scope.user), hazard=hazard,
                   industry_id=int(industry) if industry else None, region_code=region)
    s, e = build.periods[period]
    out = Rollup(build=build, period=period, start=dt.date.fromisoformat(s), end=dt.date.fromisoformat(e))
    for industry_id, ent, *parts in qs.values_list("industry_id", "enterprises",
                                                   *[f"figures__{p}" for p in DASHBOARD_PARTS]):
        _add(out.figures, {p: part for p, part in zip(DASHBOARD_PARTS, parts) if part})
        if ent:
            out.by_industry[industry_id] = out.by_industry.get(industry_id, 0) + ent
    _keep_top(out.figures)
    exact = cells_for(build, period, scope, prefixes=scope_prefixes(scope.user), hazard=hazard,
                      industry_id=int(industry) if industry else None, region_code=region, tree=False)
    for region_id, ent in exact.filter(enterprises__gt=0).values_list("region_id", "enterprises"):
        out.by_region[region_id] = out.by_region.get(region_id, 0) + ent
    return out


def hazard_counts(scope: Scope, rollup: Rollup) -> dict[str, int]:
    """Enterprises per hazard tag inside the scope (the hazard cells' enterprise counts). One query."""
    params = scope.params
    industry = params.get("industry")
    qs = cells_for(rollup.build, rollup.period, scope, prefixes=scope_prefixes(scope.user), hazard=None,
                   industry_id=int(industry) if industry else None, region_code=params.get("region") or "")
    qs = qs.filter(hazard=params["hazard"]) if params.get("hazard") else qs.exclude(hazard="")
    out: dict[str, int] = {}
    for code, n in qs.values_list("hazard", "enterprises"):
        if n:
            out[code] = out.get(code, 0) + n
    return out


def register_totals(per_role: dict) -> dict:
    """The register coverage totals (``coverage.register_coverage``'s shape, without the people) from
    the roll-up's [target, covered, no account, not activated] per role."""
    from .coverage import COVERED_ROLES, RoleTotals

    totals = []
    for role in COVERED_ROLES:
        t = per_role.get(str(role), [0, 0, 0, 0])
        totals.append(RoleTotals(role, target=t[0], covered=t[1], no_account=t[2], not_activated=t[3]))
    all_totals = RoleTotals("all")
    for t in totals:
        for f in ("target", "covered", "no_account", "not_activated"):
            setattr(all_totals, f, getattr(all_totals, f) + getattr(t, f))
    return {"people": [], "totals": totals, "total": all_totals, "enterprises": None}


def coverage_rows(user, build: RollupBuild, *, course_id: int | None, dimension: str) -> dict:
    """The coverage page's rows (``coverage.coverage``'s shape) for the viewer's regions, from the
    roll-up: one query over the cells, whatever the number of people."""
    from .coverage import CoverageRow

    qs = cells_for(build, COVERAGE_PERIOD, None, prefixes=scope_prefixes(user), hazard="")
    course = f"c{course_id}" if course_id else ALL_COURSES
    groups: dict = {}
    for part in qs.values_list(f"figures__cov__{course}", flat=True):
        _add(groups, part or {})
    labels = build.labels
    prefix = {"industry": "i", "hazard": "h", "region": "r", "role": "o"}[dimension]
    rows = []
    for key, (target, completed, overdue) in groups.items():
        if not key.startswith(prefix) or key == "total":
            continue
        value = key[1:]
        if dimension == "industry":
            label, key = labels["industry"].get(value, "未分类") if value != "0" else "未分类", f"i{value}"
        elif dimension == "hazard":
            label, key = labels["hazard"].get(value, value), f"h{labels['hazard_pk'].get(value, '')}"
        elif dimension == "region":
            label = labels["region"].get(value, value)
        else:
            label = labels["role"].get(value, value)
        rows.append(CoverageRow(key, label, target, completed, overdue))
    t = groups.get("total", [0, 0, 0])
    return {"rows": sorted(rows, key=lambda r: (-r.target, r.label)),
            "total": CoverageRow("all", "合计", t[0], t[1], t[2])}


def register_of(user, build: RollupBuild) -> dict:
    """Register coverage totals of the viewer's regions from the roll-up (one query)."""
    per_role: dict = {}
    cells = cells_for(build, COVERAGE_PERIOD, None, prefixes=scope_prefixes(user), hazard="")
    for part in cells.values_list("figures__register", flat=True):
        _add(per_role, part or {})
    return register_totals(per_role)
