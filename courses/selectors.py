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
from django.utils.translation import gettext

from accounts.models import Membership, Organization
from accounts.roles import BUREAU_ROLES, ENTERPRISE_MANAGERS, OrgKind, Role
from accounts.selectors import (
    enterprises_visible_to,
    has_role,
    org_ids_with_role,
    region_prefixes,
)

from .models import (
    AssignmentRule,
    Course,
    Enrolment,
    Lesson,
    LessonProgress,
    OfflineSession,
    StudyInterval,
    TrainingRecord,
)


# ---------------------------------------------------------------- interface used by exams / certificates

def has_completed_course(user, course_code: str) -> bool:
    """True when the person holds a training record (online or offline) for the course."""
    if user is None or not getattr(user, "pk", None):
        return False
    return TrainingRecord.objects.filter(person_id=user.pk, course__code=course_code).exists()


def required_course_problems(session, candidate) -> list[str]:
    """Exams' eligibility check "the session's required course is completed" (registered in apps.py)."""
    code = session.required_course_code
    if code and not has_completed_course(candidate, code):
        return [gettext("未完成规定课程（%(code)s）") % {"code": code}]
    return []


def _exam_population(session) -> str | None:
    """Which population's training a session's exam presupposes: special operators before a theory
    exam of a special operation, principals and safety managers before their assessment."""
    from catalogue.models import CertificateKind, Population

    return {
        CertificateKind.Family.SPECIAL_OPERATION: Population.SPECIAL_OPERATOR,
        CertificateKind.Family.MANAGEMENT: Population.MANAGER,
    }.get(session.certificate_kind.family)


def _in_high_risk_industry(user) -> bool:
    return Membership.objects.filter(user_id=user.pk, is_active=True, organization__kind=OrgKind.ENTERPRISE,
                                     organization__industry__high_risk=True).exists()


def exam_training_requirement(session, candidate):
    """The study-hour requirement (initial training) in force on the session's day for the
    candidate sitting it: by population, the session's operation item (a row for that item wins
    over the general one) and the candidate's industry (high-risk rows where the candidate works in
    a high-risk industry and such a row exists). None when the regulation data has no figure."""
    from catalogue.models import StudyHourRequirement, TrainingKind

    population = _exam_population(session)
    if population is None:
        return None
    on = timezone.localdate(session.starts_at)
    high_risk = _in_high_risk_industry(candidate)
    found = StudyHourRequirement.in_force(population=population, kind=TrainingKind.INITIAL, high_risk=high_risk,
                                          on=on, operation_item=session.operation_item_id)
    if found is None and high_risk:
        found = StudyHourRequirement.in_force(population=population, kind=TrainingKind.INITIAL, high_risk=False,
                                              on=on, operation_item=session.operation_item_id)
    return found


def credited_hours_for(candidate, requirement, *, until: dt.date, operation_item_id: int | None = None) -> Decimal:
    """学时 of the candidate's completed training (online and offline records, ended by ``until``)
    that counts towards ``requirement``: records made for a requirement of the same population and
    training kind (the record's own row, else its course's), for the operation item (the
    requirement's, else ``operation_item_id``) or for every item."""
    item_id = requirement.operation_item_id or operation_item_id

    def same(prefix: str) -> Q:
        return (Q(**{f"{prefix}population": requirement.population, f"{prefix}kind": requirement.kind})
                & (Q(**{f"{prefix}operation_item__isnull": True})
                   | Q(**{f"{prefix}operation_item_id": item_id})))

    total = TrainingRecord.objects.filter(person_id=candidate.pk, end_date__lte=until).filter(
        same("requirement__") | (Q(requirement__isnull=True) & same("course__requirement__"))
    ).aggregate(h=Sum("hours"))["h"]
    return Decimal(total or 0)


def study_hours_problems(session, candidate) -> list[str]:
    """Exams' eligibility check "the required training hours are complete" (registered in apps.py)."""
    if candidate is None or not getattr(candidate, "pk", None):
        return []
    requirement = exam_training_requirement(session, candidate)
    if requirement is None:
        return []
    have = credited_hours_for(candidate, requirement, until=timezone.localdate(session.starts_at),
                              operation_item_id=session.operation_item_id)
    if have >= requirement.hours:
        return []
    return [gettext("培训学时不足：%(who)s%(item)s须完成%(kind)s不少于 %(need)s 学时，已完成 %(have)s 学时（%(rule)s）")
            % {"who": requirement.get_population_display(),
               "item": f"（{requirement.operation_item.name}）" if requirement.operation_item_id else "",
               "kind": requirement.get_kind_display(), "need": _hours(requirement.hours), "have": _hours(have),
               "rule": requirement.rule_version.name}]


def _hours(value: Decimal) -> str:
    return f"{value.normalize():f}"


def course_choices_for_exams() -> list[tuple[str, str]]:
    """The published courses an exam session may require, as (code, "title（code）"); exams' session
    form picks from these (registered in apps.py)."""
    return [(code, f"{title}（{code}）")
            for code, title in Course.objects.filter(is_published=True).order_by("code").values_list("code", "title")]


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


def enrolments_of_members(org_ids) -> QuerySet[Enrolment]:
    """The enrolments an enterprise's training progress counts: those of its current people (active
    memberships of ``org_ids``, an id list or a values("pk") queryset), withdrawn ones left out. The
    progress table and the dashboards both start here, so their figures agree."""
    member_ids = Membership.objects.filter(organization__in=org_ids, is_active=True).values("user_id")
    return Enrolment.objects.filter(user_id__in=member_ids).exclude(status=Enrolment.Status.WITHDRAWN)


def completed_enrolment_q() -> Q:
    """An enrolment whose course the learner has completed (the progress table's “已完成”)."""
    return Q(status=Enrolment.Status.COMPLETED)


def enterprise_enrolments(org: Organization, *, course: Course | None = None, overdue_only: bool = False):
    """Enrolments of the enterprise's current people (records follow people, so a person who left
    is no longer listed here)."""
    qs = (
        enrolments_of_members([org.pk])
        .select_related("user", "course").order_by("status", "due_date", "user__real_name", "pk")
    )
    if course is not None:
        qs = qs.filter(course=course)
    if overdue_only:
        qs = qs.filter(overdue_enrolment_q(timezone.localdate()))
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


# ---------------------------------------------------------------- enrolments as other apps count them

def coverage_enrolments(user_ids, *, course: Course | None = None):
    """(user id, course id, completed, due date) of the enrolments that count towards training
    coverage: not withdrawn; of ``course``, or of every mandatory course when none is given."""
    qs = Enrolment.objects.filter(user_id__in=list(user_ids)).exclude(status=Enrolment.Status.WITHDRAWN)
    qs = qs.filter(course=course) if course is not None else qs.filter(course__is_mandatory=True)
    for uid, course_id, status, due in qs.values_list("user_id", "course_id", "status", "due_date"):
        yield uid, course_id, status == Enrolment.Status.COMPLETED, due


def open_enrolment_q() -> Q:
    """An enrolment still being worked on (neither completed nor withdrawn)."""
    return Q(status=Enrolment.Status.ACTIVE)


def overdue_enrolment_q(today: dt.date) -> Q:
    """An open enrolment whose due date has passed."""
    return open_enrolment_q() & Q(due_date__lt=today)


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


# ---------------------------------------------------------------- study trail

def population_of(user) -> str:
    """The training population a person belongs to, from their enterprise roles (catalogue.Population)."""
    from catalogue.models import Population

    roles = set(Membership.objects.filter(user_id=user.pk, is_active=True,
                                          organization__kind=OrgKind.ENTERPRISE).values_list("role", flat=True))
    if roles & {Role.PRINCIPAL, Role.SAFETY_MANAGER}:
        return Population.MANAGER
    if "special_operator" in roles:
        return Population.SPECIAL_OPERATOR
    return Population.WORKER if roles else ""


def study_trail(person) -> QuerySet[StudyInterval]:
    """Every credited and uncredited stretch of a person's online study, newest first."""
    return StudyInterval.objects.filter(user_id=person.pk).select_related("lesson__course").order_by("-started_at", "-id")


def study_days(person, limit: int = 60) -> list[dict]:
    """Per day: seconds credited and not credited (newest first)."""
    rows = (StudyInterval.objects.filter(user_id=person.pk).values("day", "credited")
            .annotate(total=Sum("seconds")).order_by("-day"))
    days: dict = {}
    for row in rows:
        entry = days.setdefault(row["day"], {"day": row["day"], "credited": 0, "uncredited": 0})
        entry["credited" if row["credited"] else "uncredited"] += row["total"]
    return list(days.values())[:limit]


def study_checks_to_review(user) -> QuerySet:
    """Identity checks waiting for a person: bureau staff see those of people in their region."""
    from accounts.selectors import people_visible_to

    from .models import StudyCheck

    qs = StudyCheck.objects.filter(status=StudyCheck.Status.PENDING).select_related("user", "lesson__course")
    if user.is_superuser:
        return qs.order_by("taken_at")
    if not has_role(user, *BUREAU_ROLES):
        return qs.none()
    return qs.filter(user__in=people_visible_to(user).values("pk")).order_by("taken_at")


def study_check_visible_to(user, pk: int):
    """A check whose photos the user may see: their own, or one in their review scope."""
    from .models import StudyCheck

    check = StudyCheck.objects.select_related("user").filter(pk=pk).first()
    if check is None:
        return None
    if check.user_id == user.pk or user.is_superuser:
        return check
    if has_role(user, *BUREAU_ROLES):
        from accounts.selectors import people_visible_to

        if people_visible_to(user).filter(pk=check.user_id).exists():
            return check
    return None
def trainees_by_provider(org_ids: set[int]) -> dict[int, set[int]]:
    """Who trains at each of these training institutions: people enrolled in its courses or
    attending its classroom trainings. Two queries whatever the number of institutions."""
    out: dict[int, set[int]] = {pk: set() for pk in org_ids}
    if not org_ids:
        return out
    from .models import OfflineAttendance

    enrolled = (Enrolment.objects.filter(course__provider_id__in=org_ids).exclude(status=Enrolment.Status.WITHDRAWN)
                .values_list("course__provider_id", "user_id").distinct())
    attended = (OfflineAttendance.objects.filter(session__provider_id__in=org_ids)
                .values_list("session__provider_id", "person_id").distinct())
    for provider_id, person_id in [*enrolled, *attended]:
        out[provider_id].add(person_id)
    return out


def trainee_ids(org_ids: set[int]) -> set[int]:
    """Who trains at these training institutions (exams' trainee source for applications by a
    training institution)."""
    return set().union(*trainees_by_provider(set(org_ids)).values()) if org_ids else set()


def hours_by_person(user_ids, *, since: dt.date) -> dict[int, dict]:
    """Per person: 学时 of all training records (``total``), of those ended on or after ``since``
    (``recent``), and the end date of their first record (``first_end``). One query."""
    from django.db.models import Min

    rows = (TrainingRecord.objects.filter(person_id__in=list(user_ids)).values("person_id")
            .annotate(total=Sum("hours"), recent=Sum("hours", filter=Q(end_date__gte=since)), first_end=Min("end_date")))
    return {r["person_id"]: {"total": Decimal(r["total"] or 0), "recent": Decimal(r["recent"] or 0),
                             "first_end": r["first_end"]} for r in rows}
