"""Writes to the regulation data."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record

from .models import ExamEntryRule, OperationCategory, OperationItem, PracticalSubject, RetirementAgeRule, RuleVersion


@transaction.atomic
def catalogue_copy_version(*, actor, source: RuleVersion, code: str, name: str, effective_from: dt.date,
                           document: str = "") -> RuleVersion:
    """Start a new rule version (e.g. "2026") as a copy of another, to be edited by authorised staff.
    The source version ends the day the new one starts."""
    if source.scope != RuleVersion.Scope.SPECIAL_OPERATION:
        raise ValidationError({"code": _("只有特种作业目录的版本可以复制。")})
    if RuleVersion.objects.filter(code=code).exists():
        raise ValidationError({"code": _("版本代码“%(c)s”已存在。") % {"c": code}})
    if effective_from <= source.effective_from:
        raise ValidationError({"effective_from": _("新版本的施行日期须晚于原版本。")})
    version = RuleVersion.objects.create(code=code, name=name, document=document, effective_from=effective_from)
    if source.effective_until is None or source.effective_until > effective_from:
        source.effective_until = effective_from
        source.save(update_fields=["effective_until"])
    categories = {}
    for category in source.categories.prefetch_related("items"):
        new_category = OperationCategory.objects.create(
            rule_version=version, code=category.code, name=category.name, order=category.order)
        categories[category.pk] = new_category
        items = list(category.items.all())
        copies = OperationItem.objects.bulk_create([
            OperationItem(category=new_category, code=i.code, name=i.name, order=i.order,
                          real_equipment_required=i.real_equipment_required, is_active=i.is_active)
            for i in items
        ])
        copy_of = {old.pk: new for old, new in zip(items, copies, strict=True)}
        PracticalSubject.objects.bulk_create([
            PracticalSubject(operation_item=copy_of[s.operation_item_id], code=s.code, name=s.name, points=s.points,
                             pass_mark=s.pass_mark, veto_items=s.veto_items, order=s.order)
            for s in PracticalSubject.objects.filter(operation_item__in=items)
        ])
    for kind in source.certificate_kinds.all():
        kind.pk = None
        kind.rule_version = version
        kind.save()
    for rule in ExamEntryRule.objects.filter(rule_version=source):
        rule.pk = None
        rule.rule_version = version
        rule.category = categories.get(rule.category_id)
        rule.save()
    for rule in RetirementAgeRule.objects.filter(rule_version=source):
        rule.pk = None
        rule.rule_version = version
        rule.save()
    audit_record(actor=actor, action="catalogue.version_create", target=version,
                 after={"code": code, "from": source.code, "effective_from": effective_from})
    return version

