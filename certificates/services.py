"""Writes for certificates: issuance, lifecycle changes, reviews, reminders, imports, roster checks.

Every function is keyword-only, validates its input (``ValidationError`` with a Chinese message,
nothing changed) and audits the state changes that matter.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from catalogue.models import CertificateKind, OperationItem
from core.audit import audit_record

from . import numbers
from .models import (
    Certificate,
    CertificateBatch,
    CertificateNumberSequence,
    CertificateReview,
    REVOKE_CATEGORIES,
    SUSPEND_CATEGORIES,
    LiveStatus,
    Reminder,
    RosterCheck,
)
from .selectors import can_manage_certificate, duplicate_message, officer_org_ids, standing_certificates

logger = logging.getLogger("anxun.certificates")

REMINDER_DAYS = (60, 30, 7)


def _snapshot(c: Certificate) -> dict:
    return {
        "number": c.number, "state": c.state, "state_category": c.state_category, "valid_from": c.valid_from, "valid_until": c.valid_until,
        "next_review_due": c.next_review_due, "last_reviewed_on": c.last_reviewed_on, "revision": c.revision,
    }


def _queue_render(certificate_id: int) -> None:
    from .tasks import render_certificate_pdf

    transaction.on_commit(lambda: render_certificate_pdf.delay(certificate_id))


def next_certificate_number(*, year: int) -> str:
    """Allocate the next number of the year (row-locked counter; gap-free within a transaction)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                CertificateNumberSequence.objects.get_or_create(year=year)
        except IntegrityError:
            pass
        CertificateNumberSequence.objects.filter(year=year).update(last=F("last") + 1)
        sequence = CertificateNumberSequence.objects.select_for_update().get(year=year).last
    return numbers.format_number(year, sequence)


def _unique_code() -> str:
    for _attempt in range(10):
        code = numbers.new_verification_code()
        if not Certificate.objects.filter(verification_code=code).exists():
            return code
    raise RuntimeError("could not allocate a verification code")


def default_dates(kind: CertificateKind, valid_from: dt.date) -> tuple[dt.date, dt.date | None]:
    valid_until = valid_from + relativedelta(months=kind.validity_months) - dt.timedelta(days=1)
    review = valid_from + relativedelta(months=kind.review_interval_months) if kind.review_interval_months else None
    if review and review > valid_until:
        review = valid_until
    return valid_until, review


def default_authority() -> str:
    return getattr(settings, "ANXUN_CERTIFICATE_AUTHORITY", "") or _("应急管理部门")


@transaction.atomic
def certificate_issue(
    *,
    officer: User | None,
    holder: User,
    kind: CertificateKind,
    operation_item: OperationItem | None = None,
    issuing_authority: str = "",
    issued_by_org: Organization | None = None,
    employer: Organization | None = None,
    valid_from: dt.date | None = None,
    first_issued_on: dt.date | None = None,
    valid_until: dt.date | None = None,
    next_review_due: dt.date | None = None,
    last_reviewed_on: dt.date | None = None,
    source: str = Certificate.Source.ISSUED,
    registration=None,
    holder_name: str = "",
    render: bool = True,
    request=None,
) -> Certificate:
    """Create one certificate under the kind's rule version, number it, audit it, queue its PDF."""
    errors: dict[str, str] = {}
    id_number = holder.id_number
    if not id_number:
        errors["holder"] = _("持证人没有登记身份证号，不能发证。")
    if kind.requires_operation_item and operation_item is None:
        errors["operation_item"] = _("该证书种类须指定操作项目。")
    if operation_item is not None and operation_item.category.rule_version_id != kind.rule_version_id:
        errors["operation_item"] = _("操作项目与证书种类不属于同一规则版本。")
    valid_from = valid_from or timezone.localdate()
    computed_until, computed_review = default_dates(kind, valid_from)
    valid_until = valid_until or computed_until
    if valid_until <= valid_from:
        errors["valid_until"] = _("有效期结束日期须晚于开始日期。")
    if errors:
        raise ValidationError(errors)
    if source == Certificate.Source.ISSUED and valid_until >= timezone.localdate():
        # no duplicate certificates: one standing certificate per person and operation
        User.objects.select_for_update().filter(pk=holder.pk).first()
        held = standing_certificates(holder_ids=[holder.pk], kind=kind, operation_item=operation_item).first()
        if held is not None:
            raise ValidationError({"holder": duplicate_message(held)})
    if issued_by_org is None and officer is not None:
        orgs = officer_org_ids(officer)
        issued_by_org = Organization.objects.filter(pk__in=orgs).order_by("pk").first() if orgs else None
    certificate = Certificate(
        number=next_certificate_number(year=valid_from.year),
        verification_code=_unique_code(),
        holder=holder,
        holder_name=holder_name or holder.display_name,
        employer=employer,
        kind=kind,
        operation_item=operation_item if kind.requires_operation_item or operation_item else None,
        rule_version_id=kind.rule_version_id,
        issuing_authority=issuing_authority or default_authority(),
        issued_by_org=issued_by_org,
        first_issued_on=first_issued_on or valid_from,
        valid_from=valid_from,
        valid_until=valid_until,
        next_review_due=next_review_due if next_review_due is not None else computed_review,
        last_reviewed_on=last_reviewed_on,
        source=source,
        created_by=officer if getattr(officer, "is_authenticated", False) else None,
    )
    if registration is not None:
        certificate.registration = registration
    certificate.set_national_number(id_number)
    certificate.save()
    audit_record(actor=officer, action="certificate.issue", target=certificate, after=_snapshot(certificate),
                 request=request)
    if render:
        _queue_render(certificate.pk)
    return certificate


def _require_manager(actor, certificate: Certificate) -> None:
    if not can_manage_certificate(actor, certificate):
        raise PermissionDenied(_("您无权管理这张证书。"))


def _change_state(*, actor, certificate: Certificate, state: str, reason: str, action: str, category: str = "",
                  allowed_categories: frozenset = frozenset(), request=None) -> Certificate:
    """Suspend, reinstate or revoke. A suspension or revocation names its category (what the public
    page shows) from ``allowed_categories``; the free-text reason is internal and audited."""
    _require_manager(actor, certificate)
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("请填写原因。")
    if allowed_categories and category not in allowed_categories:
        errors["category"] = (_("请选择撤销类别。") if state == Certificate.State.REVOKED
                              else _("请选择暂扣类别。"))
    if errors:
        raise ValidationError(errors)
    if certificate.state == Certificate.State.REVOKED:
        raise ValidationError(_("证书已撤销，不能再变更状态。"))
    if certificate.state == state:
        raise ValidationError(_("证书已处于该状态。"))
    before = _snapshot(certificate)
    certificate.state = state
    certificate.state_category = category if allowed_categories else ""
    certificate.state_reason = reason
    certificate.state_changed_at = timezone.now()
    certificate.revision += 1
    certificate.save(update_fields=["state", "state_category", "state_reason", "state_changed_at", "revision",
                                    "updated_at"])
    audit_record(actor=actor, action=action, target=certificate, before=before, after=_snapshot(certificate),
                 reason=reason, request=request)
    _queue_render(certificate.pk)
    return certificate


@transaction.atomic
def certificate_suspend(*, actor, certificate: Certificate, category: str, reason: str, request=None) -> Certificate:
    """Suspend (暂扣) for one of ``SUSPEND_CATEGORIES``."""
    return _change_state(actor=actor, certificate=certificate, state=Certificate.State.SUSPENDED, reason=reason,
                         category=category, allowed_categories=SUSPEND_CATEGORIES, action="certificate.suspend",
                         request=request)


@transaction.atomic
def certificate_reinstate(*, actor, certificate: Certificate, reason: str, request=None) -> Certificate:
    if certificate.state != Certificate.State.SUSPENDED:
        raise ValidationError(_("只有暂扣的证书可以恢复。"))
    return _change_state(actor=actor, certificate=certificate, state=Certificate.State.ACTIVE, reason=reason,
                         action="certificate.reinstate", request=request)


@transaction.atomic
def certificate_revoke(*, actor, certificate: Certificate, category: str, reason: str, request=None) -> Certificate:
    """Revoke (撤销, final) for one of ``REVOKE_CATEGORIES``."""
    return _change_state(actor=actor, certificate=certificate, state=Certificate.State.REVOKED, reason=reason,
                         category=category, allowed_categories=REVOKE_CATEGORIES, action="certificate.revoke",
                         request=request)


# ---------------------------------------------------------------------------------------------
# Reviews (复审)
# ---------------------------------------------------------------------------------------------


def refresher_hours_for(user: User, since: dt.date) -> tuple[Decimal, str]:
    """Refresher training hours recorded by the courses app since a date (0 when it is absent)."""
    try:
        from courses import selectors as course_selectors

        fn = course_selectors.refresher_hours
    except (ImportError, AttributeError):
        return Decimal("0"), _("培训学时记录暂不可用（课程模块未提供学时数据），按0学时计算。")
    return Decimal(str(fn(user, since) or 0)), ""


def review_checks(certificate: Certificate, *, today: dt.date | None = None) -> tuple[list[dict], Decimal]:
    """The rules a review application must pass, each with a Chinese explanation."""
    today = today or timezone.localdate()
    kind = certificate.kind
    checks: list[dict] = []
    status = certificate.status_on(today)
    due = certificate.next_review_due or certificate.valid_until
    window_start = due - dt.timedelta(days=kind.review_window_days)
    checks.append({
        "rule": "state", "ok": status not in (LiveStatus.REVOKED, LiveStatus.SUSPENDED, LiveStatus.EXPIRED),
        "message": _("证书当前状态：%(s)s（撤销、暂扣或已过期的证书不能复审）。") % {"s": LiveStatus(status).label},
    })
    checks.append({
        "rule": "window", "ok": window_start <= today <= due,
        "message": _("复审申请期为 %(a)s 至 %(b)s。") % {"a": window_start.isoformat(), "b": due.isoformat()},
    })
    since = certificate.last_reviewed_on or certificate.valid_from
    hours, note = refresher_hours_for(certificate.holder, since)
    required = kind.review_refresher_hours
    message = _("自 %(since)s 起已记录复审培训 %(h)s 学时，要求不少于 %(r)s 学时。") % {
        "since": since.isoformat(), "h": hours, "r": required}
    if note:
        message = f"{message}{note}"
    checks.append({"rule": "refresher_hours", "ok": hours >= required, "message": message})
    return checks, hours


@transaction.atomic
def review_apply(*, holder: User, certificate: Certificate, today: dt.date | None = None) -> CertificateReview:
    if certificate.holder_id != holder.pk:
        raise PermissionDenied(_("只能为本人的证书申请复审。"))
    if not certificate.kind.review_interval_months:
        raise ValidationError(_("该证书种类不需要复审。"))
    if certificate.reviews.filter(status=CertificateReview.Status.PENDING).exists():
        raise ValidationError(_("已有待审核的复审申请。"))
    checks, hours = review_checks(certificate, today=today)
    failed = [c["message"] for c in checks if not c["ok"]]
    if failed:
        raise ValidationError(failed)
    review = CertificateReview.objects.create(
        certificate=certificate, applicant=holder, due_date=certificate.next_review_due,
        refresher_hours=hours, checks=checks,
    )
    audit_record(actor=holder, action="certificate.review_apply", target=certificate,
                 after={"review": review.pk, "due_date": review.due_date})
    return review


@transaction.atomic
def review_approve(*, officer, review: CertificateReview, today: dt.date | None = None, request=None) -> Certificate:
    certificate = Certificate.objects.select_for_update().get(pk=review.certificate_id)
    _require_manager(officer, certificate)
    if review.status != CertificateReview.Status.PENDING:
        raise ValidationError(_("该申请已处理。"))
    today = today or timezone.localdate()
    checks, hours = review_checks(certificate, today=today)
    # The window is judged on the application date; everything else again now.
    failed = [c["message"] for c in checks if not c["ok"] and c["rule"] != "window"]
    if failed:
        raise ValidationError(failed)
    before = _snapshot(certificate)
    kind = certificate.kind
    new_due = review.due_date + relativedelta(months=kind.review_interval_months)
    if new_due > certificate.valid_until:
        # The review at the end of the validity renews the certificate (延期换证).
        certificate.valid_until = certificate.valid_until + relativedelta(months=kind.validity_months)
    certificate.next_review_due = new_due
    certificate.last_reviewed_on = today
    certificate.revision += 1
    certificate.save()
    review.status = CertificateReview.Status.APPROVED
    review.decided_by = officer
    review.decided_at = timezone.now()
    review.refresher_hours = hours
    review.checks = checks
    review.save()
    audit_record(actor=officer, action="certificate.review_approve", target=certificate, before=before,
                 after=_snapshot(certificate), request=request)
    _queue_render(certificate.pk)
    return certificate


@transaction.atomic
def review_reject(*, officer, review: CertificateReview, reason: str, request=None) -> CertificateReview:
    _require_manager(officer, review.certificate)
    if review.status != CertificateReview.Status.PENDING:
        raise ValidationError(_("该申请已处理。"))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写不通过的原因。")})
    review.status = CertificateReview.Status.REJECTED
    review.decided_by = officer
    review.decided_at = timezone.now()
    review.decision_reason = reason.strip()
    review.save()
    audit_record(actor=officer, action="certificate.review_reject", target=review.certificate, reason=reason,
                 request=request)
    return review


# ---------------------------------------------------------------------------------------------
# Reminders
# ---------------------------------------------------------------------------------------------


def _reminder_recipients(certificate: Certificate, admins_by_org: dict[int, list[User]], orgs_by_user: dict[int, set[int]]) -> list[User]:
    """The holder, and the administrators and safety managers of the holder's enterprises."""
    recipients = {certificate.holder_id: certificate.holder}
    for org_id in orgs_by_user.get(certificate.holder_id, set()):
        for admin in admins_by_org.get(org_id, []):
            recipients.setdefault(admin.pk, admin)
    return list(recipients.values())


def reminders_send_due(*, today: dt.date | None = None) -> int:
    """Send the reminders due today (60/30/7 days before review and expiry). Idempotent: each
    (certificate, date, threshold, recipient) is recorded once; only the nearest threshold that has
    been reached is sent, so a late first run never floods anyone."""
    from accounts.models import Membership
    from accounts.roles import Role

    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=max(REMINDER_DAYS))
    certificates = list(
        Certificate.objects.filter(state=Certificate.State.ACTIVE)
        .filter(models_q_due_between(today, horizon))
        .select_related("holder", "kind", "operation_item")
    )
    if not certificates:
        return 0
    holder_ids = {c.holder_id for c in certificates}
    orgs_by_user: dict[int, set[int]] = {}
    for m in Membership.objects.filter(user_id__in=holder_ids, is_active=True, organization__kind="enterprise"):
        orgs_by_user.setdefault(m.user_id, set()).add(m.organization_id)
    org_ids = set().union(*orgs_by_user.values()) if orgs_by_user else set()
    admins_by_org: dict[int, list[User]] = {}
    for m in Membership.objects.filter(organization_id__in=org_ids, role__in=[Role.ENT_ADMIN, Role.SAFETY_MANAGER],
                                       is_active=True, user__is_active=True).select_related("user"):
        admins_by_org.setdefault(m.organization_id, []).append(m.user)
    existing = set(
        Reminder.objects.filter(certificate__in=certificates).values_list(
            "certificate_id", "kind", "due_date", "days_before", "recipient_id")
    )
    sent = 0
    for certificate in certificates:
        for kind, due in ((Reminder.Kind.REVIEW, certificate.next_review_due), (Reminder.Kind.EXPIRY, certificate.valid_until)):
            if due is None or not (today <= due <= horizon):
                continue
            if kind == Reminder.Kind.REVIEW and due == certificate.valid_until:
                continue  # the expiry reminder covers it
            days_left = (due - today).days
            reached = [d for d in REMINDER_DAYS if days_left <= d]
            if not reached:
                continue
            threshold = min(reached)
            for recipient in _reminder_recipients(certificate, admins_by_org, orgs_by_user):
                key = (certificate.pk, kind, due, threshold, recipient.pk)
                if key in existing:
                    continue
                try:
                    with transaction.atomic():
                        reminder = Reminder.objects.create(
                            certificate=certificate, kind=kind, due_date=due, days_before=threshold, recipient=recipient)
                except IntegrityError:
                    continue  # another run recorded it first
                existing.add(key)
                reminder.delivered = _deliver_reminder(reminder, certificate, recipient, days_left)
                if reminder.delivered:
                    Reminder.objects.filter(pk=reminder.pk).update(delivered=True)
                sent += 1
    return sent


def models_q_due_between(start: dt.date, end: dt.date):
    from django.db.models import Q

    return Q(next_review_due__range=(start, end)) | Q(valid_until__range=(start, end))


def _deliver_reminder(reminder: Reminder, certificate: Certificate, recipient: User, days_left: int) -> bool:
    """In-app notification, text message and e-mail (core.notify); the messages leave after commit."""
    from django.urls import reverse

    from core.notify import notify

    what = _("复审") if reminder.kind == Reminder.Kind.REVIEW else _("有效期届满")
    subject = _("【安训】证书%(what)s提醒：%(name)s %(item)s") % {
        "what": what, "name": certificate.holder_name, "item": certificate.operation_item or certificate.kind.name}
    body = _(
        "%(name)s 的%(kind)s（证书编号 %(number)s，%(item)s）将于 %(due)s %(what)s，还有 %(days)d 天。"
        "请在期限内办理，逾期证书将失效。"
    ) % {"name": certificate.holder_name, "kind": certificate.kind.name, "number": certificate.number,
         "item": certificate.operation_item or "", "due": reminder.due_date.isoformat(), "what": what, "days": days_left}
    try:
        notify([recipient], title=subject, body=body, url=reverse("certificates:detail", args=[certificate.pk]),
               kind=f"certificate.reminder.{reminder.kind}", sms=True, email=True)
    except Exception:  # noqa: BLE001 - one failure must not stop the other reminders
        logger.exception("reminder %s could not be delivered", reminder.pk)
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Roster checks and batches
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def roster_check_run(*, user: User, rows: list[dict], source_name: str = "", channel: str = "upload",
                     organization: Organization | None = None) -> RosterCheck:
    from .roster import MAX_ROWS, check_rows

    if len(rows) > MAX_ROWS:
        raise ValidationError(_("一次最多核查 %(n)d 行，请拆分后上传。") % {"n": MAX_ROWS})
    if not rows:
        raise ValidationError(_("名单中没有数据行。"))
    results, summary = check_rows(rows)
    check = RosterCheck.objects.create(
        created_by=user, organization=organization, source_name=source_name[:255], channel=channel,
        row_count=len(results), summary=summary, results=results,
    )
    audit_record(actor=user, action="certificate.roster_check", target=check, after={"rows": len(results), "summary": summary})
    return check


@transaction.atomic
def batch_create(*, user: User, action: str, item_ids: list[int], organization: Organization | None = None) -> CertificateBatch:
    from .tasks import run_certificate_batch

    batch = CertificateBatch.objects.create(
        created_by=user, organization=organization, action=action, item_ids=list(item_ids), total=len(item_ids))
    transaction.on_commit(lambda: run_certificate_batch.delay(batch.pk))
    return batch



# ---------------------------------------------------------------------------------------------
# Issuance from exam results (when the exams app provides qualified registrations)
# ---------------------------------------------------------------------------------------------


def exams_available() -> bool:
    try:
        from exams import selectors as exam_selectors
    except ImportError:
        return False
    return hasattr(exam_selectors, "qualified_registrations")


def _authority_for(centre: Organization | None) -> str:
    """The bureau whose region covers the exam centre issues the certificate (data, not code)."""
    configured = getattr(settings, "ANXUN_CERTIFICATE_AUTHORITY", "")
    if configured or centre is None:
        return configured or default_authority()
    from accounts.models import region_prefix

    bureaus = Organization.objects.filter(kind="bureau", is_active=True).select_related("region")
    covering = [b for b in bureaus if centre.region_id.startswith(region_prefix(b.region_id))]
    if covering:
        return max(covering, key=lambda b: len(region_prefix(b.region_id))).name
    return centre.name


def _employer_of(user: User) -> Organization | None:
    from accounts.models import Membership

    membership = (Membership.objects.filter(user=user, is_active=True, organization__kind="enterprise")
                  .select_related("organization").order_by("pk").first())
    return membership.organization if membership else None


def certificate_issue_from_registration(*, officer, registration, request=None) -> Certificate:
    """One certificate per qualifying exam result, however often this is called: the registration
    row is locked, an existing certificate is returned, and the one-to-one column is the last guard."""
    from exams.models import PracticalResult, Registration
    from exams.selectors import qualified_registrations

    with transaction.atomic():
        Registration.objects.select_for_update().filter(pk=registration.pk).first()
        existing = Certificate.objects.filter(registration_id=registration.pk).first()
        if existing is not None:
            return existing
        qualified = qualified_registrations(officer).filter(pk=registration.pk).first()
        if qualified is None:
            practical = PracticalResult.objects.filter(registration_id=registration.pk).first()
            if practical is not None and practical.passed and not practical.is_confirmed:
                raise ValidationError(_("实操考试成绩尚未经第二位考评员确认，不能发证。"))
            raise ValidationError(_("该考生尚未通过理论和实操考试，或不属于您所在的考试中心，不能发证。"))
        session = qualified.session
        try:
            with transaction.atomic():
                return certificate_issue(
                    officer=officer, holder=qualified.candidate, kind=session.certificate_kind,
                    operation_item=session.operation_item, issuing_authority=_authority_for(session.centre),
                    issued_by_org=session.centre, employer=_employer_of(qualified.candidate),
                    valid_from=timezone.localdate(), registration=qualified, request=request,
                )
        except IntegrityError:
            pass
    return Certificate.objects.get(registration_id=registration.pk)


def certificate_issue_from_registration_id(*, officer, registration_id: int) -> Certificate:
    from exams.models import Registration

    registration = Registration.objects.filter(pk=registration_id).first()
    if registration is None:
        raise ValidationError(_("考试报名不存在。"))
    return certificate_issue_from_registration(officer=officer, registration=registration)
