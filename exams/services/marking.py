"""Marking: essays by hand and practical exam results."""

from __future__ import annotations


from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.decimals import finite_decimal

from ..models import (
    Answer,
    Attempt,
    PracticalResult,
    PracticalTask,
    Registration,
)
from .attempts import grade_attempt


@transaction.atomic
def essay_mark(*, actor, answer: Answer, score: Decimal, comment: str = "") -> Answer:
    answer = Answer.objects.select_for_update().select_related("item", "attempt").get(pk=answer.pk)
    score = finite_decimal(score)
    if score is None or score < 0 or score > answer.item.points:
        raise ValidationError(_("得分应在 0 至 %(p)s 之间。") % {"p": answer.item.points})
    if answer.attempt.status == Attempt.Status.IN_PROGRESS:
        raise ValidationError(_("答卷尚未交卷。"))
    before = answer.score
    answer.score = score.quantize(Decimal("0.1"))
    answer.marked_by = actor
    answer.marked_at = timezone.now()
    answer.marker_comment = comment
    answer.save(update_fields=["score", "marked_by", "marked_at", "marker_comment"])
    audit_record(actor=actor, action="answer.mark" if before is None else "answer.score_change", target=answer.attempt,
                 before={"item": answer.item.position, "score": before},
                 after={"item": answer.item.position, "score": answer.score}, reason=comment)
    attempt = Attempt.objects.select_for_update().get(pk=answer.attempt_id)
    prev = {"score": attempt.score, "passed": attempt.passed, "status": attempt.status}
    attempt.status = Attempt.Status.IN_PROGRESS  # let grade_attempt recompute from the saved answers
    grade_attempt(attempt)
    attempt.save(update_fields=["score", "passed", "status"])
    if prev["status"] == Attempt.Status.GRADED and (prev["score"] != attempt.score or prev["passed"] != attempt.passed):
        audit_record(actor=actor, action="attempt.score_change", target=attempt, before=prev,
                     after={"score": attempt.score, "passed": attempt.passed, "status": attempt.status})
    return answer


# --------------------------------------------------------------------------- practical exams

@transaction.atomic
def practical_result_record(*, examiner, registration: Registration, scores: dict, notes: str = "") -> PracticalResult:
    session = registration.session
    if session.operation_item_id is None:
        raise ValidationError(_("本场次没有操作项目，不需要实操考试。"))
    tasks = {t.pk: t for t in PracticalTask.objects.filter(operation_item_id=session.operation_item_id, is_active=True)}
    if not tasks:
        raise ValidationError(_("该操作项目尚未设置实操考试项目。"))
    clean: dict[str, str] = {}
    errors = []
    for tid, task in tasks.items():
        raw = scores.get(tid, scores.get(str(tid)))
        value = finite_decimal(raw)
        if value is None:
            errors.append(_("“%(t)s”的得分无效") % {"t": task.title})
            continue
        if value < 0 or value > task.points:
            errors.append(_("“%(t)s”的得分应在 0 至 %(p)s 之间") % {"t": task.title, "p": task.points})
            continue
        clean[str(tid)] = str(value.quantize(Decimal("0.1")))
    if errors:
        raise ValidationError(errors)
    total = sum((Decimal(v) for v in clean.values()), Decimal(0))
    max_total = sum((t.points for t in tasks.values()), Decimal(0))
    pass_mark = Decimal(session.certificate_kind.practical_pass_mark or 80) * max_total / Decimal(100)
    existing = PracticalResult.objects.select_for_update().filter(registration=registration).first()
    before = {"scores": existing.scores, "total": existing.total, "passed": existing.passed} if existing else None
    result, _created = PracticalResult.objects.update_or_create(
        registration=registration,
        defaults={"examiner": examiner, "scores": clean, "total": total, "pass_mark": pass_mark.quantize(Decimal("0.1")),
                  "passed": total >= pass_mark, "notes": notes, "recorded_at": timezone.now()},
    )
    audit_record(actor=examiner, action="practical_result.change" if existing else "practical_result.record",
                 target=registration, before=before,
                 after={"scores": clean, "total": total, "passed": result.passed}, reason=notes)
    return result
