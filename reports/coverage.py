"""Training coverage of the bureau's enterprises: the share of each target population (by industry,
hazard, region, role or enterprise) that completed its assigned training. Enrolments are read
through courses' selectors, which decide what counts as assigned and completed."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy

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
             today: dt.date | None = None, orgs_qs=None) -> dict:
    """Share of each target population that completed its assigned training.

    The target population is every person with an (assigned or self-chosen) enrolment who currently
    works in a visible enterprise; a person counts once per group (industry, hazard tag, region,
    role, enterprise) and per course. Completed = the enrolment is completed."""
    today = today or timezone.localdate()
    orgs_qs = enterprises_visible_to(user) if orgs_qs is None else orgs_qs
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
        elif dimension == "cell":  # the daily roll-up: per enterprise and role, split by course
            keys.append((f"c{org.pk}:{role}", ""))
        else:
            keys.append((f"e{org.pk}", org.name))
        for key, label in keys:
            labels[key] = label
            person_groups[uid].add((key, str(org.pk)))
    rows: dict[str, CoverageRow] = {}
    counted: set[tuple] = set()
    totals = CoverageRow("all", "合计")
    total_counted: set[tuple] = set()
    by_course: dict = defaultdict(dict)
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
            if dimension == "cell":
                one = by_course[course_id].setdefault(key, CoverageRow(key, ""))
                one.target += 1
                one.completed += done
                one.overdue += late
    ordered = sorted(rows.values(), key=lambda r: (-r.target, r.label))
    return {"rows": ordered, "total": totals, "orgs": orgs, "by_course": by_course}


# ------------------------------------------------------------------ coverage against the register
#
# The denominator is the enterprise register, not the enrolments: every principal (主要负责人) and
# safety manager (安全生产管理人员) of every active key-sector enterprise in the viewer's region counts.
# "No account" is represented two ways:
#   * an enterprise on the register whose roster has no principal (or no safety manager) at all gets
#     one placeholder person for the missing role, shown as 未建档 and always uncovered;
#   * a person on the roster who never activated their account (created by a roster import with an
#     unusable password, never signed in) is listed as 未激活; they count like everyone else and are
#     covered only when their training records (e.g. offline classes) reach the legal hours.
# Covered = the person's 学时 reach the legal minimum of their role (StudyHourRequirement, population
# "manager", high-risk or not by the enterprise's industry): the initial training (初训) until their
# first record is a year old, after that the yearly refresher (再培训) over the last 365 days.

COVERED_ROLES = (Role.PRINCIPAL, Role.SAFETY_MANAGER)
MET, SHORT, NO_ACCOUNT, NO_RULE = "met", "short", "no_account", "no_rule"
STATUS_LABELS = {MET: gettext_lazy("达标"), SHORT: gettext_lazy("学时不足"), NO_ACCOUNT: gettext_lazy("未建档"),
                 NO_RULE: gettext_lazy("未配置学时要求")}


@dataclass
class PersonCoverage:
    enterprise: object
    role: str
    person: object | None
    kind: str = ""
    required: Decimal | None = None
    done: Decimal = Decimal("0")
    status: str = SHORT

    @property
    def activated(self) -> bool:
        return self.person is not None and (self.person.has_usable_password() or self.person.last_login is not None)

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def covered(self) -> bool:
        return self.status == MET


@dataclass
class RoleTotals:
    role: str
    target: int = 0
    covered: int = 0
    no_account: int = 0
    not_activated: int = 0

    @property
    def label(self) -> str:
        return "合计" if self.role == "all" else str(Role(self.role).label)

    @property
    def rate(self) -> Decimal:
        if not self.target:
            return Decimal("0")
        return (Decimal(self.covered) * 100 / Decimal(self.target)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def register_coverage(user, *, enterprises=None, today: dt.date | None = None, orgs_qs=None) -> dict:
    """Per-person compliance of every principal and safety manager on the register (see above).
    ``enterprises`` narrows the visible enterprises (e.g. to a campaign's key sectors); ``orgs_qs``
    replaces the user's visible enterprises (the daily roll-up: every enterprise)."""
    from catalogue.models import Population, StudyHourRequirement, TrainingKind

    today = today or timezone.localdate()
    qs = (enterprises_visible_to(user) if orgs_qs is None else orgs_qs).filter(is_active=True)
    if enterprises is not None:
        qs = qs.filter(pk__in=enterprises.values("pk"))
    orgs = list(qs.select_related("industry").order_by("name"))
    memberships = list(Membership.objects.filter(organization__in=orgs, is_active=True, role__in=COVERED_ROLES)
                       .select_related("user").order_by("organization_id", "role", "user_id"))
    year_ago = today - dt.timedelta(days=365)
    hours = course_selectors.hours_by_person({m.user_id for m in memberships}, since=year_ago)
    rules: dict[tuple, object] = {}

    def rule(kind: str, high_risk: bool):
        if (kind, high_risk) not in rules:
            rules[(kind, high_risk)] = StudyHourRequirement.in_force(population=Population.MANAGER, kind=kind,
                                                                     high_risk=high_risk, on=today)
        return rules[(kind, high_risk)]

    by_org: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for m in memberships:
        by_org[m.organization_id][m.role].append(m.user)
    people: list[PersonCoverage] = []
    totals = {role: RoleTotals(role) for role in COVERED_ROLES}
    for org in orgs:
        high_risk = bool(org.industry and org.industry.high_risk)
        for role in COVERED_ROLES:
            persons = by_org[org.pk][role] or [None]
            for person in persons:
                row = PersonCoverage(org, role, person)
                t = totals[role]
                t.target += 1
                if person is None:
                    row.status = NO_ACCOUNT
                    t.no_account += 1
                    people.append(row)
                    continue
                h = hours.get(person.pk, {"total": Decimal("0"), "recent": Decimal("0"), "first_end": None})
                refresher = h["first_end"] is not None and h["first_end"] < year_ago
                row.kind = TrainingKind.REFRESHER if refresher else TrainingKind.INITIAL
                row.done = h["recent"] if refresher else h["total"]
                requirement = rule(row.kind, high_risk)
                if requirement is None:
                    row.status = NO_RULE
                else:
                    row.required = requirement.hours
                    row.status = MET if row.done >= requirement.hours else SHORT
                t.covered += row.covered
                t.not_activated += not row.activated
                people.append(row)
    all_totals = RoleTotals("all")
    for t in totals.values():
        for f in ("target", "covered", "no_account", "not_activated"):
            setattr(all_totals, f, getattr(all_totals, f) + getattr(t, f))
    return {"people": people, "totals": list(totals.values()), "total": all_totals, "enterprises": len(orgs)}
