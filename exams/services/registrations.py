"""Sessions and registrations (报名), with eligibility."""

from __future__ import annotations


import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from accounts.roles import OrgKind

from ..eligibility import problems as eligibility_problems
from ..models import (
    Attempt,
    Blueprint,
    ExamSession,
    Registration,
)


# --------------------------------------------------------------------------- sessions & registrations

@transaction.atomic
def session_create(
    *, actor, centre, name: str, blueprint: Blueprint, certificate_kind, starts_at: dt.datetime, ends_at: dt.datetime,
    operation_item=None, room: str = "", seats: int = 30, allowed_ip_ranges: str = "", required_course_code: str = "",
    require_identity_verified: bool = True, proctors=(),
) -> ExamSession:
    if centre.kind != OrgKind.EXAM_CENTRE:
        raise ValidationError(_("考试场次只能由考试中心组织。"))
    if ends_at <= starts_at:
        raise ValidationError(_("结束时间必须晚于开始时间。"))
    if certificate_kind.requires_operation_item and operation_item is None:
        raise ValidationError(_("该证书种类须指定操作项目。"))
    session = ExamSession.objects.create(
        centre=centre, name=name, blueprint=blueprint, certificate_kind=certificate_kind, operation_item=operation_item,
        rule_version=certificate_kind.rule_version, starts_at=starts_at, ends_at=ends_at, room=room, seats=seats,
        allowed_ip_ranges=allowed_ip_ranges, required_course_code=required_course_code,
        require_identity_verified=require_identity_verified,
    )
    if proctors:
        session.proctors.set(proctors)
    audit_record(actor=actor, action="exam_session.create", target=session,
                 after={"blueprint": blueprint.code, "starts_at": starts_at, "ends_at": ends_at})
    return session


def registration_create_for(*, actor, session: ExamSession, who: str, override_reason: str = "") -> Registration:
    """Register the person ``who`` names (a username or a resident ID number) for the session."""
    from accounts.models import User

    who = (who or "").strip()
    candidate = User.objects.filter(username=who).first() if who else None
    if candidate is None and who:
        candidate = User.objects.by_id_number(who).first()
    if candidate is None:
        raise ValidationError({"who": _("找不到该考生。")})
    return registration_create(actor=actor, session=session, candidate=candidate, override_reason=override_reason)


@transaction.atomic
def registration_create(*, actor, session: ExamSession, candidate, override_reason: str = "") -> Registration:
    ExamSession.objects.select_for_update().filter(pk=session.pk).first()
    existing = Registration.objects.filter(session=session, candidate=candidate).first()
    if existing is not None:
        if existing.status == Registration.Status.CANCELLED:
            existing.status = Registration.Status.REGISTERED
            existing.save(update_fields=["status"])
        return existing
    problems = eligibility_problems(session=session, candidate=candidate)
    if problems and not override_reason:
        raise ValidationError(problems)
    taken = Registration.objects.filter(session=session, status=Registration.Status.REGISTERED).count()
    if taken >= session.seats:
        raise ValidationError(_("本场次座位已满（%(n)d 座）。") % {"n": session.seats})
    seat = taken + 1
    override = _("破格")  # outside the f-string below, where the message extraction finds it
    reg = Registration.objects.create(
        session=session, candidate=candidate, seat=seat, registered_by=actor if getattr(actor, "pk", None) else None,
        ticket_number=f"ZK{session.starts_at:%Y%m%d}{session.pk:04d}{seat:03d}{uuid.uuid4().hex[:3].upper()}",
        identity_checked_at=timezone.now() if candidate.identity_verified else None,
        eligibility_notes="；".join(problems) + (f"（{override}：{override_reason}）" if problems else ""),
    )
    audit_record(actor=actor, action="exam_registration.create", target=reg,
                 after={"session": session.pk, "candidate": candidate.username}, reason=override_reason)
    return reg


@transaction.atomic
def registration_cancel(*, actor, registration: Registration, reason: str = "") -> Registration:
    if registration.status != Registration.Status.CANCELLED:
        registration.status = Registration.Status.CANCELLED
        registration.save(update_fields=["status"])
        # a paper prepared for it will never be sat
        Attempt.all_objects.filter(registration=registration, status=Attempt.Status.PREPARED).delete()
        audit_record(actor=actor, action="exam_registration.cancel", target=registration, reason=reason)
    return registration
