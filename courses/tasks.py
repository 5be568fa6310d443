"""Background jobs: assignment-rule sync, due-date reminders, expired stills and the study anomalies.
All take ids (or nothing) and are idempotent."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)


@shared_task(name="courses.tasks.sync_rule")
def sync_rule(rule_id: int) -> int:
    from .models import AssignmentRule
    from .services import rule_sync

    rule = AssignmentRule.objects.filter(pk=rule_id).select_related("issuer", "course").first()
    return rule_sync(rule=rule) if rule else 0


@shared_task(name="courses.tasks.sync_rules_for_user")
def sync_rules_for_user(user_id: int) -> int:
    from .services import rules_sync

    return rules_sync(user_ids=[user_id])


@shared_task(name="courses.tasks.sync_rules_for_organization")
def sync_rules_for_organization(organization_id: int) -> int:
    from .services import rules_sync

    return rules_sync(organization_ids=[organization_id])


@shared_task(name="courses.tasks.sync_all_rules")
def sync_all_rules() -> int:
    """Nightly safety net: whatever a signal missed is enrolled here."""
    from .services import rules_sync

    return rules_sync()


def reminder_kind(due, today):
    from .models import EnrolmentReminder

    days = (due - today).days
    if days < 0:
        return EnrolmentReminder.Kind.OVERDUE
    if days <= 7:
        return EnrolmentReminder.Kind.DUE_7
    if days <= 30:
        return EnrolmentReminder.Kind.DUE_30
    return None


@shared_task(name="courses.tasks.send_due_reminders")
def send_due_reminders() -> int:
    """Remind learners of assigned courses that are due within 30 / 7 days or overdue; each kind of
    reminder goes out at most once per enrolment (a unique constraint guards repeated runs)."""
    from .models import Enrolment, EnrolmentReminder

    today = timezone.localdate()
    horizon = today + timezone.timedelta(days=30)
    sent = 0
    qs = (
        Enrolment.objects.filter(status=Enrolment.Status.ACTIVE, due_date__isnull=False, due_date__lte=horizon)
        .select_related("user", "course")
    )
    already = set(
        EnrolmentReminder.objects.filter(enrolment__in=qs).values_list("enrolment_id", "kind")
    )
    for enrolment in qs.iterator():
        kind = reminder_kind(enrolment.due_date, today)
        if kind is None or (enrolment.pk, kind) in already:
            continue
        try:
            with transaction.atomic():
                EnrolmentReminder.objects.create(enrolment=enrolment, kind=kind)
        except IntegrityError:
            continue
        sent += 1
        _remind(enrolment, kind)
    return sent


def _remind(enrolment, kind) -> None:
    """In-app notification, text message and e-mail (core.notify; the messages leave after commit)."""
    from django.urls import reverse

    from core.notify import notify

    from .models import EnrolmentReminder

    subject = _("培训提醒：%(course)s") % {"course": enrolment.course.title}
    body = _("%(name)s：您的必修课程《%(course)s》完成期限为 %(due)s（%(state)s），请登录安训平台学习。") % {
        "name": enrolment.user.display_name, "course": enrolment.course.title,
        "due": enrolment.due_date.isoformat(), "state": EnrolmentReminder.Kind(kind).label}
    try:
        notify([enrolment.user], title=subject, body=body, url=reverse("courses:course", args=[enrolment.course.code]),
               kind=f"course.reminder.{kind}", sms=True, email=True)
    except Exception:  # one failure must not stop the other reminders
        log.exception("reminder failed for enrolment %s", enrolment.pk)


@shared_task(name="courses.tasks.delete_expired_study_stills")
def delete_expired_study_stills() -> int:
    """Daily: delete study-check stills whose retention (the study rule's years) has ended."""
    from .privacy import delete_expired_stills

    return delete_expired_stills()


@shared_task(name="courses.tasks.record_study_anomalies")
def record_study_anomalies() -> int:
    """Daily: record every person's study anomalies of this month (and of last month, so its last day
    is counted) for the bureau's pages. Idempotent: the rows are recomputed from the trail."""
    from .anomalies import record_month

    today = timezone.localdate()
    months = sorted({(today - dt.timedelta(days=1)).replace(day=1), today.replace(day=1)})
    return sum(record_month(month) for month in months)
