"""Training coverage of the bureau's enterprises: the share of each target population (by industry,
hazard, region, role or enterprise) that completed its assigned training. Enrolments are read
through courses' selectors, which decide what counts as assigned and completed."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from accounts.models import Membership
from accounts.roles import BUREAU_ROLES, Role
from accounts.selectors import enterprises_visible_to, has_role
from courses import selectors as course_selectors
from courses.models import Course


def can_view_coverage(user) -> bool:
    return user.is_superuser or has_role(user, *BUREAU_ROLES)


@dataclass
class CoverageRow:
    key: str
    label: str
    target: int = 0
    completed: int = 0
    overdue: int = 0
    href: str = ""

    @property
    def rate(self) -> Decimal:
        if not self.target:
            return Decimal("0")
        return (Decimal(self.completed) * 100 / Decimal(self.target)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


DIMENSIONS = ("industry", "hazard", "region", "role", "enterprise")


def coverage(user, *, course: Course | None = None, dimension: str = "industry", enterprise_filter: dict | None = None,
             today: dt.date | None = None) -> dict:
    """Share of each target population that completed its assigned training.

    The target population is every person with an (assigned or self-chosen) enrolment who currently
    works in a visible enterprise; a person counts once per group (industry, hazard tag, region,
    role, enterprise) and per course. Completed = the enrolment is completed."""
    today = today or timezone.localdate()
    orgs_qs = enterprises_visible_to(user)
    if enterprise_filter:
        orgs_qs = orgs_qs.filter(**enterprise_filter)
    orgs = {
        o.pk: o for o in orgs_qs.select_related("industry", "region").prefetch_related("hazard_tags")
    }
    memberships = list(
        Membership.objects.filter(organization_id__in=list(orgs), is_active=True).values_list(
            "user_id", "organization_id", "role")
    )
    person_groups: dict[int, set[tuple[str, str]]] = defaultdict(set)
    labels: dict[str, str] = {}
    for uid, org_id, role in memberships:
        org = orgs[org_id]
        keys: list[tuple[str, str]] = []
        if dimension == "industry":
            keys.append((f"i{org.industry_id or 0}", org.industry.name if org.industry else "未分类"))
        elif dimension == "hazard":
            for tag in org.hazard_tags.all():
                keys.append((f"h{tag.pk}", tag.name))
        elif dimension == "region":
            keys.append((f"r{org.region_id}", org.region.name))
        elif dimension == "role":
            keys.append((f"o{role}", str(Role(role).label)))
        else:
            keys.append((f"e{org.pk}", org.name))
        for key, label in keys:
            labels[key] = label
            person_groups[uid].add((key, str(org.pk)))
    rows: dict[str, CoverageRow] = {}
    counted: set[tuple] = set()
    totals = CoverageRow("all", "合计")
    total_counted: set[tuple] = set()
    for uid, course_id, done, due in course_selectors.coverage_enrolments(person_groups, course=course):
        late = not done and due is not None and due < today
        if (uid, course_id) not in total_counted:
            total_counted.add((uid, course_id))
            totals.target += 1
            totals.completed += done
            totals.overdue += late
        for key, _org in person_groups[uid]:
            marker = (key, uid, course_id)
            if marker in counted:
                continue
            counted.add(marker)
            row = rows.setdefault(key, CoverageRow(key, labels[key]))
            row.target += 1
            row.completed += done
            row.overdue += late
    ordered = sorted(rows.values(), key=lambda r: (-r.target, r.label))
    return {"rows": ordered, "total": totals, "orgs": orgs}
