"""Keep rule-based enrolments current: a new membership or a changed enterprise (industry, region,
hazard tags) queues a re-sync after the transaction commits. The nightly job catches the rest."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from accounts.models import Membership, Organization


@receiver(post_save, sender=Membership, dispatch_uid="courses-membership-sync")
def membership_saved(sender, instance: Membership, raw=False, **kwargs):
    if raw or not instance.is_active:
        return
    from .tasks import sync_rules_for_user

    user_id = instance.user_id
    transaction.on_commit(lambda: sync_rules_for_user.delay(user_id))


@receiver(post_save, sender=Organization, dispatch_uid="courses-organization-sync")
def organization_saved(sender, instance: Organization, created=False, raw=False, **kwargs):
    if raw or created:
        return
    from .tasks import sync_rules_for_organization

    org_id = instance.pk
    transaction.on_commit(lambda: sync_rules_for_organization.delay(org_id))


@receiver(m2m_changed, sender=Organization.hazard_tags.through, dispatch_uid="courses-hazard-tags-sync")
def organization_tags_changed(sender, instance, action, reverse=False, pk_set=None, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    from .tasks import sync_rules_for_organization

    org_ids = list(pk_set or []) if reverse else [instance.pk]
    for org_id in org_ids:
        transaction.on_commit(lambda org_id=org_id: sync_rules_for_organization.delay(org_id))


def _guard_practice_banks(sender, instance, action, reverse=False, pk_set=None, **kwargs):
    """考培分离: a testing bank can never become a course's practice bank, whatever path adds it."""
    if action != "pre_add" or not pk_set:
        return
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from exams.models import QuestionBank

    if reverse:
        bad = QuestionBank.objects.filter(pk=instance.pk).exclude(kind=QuestionBank.Kind.TRAINING).exists()
    else:
        bad = QuestionBank.objects.filter(pk__in=pk_set).exclude(kind=QuestionBank.Kind.TRAINING).exists()
    if bad:
        raise ValidationError(_("课程练习只能使用培训练习题库，不能使用考试题库。"))


def connect_guards():
    from .models import Course

    m2m_changed.connect(_guard_practice_banks, sender=Course.practice_banks.through,
                        dispatch_uid="courses-practice-banks-guard")
