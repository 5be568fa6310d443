"""Reads for courses, already scoped to the requesting user (built on accounts.selectors).

One function computes the figures of an enrolment (``enrolment_figures``); the learner's dashboard,
the enterprise's progress table and the bureau's coverage all use it, so the hours agree."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import Membership, Organization
from accounts.roles import BUREAU_ROLES, ENTERPRISE_MANAGERS, OrgKind, Role
from accounts.selectors import (
    enterprises_visible_to,
    has_role,
    org_ids_with_role,
    region_prefixes,
)

from .models import AssignmentRule, Course, Enrolment, Lesson, LessonProgress, OfflineSession, TrainingRecord


# ---------------------------------------------------------------- interface used by exams / certificates

def has_completed_course(user, course_code: str) -> bool:
    """True when the person holds a training record (online or offline) for the course."""
    if user is None or not getattr(user, "pk", None):
        return False
    return TrainingRecord.objects.filter(person_id=user.pk, course__code=course_code).exists()


def refresher_hours(user, since: dt.date) -> Decimal:
    """学时 of the person's completed training records (online + offline) that ended on or after ``since``."""
    if user is None or not getattr(user, "pk", None):
        return Decimal("0")
    total = TrainingRecord.objects.filter(person_id=user.pk, end_date__gte=since).aggregate(h=Sum("hours"))["h"]
    return Decimal(total or 0)


def training_records_of(user) -> QuerySet[TrainingRecord]:
    """The person's own training records (their 培训档案), newest first."""
    return TrainingRecord.objects.filter(person_id=user.pk).select_related("course", "organization", "offline_session")


# ---------------------------------------------------------------- practice (exams app, optional)

def practice_banks_of(course: Course):
    """The course's training banks (testing banks are never returned, even if one slipped in)."""
    return course.practice_banks.filter(kind="training", is_active=True).order_by("code")


def practice_bank_ids(course: Course) -> list[int]:
    return list(practice_banks_of(course).values_list("pk", flat=True))


def practice_figures(user, course: Course) -> dict | None:
    ids = practice_bank_ids(course)
    if not ids:
        return None
    from exams.selectors import practice_summary

    summary = practice_summary(user, ids)
    answered = int(summary.get("answered") or 0)
    rate = Decimal(str(summary.get("rate") or 0)) * 100  # exams reports a 0..1 fraction
    ok = answered >= course.practice_min_answered and rate >= course.practice_min_rate
    return {"answered": answered, "correct": int(summary.get("correct") or 0), "rate": rate.quantize(Decimal("0.1")),
            "ok": ok}


# ---------------------------------------------------------------- enrolment figures

def hours_from_seconds(seconds: int, minutes_per_hour: int) -> Decimal:
    return (Decimal(seconds) / Decimal(minutes_per_hour * 60)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    enrolment: Enrolment
    lessons_total: int = 0
    lessons_done: int = 0
    seconds: int = 0  # credited towards the minimum (per lesson at most its minimum)
    required_seconds: int = 0
    hours: Decimal = Decimal("0")
    practice: dict | None = None
    next_lesson: Lesson | None = None
    lesson_seconds: dict = field(default_factory=dict)

    @property
    def percent(self) -> int:
        if self.enrolment.status == Enrolment.Status.COMPLETED:
            return 100
        if not self.required_seconds:
            return 0
        return min(100, int(self.seconds * 100 / self.required_seconds))

    @property
    def time_met(self) -> bool:
        return self.lessons_total > 0 and self.lessons_done == self.lessons_total

    @property
    def practice_ok(self) -> bool:
        return self.practice is None or self.practice["ok"]

    @property
    def complete(self) -> bool:
        return self.enrolment.status == Enrolment.Status.COMPLETED or (self.time_met and self.practice_ok)

    @property
    def overdue(self) -> bool:
        return self.enrolment.is_overdue()

    @property
    def due_soon(self) -> bool:
        e = self.enrolment
        return (e.status == Enrolment.Status.ACTIVE and e.due_date is not None and not self.overdue
                and (e.due_date - timezone.localdate()).days <= 30)

    @property
    def next_step(self) -> str:
        if self.enrolment.status == Enrolment.Status.COMPLETED:
            return "done"
        if self.next_lesson is not None:
            return "lesson"
        if not self.practice_ok:
            return "practice"
        return "finish"


def enrolment_figures(enrolments, *, with_practice: bool = False) -> list[Figures]:
    """Figures for many enrolments in a bounded number of queries (lessons, progress, records)."""
    enrolments = list(enrolments)
    if not enrolments:
        return []
    course_ids = {e.course_id for e in enrolments}
    user_ids = {e.user_id for e in enrolments}
    lessons_by_course: dict[int, list[Lesson]] = defaultdict(list)
    for lesson in Lesson.objects.filter(course_id__in=course_ids).order_by("sort_order", "pk"):
        lessons_by_course[lesson.course_id].append(lesson)
    lesson_ids = [lesson.pk for ls in lessons_by_course.values() for lesson in ls]
    progress = {
        (p["user_id"], p["lesson_id"]): p["seconds"]
        for p in LessonProgress.objects.filter(user_id__in=user_ids, lesson_id__in=lesson_ids)
        .values("user_id", "lesson_id", "seconds")
    }
    record_hours = dict(
        TrainingRecord.objects.filter(enrolment_id__in=[e.pk for e in enrolments]).values_list("enrolment_id", "hours")
    )
    out = []
    for e in enrolments:
        f = Figures(enrolment=e)
        credited_total = 0
        for lesson in lessons_by_course.get(e.course_id, []):
            secs = min(progress.get((e.user_id, lesson.pk), 0), lesson.cap_seconds)
            f.lesson_seconds[lesson.pk] = secs
            credited_total += secs
            f.lessons_total += 1
            f.required_seconds += lesson.min_seconds
            f.seconds += min(secs, lesson.min_seconds)
            if secs >= lesson.min_seconds:
                f.lessons_done += 1
            elif f.next_lesson is None:
                f.next_lesson = lesson
        if e.pk in record_hours:
            f.hours = record_hours[e.pk]
        else:
            f.hours = hours_from_seconds(credited_total, e.course.minutes_per_hour)
        if with_practice:
            f.practice = practice_figures(e.user, e.course)
        out.append(f)
    return out


def enrolment_status(enrolment: Enrolment) -> Figures:
    return enrolment_figures([enrolment], with_practice=True)[0]


# ---------------------------------------------------------------- learner

def my_enrolments(user) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.filter(user_id=user.pk).exclude(status=Enrolment.Status.WITHDRAWN)
        .select_related("course", "rule__issuer").order_by("status", "due_date", "pk")
    )


def courses_open_to(user) -> QuerySet[Course]:
    """Published optional courses the learner may join themself."""
    return Course.objects.filter(is_published=True).exclude(enrolments__user_id=user.pk).order_by("code")


def prerequisites_missing(user, course: Course) -> list[Course]:
    prereqs = list(course.prerequisites.all())
    if not prereqs:
        return []
    done = set(TrainingRecord.objects.filter(person_id=user.pk, course__in=prereqs).values_list("course_id", flat=True))
    return [c for c in prereqs if c.pk not in done]


# ---------------------------------------------------------------- enterprise

def managed_enterprises(user) -> list[Organization]:
    """Enterprises whose training progress the user may follow: their own (managers), their region (bureau)."""
    if user.is_superuser or region_prefixes(user):
        return list(enterprises_visible_to(user).order_by("name"))
    ids = org_ids_with_role(user, *ENTERPRISE_MANAGERS)
    return list(Organization.objects.filter(pk__in=ids, kind=OrgKind.ENTERPRISE).order_by("name"))


def can_view_enterprise_progress(user, org: Organization) -> bool:
    if user.is_superuser:
        return True
    if has_role(user, *ENTERPRISE_MANAGERS, organization=org):
        return True
    return bool(region_prefixes(user)) and enterprises_visible_to(user).filter(pk=org.pk).exists()


def enterprise_enrolments(org: Organization, *, course: Course | None = None, overdue_only: bool = False):
    """Enrolments of the enterprise's current people (records follow people, so a person who left
    is no longer listed here)."""
    member_ids = Membership.objects.filter(organization=org, is_active=True).values("user_id")
    qs = (
        Enrolment.objects.filter(user_id__in=member_ids).exclude(status=Enrolment.Status.WITHDRAWN)
        .select_related("user", "course").order_by("status", "due_date", "user__real_name", "pk")
    )
    if course is not None:
        qs = qs.filter(course=course)
    if overdue_only:
        qs = qs.filter(status=Enrolment.Status.ACTIVE, due_date__lt=timezone.localdate())
    return qs


def enterprise_records(org: Organization, *, course: Course | None = None, limit: int = 200):
    """Training records of the enterprise's current people — wherever they were trained."""
    member_ids = Membership.objects.filter(organization=org, is_active=True).values("user_id")
    qs = TrainingRecord.objects.filter(person_id__in=member_ids).select_related("person", "course")
    if course is not None:
        qs = qs.filter(course=course)
    return qs.order_by("-end_date", "-pk")[:limit]


def roles_in(org: Organization, user_ids) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for uid, role in Membership.objects.filter(organization=org, is_active=True, user_id__in=list(user_ids)) \
            .values_list("user_id", "role"):
        out[uid].append(str(Role(role).label))
    return out


# ---------------------------------------------------------------- bureau coverage

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
    enrol_qs = Enrolment.objects.filter(user_id__in=list(person_groups)).exclude(status=Enrolment.Status.WITHDRAWN)
    if course is not None:
        enrol_qs = enrol_qs.filter(course=course)
    else:
        enrol_qs = enrol_qs.filter(course__is_mandatory=True)
    rows: dict[str, CoverageRow] = {}
    counted: set[tuple] = set()
    totals = CoverageRow("all", "合计")
    total_counted: set[tuple] = set()
    for uid, course_id, status, due in enrol_qs.values_list("user_id", "course_id", "status", "due_date"):
        done = status == Enrolment.Status.COMPLETED
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


def visible_offline_sessions(user) -> QuerySet[OfflineSession]:
    qs = OfflineSession.objects.select_related("course", "provider", "instructor")
    if user.is_superuser:
        return qs
    return qs.filter(provider_id__in=org_ids_with_role(user, Role.INSTRUCTOR))


def visible_rules(user) -> QuerySet[AssignmentRule]:
    qs = AssignmentRule.objects.select_related("course", "issuer", "organization")
    if user.is_superuser:
        return qs
    issuers = org_ids_with_role(user, *(BUREAU_ROLES | ENTERPRISE_MANAGERS))
    return qs.filter(Q(issuer_id__in=issuers))
