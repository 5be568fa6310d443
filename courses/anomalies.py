"""Anomalies in online study a bureau can act on, computed from the trail (``StudyInterval``) and the
identity checks (``StudyCheck``) of a period:

- ``two_devices``: the study moved between pages of different browsers or addresses within
  ``TAKEOVER_MINUTES`` (a lease taken over by another device while the first was still studying);
- ``uninterrupted``: one credited stretch without any pause for ``UNINTERRUPTED_HOURS`` or more
  (beats arriving like clockwork for hours: the trail merges contiguous beats, so an unbroken
  stretch that long is the machine-like regularity);
- ``failed_checks``: identity checks failed or rejected by a reviewer;
- ``too_fast``: a lesson finished in less wall-clock time than its minimum study time
  (first interval of the lesson to its completion).

``flags_for`` is the one implementation of these rules. The daily job
(``courses.tasks.record_study_anomalies``) runs it over everyone who studied in the month (and, on
the first of a month, the month before) and records one ``StudyAnomalyMonth`` row per person
(``record_month``, idempotent); the bureau's pages (``anomaly_overview``, ``institution_evidence``)
read those rows for the people in the viewer's scope, so they stay cheap at city scale and show
the figures as of the last run.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

TAKEOVER_MINUTES = 5
UNINTERRUPTED_HOURS = 3

KINDS = {
    "two_devices": _("多设备同时学习"),
    "uninterrupted": _("长时间无间断计时"),
    "failed_checks": _("人脸核验未通过"),
    "too_fast": _("课时完成快于课程内容"),
}


@dataclass
class PersonFlags:
    user_id: int
    flags: dict = field(default_factory=lambda: defaultdict(int))
    providers: set = field(default_factory=set)

    @property
    def total(self) -> int:
        return sum(self.flags.values())


def flags_for(user_ids, *, since: dt.datetime, until: dt.datetime) -> dict[int, PersonFlags]:
    """Per person (only those with study in the period): the count of each anomaly, and the
    training institutions (``Course.provider``) of the courses they studied."""
    from .models import LessonProgress, StudyCheck, StudyInterval

    out: dict[int, PersonFlags] = {}
    rows = (StudyInterval.objects.filter(user_id__in=user_ids, started_at__gte=since, started_at__lt=until)
            .values("user_id", "lesson_id", "lesson__min_minutes", "lesson__course__provider_id", "token",
                    "started_at", "ended_at", "seconds", "credited", "ip", "user_agent")
            .order_by("user_id", "started_at", "id"))
    prev = None
    first_on_lesson: dict[tuple[int, int], dt.datetime] = {}
    for r in rows:
        person = out.setdefault(r["user_id"], PersonFlags(r["user_id"]))
        if r["lesson__course__provider_id"]:
            person.providers.add(r["lesson__course__provider_id"])
        key = (r["user_id"], r["lesson_id"])
        first_on_lesson.setdefault(key, r["started_at"])
        if (prev is not None and prev["user_id"] == r["user_id"] and prev["token"] != r["token"]
                and (prev["user_agent"] != r["user_agent"] or prev["ip"] != r["ip"])
                and r["started_at"] - prev["ended_at"] <= dt.timedelta(minutes=TAKEOVER_MINUTES)):
            person.flags["two_devices"] += 1
        if r["credited"] and r["ended_at"] - r["started_at"] >= dt.timedelta(hours=UNINTERRUPTED_HOURS):
            person.flags["uninterrupted"] += 1
        prev = r
    for p in (LessonProgress.objects.filter(user_id__in=list(out), completed_at__gte=since, completed_at__lt=until)
              .values("user_id", "lesson_id", "lesson__min_minutes", "completed_at")):
        start = first_on_lesson.get((p["user_id"], p["lesson_id"]))
        if start is not None and p["completed_at"] - start < dt.timedelta(minutes=p["lesson__min_minutes"]):
            out[p["user_id"]].flags["too_fast"] += 1
    for c in (StudyCheck.objects.filter(user_id__in=user_ids, taken_at__gte=since, taken_at__lt=until,
                                        status__in=[StudyCheck.Status.FAILED, StudyCheck.Status.REJECTED])
              .values("user_id", "lesson__course__provider_id")):
        person = out.setdefault(c["user_id"], PersonFlags(c["user_id"]))
        person.flags["failed_checks"] += 1
        if c["lesson__course__provider_id"]:
            person.providers.add(c["lesson__course__provider_id"])
    return out


RECORD_BATCH = 1000


def month_bounds(first: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month starting on ``first`` as aware datetimes [start, next month's start) in Asia/Shanghai."""
    from django.utils import timezone

    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    tz = timezone.get_default_timezone()
    return dt.datetime.combine(first, dt.time(), tz), dt.datetime.combine(nxt, dt.time(), tz)


def record_month(first: dt.date) -> int:
    """Recompute and store the month's flags of everyone who studied online (or failed a check) in it;
    rows of people no longer active that month are removed. Idempotent. Returns the rows written."""
    from django.db import transaction
    from django.utils import timezone

    from .models import StudyAnomalyMonth, StudyCheck, StudyInterval

    first = first.replace(day=1)
    since, until = month_bounds(first)
    active = set(StudyInterval.objects.filter(started_at__gte=since, started_at__lt=until)
                 .values_list("user_id", flat=True).distinct())
    active |= set(StudyCheck.objects.filter(taken_at__gte=since, taken_at__lt=until,
                                            status__in=[StudyCheck.Status.FAILED, StudyCheck.Status.REJECTED])
                  .values_list("user_id", flat=True).distinct())
    ids = sorted(active)
    now = timezone.now()
    written = 0
    for start in range(0, len(ids), RECORD_BATCH):
        flags = flags_for(ids[start:start + RECORD_BATCH], since=since, until=until)
        rows = [StudyAnomalyMonth(user_id=uid, month=first, providers=sorted(pf.providers), computed_at=now,
                                  **{kind: pf.flags.get(kind, 0) for kind in KINDS})
                for uid, pf in flags.items()]
        with transaction.atomic():
            StudyAnomalyMonth.objects.bulk_create(
                rows, update_conflicts=True, unique_fields=["month", "user"],
                update_fields=[*KINDS, "providers", "computed_at"])
        written += len(rows)
    gone = sorted(set(StudyAnomalyMonth.objects.filter(month=first).values_list("user_id", flat=True)) - active)
    for start in range(0, len(gone), RECORD_BATCH):
        StudyAnomalyMonth.objects.filter(month=first, user_id__in=gone[start:start + RECORD_BATCH]).delete()
    return written


def recorded_rows(viewer, *, month: dt.date):
    """The month's ``StudyAnomalyMonth`` rows of the people in the viewer's scope (a queryset)."""
    from accounts.selectors import people_visible_to

    from .models import StudyAnomalyMonth

    return StudyAnomalyMonth.objects.filter(month=month.replace(day=1),
                                            user_id__in=people_visible_to(viewer).values("pk"))


def recorded_flags(viewer, *, month: dt.date) -> tuple[dict[int, PersonFlags], dt.datetime | None]:
    """The recorded flags of the month for the people in the viewer's scope, and when they were computed
    (None when the daily job has recorded nothing for that month)."""
    out: dict[int, PersonFlags] = {}
    computed_at = None
    for r in recorded_rows(viewer, month=month).values("user_id", "providers", "computed_at", *KINDS):
        pf = PersonFlags(r["user_id"], providers=set(r["providers"] or []))
        for kind in KINDS:
            if r[kind]:
                pf.flags[kind] = r[kind]
        out[r["user_id"]] = pf
        if computed_at is None or r["computed_at"] > computed_at:
            computed_at = r["computed_at"]
    return out, computed_at


def recorded_at(month: dt.date) -> dt.datetime | None:
    """When the daily job last recorded the month (None: not yet)."""
    from django.db.models import Max

    from .models import StudyAnomalyMonth

    return StudyAnomalyMonth.objects.filter(month=month.replace(day=1)).aggregate(at=Max("computed_at"))["at"]


def anomaly_overview(viewer, *, since: dt.datetime, until: dt.datetime) -> dict:
    """For a bureau page: per training institution and per enterprise, the people studying in the
    month starting at ``since``, how many of them are flagged, and the flagged people (drill-down);
    from the rows the daily job recorded."""
    from accounts.models import Membership, Organization, OrgKind, User

    month = timezone_date(since).replace(day=1)
    flags, computed_at = recorded_flags(viewer, month=month)
    people = {u.pk: u for u in User.objects.filter(pk__in=[u for u, pf in flags.items() if pf.total])
              .only("pk", "username", "real_name")}
    employers = defaultdict(set)
    learners = recorded_rows(viewer, month=month).values("user_id")
    for uid, org_id in (Membership.objects.filter(user_id__in=learners, is_active=True,
                                                  organization__kind=OrgKind.ENTERPRISE)
                        .values_list("user_id", "organization_id")):
        if uid in flags:  # a row recorded between the two reads waits for the next page view
            employers[org_id].add(uid)
    providers = defaultdict(set)
    for uid, pf in flags.items():
        for pid in pf.providers:
            providers[pid].add(uid)
    orgs = Organization.objects.in_bulk(set(employers) | set(providers))

    def group(members: dict) -> list[dict]:
        out = []
        for org_id, uids in members.items():
            flagged = [flags[u] for u in uids if flags[u].total]
            counts = defaultdict(int)
            for pf in flagged:
                for k, n in pf.flags.items():
                    counts[k] += n
            out.append({"org": orgs.get(org_id), "learners": len(uids), "flagged": len(flagged),
                        "rate": round(100 * len(flagged) / len(uids)) if uids else 0,
                        "counts": [(KINDS[k], counts.get(k, 0)) for k in KINDS],
                        "people": sorted(({"user": people[pf.user_id], "flags": [(KINDS[k], pf.flags.get(k, 0))
                                                                                 for k in KINDS]}
                                          for pf in flagged), key=lambda p: p["user"].pk)})
        return sorted(out, key=lambda g: (-g["flagged"], str(g["org"])))

    return {"providers": group(providers), "enterprises": group(employers), "kinds": list(KINDS.values()),
            "computed_at": computed_at}


def _rate(part: int, whole: int):
    from decimal import Decimal

    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1")) if whole else None


def institution_evidence(viewer, *, since: dt.datetime, until: dt.datetime) -> list[dict]:
    """Evidence for the bureau, per training institution for the period: learners (people in the
    viewer's scope who studied its courses), credited hours, identity-check failures, anomaly rate,
    and the theory and practical pass rates of its trainees in exams of the period; marked for
    inspection where a figure crosses the ``InspectionThreshold`` in force."""
    from django.db.models import Count, Q, Sum

    from accounts.models import Organization
    from accounts.selectors import people_visible_to
    from exams.models import Attempt, PracticalResult

    from .hours import hours_from_seconds_any
    from .models import InspectionThreshold, StudyCheck, StudyInterval
    from .selectors import trainees_by_provider

    scope = set(people_visible_to(viewer).values_list("pk", flat=True))
    flags, _computed_at = recorded_flags(viewer, month=timezone_date(since))
    learners: dict[int, set] = defaultdict(set)
    for uid, pf in flags.items():
        for pid in pf.providers:
            learners[pid].add(uid)
    seconds = defaultdict(lambda: defaultdict(int))
    for row in (StudyInterval.objects.filter(user_id__in=scope, started_at__gte=since, started_at__lt=until,
                                             credited=True, lesson__course__provider__isnull=False)
                .values("lesson__course__provider_id", "lesson__course__minutes_per_hour")
                .annotate(s=Sum("seconds"))):
        seconds[row["lesson__course__provider_id"]][row["lesson__course__minutes_per_hour"]] += row["s"]
    checks = {r["lesson__course__provider_id"]: r for r in (
        StudyCheck.objects.filter(user_id__in=scope, taken_at__gte=since, taken_at__lt=until,
                                  lesson__course__provider__isnull=False)
        .values("lesson__course__provider_id")
        .annotate(n=Count("id"), bad=Count("id", filter=Q(status__in=["failed", "rejected"]))))}
    threshold = (InspectionThreshold.objects.filter(effective_from__lte=timezone_date(since))
                 .order_by("-effective_from").first())
    orgs = Organization.objects.in_bulk(list(learners))
    # exam results of every trainee in scope, fetched once and counted per institution below
    trainees = {pid: people & scope for pid, people in trainees_by_provider(set(learners)).items()}
    everyone = set().union(*trainees.values()) if trainees else set()
    in_period = {"registration__candidate_id__in": everyone, "registration__session__starts_at__gte": since,
                 "registration__session__starts_at__lt": until}
    theory: dict[int, tuple[int, bool, bool]] = {}  # registration → (candidate, sat, passed)
    for reg_id, cand, status, passed in (Attempt.objects.filter(mode=Attempt.Mode.EXAM, **in_period)
                                         .values_list("registration_id", "registration__candidate_id", "status", "passed")):
        _c, sat_before, passed_before = theory.get(reg_id, (cand, False, False))
        theory[reg_id] = (cand, sat_before or status == Attempt.Status.GRADED, passed_before or bool(passed))
    practical_rows = list(PracticalResult.objects.filter(**in_period).values_list("registration__candidate_id", "passed"))
    out = []
    for pid, uids in learners.items():
        mine = trainees.get(pid, set())
        sat = [ok for cand, was_sat, ok in theory.values() if cand in mine and was_sat]
        theory_total, theory_passed = len(sat), sum(1 for ok in sat if ok)
        practical = [ok for cand, ok in practical_rows if cand in mine]
        p_total, p_passed = len(practical), sum(1 for ok in practical if ok)
        flagged = sum(1 for u in uids if flags[u].total)
        c = checks.get(pid, {"n": 0, "bad": 0})
        row = {"org": orgs.get(pid), "learners": len(uids),
               "hours": hours_from_seconds_any(seconds[pid]), "checks": c["n"], "check_failures": c["bad"],
               "check_failure_rate": _rate(c["bad"], c["n"]), "anomaly_rate": _rate(flagged, len(uids)),
               "theory": (theory_passed, theory_total, _rate(theory_passed, theory_total)),
               "practical": (p_passed, p_total, _rate(p_passed, p_total)), "reasons": []}
        if threshold is not None:
            t = threshold
            if t.max_anomaly_rate is not None and row["anomaly_rate"] is not None and row["anomaly_rate"] > t.max_anomaly_rate:
                row["reasons"].append(_("异常学员比例超过上限"))
            if (t.max_check_failure_rate is not None and row["check_failure_rate"] is not None
                    and row["check_failure_rate"] > t.max_check_failure_rate):
                row["reasons"].append(_("人脸核验未通过比例超过上限"))
            if t.min_theory_pass_rate is not None and row["theory"][2] is not None and row["theory"][2] < t.min_theory_pass_rate:
                row["reasons"].append(_("学员理论考试合格率低于下限"))
            if (t.min_practical_pass_rate is not None and row["practical"][2] is not None
                    and row["practical"][2] < t.min_practical_pass_rate):
                row["reasons"].append(_("学员实操考试合格率低于下限"))
        out.append(row)
    return sorted(out, key=lambda r: (-len(r["reasons"]), str(r["org"])))


def timezone_date(moment: dt.datetime) -> dt.date:
    from django.utils import timezone

    return timezone.localtime(moment).date()
