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

from ..eligibility import override_role
from ..eligibility import problems as eligibility_problems
from ..models import (
    Attempt,
    Blueprint,
    ExamSession,
    Registration,
    RetrainingRequirement,
)


# --------------------------------------------------------------------------- sessions & registrations

@transaction.atomic
def session_create(
    *, actor, centre, name: str, blueprint: Blueprint, certificate_kind, starts_at: dt.datetime, ends_at: dt.datetime,
    operation_item=None, room: str = "", seats: int = 30, allowed_ip_ranges: str = "", required_course_code: str = "",
    require_identity_verified: bool = True, proctors=(), venue=None, require_check_in: bool = True,
    exam_stills: bool = False, exam_still_minutes: int = 10,
) -> ExamSession:
    from .practical import venue_problems

    if centre.kind != OrgKind.EXAM_CENTRE:
        raise ValidationError(_("考试场次只能由考试中心组织。"))
    if problems := venue_problems(centre=centre, venue=venue):
        raise ValidationError({"venue": problems})
    if ends_at <= starts_at:
        raise ValidationError(_("结束时间必须晚于开始时间。"))
    if certificate_kind.requires_operation_item and operation_item is None:
        raise ValidationError(_("该证书种类须指定操作项目。"))
    session = ExamSession.objects.create(
        centre=centre, name=name, blueprint=blueprint, certificate_kind=certificate_kind, operation_item=operation_item,
        rule_version=certificate_kind.rule_version, starts_at=starts_at, ends_at=ends_at, room=room, seats=seats,
        allowed_ip_ranges=allowed_ip_ranges, required_course_code=required_course_code,
        require_identity_verified=require_identity_verified, venue=venue, require_check_in=require_check_in,
        exam_stills=exam_stills, exam_still_minutes=exam_still_minutes,
    )
    if proctors:
        session.proctors.set(proctors)
    audit_record(actor=actor, action="exam_session.create", target=session,
                 after={"blueprint": blueprint.code, "starts_at": starts_at, "ends_at": ends_at,
                        "venue": venue.pk if venue else None, "exam_stills": exam_still_minutes if exam_stills else None})
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
    """Register the candidate (or restore their cancelled registration): the make-up rules, the
    eligibility checks (an override needs a reason) and a free seat, every time. Seats are the
    lowest free numbers, unique per session by a database constraint."""
    ExamSession.objects.select_for_update().filter(pk=session.pk).first()
    existing = Registration.objects.filter(session=session, candidate=candidate).first()
    if existing is not None and existing.status == Registration.Status.REGISTERED:
        return existing
    makeup_check(session=session, candidate=candidate)
    problems = eligibility_problems(session=session, candidate=candidate)
    override_reason = (override_reason or "").strip()
    override = _override(actor=actor, session=session, problems=problems, reason=override_reason)
    seat = _free_seat(session)
    word = _("破格")  # outside the f-string below, where the message extraction finds it
    notes = "；".join(problems) + (f"（{word}：{override_reason}）" if problems else "")
    audit_after = {"session": session.pk, "candidate": candidate.username, "seat": seat}
    if problems:
        audit_after.update(problems=problems, override_role=override["override_role"])
    if existing is not None:  # a cancelled registration restored: seats and eligibility checked again above
        existing.status = Registration.Status.REGISTERED
        existing.seat = seat
        existing.eligibility_notes = notes
        for field, value in override.items():
            setattr(existing, field, value)
        existing.save(update_fields=["status", "seat", "eligibility_notes", *override])
        audit_record(actor=actor, action="exam_registration.restore", target=existing,
                     after=audit_after, reason=override_reason if problems else "")
        return existing
    reg = Registration.objects.create(
        session=session, candidate=candidate, seat=seat, registered_by=actor if getattr(actor, "pk", None) else None,
        ticket_number=f"ZK{session.starts_at:%Y%m%d}{session.pk:04d}{seat:03d}{uuid.uuid4().hex[:3].upper()}",
        identity_checked_at=timezone.now() if candidate.identity_verified else None,
        eligibility_notes=notes, **override,
    )
    audit_record(actor=actor, action="exam_registration.create", target=reg,
                 after=audit_after, reason=override_reason if problems else "")
    return reg


def _override(*, actor, session: ExamSession, problems: list[str], reason: str) -> dict:
    """The override fields of a registration. Without problems: none. With problems: refused
    unless a reason is given by someone whose role may override (exams.eligibility.OVERRIDE_ROLES
    of the session's centre, or the superuser)."""
    if not problems:
        return {"override_reason": "", "override_by": None, "override_role": "", "override_at": None}
    if not reason:
        raise ValidationError(problems)
    role = override_role(actor, session)
    if not role:
        raise ValidationError(problems + [_("只有本考试中心的发证人员可以破格报名。")])
    return {"override_reason": reason, "override_by": actor, "override_role": role, "override_at": timezone.now()}


def _free_seat(session: ExamSession) -> int:
    """The lowest seat number of the session no standing registration holds; refuses when full."""
    taken = set(Registration.objects.filter(session=session, status=Registration.Status.REGISTERED,
                                            seat__isnull=False).values_list("seat", flat=True))
    free = next((n for n in range(1, session.seats + 1) if n not in taken), None)
    if free is None:
        raise ValidationError(_("本场次座位已满（%(n)d 座），不能再报名；请选择其他场次。") % {"n": session.seats})
    return free


@transaction.atomic
def registration_cancel(*, actor, registration: Registration, reason: str = "") -> Registration:
    """Cancel a registration: its seat is given back, a paper prepared for it discarded."""
    if registration.status != Registration.Status.CANCELLED:
        registration.status = Registration.Status.CANCELLED
        registration.seat = None
        registration.save(update_fields=["status", "seat"])
        # a paper prepared for it will never be sat
        Attempt.all_objects.filter(registration=registration, status=Attempt.Status.PREPARED).delete()
        audit_record(actor=actor, action="exam_registration.cancel", target=registration, reason=reason)
    return registration


def subject_sittings(*, candidate, certificate_kind_id: int, operation_item_id: int | None,
                     exclude_session_id: int | None = None) -> list[Attempt]:
    """The candidate's handed-in papers of the real exam for one subject (certificate kind and
    operation item) since they last completed a required retraining, oldest first."""
    completed = (RetrainingRequirement.objects.filter(
        candidate=candidate, certificate_kind_id=certificate_kind_id, operation_item_id=operation_item_id,
        completed_on__isnull=False).order_by("-completed_on").values_list("completed_on", flat=True).first())
    qs = Attempt.objects.filter(
        user=candidate, mode=Attempt.Mode.EXAM, status__in=(Attempt.Status.MARKING, Attempt.Status.GRADED),
        registration__session__certificate_kind_id=certificate_kind_id,
        registration__session__operation_item_id=operation_item_id,
    ).select_related("registration__session").order_by("submitted_at")
    if exclude_session_id:
        qs = qs.exclude(registration__session_id=exclude_session_id)
    if completed:
        qs = qs.filter(submitted_at__date__gt=completed)
    return list(qs)


def makeup_check(*, session: ExamSession, candidate) -> None:
    """The make-up (补考) rules at registration, from the catalogue: after a failed exam the person
    may register again ``CertificateKind.makeup_attempts`` times (one by default), each time in a
    later session that starts after the failed one has ended; after a failed make-up only once
    the training has been completed again (the requirement is recorded with its date). Refuses
    with a ValidationError; an eligibility override does not lift these."""
    kind = session.certificate_kind
    sittings = subject_sittings(candidate=candidate, certificate_kind_id=kind.pk,
                                operation_item_id=session.operation_item_id, exclude_session_id=session.pk)
    if not sittings:
        return
    if any(a.passed for a in sittings):
        raise ValidationError(_("该考生已通过本科目考试，无需再报名。"))
    if any(a.status == Attempt.Status.MARKING for a in sittings):
        raise ValidationError(_("该考生上一次的答卷尚在阅卷中，出成绩后才能报名补考。"))
    last = sittings[-1]
    if len(sittings) > kind.makeup_attempts:
        since = (RetrainingRequirement.objects.filter(failed_attempt=last).values_list("required_since", flat=True)
                 .first() or timezone.localdate(last.submitted_at))
        raise ValidationError(_("该考生补考未通过，须自 %(date)s 起重新参加培训并完成后才能再次报名。")
                              % {"date": since.isoformat()})
    if session.starts_at < last.registration.session.ends_at:
        raise ValidationError(_("补考须报名参加以后的考试场次（在 %(t)s 之后开始），不能在同一场次或同时补考。")
                              % {"t": timezone.localtime(last.registration.session.ends_at).strftime("%Y-%m-%d %H:%M")})


def retraining_record_if_due(attempt: Attempt) -> RetrainingRequirement | None:
    """Called when a paper of the real exam is graded as failed: when it was the last make-up the
    catalogue allows, record that the person must train again, with the date."""
    if attempt.mode != Attempt.Mode.EXAM or attempt.passed is not False or not attempt.registration_id:
        return None
    session = attempt.registration.session
    kind = session.certificate_kind
    prior = subject_sittings(candidate=attempt.user_id, certificate_kind_id=kind.pk,
                             operation_item_id=session.operation_item_id, exclude_session_id=session.pk)
    if len(prior) + 1 <= kind.makeup_attempts:
        return None
    requirement, _created = RetrainingRequirement.objects.get_or_create(
        failed_attempt=attempt,
        defaults={"candidate_id": attempt.user_id, "certificate_kind": kind,
                  "operation_item_id": session.operation_item_id,
                  "required_since": timezone.localdate(attempt.submitted_at or timezone.now())},
    )
    return requirement


@transaction.atomic
def retraining_complete(*, actor, requirement: RetrainingRequirement, completed_on: dt.date) -> RetrainingRequirement:
    """Record that the person has completed the training again (the date), so they may register."""
    if completed_on < requirement.required_since:
        raise ValidationError(_("重新培训的完成日期不能早于补考未通过的日期。"))
    requirement.completed_on = completed_on
    requirement.recorded_by = actor if getattr(actor, "pk", None) else None
    requirement.save(update_fields=["completed_on", "recorded_by"])
    audit_record(actor=actor, action="exam_retraining.complete", target=requirement,
                 after={"completed_on": completed_on})
    return requirement
