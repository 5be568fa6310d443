"""Optional stills during the theory exam, kept with the attempt.

A session may ask for them (``ExamSession.exam_stills``, off by default; ``exam_still_minutes``, 0 =
only at the start). The exam page then takes a camera still when the attempt starts and every N
minutes and posts it here; when the camera is refused or missing the page says so once and the
candidate goes on answering — the note is kept instead of a photo and shown to the proctor. Saving
answers never depends on the camera.

Stills are served only to the proctors of the session's exam centre (``selectors.exam_stills_visible_to``),
each view audited (``identity_photo.view``). Retention follows the rule of study stills: the years of
the catalogue's study rule of the centre's region (special operators' years for special-operation
sessions), counted from when each was taken (``delete_expired_exam_stills``, daily).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record

from ..models import Attempt, AttemptStill, ExamSession
from .checkin import _image_bytes

# A page may not post stills faster than this (a reload takes the start still only when one is due).
MIN_GAP_SECONDS = 20


def still_due_in(attempt: Attempt, now: dt.datetime | None = None) -> int | None:
    """Seconds until the exam page should take the next still (0 = now); None when the session takes none."""
    session = attempt.registration.session if attempt.registration_id else None
    if session is None or not session.exam_stills or attempt.mode != Attempt.Mode.EXAM:
        return None
    now = now or timezone.now()
    last = attempt.stills.filter(kind=AttemptStill.Kind.PHOTO).order_by("-taken_at").values_list(
        "taken_at", flat=True).first()
    if last is None:
        return 0
    if not session.exam_still_minutes:
        return None  # only at the start, and it was taken
    return max(0, int(session.exam_still_minutes * 60 - (now - last).total_seconds()))


@transaction.atomic
def attempt_still_record(*, user, attempt: Attempt, upload=None, camera_refused: bool = False,
                         ip: str | None = None, now: dt.datetime | None = None) -> AttemptStill:
    """Keep a still (or the note that the camera could not be used) with the candidate's own open attempt."""
    now = now or timezone.now()
    attempt = (Attempt.objects.select_for_update(of=("self",)).select_related("registration__session")
               .filter(pk=attempt.pk).first())
    if attempt is None or attempt.user_id != user.pk:
        raise PermissionDenied
    session = attempt.registration.session if attempt.registration_id else None
    if session is None or attempt.mode != Attempt.Mode.EXAM or not session.exam_stills:
        raise ValidationError(_("本场考试未开启考试中拍照。"))
    if attempt.status != Attempt.Status.IN_PROGRESS or attempt.is_past_deadline(now):
        raise ValidationError(_("考试已结束，不再拍照。"))
    last = attempt.stills.order_by("-taken_at").first()
    if last is not None and (now - last.taken_at).total_seconds() < MIN_GAP_SECONDS:
        raise ValidationError(_("拍照过于频繁，请稍后。"))
    if camera_refused:
        if attempt.stills.filter(kind=AttemptStill.Kind.NO_CAMERA, taken_at__gte=now - dt.timedelta(minutes=5)).exists():
            return last  # one note is enough while the page keeps trying
        still = AttemptStill.objects.create(attempt=attempt, kind=AttemptStill.Kind.NO_CAMERA, taken_at=now, ip=ip)
        audit_record(actor=user, action="exam_still.no_camera", target=attempt, after={"still": still.pk})
        return still
    data = _image_bytes(upload)
    still = AttemptStill(attempt=attempt, kind=AttemptStill.Kind.PHOTO, taken_at=now, ip=ip)
    still.still.save(f"{attempt.pk}-{now:%Y%m%d%H%M%S}.jpg", ContentFile(data), save=False)
    still.save()
    from ..tasks import compare_attempt_still

    # compared after the answer page has its reply: matching takes about a second
    transaction.on_commit(lambda: compare_attempt_still.delay(still.pk))
    return still


def attempt_still_compare(still_id: int) -> str:
    """Compare a kept still with the candidate's verified portrait (the threshold of the centre's
    region, as at check-in) and record the outcome; idempotent. Returns the outcome ("" when there
    is nothing to compare: a note without photo, or a file already deleted)."""
    from core import faces

    from .checkin import match_threshold, portrait_bytes

    still = (AttemptStill.objects.select_related("attempt__user", "attempt__registration__session__centre")
             .filter(pk=still_id, kind=AttemptStill.Kind.PHOTO).first())
    if still is None or not still.still or still.attempt.registration_id is None:
        return ""
    portrait = portrait_bytes(still.attempt.user)
    if portrait is None:
        outcome, distance = "no_portrait", None
    else:
        with still.still.open("rb") as fh:
            data = fh.read()
        result = faces.compare(portrait, data, threshold=match_threshold(still.attempt.registration))
        outcome, distance = result.outcome, result.distance
    AttemptStill.objects.filter(pk=still.pk).update(match=outcome, match_distance=distance)
    return outcome


def retention_years_for_session(session: ExamSession) -> int:
    """How long the session's exam stills are kept: the study rule of the centre's region in force
    on the exam day (catalogue data), special operators' years for a special-operation session."""
    from catalogue.models import CertificateKind, Population, StudyRule

    special = session.certificate_kind.family == CertificateKind.Family.SPECIAL_OPERATION
    rule = StudyRule.for_person(region_code=session.centre.region_id or "",
                                population=Population.SPECIAL_OPERATOR if special else "",
                                on=timezone.localdate(session.starts_at))
    return rule.retention_years_special if special else rule.retention_years


def delete_expired_exam_stills(now: dt.datetime | None = None) -> int:
    """Delete the exam stills past their retention (rows stay); returns how many files were deleted."""
    from core.retention import delete_expired_files

    years_by_session: dict[int, int] = {}

    def years_of(still: AttemptStill) -> int:
        session = still.attempt.registration.session
        if session.pk not in years_by_session:
            years_by_session[session.pk] = retention_years_for_session(session)
        return years_by_session[session.pk]

    deleted = delete_expired_files(
        AttemptStill.objects.select_related("attempt__registration__session__centre",
                                            "attempt__registration__session__certificate_kind"),
        file_field="still", taken_field="taken_at", years_of=years_of, now=now)
    if deleted:
        audit_record(actor=None, action="exam_still.expired", after={"deleted": deleted})
    return deleted
