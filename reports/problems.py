"""Open problems per enterprise: what each must fix, counted in one query for a whole region.

Each problem is a correlated subquery on the enterprise row; each links to the drill-down list of
the metric that counts the same rows for one enterprise (facet ``org``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value  # noqa: F401
from django.db.models.functions import Coalesce

from accounts.models import Membership
from accounts.roles import Role

from .metrics import SOURCES, metric_url, model
from .scope import Scope


@dataclass(frozen=True)
class Problem:
    key: str
    label: str
    metric: str  # drill-down metric; its rows for one enterprise are what is counted here
    source: str
    count: Callable[[Scope], Subquery]  # correlated on the enterprise (OuterRef("pk"))
    # the per-enterprise figure (metric or sum key) this count equals: the daily roll-up reads it from
    # ``metrics.compute_by_enterprise`` instead of a correlated subquery per enterprise
    figure: str = ""


def _members(field: str = "pk", roles: tuple[str, ...] = ()) -> Q:
    qs = Membership.objects.filter(user_id=OuterRef(field), organization_id=OuterRef(OuterRef("pk")), is_active=True)
    if roles:
        qs = qs.filter(role__in=roles)
    return Q(Exists(qs))


def _count(qs) -> Subquery:
    return Coalesce(Subquery(qs.order_by().annotate(_one=Value(1)).values("_one")
                             .annotate(c=Count("pk")).values("c")[:1], output_field=IntegerField()), 0)


def _overdue_people(scope: Scope):
    from .domains.courses import overdue_q
    from .metrics import _people

    return _count(_people(scope).filter(_members()).filter(overdue_q(scope)))


def _untrained_managers(scope: Scope):
    from .domains.courses import trained_q
    from .metrics import _people

    return _count(_people(scope).filter(_members(roles=(Role.PRINCIPAL, Role.SAFETY_MANAGER)))
                  .filter(~trained_q(scope)))


def _unread(scope: Scope):
    return _count(model("cms.WarningNotification").objects.filter(
        organization_id=OuterRef("pk"), page__live=True, read_at__isnull=True))


def _certificate_problems(scope: Scope):
    from .domains.certificates import status_q

    q = (status_q(scope, "expired") | status_q(scope, "review_overdue") | status_q(scope, "suspended")
         | status_q(scope, "revoked"))
    return _count(SOURCES["certificates"].base(scope).filter(_members("holder_id")).filter(q))


def _unlicensed(scope: Scope):
    from .domains.certificates import UNLICENSED, latest_in_period_q, status_sum

    checks = (SOURCES["roster_checks"].base(scope).filter(organization_id=OuterRef("pk"))
              .filter(latest_in_period_q(scope)).annotate(_n=status_sum(*UNLICENSED)).values("_n")[:1])
    return Coalesce(Subquery(checks, output_field=IntegerField()), 0)


PROBLEMS: list[Problem] = [
    Problem("overdue", "培训逾期人员", "people_overdue", "enrolments", _overdue_people, "people_overdue"),
    Problem("untrained", "未培训负责人/安管人员", "managers_untrained", "training_records", _untrained_managers,
            "managers_untrained"),
    Problem("unread", "未读警示", "notif_unread_all", "notifications", _unread, "notif_unread_all"),
    Problem("certs", "问题证书", "cert_problem", "certificates", _certificate_problems, "cert_problem"),
    Problem("unlicensed", "核查发现无证人员", "roster_latest", "roster_checks", _unlicensed, "roster_unlicensed_rows"),
]


def register_problem(problem: Problem) -> None:
    if all(p.key != problem.key for p in PROBLEMS):
        PROBLEMS.append(problem)


def active_problems() -> list[Problem]:
    return [p for p in PROBLEMS if SOURCES[p.source].available()]


def enterprises_with_most_problems(scope: Scope, limit: int | None = 10) -> tuple[list[Problem], list[dict]]:
    """The enterprises with the most open problems, one query (``limit=None``: every enterprise with
    a problem, for the daily roll-up)."""
    problems = active_problems()
    if not problems:
        return [], []
    qs = scope.enterprises.model.objects.filter(pk__in=scope.enterprise_ids())
    qs = qs.annotate(**{f"p_{p.key}": p.count(scope) for p in problems})
    total = sum((F(f"p_{p.key}") for p in problems), Value(0))
    qs = qs.annotate(p_total=total).filter(p_total__gt=0).order_by("-p_total", "name")
    if limit:
        qs = qs[:limit]
    rows = []
    for org in qs.values("pk", "name", "p_total", *[f"p_{p.key}" for p in problems]):
        rows.append({
            "pk": org["pk"], "name": org["name"], "total": org["p_total"],
            "cells": [{"n": org[f"p_{p.key}"], "url": metric_url(scope, p.metric, org=org["pk"])
                       if org[f"p_{p.key}"] else ""} for p in problems],
        })
    return problems, rows
