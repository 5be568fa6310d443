"""Practice on training banks and the wrong-answer notebook."""

from __future__ import annotations



from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _


from ..grading import normalise_response
from ..models import (
    PracticeRecord,
    Question,
    QuestionBank,
)
from .errors import ExamError


# --------------------------------------------------------------------------- practice

def practice_answer(*, user, question: Question, response: str) -> PracticeRecord:
    """Record a practice answer on a training question and return the learner's record."""
    if question.bank.kind != QuestionBank.Kind.TRAINING:
        raise PermissionDenied
    if question.type == Question.Type.ESSAY:
        raise ExamError(_("简答题不提供自动判分。"))
    allowed = "TF" if question.type == Question.Type.TRUEFALSE else "".join(o["key"] for o in question.options)
    value = normalise_response(response, allowed)
    correct = bool(value) and value == question.answer
    now = timezone.now()
    with transaction.atomic():
        record, _c = PracticeRecord.objects.select_for_update().get_or_create(
            user=user, question=question, defaults={"bank": question.bank}
        )
        record.last_response = value
        record.last_correct = correct
        record.times += 1
        if not correct:
            record.wrong_times += 1
            record.in_notebook = True
        record.answered_at = now
        record.save()
    return record


def notebook_remove(*, user, question_id: int) -> None:
    PracticeRecord.objects.filter(user=user, question_id=question_id).update(in_notebook=False)
