"""Marking: essays by hand (practical exam results: ``practical``)."""

from __future__ import annotations


from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.decimals import finite_decimal

from ..models import Answer, Attempt
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
