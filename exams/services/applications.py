"""Exam applications (报名): a person applies for a session (or their enterprise, or the training
institution that trains them, applies for them); the eligibility is computed and shown; the exam
centre approves — registering the person through ``registration_create``, the one code path for a
seat and a ticket — or returns the application with a reason; the applicant is notified.

What refuses a submission and what may wait for the review (see docs/exams.md):

* refused at once: under the minimum age or past the statutory retirement age on the exam day
  (catalogue data: ``ExamEntryRule``, ``RetirementAgeRule``), no ID number to read the age from,
  an active suspension or a recent revocation of a certificate for the operation (certificates'
  check), the declared education below the catalogue's minimum, no health declaration when the
  catalogue asks for one, a session that is full, over or another subject;
* may be submitted, must be settled before approval (or the centre records an override reason,
  as for a direct registration): identity not yet verified, training not completed (the required
  course and any other check another app registers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Organization
from accounts.roles import ENTERPRISE_MANAGERS, OrgKind, Role
from accounts.selectors import has_role, testing_org_ids
from catalogue.models import EducationLevel, ExamEntryRule, RetirementAgeRule, add_months, education_meets
from core.audit import audit_record
from core.notify import notify

from .. import eligibility
from ..models import ExamApplication, ExamSession, Registration
from .registrations import registration_create

Channel = ExamApplication.Channel
Status = ExamApplication.Status

# ----------------------------------------------------------------------------- trainees

_TRAINEE_SOURCES: list[Callable[[set[int]], Iterable[int]]] = []


def register_trainee_source(source: Callable[[set[int]], Iterable[int]]) -> None:
    """An app that knows who trains where (courses) tells exams the user ids of the trainees of
    some training institutions: ``source(org_ids) -> iterable of user ids``."""
    if source not in _TRAINEE_SOURCES:
        _TRAINEE_SOURCES.append(source)


def trainee_ids(org_ids: set[int]) -> set[int]:
    found: set[int] = set()
    for source in list(_TRAINEE_SOURCES):
        found.update(source(set(org_ids)))
    return found


# ----------------------------------------------------------------------------- eligibility

@dataclass(frozen=True)
class EligibilityItem:
    code: str
    label: str
    ok: bool
    message: str
    blocking: bool  # a problem here refuses the submission; otherwise it may wait for the review


def _exam_day(session: ExamSession) -> dt.date:
    return timezone.localdate(session.starts_at)


def age_problems(session, candidate) -> list[str]:
    """The eligibility check "aged at least the minimum and below the statutory retirement age on
    the exam day", from the ID number and the catalogue (registered by exams for every
    registration). Without an ID number or catalogue data it finds nothing here; the application
    page refuses a missing ID number itself."""
    birth = candidate.birth_date if getattr(candidate, "id_number_encrypted", "") else None
    if birth is None:
        return []
    on = _exam_day(session)
    rule = ExamEntryRule.for_item(session.rule_version_id, session.operation_item)
    if rule is not None and rule.min_age and on < add_months(birth, rule.min_age * 12):
        return [_("未满 %(n)d 周岁（出生日期 %(birth)s，考试日期 %(on)s）")
                % {"n": rule.min_age, "birth": birth.isoformat(), "on": on.isoformat()}]
    if rule is None or rule.max_age_is_retirement:
        retirement = RetirementAgeRule.for_person(session.rule_version_id, candidate.gender)
        if retirement is not None:
            retires_on = retirement.retirement_date(birth)
            if on >= retires_on:
                return [_("已达到法定退休年龄（%(label)s，%(date)s 起），不能报名特种作业考试")
                        % {"label": retirement.label, "date": retires_on.isoformat()}]
    return []


def application_eligibility(*, session: ExamSession, person, education: str = "",
                            health_declared: bool = False) -> list[EligibilityItem]:
    """Each condition with its result in plain words, for the applicant and the reviewer."""
    found = eligibility.problems_by_check(session=session, candidate=person)
    items: list[EligibilityItem] = []
    age = found.pop(eligibility.AGE, [])
    if not person.id_number_encrypted:
        age = [_("未登记身份证号，无法核对年龄；请先在个人资料中填写身份证号")]
    items.append(EligibilityItem("age", _("年龄"), not age,
                                 "；".join(age) or _("符合年龄要求（年满 18 周岁且未达到法定退休年龄）"), True))
    identity = found.pop(eligibility.IDENTITY, [])
    items.append(EligibilityItem(
        "identity", _("身份核验"), not identity,
        _("身份尚未核验：可以先提交，考试中心审核通过前须完成身份核验") if identity else _("身份已核验"), False))
    suspension = found.pop(eligibility.NO_SUSPENSION, [])
    items.append(EligibilityItem("certificate", _("证书状态"), not suspension,
                                 "；".join(suspension) or _("没有被暂扣或撤销的同类证书"), True))
    training = [p for problems in found.values() for p in problems]
    items.append(EligibilityItem(
        "training", _("培训"), not training,
        (_("培训尚未完成（%(p)s）：可以先提交，考试中心审核通过前须完成") % {"p": "；".join(training)})
        if training else _("已完成规定的培训"), False))
    rule = ExamEntryRule.for_item(session.rule_version_id, session.operation_item)
    if rule is not None and rule.min_education:
        required = EducationLevel(rule.min_education).label
        if not education:
            msg, ok = _("请申报文化程度（须为%(level)s及以上）") % {"level": required}, False
        elif education_meets(education, rule.min_education):
            msg, ok = _("文化程度符合要求（%(level)s及以上）") % {"level": required}, True
        else:
            msg, ok = _("文化程度须为%(level)s及以上") % {"level": required}, False
        items.append(EligibilityItem("education", _("文化程度"), ok, msg, True))
    if rule is not None and rule.health_declaration_required:
        items.append(EligibilityItem(
            "health", _("身体条件"), bool(health_declared),
            _("已声明经体检合格，无妨碍从事该作业的疾病和生理缺陷") if health_declared
            else _("须声明经体检合格，无妨碍从事该作业的疾病和生理缺陷"), True))
    return items


def blocking_problems(items: Iterable[EligibilityItem]) -> list[str]:
    return [i.message for i in items if not i.ok and i.blocking]


def _snapshot(items: Iterable[EligibilityItem]) -> list[dict]:
    return [asdict(i) for i in items]


# ----------------------------------------------------------------------------- sessions

def free_seats(session: ExamSession) -> int:
    taken = Registration.objects.filter(session=session, status=Registration.Status.REGISTERED).count()
    return max(0, session.seats - taken)


def _check_session_open(session: ExamSession, extra: int = 1) -> None:
    if session.starts_at <= timezone.now():
        raise ValidationError(_("该场次已开始或已结束，不能再报名；请选择其他场次。"))
    left = free_seats(session)
    if left < extra:
        if left == 0:
            raise ValidationError(_("该场次座位已满，请选择其他场次。"))
        raise ValidationError(_("该场次仅余 %(n)d 个座位，少于所选的 %(m)d 人。") % {"n": left, "m": extra})


# ----------------------------------------------------------------------------- who may apply for whom

def _is_member(person, organization: Organization) -> bool:
    return Membership.objects.filter(user=person, organization=organization, is_active=True).exists()


def may_apply_for(actor, person, channel: str, organization: Organization | None) -> bool:
    if not getattr(actor, "is_authenticated", False):
        return False
    if channel == Channel.SELF:
        return actor.pk == person.pk
    if organization is None:
        return False
    if channel == Channel.ENTERPRISE:
        return (organization.kind == OrgKind.ENTERPRISE
                and (actor.is_superuser or has_role(actor, *ENTERPRISE_MANAGERS, organization=organization))
                and _is_member(person, organization))
    if channel == Channel.TRAINING:
        return (organization.kind == OrgKind.TRAINING
                and (actor.is_superuser or has_role(actor, Role.INSTRUCTOR, organization=organization))
                and person.pk in trainee_ids({organization.pk}))
    return False


def may_change(actor, application: ExamApplication) -> bool:
    """The person, whoever submitted it, or a manager of the applying organisation."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if actor.is_superuser or actor.pk in (application.person_id, application.applied_by_id):
        return True
    org = application.organization
    if org is None or application.channel == Channel.SELF:
        return False
    roles = ENTERPRISE_MANAGERS if org.kind == OrgKind.ENTERPRISE else {Role.INSTRUCTOR}
    return has_role(actor, *roles, organization=org)


def _refuse_duplicate(person, session: ExamSession, exclude_pk: int | None = None) -> None:
    if Registration.objects.filter(session=session, candidate=person, status=Registration.Status.REGISTERED).exists():
        raise ValidationError(_("%(name)s 已在该场次报名，无需重复申请。") % {"name": person.display_name})
    dup = ExamApplication.objects.filter(person=person, session=session).exclude(status=Status.WITHDRAWN)
    if exclude_pk:
        dup = dup.exclude(pk=exclude_pk)
    if dup.exists():
        raise ValidationError(_("%(name)s 已有该场次的报名申请，请勿重复提交。") % {"name": person.display_name})


# ----------------------------------------------------------------------------- writes

def _validate_declaration(education: str, health_declared_on: dt.date | None) -> None:
    if education and education not in EducationLevel.values:
        raise ValidationError(_("文化程度无效。"))
    if health_declared_on and health_declared_on > timezone.localdate():
        raise ValidationError(_("体检日期不能晚于今天。"))


@transaction.atomic
def application_submit(*, actor, person, session: ExamSession, channel: str = Channel.SELF,
                       organization: Organization | None = None, education: str = "",
                       health_declared: bool = False, health_declared_on: dt.date | None = None) -> ExamApplication:
    """Submit one application. Refused (nothing written) when the actor may not apply for the
    person, the session is not open or full, or a blocking eligibility problem is found."""
    if not may_apply_for(actor, person, channel, organization):
        raise ValidationError(_("您不能为该人员报名。"))
    _validate_declaration(education, health_declared_on)
    ExamSession.objects.select_for_update().filter(pk=session.pk).first()
    _check_session_open(session)
    _refuse_duplicate(person, session)
    items = application_eligibility(session=session, person=person, education=education,
                                    health_declared=health_declared)
    refused = blocking_problems(items)
    if refused:
        raise ValidationError(refused)
    return _create(actor=actor, person=person, session=session, channel=channel, organization=organization,
                   education=education, health_declared=health_declared, health_declared_on=health_declared_on,
                   items=items)


def _create(*, actor, person, session, channel, organization, education, health_declared, health_declared_on,
            items) -> ExamApplication:
    if channel == Channel.SELF and organization is None:
        organization = next((m.organization for m in person.memberships.select_related("organization")
                             if m.is_active and m.organization.kind == OrgKind.ENTERPRISE), None)
    application = ExamApplication.objects.create(
        person=person, applied_by=actor, channel=channel, organization=organization, centre_id=session.centre_id,
        session=session, certificate_kind_id=session.certificate_kind_id, operation_item_id=session.operation_item_id,
        declared_education=education, health_declared=health_declared,
        health_declared_on=health_declared_on if health_declared else None, eligibility=_snapshot(items),
    )
    audit_record(actor=actor, action="exam_application.submit", target=application,
                 after={"session": session.pk, "person": person.username, "channel": channel})
    return application


@transaction.atomic
def applications_submit_batch(*, actor, organization: Organization, people: Iterable, session: ExamSession,
                              education: str = "", health_declared: bool = False,
                              health_declared_on: dt.date | None = None) -> list[ExamApplication]:
    """An enterprise (for its people) or a training institution (for its trainees) applies for
    several people at once, with one declaration for all. All or nothing: any refusal writes
    nothing and every refused person is named with the reasons."""
    people = list(people)
    if not people:
        raise ValidationError(_("请至少选择一名人员。"))
    channel = Channel.ENTERPRISE if organization.kind == OrgKind.ENTERPRISE else Channel.TRAINING
    _validate_declaration(education, health_declared_on)
    ExamSession.objects.select_for_update().filter(pk=session.pk).first()
    _check_session_open(session, extra=len(people))
    errors: list[str] = []
    prepared = []
    for person in people:
        if not may_apply_for(actor, person, channel, organization):
            errors.append(_("%(name)s：不是本单位可报名的人员") % {"name": person.display_name})
            continue
        try:
            _refuse_duplicate(person, session)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        items = application_eligibility(session=session, person=person, education=education,
                                        health_declared=health_declared)
        refused = blocking_problems(items)
        if refused:
            errors.append(f"{person.display_name}：" + "；".join(refused))
        prepared.append((person, items))
    if errors:
        raise ValidationError(errors)
    return [_create(actor=actor, person=p, session=session, channel=channel, organization=organization,
                    education=education, health_declared=health_declared, health_declared_on=health_declared_on,
                    items=items) for p, items in prepared]


@transaction.atomic
def application_resubmit(*, actor, application: ExamApplication, session: ExamSession | None = None,
                         education: str = "", health_declared: bool = False,
                         health_declared_on: dt.date | None = None) -> ExamApplication:
    """Correct a returned (or still waiting) application and submit it again."""
    application = ExamApplication.objects.select_for_update().get(pk=application.pk)
    if not may_change(actor, application):
        raise ValidationError(_("您不能修改该报名申请。"))
    if not application.open_for_change:
        raise ValidationError(_("该报名申请已%(s)s，不能再修改。") % {"s": application.get_status_display()})
    _validate_declaration(education, health_declared_on)
    session = session or application.session
    ExamSession.objects.select_for_update().filter(pk=session.pk).first()
    _check_session_open(session)
    _refuse_duplicate(application.person, session, exclude_pk=application.pk)
    items = application_eligibility(session=session, person=application.person, education=education,
                                    health_declared=health_declared)
    refused = blocking_problems(items)
    if refused:
        raise ValidationError(refused)
    before = {"status": application.status, "session": application.session_id, "reason": application.reason}
    application.session = session
    application.centre_id = session.centre_id
    application.certificate_kind_id = session.certificate_kind_id
    application.operation_item_id = session.operation_item_id
    application.declared_education = education
    application.health_declared = health_declared
    application.health_declared_on = health_declared_on if health_declared else None
    application.eligibility = _snapshot(items)
    application.status = Status.SUBMITTED
    application.reason = ""
    application.submitted_at = timezone.now()
    application.save()
    audit_record(actor=actor, action="exam_application.resubmit", target=application, before=before,
                 after={"session": session.pk})
    return application


@transaction.atomic
def application_withdraw(*, actor, application: ExamApplication) -> ExamApplication:
    application = ExamApplication.objects.select_for_update().get(pk=application.pk)
    if not may_change(actor, application):
        raise ValidationError(_("您不能撤回该报名申请。"))
    if not application.open_for_change:
        raise ValidationError(_("该报名申请已%(s)s，不能撤回。") % {"s": application.get_status_display()})
    application.status = Status.WITHDRAWN
    application.save(update_fields=["status"])
    audit_record(actor=actor, action="exam_application.withdraw", target=application)
    return application


def _may_review(actor, application: ExamApplication) -> bool:
    return bool(getattr(actor, "is_authenticated", False)
                and (actor.is_superuser or application.centre_id in testing_org_ids(actor)))


def _lock_for_review(actor, application: ExamApplication) -> ExamApplication:
    application = ExamApplication.objects.select_for_update(of=("self",)).select_related("person", "applied_by").get(
        pk=application.pk)
    if not _may_review(actor, application):
        raise ValidationError(_("只有受理该申请的考试中心工作人员可以审核。"))
    if application.status != Status.SUBMITTED:
        raise ValidationError(_("该报名申请已%(s)s，不能再审核。") % {"s": application.get_status_display()})
    return application


def _tell(application: ExamApplication, *, title: str, body: str, url: str) -> None:
    notify([application.person], title=title, body=body, url=url, kind="exam_application", sms=True)
    if application.applied_by_id and application.applied_by_id != application.person_id:
        notify([application.applied_by], title=title,
               body=f"{application.person.display_name}：{body}", url=reverse("exams:my_applications"),
               kind="exam_application")


@transaction.atomic
def application_approve(*, actor, application: ExamApplication, session: ExamSession | None = None,
                        override_reason: str = "") -> ExamApplication:
    """Approve: the person is registered in the chosen session (default: the one applied for) of the
    same centre and subject through ``registration_create`` — make-up rules, eligibility (an
    override needs a reason, as for a direct registration), the lowest free seat and the ticket —
    and notified by text message and in the app. The age, certificate, education and health
    conditions cannot be overridden."""
    application = _lock_for_review(actor, application)
    session = session or application.session
    if (session.centre_id != application.centre_id or session.certificate_kind_id != application.certificate_kind_id
            or session.operation_item_id != application.operation_item_id):
        raise ValidationError(_("只能安排到本考试中心同一证书种类和操作项目的场次。"))
    if session.ends_at <= timezone.now():
        raise ValidationError(_("该场次已结束，请选择其他场次。"))
    if session.pk != application.session_id:
        _refuse_duplicate(application.person, session, exclude_pk=application.pk)
    items = application_eligibility(session=session, person=application.person,
                                    education=application.declared_education,
                                    health_declared=application.health_declared)
    refused = blocking_problems(items)
    if refused:
        raise ValidationError(refused)
    registration = registration_create(actor=actor, session=session, candidate=application.person,
                                       override_reason=override_reason.strip())
    application.session = session
    application.registration = registration
    application.status = Status.APPROVED
    application.reason = ""
    application.reviewer = actor
    application.reviewed_at = timezone.now()
    application.eligibility = _snapshot(items)
    application.save()
    audit_record(actor=actor, action="exam_application.approve", target=application,
                 after={"session": session.pk, "registration": registration.pk, "seat": registration.seat},
                 reason=override_reason)
    start = timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M")
    _tell(application, title=_("考试报名已通过"),
          body=_("%(session)s，%(start)s，考场 %(room)s，座位 %(seat)s，准考证号 %(ticket)s。请登录下载准考证。")
          % {"session": session.name, "start": start, "room": session.room or "—", "seat": registration.seat,
             "ticket": registration.ticket_number},
          url=reverse("exams:my_exams"))
    return application


@transaction.atomic
def application_return(*, actor, application: ExamApplication, reason: str) -> ExamApplication:
    """Return the application with a reason the applicant reads; they may correct and resubmit."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("退回时须填写原因。")})
    application = _lock_for_review(actor, application)
    application.status = Status.RETURNED
    application.reason = reason
    application.reviewer = actor
    application.reviewed_at = timezone.now()
    application.save(update_fields=["status", "reason", "reviewer", "reviewed_at"])
    audit_record(actor=actor, action="exam_application.return", target=application, reason=reason)
    _tell(application, title=_("考试报名被退回"),
          body=_("%(session)s：%(reason)s。请修改后重新提交。") % {"session": application.session.name, "reason": reason},
          url=reverse("exams:application", kwargs={"pk": application.pk}))
    return application
