"""Writes for courses: enrolment, assignment rules, study-time heartbeats, completion, offline training."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from accounts.models import Membership, Organization, region_prefix
from accounts.roles import OrgKind

from .models import (
    AssignmentRule,
    Course,
    Enrolment,
    Lesson,
    LessonProgress,
    OfflineAttendance,
    OfflineSession,
    StudyInterval,
    StudyLease,
    TrainingRecord,
)

# Heartbeat accounting (technical parameters, not regulation): the page beats every INTERVAL seconds
# while visible and recently used; one beat credits at most CAP seconds; a gap longer than GAP
# seconds (hidden tab, idle user, closed laptop) credits nothing.
HEARTBEAT_INTERVAL = getattr(settings, "COURSES_HEARTBEAT_INTERVAL", 30)
HEARTBEAT_CAP = getattr(settings, "COURSES_HEARTBEAT_CAP", 40)
HEARTBEAT_GAP = getattr(settings, "COURSES_HEARTBEAT_GAP", 65)
IDLE_SECONDS = getattr(settings, "COURSES_IDLE_SECONDS", 90)
# A passed check at the start of study stays good this long when the rule has no interval.
START_CHECK_VALID = getattr(settings, "COURSES_START_CHECK_VALID", 4 * 3600)


# ---------------------------------------------------------------- enrolment and assignment rules

def _cycle_for(course: Course, due: dt.date | None) -> str:
    if course.renewal_months:
        return str((due or timezone.localdate()).year)
    return ""


def rule_due_date(rule: AssignmentRule, today: dt.date | None = None) -> dt.date | None:
    """The rule's deadline. People who match on a later day than the rule was made get
    ``due_in_days`` from then, never earlier than the rule's own deadline."""
    today = today or timezone.localdate()
    due = rule.due_date
    created = timezone.localtime(rule.created_at).date() if rule.created_at else today
    if rule.due_in_days and (due is None or today > created):
        later = today + dt.timedelta(days=rule.due_in_days)
        due = max(due, later) if due else later
    return due


def rule_memberships(rule: AssignmentRule):
    """Active enterprise memberships a rule targets, limited to what its issuer governs."""
    qs = Membership.objects.filter(
        is_active=True, organization__is_active=True, organization__kind=OrgKind.ENTERPRISE
    )
    issuer = rule.issuer
    if issuer.kind == OrgKind.BUREAU:
        qs = qs.filter(organization__region__code__startswith=region_prefix(issuer.region_id))
    elif issuer.kind == OrgKind.ENTERPRISE:
        qs = qs.filter(organization_id=issuer.pk)
    else:
        return qs.none()
    if rule.roles:
        qs = qs.filter(role__in=rule.roles)
    if rule.region_prefix:
        qs = qs.filter(organization__region__code__startswith=rule.region_prefix)
    if rule.organization_id:
        qs = qs.filter(organization_id=rule.organization_id)
    if rule.joined_since:
        qs = qs.filter(Q(since__gte=rule.joined_since) | Q(since__isnull=True, created_at__date__gte=rule.joined_since))
    industry_ids = [i.pk for i in rule.industries.all()]
    if industry_ids:
        qs = qs.filter(organization__industry_id__in=industry_ids)
    tag_ids = [t.pk for t in rule.hazard_tags.all()]
    if tag_ids:
        qs = qs.filter(organization__hazard_tags__in=tag_ids)
    return qs


def rule_sync(*, rule: AssignmentRule, user_ids=None, organization_ids=None, today: dt.date | None = None) -> int:
    """Create the missing enrolments for everyone the rule matches (optionally only among some people
    or enterprises). Idempotent: running it twice creates nothing the second time."""
    if not rule.is_active or not rule.course.is_published:
        return 0
    qs = rule_memberships(rule)
    if user_ids is not None:
        qs = qs.filter(user_id__in=list(user_ids))
    if organization_ids is not None:
        qs = qs.filter(organization_id__in=list(organization_ids))
    matched = set(qs.values_list("user_id", flat=True).distinct())
    if not matched:
        return 0
    due = rule_due_date(rule, today)
    cycle = _cycle_for(rule.course, due)
    existing = set(
        Enrolment.objects.filter(course_id=rule.course_id, cycle=cycle, user_id__in=matched)
        .values_list("user_id", flat=True)
    )
    new = [
        Enrolment(user_id=uid, course_id=rule.course_id, cycle=cycle, rule=rule, due_date=due)
        for uid in sorted(matched - existing)
    ]
    Enrolment.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def rules_sync(*, user_ids=None, organization_ids=None) -> int:
    created = 0
    for rule in AssignmentRule.objects.filter(is_active=True).select_related("issuer", "course").prefetch_related(
        "industries", "hazard_tags"
    ):
        created += rule_sync(rule=rule, user_ids=user_ids, organization_ids=organization_ids)
    return created


def rule_issuer_allowed(*, actor, issuer: Organization) -> bool:
    from accounts.roles import BUREAU_ROLES, ENTERPRISE_MANAGERS
    from accounts.selectors import has_role

    if actor.is_superuser:
        return True
    if issuer.kind == OrgKind.BUREAU:
        return has_role(actor, *BUREAU_ROLES, organization=issuer)
    if issuer.kind == OrgKind.ENTERPRISE:
        return has_role(actor, *ENTERPRISE_MANAGERS, organization=issuer)
    return False


@transaction.atomic
def rule_create(
    *,
    actor,
    issuer: Organization,
    course: Course,
    name: str,
    roles: list[str] | None = None,
    industries=(),
    hazard_tags=(),
    region_prefix_value: str = "",
    organization: Organization | None = None,
    due_date: dt.date | None = None,
    due_in_days: int | None = None,
    joined_since: dt.date | None = None,
) -> AssignmentRule:
    if not rule_issuer_allowed(actor=actor, issuer=issuer):
        raise PermissionDenied(_("您无权以该单位名义发布培训指派规则。"))
    if issuer.kind == OrgKind.BUREAU and region_prefix_value and not region_prefix_value.startswith(
        region_prefix(issuer.region_id)
    ):
        raise ValidationError({"region_prefix": _("地区超出本局辖区。")})
    if issuer.kind == OrgKind.ENTERPRISE:
        organization = issuer
        region_prefix_value = ""
    rule = AssignmentRule(
        name=name, course=course, issuer=issuer, roles=list(roles or []), region_prefix=region_prefix_value,
        organization=organization, due_date=due_date, due_in_days=due_in_days, joined_since=joined_since,
        created_by=actor,
    )
    rule.full_clean()
    rule.save()
    rule.industries.set(industries)
    rule.hazard_tags.set(hazard_tags)
    audit_record(actor=actor, action="course_rule.create", target=rule,
                 after={"course": course.code, "issuer": issuer.name, "roles": rule.roles,
                        "region_prefix": region_prefix_value, "due_date": due_date})
    from .tasks import sync_rule

    rule_id = rule.pk
    transaction.on_commit(lambda: sync_rule.delay(rule_id))
    return rule


@transaction.atomic
def rule_deactivate(*, actor, rule: AssignmentRule) -> None:
    if not rule_issuer_allowed(actor=actor, issuer=rule.issuer):
        raise PermissionDenied(_("您无权修改该规则。"))
    if rule.is_active:
        rule.is_active = False
        rule.save(update_fields=["is_active"])
        audit_record(actor=actor, action="course_rule.deactivate", target=rule, before={"is_active": True},
                     after={"is_active": False})


def enrol_self(*, user, course: Course) -> Enrolment:
    """A learner joins an optional published course themself (no due date)."""
    if not course.is_published:
        raise ValidationError(_("课程未发布。"))
    cycle = _cycle_for(course, None)
    enrolment, _created = Enrolment.objects.get_or_create(user=user, course=course, cycle=cycle)
    return enrolment


# ---------------------------------------------------------------- study time

@dataclass
class Beat:
    status: str  # started | counted | gap | inactive | taken_over
    credited: int
    seconds: int
    min_seconds: int
    lesson_done: bool
    course_done: bool
    reason: str = ""  # why (part of) this beat was not credited: a StudyInterval.Reason value
    check_due: bool = False  # the page should take a still for an identity check now

    @property
    def reason_label(self) -> str:
        return str(StudyInterval.Reason(self.reason).label) if self.reason else ""


def new_study_token() -> str:
    return secrets.token_urlsafe(18)


def _active_enrolment(user, course_id: int) -> Enrolment | None:
    return (
        Enrolment.objects.filter(user=user, course_id=course_id)
        .exclude(status=Enrolment.Status.WITHDRAWN)
        .order_by("status", "-enrolled_at")  # active before completed
        .first()
    )


def study_rule_of(user, on: dt.date | None = None):
    """The online-study rule (catalogue) for this person: their enterprise's region, their population."""
    from catalogue.models import Population, StudyRule

    from .selectors import population_of

    employer = _employer(user)
    population = population_of(user) or Population.WORKER
    return StudyRule.for_person(region_code=employer.region_id if employer else "", population=population, on=on)


def _lease_for_new_page(lease: StudyLease, *, user, today: dt.date) -> None:
    """A lease starts or moves to another page: look up the rule it is held to, and today's total."""
    from django.db.models import Sum

    from .checks import last_good_check_at

    rule = study_rule_of(user, today)
    lease.daily_cap_seconds = rule.daily_cap_seconds
    lease.check_at_start = rule.check_at_start
    lease.check_interval = rule.check_interval_minutes * 60
    lease.match_threshold = rule.match_threshold
    if lease.check_at_start or lease.check_interval:
        lease.checked_at = last_good_check_at(user, within=lease.check_interval or START_CHECK_VALID)
    if lease.day != today:
        lease.day = today
        lease.day_credited = (StudyInterval.objects.filter(user=user, day=today, credited=True)
                              .aggregate(s=Sum("seconds"))["s"] or 0)
    lease.interval = None


def _trail(lease: StudyLease, *, user, lesson: Lesson, since: dt.datetime, now: dt.datetime, seconds: int,
           credited: bool, reason: str, ip: str | None, user_agent: str) -> None:
    """Write one stretch into the study trail: extend the lease's current row when it continues it
    with the same outcome (one UPDATE), else start a new row."""
    day = timezone.localdate(now)
    if lease.interval_id and StudyInterval.objects.filter(
            pk=lease.interval_id, credited=credited, reason=reason, ended_at=since, day=day, lesson=lesson,
    ).update(seconds=F("seconds") + seconds, ended_at=now):
        return
    lease.interval = StudyInterval.objects.create(
        user=user, lesson=lesson, token=lease.token, day=day, started_at=since, ended_at=now, seconds=seconds,
        credited=credited, reason=reason, ip=ip or None, user_agent=(user_agent or "")[:200])


def _relaxed_commit() -> None:
    """Study beats are written without waiting for the write-ahead log to reach the disk
    (PostgreSQL's ``synchronous_commit = off``, for this transaction only): a crash of the database
    server can lose the last fraction of a second of beats — a few seconds of study time that the
    next beat does not credit — but never leaves the lease, trail and progress inconsistent, since
    the transaction still commits or vanishes as a whole. Exam answers, certificates and every other
    write keep the durable default."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def study_heartbeat(*, user, lesson: Lesson, token: str, visible: bool = True, active: bool = True,
                    now: dt.datetime | None = None, ip: str | None = None, user_agent: str = "") -> Beat:
    """Credit study time measured on the server, and keep the study trail.

    The credit is the time since the previous accepted beat of the same page, at most
    ``HEARTBEAT_CAP``; a gap longer than ``HEARTBEAT_GAP`` credits nothing. One lease per person: a
    beat from another page (other tab, other lesson, forged token) takes the lease over and is
    credited nothing, so the total credited never exceeds the wall-clock time. Durations the client
    sends are never read. Time beyond the day's cap of the person's study rule (catalogue) or the
    lesson's own cap is written to the trail as not credited, with the reason."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    token = (token or "")[:64]
    if not token:
        raise ValidationError(_("缺少学习会话标识。"))
    enrolment = _active_enrolment(user, lesson.course_id)
    if enrolment is None:
        raise PermissionDenied(_("您未参加该课程。"))
    measured = 0  # seconds of this beat that were study on this page (credited or not)
    reason = ""
    with transaction.atomic():
        _relaxed_commit()
        lease = StudyLease.objects.select_for_update().filter(user=user).first()
        if lease is None:
            try:
                with transaction.atomic():
                    lease = StudyLease(user=user, token=token, lesson=lesson, last_beat_at=now, started_at=now)
                    _lease_for_new_page(lease, user=user, today=today)
                    lease.save(force_insert=True)
                status = "started"
                since = now
            except IntegrityError:
                lease = StudyLease.objects.select_for_update().get(user=user)
                status = ""
        else:
            status = ""
        if status != "started":
            since = lease.last_beat_at
            if lease.token != token or lease.lesson_id != lesson.pk:
                status = "taken_over"
                lease.token, lease.lesson, lease.started_at = token, lesson, now
                _lease_for_new_page(lease, user=user, today=today)
            else:
                elapsed = (now - lease.last_beat_at).total_seconds()
                if elapsed < 0 or elapsed > HEARTBEAT_GAP:
                    status = "gap"
                    lease.interval = None
                elif not (visible and active):
                    status = "inactive"
                    measured, reason = int(min(elapsed, HEARTBEAT_CAP)), StudyInterval.Reason.INACTIVE
                else:
                    status = "counted"
                    measured = int(min(elapsed, HEARTBEAT_CAP))
            if lease.day != today:
                lease.day, lease.day_credited = today, 0
        progress, _c = LessonProgress.objects.get_or_create(user=user, lesson=lesson)
        credited = 0
        check_due = check_is_due(lease, now)
        if status == "counted" and lease.pending_check_id:
            reason = StudyInterval.Reason.IDENTITY_PENDING
        elif status == "counted" and check_due:
            reason = StudyInterval.Reason.IDENTITY_DUE
        elif status == "counted":
            credited = measured
            if lease.daily_cap_seconds is not None and lease.day_credited + credited > lease.daily_cap_seconds:
                credited = max(0, lease.daily_cap_seconds - lease.day_credited)
                reason = StudyInterval.Reason.DAILY_CAP
            if progress.seconds + credited > lesson.cap_seconds:
                credited = max(0, lesson.cap_seconds - progress.seconds)
                reason = reason or StudyInterval.Reason.LESSON_CAP
        if credited:
            _trail(lease, user=user, lesson=lesson, since=since, now=now, seconds=credited, credited=True,
                   reason="", ip=ip, user_agent=user_agent)
        if measured - credited > 0:
            _trail(lease, user=user, lesson=lesson, since=since + dt.timedelta(seconds=credited), now=now, seconds=measured - credited,
                   credited=False, reason=reason, ip=ip, user_agent=user_agent)
        lease.day_credited += credited
        lease.last_beat_at = now
        lease.save(update_fields=["token", "lesson", "started_at", "last_beat_at", "interval", "day",
                                  "day_credited", "daily_cap_seconds", "check_at_start", "check_interval",
                                  "match_threshold", "checked_at"])
        progress.seconds += credited
        lesson_done = progress.seconds >= lesson.min_seconds
        fields = ["seconds", "updated_at"] if credited else []
        if lesson_done and progress.completed_at is None:
            progress.completed_at = now
            fields += ["completed_at", "updated_at"]
        if fields:  # nothing to write when the beat credited nothing
            progress.save(update_fields=sorted(set(fields)))
    course_done = enrolment.status == Enrolment.Status.COMPLETED
    if lesson_done and not course_done and "completed_at" in fields:
        course_done = enrolment_try_complete(enrolment=enrolment) is not None
    return Beat(status, credited, progress.seconds, lesson.min_seconds, lesson_done, course_done,
                reason if measured - credited > 0 else "", check_due)


def check_is_due(lease: StudyLease, now: dt.datetime) -> bool:
    """Whether the study rule wants an identity check before more time counts."""
    if lease.pending_check_id or not (lease.check_at_start or lease.check_interval):
        return False
    last = lease.checked_at
    if last is None:
        if lease.check_at_start:
            return True
        last = lease.started_at
    return bool(lease.check_interval) and (now - last).total_seconds() >= lease.check_interval


# ---------------------------------------------------------------- completion and records

def _employer(user) -> Organization | None:
    m = (
        Membership.objects.filter(user=user, is_active=True, organization__kind=OrgKind.ENTERPRISE)
        .select_related("organization").order_by("pk").first()
    )
    return m.organization if m else None


def enrolment_try_complete(*, enrolment: Enrolment, today: dt.date | None = None) -> TrainingRecord | None:
    """Complete the enrolment when every lesson's minimum time is met and the practice threshold is
    reached; creates the training record. Returns the record, or None when not (yet) complete."""
    from .selectors import enrolment_status

    if enrolment.status == Enrolment.Status.COMPLETED:
        return getattr(enrolment, "record", None)
    status = enrolment_status(enrolment)
    if not status.complete:
        return None
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if locked.status == Enrolment.Status.COMPLETED:
            return TrainingRecord.objects.filter(enrolment=locked).first()
        course = locked.course
        start = min(timezone.localtime(locked.enrolled_at).date(), today)
        record = TrainingRecord.objects.create(
            person_id=locked.user_id, course=course, hours=course.required_hours, start_date=start,
            end_date=today, source=TrainingRecord.Source.ONLINE, enrolment=locked,
            organization=_employer(locked.user), requirement=course.requirement,
            minutes_per_hour=course.minutes_per_hour,
        )
        locked.status = Enrolment.Status.COMPLETED
        locked.completed_at = timezone.now()
        locked.save(update_fields=["status", "completed_at"])
        audit_record(actor=locked.user, action="course.complete", target=record,
                     after={"course": course.code, "hours": record.hours, "source": "online"})
    enrolment.status, enrolment.completed_at = locked.status, locked.completed_at
    return record


def _complete_enrolment_by_record(record: TrainingRecord) -> None:
    enrolment = (
        Enrolment.objects.filter(user_id=record.person_id, course_id=record.course_id, status=Enrolment.Status.ACTIVE)
        .filter(record__isnull=True).order_by("due_date").first()
    )
    if enrolment is not None:
        enrolment.status = Enrolment.Status.COMPLETED
        enrolment.completed_at = timezone.now()
        enrolment.save(update_fields=["status", "completed_at"])
        record.enrolment = enrolment
        record.save(update_fields=["enrolment"])


@transaction.atomic
def offline_session_create(*, actor, provider: Organization, course: Course, title: str, location: str,
                           start_date: dt.date, end_date: dt.date, hours: Decimal) -> OfflineSession:
    from accounts.roles import Role
    from accounts.selectors import has_role

    if not (actor.is_superuser or has_role(actor, Role.INSTRUCTOR, organization=provider)):
        raise PermissionDenied(_("只有本机构培训讲师可以登记线下培训。"))
    session = OfflineSession(course=course, provider=provider, instructor=actor, title=title, location=location,
                             start_date=start_date, end_date=end_date, hours=hours)
    session.full_clean()
    session.save()
    audit_record(actor=actor, action="offline_session.create", target=session,
                 after={"course": course.code, "hours": hours, "start": start_date, "end": end_date})
    return session


@dataclass
class AttendanceRow:
    person_id: int
    present: bool
    hours: Decimal
    note: str = ""


@transaction.atomic
def offline_attendance_record(*, actor, session: OfflineSession, rows: list[AttendanceRow]) -> int:
    """Store attendance; everyone present gets (or keeps) one training record for the session.
    Rows are validated before (see ``courses.imports``); this writes all of them or none."""
    count = 0
    for row in rows:
        OfflineAttendance.objects.update_or_create(
            session=session, person_id=row.person_id,
            defaults={"present": row.present, "hours": row.hours if row.present else Decimal("0"), "note": row.note},
        )
        existing = TrainingRecord.objects.filter(offline_session=session, person_id=row.person_id).first()
        if row.present and row.hours > 0:
            if existing:
                if existing.hours != row.hours:
                    existing.hours = row.hours
                    existing.save(update_fields=["hours"])
            else:
                from accounts.models import User

                record = TrainingRecord.objects.create(
                    person_id=row.person_id, course=session.course, hours=row.hours, start_date=session.start_date,
                    end_date=session.end_date, source=TrainingRecord.Source.OFFLINE, offline_session=session,
                    organization=_employer(User(pk=row.person_id)), requirement=session.course.requirement,
                    minutes_per_hour=session.course.minutes_per_hour,
                )
                _complete_enrolment_by_record(record)
            count += 1
        elif existing and existing.enrolment_id is None:
            existing.delete()
    audit_record(actor=actor, action="offline_session.attendance", target=session,
                 after={"rows": len(rows), "present": count})
    return count


def active_q() -> Q:
    return Q(status=Enrolment.Status.ACTIVE)


def study_hour_requirements_ensure_shipped() -> None:
    """Put back the study-hour requirements this app's data migration ships (0002) under their
    training rule version, where a flushed or freshly synced database lacks them. Idempotent."""
    import importlib
    from decimal import Decimal

    from catalogue.models import RuleVersion, StudyHourRequirement

    shipped = importlib.import_module("courses.migrations.0002_requirements")
    version, _ = RuleVersion.objects.get_or_create(
        code="training-2015", defaults={"scope": RuleVersion.Scope.TRAINING, "name": shipped.VERSION,
                                        "document": shipped.VERSION, "effective_from": shipped.FROM})
    for population, kind, high_risk, hours, verified, note in shipped.ROWS:
        StudyHourRequirement.objects.get_or_create(
            population=population, kind=kind, high_risk=high_risk, effective_from=shipped.FROM,
            defaults={"rule_version": version, "hours": Decimal(hours), "minutes_per_hour": 45,
                      "verified": verified, "note": note})
