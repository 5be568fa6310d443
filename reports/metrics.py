"""Figures defined once, counted in bulk, listed on demand.

A ``Source`` is a kind of row the reports count (enterprises, people, training records, exam
registrations, certificates, …), already limited to a ``Scope``. A ``Metric`` is a named condition
on one source. ``compute`` counts many metrics with one aggregate query per source, whatever the
data size; ``metric_rows`` returns the very rows a figure counts, for the drill-down list. Because
both use the same base queryset and the same condition, a figure and its list always agree.

Sources whose models are not installed report ``None`` (shown as “—”, never as 0).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse

from accounts.models import HazardTag, Membership, Organization, User
from accounts.roles import Role

from .scope import Scope


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    models: tuple[str, ...]  # "app_label.Model" needed for the source to exist
    base: Callable[[Scope], QuerySet]
    template: str  # renders the rows of a drill-down list
    facets: dict[str, Callable[[Scope, str], Q]] = field(default_factory=dict)
    order_by: tuple[str, ...] = ("pk",)
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    unavailable_note: str = ""
    # how a row belongs to an enterprise, for the daily roll-up (``compute_by_enterprise``): the row's
    # own enterprise field, or the path to its person's memberships; ``link`` = (source, field) of the
    # rows that tie a row of a source counted across enterprises (sessions, cases) to the enterprises
    org_field: str = ""
    membership: str = ""
    link: tuple[str, str] = ()

    def available(self) -> bool:
        return all(_model_exists(m) for m in self.models)


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    source: str
    where: Callable[[Scope], Q] = lambda scope: Q()
    unit: str = ""
    help: str = ""
    requires: tuple[str, ...] = ()  # further models the condition reads ("app_label.Model")

    def available(self) -> bool:
        return SOURCES[self.source].available() and all(_model_exists(m) for m in self.requires)


def _model_exists(label: str) -> bool:
    app_label, name = label.split(".")
    try:
        apps.get_model(app_label, name)
    except LookupError:
        return False
    return True


SOURCES: dict[str, Source] = {}
METRICS: dict[str, Metric] = {}


def register_source(source: Source) -> Source:
    SOURCES[source.key] = source
    return source


def register_metric(metric: Metric) -> Metric:
    if metric.source not in SOURCES:
        raise KeyError(f"unknown source {metric.source}")
    METRICS[metric.key] = metric
    return metric


def model(label: str):
    app_label, name = label.split(".")
    return apps.get_model(app_label, name)


def _count(q: Q) -> Count:
    return Count("pk", filter=q) if q else Count("pk")


def compute(scope: Scope, keys: Iterable[str]) -> dict[str, int | None]:
    """Count the metrics; one aggregate query per source involved."""
    by_source: dict[str, list[Metric]] = defaultdict(list)
    for key in keys:
        metric = METRICS[key]
        by_source[metric.source].append(metric)
    out: dict[str, int | None] = {}
    for source_key, metrics in by_source.items():
        source = SOURCES[source_key]
        ready = [m for m in metrics if m.available()]
        out.update({m.key: None for m in metrics if m not in ready})
        if ready:
            out.update(source.base(scope).aggregate(**{m.key: _count(m.where(scope)) for m in ready}))
    return out


# Figures that are sums rather than counts of rows: provider(scope) -> {key: value | None}.
SUM_PROVIDERS: dict[str, Callable[[Scope], dict]] = {}
# sum key -> (label, metric whose rows the sum adds up, unit): the drill-down lists those rows under the sum
SUM_OVER: dict[str, tuple[str, str, str]] = {}


def register_sums(keys: Iterable[str], provider: Callable[[Scope], dict], *,
                  over: dict[str, tuple[str, str, str]] | None = None) -> None:
    for key in keys:
        SUM_PROVIDERS[key] = provider
    SUM_OVER.update(over or {})


def compute_any(scope: Scope, keys: Iterable[str]) -> dict[str, int | None]:
    """Counts (``compute``) and sums (registered providers), each provider asked once."""
    keys = list(keys)
    out = compute(scope, [k for k in keys if k in METRICS])
    asked = set()
    for key in keys:
        if key in SUM_PROVIDERS and SUM_PROVIDERS[key] not in asked:
            asked.add(SUM_PROVIDERS[key])
            out.update({k: v for k, v in SUM_PROVIDERS[key](scope).items() if k in keys})
    return out


def _grouped(scope: Scope, source: Source) -> tuple[QuerySet, str, bool]:
    """The source's rows with the enterprise each belongs to (``_org``); a person belongs to every
    enterprise of the scope they are an active member of."""
    qs = source.base(scope)
    if source.membership:
        m = source.membership
        qs = qs.filter(**{f"{m}__is_active": True, f"{m}__organization__in": scope.enterprise_ids()})
        return qs.order_by().annotate(_org=F(f"{m}__organization_id")), "_org", True
    return qs.order_by().annotate(_org=F(source.org_field)), "_org", False


def compute_by_enterprise(scope: Scope, keys: Iterable[str]) -> dict[int, dict[str, int]]:
    """``compute`` per enterprise of the scope: {enterprise id: {key: n}}; one query per source. The
    same base queryset and condition as the figure (its rule), grouped by the row's enterprise.
    Sources counted across enterprises (``link``) give, per enterprise, the ids of the rows instead
    (``{key: [ids]}``) so that a sum over enterprises counts a row once."""
    by_source: dict[str, list[Metric]] = defaultdict(list)
    for key in keys:
        metric = METRICS[key]
        if metric.available():
            by_source[metric.source].append(metric)
    out: dict[int, dict] = defaultdict(dict)
    for source_key, metrics in by_source.items():
        source = SOURCES[source_key]
        if source.link:
            link_source, link_field = source.link
            for m in metrics:
                ids = source.base(scope).filter(m.where(scope)).values("pk")
                qs, org, _distinct = _grouped(scope, SOURCES[link_source])
                for row in qs.filter(**{f"{link_field}__in": ids}).values(org, link_field).distinct():
                    out[row[org]].setdefault(m.key, []).append(row[link_field])
            continue
        qs, org, distinct = _grouped(scope, source)
        rows = qs.values(org).annotate(**{
            m.key: Count("pk", filter=m.where(scope) or None, distinct=distinct) for m in metrics})
        for row in rows:
            out[row.pop(org)].update(row)
    return out


def breakdown_by_enterprise(scope: Scope, key: str, group: str) -> dict[int, dict]:
    """``breakdown`` per enterprise: {enterprise id: {group value: n}}, one query."""
    metric = METRICS[key]
    source = SOURCES[metric.source]
    out: dict[int, dict] = defaultdict(dict)
    if not metric.available():
        return out
    qs, org, distinct = _grouped(scope, source)
    for row in qs.filter(metric.where(scope)).values(org, group).annotate(n=Count("pk", distinct=distinct)):
        out[row[org]][row[group]] = row["n"]
    return out


def monthly_by_enterprise(scope: Scope, key: str, date_field: str) -> dict[int, dict]:
    """``monthly`` per enterprise: {enterprise id: {"YYYY-MM": n}}, one query."""
    from django.db.models.functions import TruncMonth

    metric = METRICS[key]
    source = SOURCES[metric.source]
    out: dict[int, dict] = defaultdict(dict)
    if not metric.available():
        return out
    qs, org, distinct = _grouped(scope, source)
    rows = (qs.filter(metric.where(scope)).annotate(_m=TruncMonth(date_field)).values(org, "_m")
            .annotate(n=Count("pk", distinct=distinct)))
    for r in rows:
        if r["_m"] is None:
            continue
        month = f"{r['_m']:%Y-%m}"
        out[r[org]][month] = out[r[org]].get(month, 0) + r["n"]
    return out


def apply_facets(scope: Scope, source: Source, qs: QuerySet, facets: dict[str, str]) -> QuerySet:
    for name, value in facets.items():
        if value in (None, "") or name not in source.facets:
            continue
        qs = qs.filter(source.facets[name](scope, value))
    return qs


def metric_rows(scope: Scope, key: str, facets: dict[str, str] | None = None) -> QuerySet:
    """The rows behind a figure, ready for listing."""
    metric = METRICS[key]
    source = SOURCES[metric.source]
    qs = source.base(scope).filter(metric.where(scope))
    qs = apply_facets(scope, source, qs, facets or {})
    if source.select_related:
        qs = qs.select_related(*source.select_related)
    if source.prefetch_related:
        qs = qs.prefetch_related(*source.prefetch_related)
    return qs.order_by(*source.order_by)


def breakdown(scope: Scope, key: str, group: str, label: str | None = None, *, limit: int | None = None,
              order: str = "-n") -> list[dict]:
    """Counts of one metric grouped by a field: [{"value", "label", "n"}], one query."""
    metric = METRICS[key]
    source = SOURCES[metric.source]
    if not source.available():
        return []
    fields = [group] + ([label] if label and label != group else [])
    rows = (source.base(scope).filter(metric.where(scope)).order_by().values(*fields)
            .annotate(n=Count("pk")).order_by(order, group))
    if limit:
        rows = rows[:limit]
    return [{"value": r[group], "label": r[label or group], "n": r["n"]} for r in rows]


def metric_url(scope: Scope, key: str, **facets) -> str:
    url = reverse("reports:drill", kwargs={"metric": key})
    qs = scope.query_string(**facets)
    return f"{url}?{qs}" if qs else url


# ------------------------------------------------------------------ enterprises and people

def _enterprises(scope: Scope) -> QuerySet:
    return Organization.objects.filter(pk__in=scope.enterprise_ids())


def _hazard_q(scope: Scope, code: str) -> Q:
    return Q(pk__in=HazardTag.organizations.through.objects.filter(hazardtag__code=code).values("organization_id"))


register_source(Source(
    key="enterprises", label="企业", models=("accounts.Organization",), base=_enterprises,
    template="reports/rows/enterprises.html",
    facets={"industry_id": lambda scope, v: Q(industry_id=v), "hazard_code": _hazard_q,
            "region_id": lambda scope, v: Q(region_id=v)},
    order_by=("region_id", "name"), select_related=("region", "industry"), prefetch_related=("hazard_tags",),
    org_field="pk",
))


def scope_memberships(scope: Scope) -> QuerySet:
    return Membership.objects.filter(organization__in=scope.enterprise_ids(), is_active=True)


def _people(scope: Scope) -> QuerySet:
    return User.objects.filter(pk__in=scope_memberships(scope).values("user_id"), is_active=True)


def member_of_q(org_id, field: str = "pk") -> Q:
    """Rows whose person (``field``) is an active member of enterprise ``org_id``."""
    return Q(Exists(Membership.objects.filter(user_id=OuterRef(field), organization_id=org_id, is_active=True)))


def has_role_in_scope(scope: Scope, *roles: str) -> Q:
    """Person holds one of ``roles`` in an enterprise of the scope (a filter on User rows)."""
    return Q(Exists(scope_memberships(scope).filter(user_id=OuterRef("pk"), role__in=roles)))


register_source(Source(
    key="people", label="人员", models=("accounts.User",), base=_people,
    template="reports/rows/people.html",
    facets={"role": lambda scope, v: has_role_in_scope(scope, v), "org": lambda scope, v: member_of_q(v)},
    order_by=("real_name", "username"), membership="memberships",
))


for _key, _label, _q in [
    ("ent_total", "企业总数", lambda s: Q()),
    ("ent_high_risk", "高危行业企业", lambda s: Q(industry__high_risk=True)),
]:
    register_metric(Metric(_key, _label, "enterprises", _q, unit="家"))

register_metric(Metric("people_total", "在册人员", "people", unit="人"))
register_metric(Metric("people_principal", "主要负责人", "people",
                       lambda s: has_role_in_scope(s, Role.PRINCIPAL), unit="人"))
register_metric(Metric("people_safety_manager", "安全生产管理人员", "people",
                       lambda s: has_role_in_scope(s, Role.SAFETY_MANAGER), unit="人"))
register_metric(Metric("people_managers", "主要负责人和安全生产管理人员", "people",
                       lambda s: has_role_in_scope(s, Role.PRINCIPAL, Role.SAFETY_MANAGER), unit="人"))
register_metric(Metric("people_worker", "从业人员", "people", lambda s: has_role_in_scope(s, Role.WORKER, Role.SPECIAL_OPERATOR), unit="人"))


def monthly(scope: Scope, key: str, date_field: str) -> dict:
    """Counts of one metric per calendar month of ``date_field``: {date(month start): n}, one query."""
    from django.db.models.functions import TruncMonth

    metric = METRICS[key]
    source = SOURCES[metric.source]
    if not source.available():
        return {}
    rows = (source.base(scope).filter(metric.where(scope)).order_by()
            .annotate(_m=TruncMonth(date_field)).values("_m").annotate(n=Count("pk")))
    out = {}
    for r in rows:
        m = r["_m"]
        if m is None:
            continue
        day = m.date() if hasattr(m, "date") else m
        out[day.replace(day=1)] = out.get(day.replace(day=1), 0) + r["n"]
    return out


# Figures of the other parts of the platform register themselves here.
from . import domains  # noqa: E402,F401
