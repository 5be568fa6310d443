"""Blueprints (组卷策略): sections, pass mark and the rules of saving one."""

from __future__ import annotations


from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record

from .. import pools
from ..models import (
    Attempt,
    Blueprint,
    BlueprintSection,
    KnowledgeTag,
    QuestionBank,
)


# --------------------------------------------------------------------------- blueprints

@dataclass
class SectionSpec:
    title: str
    question_type: str
    count: int
    points: Decimal
    tags: tuple[str, ...] = ()
    difficulty_min: int = 1
    difficulty_max: int = 5
    partial_credit: bool = False


@transaction.atomic
def blueprint_save(
    *, actor, owner, code: str, name: str, bank: QuestionBank, sections: list[SectionSpec],
    training_bank: QuestionBank | None = None, certificate_kind=None, pass_mark: Decimal | None = None,
    duration_minutes: int = 90, editing: Blueprint | None = None, new: bool = False, **options,
) -> Blueprint:
    """Create or replace a blueprint and its sections. ``editing``: the blueprint being edited (its
    code may change); ``new``: a blueprint created under a code of its own; with neither, the
    blueprint of ``code`` is replaced, or created.

    A blueprint candidates have already sat is never changed (their papers refer to it): editing it
    saves a copy, which needs a code of its own. Every section must be drawable from the bank as
    it is, and the pass mark may not exceed the total."""
    if not sections:
        raise ValidationError(_("至少需要一个题组。"))
    if editing is not None and blueprint_in_use(editing):
        editing, new = None, True  # a copy
    same_code = Blueprint.objects.filter(code=code).exclude(pk=getattr(editing, "pk", None)).first()
    if same_code is not None:
        if new or editing is not None:
            raise ValidationError({"code": _("该代码已被其他组卷策略使用。")})
        if blueprint_in_use(same_code):
            raise ValidationError({"code": _("已有考生作答的组卷策略不能修改；请以新的代码另存。")})
    if bank.kind != QuestionBank.Kind.TESTING:
        raise ValidationError(_("组卷策略的考试题库必须是考试题库。"))
    if options.get("review_policy", Blueprint.Review.RESPONSES) not in Blueprint.EXAM_REVIEW_POLICIES:
        raise ValidationError({"review_policy": _(
            "考试题库的试题不向考生公布答案与解析：正式考试考后只能查看成绩及各知识点对错题数。")})
    if training_bank is not None and training_bank.kind != QuestionBank.Kind.TRAINING:
        raise ValidationError(_("模拟考试只能使用练习题库。"))
    if pass_mark is None and certificate_kind is not None:
        pass_mark = Decimal(certificate_kind.theory_pass_mark)
    total = sum((Decimal(s.count) * Decimal(s.points) for s in sections), Decimal(0))
    if total <= 0:
        raise ValidationError(_("试卷总分必须大于 0。"))
    if pass_mark is not None and pass_mark > total:
        raise ValidationError(_("合格分 %(pass)s 高于试卷总分 %(total)s。") % {"pass": pass_mark, "total": total})
    tag_pks = dict(KnowledgeTag.objects.filter(code__in={c for s in sections for c in s.tags}).values_list("code", "pk"))
    pool = pools.pool_for(bank.pk)
    short = []
    for s in sections:
        found = len(pool.select(s.question_type, s.difficulty_min, s.difficulty_max,
                                frozenset(tag_pks[c] for c in s.tags if c in tag_pks))[0])
        if found < s.count:
            short.append(_("“%(section)s”需要 %(count)d 道，题库“%(bank)s”中符合条件的只有 %(n)d 道。")
                         % {"section": s.title, "count": s.count, "bank": bank.name, "n": found})
    if short:
        raise ValidationError(short)
    if editing is not None and editing.code != code:
        Blueprint.objects.filter(pk=editing.pk).update(code=code)
    bp, created = Blueprint.objects.update_or_create(
        code=code,
        defaults={"name": name, "owner": owner, "bank": bank, "training_bank": training_bank,
                  "certificate_kind": certificate_kind, "pass_mark": pass_mark, "duration_minutes": duration_minutes,
                  **options},
    )
    # Papers prepared under the old sections would no longer match the blueprint.
    Attempt.all_objects.filter(blueprint=bp, status=Attempt.Status.PREPARED).delete()
    bp.sections.all().delete()
    tag_map = {t.code: t for t in KnowledgeTag.objects.filter(code__in={c for s in sections for c in s.tags})}
    for i, s in enumerate(sections):
        sec = BlueprintSection.objects.create(
            blueprint=bp, order=i, title=s.title, question_type=s.question_type, count=s.count, points=s.points,
            difficulty_min=s.difficulty_min, difficulty_max=s.difficulty_max, partial_credit=s.partial_credit,
        )
        if s.tags:
            sec.tags.set([tag_map[c] for c in s.tags if c in tag_map])
    audit_record(actor=actor, action="blueprint.create" if created else "blueprint.update", target=bp,
                 after={"sections": len(sections), "pass_mark": pass_mark})
    return bp


def blueprint_in_use(blueprint: Blueprint) -> bool:
    """Whether candidates have sat (or are sitting) papers of this blueprint."""
    return blueprint.attempts.exists()
