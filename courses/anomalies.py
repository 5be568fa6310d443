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


def anomaly_overview(viewer, *, since: dt.datetime, until: dt.datetime) -> dict:
    """For a bureau page: per training institution and per enterprise, the people studying in the
    period, how many of them are flagged, and the flagged people (drill-down)."""
    from accounts.models import Membership, Organization, OrgKind
    from accounts.selectors import people_visible_to

    people = {u.pk: u for u in people_visible_to(viewer).only("pk", "username", "real_name")}
    flags = flags_for(list(people), since=since, until=until)
    employers = defaultdict(set)
    for uid, org_id in (Membership.objects.filter(user_id__in=list(flags), is_active=True,
                                                  organization__kind=OrgKind.ENTERPRISE)
                        .values_list("user_id", "organization_id")):
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

    return {"providers": group(providers), "enterprises": group(employers), "kinds": list(KINDS.values())}


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
    from exams.models import Attempt, PracticalResult, Registration

    from .hours import hours_from_seconds_any
    from .models import InspectionThreshold, StudyCheck, StudyInterval
    from .selectors import trainee_ids

    scope = set(people_visible_to(viewer).values_list("pk", flat=True))
    flags = flags_for(list(scope), since=since, until=until)
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
    out = []
    for pid, uids in learners.items():
        trainees = trainee_ids({pid}) & scope
        regs = Registration.objects.filter(candidate_id__in=trainees, session__starts_at__gte=since,
                                           session__starts_at__lt=until)
        sat = regs.filter(attempts__mode=Attempt.Mode.EXAM, attempts__status=Attempt.Status.GRADED).distinct()
        theory_total = sat.count()
        theory_passed = sat.filter(attempts__passed=True, attempts__mode=Attempt.Mode.EXAM).distinct().count()
        practical = PracticalResult.objects.filter(registration__in=regs)
        p_total, p_passed = practical.count(), practical.filter(passed=True).count()
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
