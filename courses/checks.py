"""Identity checks during online study.

The study rule (catalogue ``StudyRule``) says whether a check is needed at the start of study and
every N minutes. The lesson page takes a still from the camera; ``check_submit`` compares it with the
person's verified portrait (``core.faces``):

- same person → the check passes and time counts again;
- another person, or no face → the check fails: the study time credited since the last good check is
  taken back ("人脸核验未通过"), and a new check is due at once;
- the matcher is unsure or not installed, or there is no verified portrait → the still waits in the
  review queue and the time studied meanwhile is held ("人脸核验待审核") until a person decides:
  accepted → the held time is credited; rejected → as a failed check.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core import faces
from core.audit import audit_record

from .models import LessonProgress, StudyCheck, StudyInterval, StudyLease

MAX_STILL_BYTES = 3 * 1024 * 1024


def last_good_check_at(user, *, within: int) -> dt.datetime | None:
    """When the person last passed a check, if within ``within`` seconds from now."""
    since = timezone.now() - dt.timedelta(seconds=within)
    check = (StudyCheck.objects.filter(user=user, status__in=[StudyCheck.Status.PASSED, StudyCheck.Status.ACCEPTED],
                                       taken_at__gte=since).order_by("-taken_at").first())
    return check.taken_at if check else None


def verified_portrait(user) -> bytes | None:
    """The person's portrait as confirmed in the identity review, or None."""
    from accounts.selectors import verified_portrait_bytes

    return verified_portrait_bytes(user)


def _image_bytes(upload) -> bytes:
    from core.images import still_bytes

    return still_bytes(upload, max_bytes=MAX_STILL_BYTES)


def _take_back(user, since: dt.datetime | None, reason: str) -> int:
    """Uncredit the person's study credited since ``since`` (a failed check); returns the seconds."""
    qs = StudyInterval.objects.filter(user=user, credited=True)
    if since is not None:
        qs = qs.filter(ended_at__gt=since)
    per_lesson = dict(qs.values("lesson_id").annotate(s=Sum("seconds")).values_list("lesson_id", "s"))
    today = timezone.localdate()
    today_seconds = qs.filter(day=today).aggregate(s=Sum("seconds"))["s"] or 0
    qs.update(credited=False, reason=reason)
    for lesson_id, seconds in per_lesson.items():
        progress = LessonProgress.objects.select_for_update().filter(user=user, lesson_id=lesson_id).first()
        if progress:
            progress.seconds = max(0, progress.seconds - seconds)
            if progress.completed_at and progress.seconds < progress.lesson.min_seconds:
                progress.completed_at = None
            progress.save(update_fields=["seconds", "completed_at", "updated_at"])
    lease = StudyLease.objects.filter(user=user, day=today).first()
    if lease:
        lease.day_credited = max(0, lease.day_credited - today_seconds)
        lease.save(update_fields=["day_credited"])
    return sum(per_lesson.values())


def _release_held(user, check: StudyCheck) -> int:
    """Credit the time held while ``check`` waited for review (within the lessons' caps)."""
    qs = StudyInterval.objects.filter(user=user, credited=False, reason=StudyInterval.Reason.IDENTITY_PENDING,
                                      ended_at__gt=check.taken_at)
    total = 0
    for interval in qs.select_related("lesson"):
        progress, _c = LessonProgress.objects.select_for_update().get_or_create(user=user, lesson=interval.lesson)
        room = max(0, interval.lesson.cap_seconds - progress.seconds)
        add = min(room, interval.seconds)
        progress.seconds += add
        if progress.seconds >= interval.lesson.min_seconds and progress.completed_at is None:
            progress.completed_at = timezone.now()
        progress.save(update_fields=["seconds", "completed_at", "updated_at"])
        interval.credited, interval.reason = True, ""
        interval.save(update_fields=["credited", "reason"])
        total += add
    return total


@transaction.atomic
def check_submit(*, user, lesson, token: str, upload, ip: str | None = None,
                 now: dt.datetime | None = None) -> StudyCheck:
    now = now or timezone.now()
    lease = StudyLease.objects.select_for_update().filter(user=user).first()
    if lease is None or lease.token != (token or "")[:64] or lease.lesson_id != lesson.pk:
        raise PermissionDenied(_("学习页面已在别处打开，请刷新本页后再核验。"))
    from .privacy import has_camera_consent

    if not has_camera_consent(user):
        raise PermissionDenied(_("请先阅读并同意学习过程中的摄像头使用说明。"))
    data = _image_bytes(upload)
    portrait = verified_portrait(user)
    result = (faces.compare(portrait, data, threshold=float(lease.match_threshold)) if portrait
              else faces.Comparison(faces.UNAVAILABLE))
    if result.outcome == faces.MATCH:
        status = StudyCheck.Status.PASSED
    elif result.outcome in (faces.NO_MATCH, faces.NO_FACE, faces.SEVERAL_FACES):
        status = StudyCheck.Status.FAILED
    else:
        status = StudyCheck.Status.PENDING
    check = StudyCheck(user=user, lesson=lesson, token=lease.token, taken_at=now, outcome=result.outcome,
                       distance=result.distance, status=status, ip=ip or None)
    check.still.save(f"{user.pk}-{now:%Y%m%d%H%M%S}.jpg", ContentFile(data), save=False)
    check.save()
    lease.interval = None
    if status == StudyCheck.Status.PASSED:
        lease.checked_at, lease.pending_check = now, None
    elif status == StudyCheck.Status.FAILED:
        _take_back(user, lease.checked_at or lease.started_at, StudyInterval.Reason.IDENTITY_FAILED)
        lease.refresh_from_db(fields=["day_credited"])
        lease.checked_at, lease.pending_check = None, None
    else:
        lease.pending_check = check
    lease.save(update_fields=["checked_at", "pending_check", "interval"])
    return check


@transaction.atomic
def check_review(*, reviewer, check: StudyCheck, accept: bool, reason: str = "") -> StudyCheck:
    check = StudyCheck.objects.select_for_update().get(pk=check.pk)
    if check.status != StudyCheck.Status.PENDING:
        raise ValidationError(_("该核验已处理。"))
    if not accept and not reason.strip():
        raise ValidationError({"reason": _("请填写不符的原因。")})
    check.status = StudyCheck.Status.ACCEPTED if accept else StudyCheck.Status.REJECTED
    check.reviewed_by, check.reviewed_at, check.review_reason = reviewer, timezone.now(), reason.strip()
    check.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
    lease = StudyLease.objects.select_for_update().filter(user=check.user).first()
    if accept:
        _release_held(check.user, check)
        if lease and lease.pending_check_id == check.pk:
            lease.pending_check, lease.checked_at = None, check.taken_at
            lease.save(update_fields=["pending_check", "checked_at"])
    else:
        earlier = (StudyCheck.objects.filter(user=check.user, taken_at__lt=check.taken_at,
                                             status__in=[StudyCheck.Status.PASSED, StudyCheck.Status.ACCEPTED])
                   .order_by("-taken_at").values_list("taken_at", flat=True).first())
        _take_back(check.user, earlier, StudyInterval.Reason.IDENTITY_FAILED)
        StudyInterval.objects.filter(user=check.user, reason=StudyInterval.Reason.IDENTITY_PENDING,
                                     ended_at__gt=check.taken_at).update(reason=StudyInterval.Reason.IDENTITY_FAILED)
        if lease and lease.pending_check_id == check.pk:
            lease.pending_check, lease.checked_at = None, None
            lease.save(update_fields=["pending_check", "checked_at"])
    audit_record(actor=reviewer, action="study_check.accept" if accept else "study_check.reject", target=check,
                 after={"status": check.status}, reason=reason)
    return check
