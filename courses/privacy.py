"""Privacy of the study camera (个人信息保护法).

- Separate consent before the first camera use during study: the lesson page shows the purpose and
  the retention period (the study rule's ``retention_years`` / ``_special``) and records a
  ``PersonalInfoConsent`` with purpose ``study_camera``; ``checks.check_submit`` refuses a still
  without it.
- Every view of a study or identity photo writes an audit entry (``audit_photo_view``).
- Retention: ``delete_expired_stills`` (a daily beat task) deletes the still files of study checks
  whose retention has ended, counted from when each was taken, and blanks the field. The check rows
  (time, outcome, decision) and everything else stay.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record

CAMERA_PURPOSE = "study_camera"
CAMERA_TEXT_VERSION = "study-camera-v1"


def retention_years_of(user, on: dt.date | None = None) -> int:
    """How many years the person's study photos are kept (the study rule, special operators apart)."""
    from catalogue.models import Population

    from .selectors import population_of
    from .services import study_rule_of

    rule = study_rule_of(user, on=on)
    if population_of(user) == Population.SPECIAL_OPERATOR:
        return rule.retention_years_special
    return rule.retention_years


def has_camera_consent(user) -> bool:
    from accounts.models import PersonalInfoConsent

    return PersonalInfoConsent.objects.filter(person_id=user.pk, purpose=CAMERA_PURPOSE).exists()


def consent_text(user) -> str:
    return _("学习过程中将按规定调用摄像头拍摄您的照片，仅用于与您已核验的人像照片比对、确认是本人在学习；"
             "照片保存 %(years)d 年后自动删除，只有审核人员可以查看，每次查看都记录在案。") % {
        "years": retention_years_of(user)}


@transaction.atomic
def give_camera_consent(*, user, ip: str | None = None):
    """Record the person's consent to the study camera (once; a second call returns the first)."""
    from accounts.models import PersonalInfoConsent

    existing = PersonalInfoConsent.objects.filter(person_id=user.pk, purpose=CAMERA_PURPOSE).first()
    if existing is not None:
        return existing
    consent = PersonalInfoConsent.objects.create(person=user, purpose=CAMERA_PURPOSE,
                                                 text_version=CAMERA_TEXT_VERSION, given_by=user, ip=ip)
    audit_record(actor=user, action="consent.study_camera", target=consent,
                 after={"years": retention_years_of(user), "text": CAMERA_TEXT_VERSION})
    return consent


def audit_photo_view(*, viewer, target, photo: str, person_id: int, request=None) -> None:
    """One audit entry per view of a study or identity photo."""
    audit_record(actor=viewer, action="identity_photo.view", target=target,
                 after={"photo": photo, "person": person_id}, request=request)


def delete_expired_stills(now: dt.datetime | None = None) -> int:
    """Delete the stills of study checks past their retention; returns how many were deleted."""
    from core.retention import delete_expired_files

    from .models import StudyCheck

    years_by_user: dict[int, int] = {}

    def years_of(check) -> int:
        if check.user_id not in years_by_user:
            years_by_user[check.user_id] = retention_years_of(check.user)
        return years_by_user[check.user_id]

    deleted = delete_expired_files(StudyCheck.objects.select_related("user"), file_field="still",
                                   taken_field="taken_at", years_of=years_of, now=now)
    if deleted:
        audit_record(actor=None, action="study_check.stills_expired", after={"deleted": deleted})
    return deleted
