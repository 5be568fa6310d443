"""考场签到: the proctor's identity check of each candidate before the exam.

At the console the proctor opens a candidate's check-in step: the verified portrait and the ID-card
photo of the identity review beside a still taken now (the room's camera in the proctor's browser, or
the photo an ID-card reader gives). ``checkin_still`` stores the still and compares it with the
portrait (``core.faces``, threshold from the catalogue's study rule of the centre's region);
``checkin_decide`` records the proctor's decision — checked in or refused — with their name and time.

Rules:
- checking a candidate in needs a still taken for this registration; when the matcher did not say
  "same person" (another person, no face, unsure, no matcher) the proctor must write why they admit
  the candidate anyway;
- refusing needs a reason;
- a session with ``require_check_in`` lets only checked-in candidates start (``attempt_start``).
Every step is audited.
"""

from __future__ import annotations


from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import faces
from core.audit import audit_record

from ..models import CheckIn, CheckInSource, Registration

MAX_STILL_BYTES = 5 * 1024 * 1024


def portrait_bytes(person) -> bytes | None:
    """The portrait confirmed in the person's identity review, or None."""
    from accounts.selectors import verified_portrait_bytes

    return verified_portrait_bytes(person)


def id_card_photo(person):
    """The ID card's portrait side of the person's verified identity review (a FieldFile), or None."""
    from accounts.models import IdentitySubmission

    sub = (IdentitySubmission.objects.filter(person=person, status=IdentitySubmission.Status.VERIFIED)
           .order_by("-reviewed_at", "-pk").first())
    return sub.id_front if sub and sub.id_front else None


def match_threshold(registration: Registration) -> float:
    from catalogue.models import StudyRule

    centre = registration.session.centre
    rule = StudyRule.for_person(region_code=centre.region_id or "")
    return float(rule.match_threshold)


def _image_bytes(upload) -> bytes:
    from core.images import still_bytes

    return still_bytes(upload, max_bytes=MAX_STILL_BYTES)


MATCH_LABELS = {
    faces.MATCH: "人脸比对一致",
    faces.NO_MATCH: "人脸比对不一致",
    faces.UNSURE: "比对结果不确定，请人工判断",
    faces.NO_FACE: "照片中未检测到人脸",
    faces.SEVERAL_FACES: "照片中有多张人脸",
    faces.UNAVAILABLE: "未安装人脸比对组件，请人工比对",
    "no_portrait": "考生没有已核验的人像照片，请人工比对证件",
}


def match_label(outcome: str) -> str:
    return _(MATCH_LABELS[outcome]) if outcome in MATCH_LABELS else ""


@transaction.atomic
def checkin_still(*, actor, registration: Registration, upload, source: str = CheckInSource.CAMERA) -> Registration:
    """Store a still of the candidate taken at the check-in and compare it with their portrait."""
    if registration.status != Registration.Status.REGISTERED:
        raise ValidationError(_("该报名已取消。"))
    if source not in CheckInSource.values:
        raise ValidationError(_("照片来源无效。"))
    data = _image_bytes(upload)
    portrait = portrait_bytes(registration.candidate)
    if portrait is None:
        outcome, distance = "no_portrait", None
    else:
        result = faces.compare(portrait, data, threshold=match_threshold(registration))
        outcome, distance = result.outcome, result.distance
    now = timezone.now()
    old = registration.check_in_still.name if registration.check_in_still else ""
    registration.check_in_still.save(f"checkin-{registration.pk}-{now:%H%M%S}.jpg", ContentFile(data), save=False)
    registration.check_in_match = outcome
    registration.check_in_distance = distance
    registration.check_in_source = source
    registration.check_in_still_at = now
    registration.save(update_fields=["check_in_still", "check_in_match", "check_in_distance", "check_in_source",
                                     "check_in_still_at"])
    if old and old != registration.check_in_still.name:
        transaction.on_commit(lambda: registration.check_in_still.storage.delete(old))
    audit_record(actor=actor, action="exam_registration.check_in_still", target=registration,
                 after={"match": outcome, "distance": distance, "source": source})
    return registration


@transaction.atomic
def checkin_decide(*, actor, registration: Registration, admit: bool, note: str = "") -> Registration:
    """The proctor's decision: checked in (may start) or refused entry."""
    note = (note or "").strip()
    if registration.status != Registration.Status.REGISTERED:
        raise ValidationError(_("该报名已取消。"))
    if registration.attempts.exists():
        raise ValidationError(_("考生已开始考试，不能再更改签到结果。"))
    if admit:
        if not registration.check_in_still:
            raise ValidationError(_("请先拍摄或上传现场照片，再确认签到。"))
        if registration.check_in_match != faces.MATCH and not note:
            raise ValidationError(_("人脸比对未确认为同一人，确认签到须填写核验说明（如已人工核对身份证件）。"))
    elif not note:
        raise ValidationError(_("拒绝入场须填写原因。"))
    before = {"status": registration.check_in_status}
    registration.check_in_status = CheckIn.CHECKED_IN if admit else CheckIn.REFUSED
    registration.check_in_at = timezone.now()
    registration.check_in_by = actor
    registration.check_in_note = note
    registration.save(update_fields=["check_in_status", "check_in_at", "check_in_by", "check_in_note"])
    audit_record(actor=actor, action="exam_registration.check_in", target=registration, before=before,
                 after={"status": registration.check_in_status, "match": registration.check_in_match}, reason=note)
    return registration


def start_refusal(registration: Registration) -> str | None:
    """Why the candidate may not start yet because of the check-in, or None."""
    session = registration.session
    if not session.require_check_in or registration.checked_in:
        return None
    if registration.check_in_status == CheckIn.REFUSED:
        return _("监考人员未准予您入场（现场身份核验未通过），不能开始考试。")
    return _("请先在考场由监考人员核验身份（签到）后再开始考试。")
