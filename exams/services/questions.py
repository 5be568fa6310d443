"""Questions: create, edit (a new version once a paper used it), retire and restore."""

from __future__ import annotations


import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record

from ..grading import normalise_response
from ..models import (
    OPTION_KEYS,
    KnowledgeTag,
    Question,
    QuestionBank,
    stem_digest,
    truefalse_options,
)


TF_ALIASES = {"T": "T", "F": "F", "对": "T", "错": "F", "正确": "T", "错误": "F", "√": "T", "×": "F",
              "Y": "T", "N": "F", "TRUE": "T", "FALSE": "F", "是": "T", "否": "F"}


# --------------------------------------------------------------------------- questions

def question_problems(*, qtype: str, stem: str, options: list[dict], answer: str, difficulty) -> list[str]:
    """Everything wrong with a question's data, as Chinese messages (empty when valid)."""
    problems: list[str] = []
    if qtype not in Question.Type.values:
        problems.append(_("未知题型“%(t)s”（应为 single/multiple/truefalse/essay 或 单选/多选/判断/简答）") % {"t": qtype})
        return problems
    if not (stem or "").strip():
        problems.append(_("题干为空"))
    try:
        d = int(difficulty)
        if not 1 <= d <= 5:
            raise ValueError
    except (TypeError, ValueError):
        problems.append(_("难度应为 1 至 5 的整数"))
    keys = [o["key"] for o in options]
    if qtype in (Question.Type.SINGLE, Question.Type.MULTIPLE):
        if len(options) < 2:
            problems.append(_("选择题至少需要两个选项"))
        if any(not (o.get("text") or "").strip() for o in options):
            problems.append(_("选项内容为空"))
        if keys != list(OPTION_KEYS[: len(keys)]):
            problems.append(_("选项须从 A 开始连续填写"))
        if not answer:
            problems.append(_("缺少答案"))
        else:
            letters = normalise_response(answer)
            if len(letters) != len(answer.replace(",", "").replace(" ", "")) or not letters.isalpha():
                problems.append(_("答案“%(a)s”格式有误，应为选项字母") % {"a": answer})
            elif not set(letters) <= set(keys):
                problems.append(_("答案“%(a)s”不在选项中") % {"a": answer})
            elif qtype == Question.Type.SINGLE and len(letters) != 1:
                problems.append(_("单选题只能有一个答案"))
            elif qtype == Question.Type.MULTIPLE and len(letters) < 2:
                problems.append(_("多选题至少应有两个正确选项"))
    elif qtype == Question.Type.TRUEFALSE:
        if not answer:
            problems.append(_("缺少答案"))
        elif answer not in ("T", "F"):
            problems.append(_("判断题答案应为 T 或 F（对/错）"))
    return problems


def _clean_options(qtype: str, options: list[dict] | None) -> list[dict]:
    if qtype == Question.Type.TRUEFALSE:
        return truefalse_options()
    if qtype == Question.Type.ESSAY:
        return []
    return [{"key": o["key"], "text": (o.get("text") or "").strip(), **({"image": o["image"]} if o.get("image") else {})}
            for o in (options or [])]


def _normalise_answer(qtype: str, answer: str) -> str:
    answer = (answer or "").strip().upper()
    if qtype == Question.Type.TRUEFALSE:
        return TF_ALIASES.get(answer, answer)
    if qtype == Question.Type.ESSAY:
        return ""
    return answer.replace(",", "").replace("，", "").replace(" ", "").replace("、", "")


@transaction.atomic
def question_create(
    *, actor, bank: QuestionBank, qtype: str, stem: str, options: list[dict] | None = None, answer: str = "",
    explanation: str = "", difficulty: int = 3, tags: list[KnowledgeTag] | None = None, audit: bool = True,
) -> Question:
    options = _clean_options(qtype, options)
    answer = _normalise_answer(qtype, answer)
    problems = question_problems(qtype=qtype, stem=stem, options=options, answer=answer, difficulty=difficulty)
    if not problems and Question.objects.filter(bank=bank, is_current=True, stem_digest=stem_digest(stem)).exists():
        problems.append(_("题库中已有相同题干的试题"))
    if problems:
        raise ValidationError(problems)
    q = Question.objects.create(
        bank=bank, lineage=uuid.uuid4(), type=qtype, stem=stem.strip(), options=options,
        answer=normalise_response(answer) if qtype != Question.Type.TRUEFALSE else answer,
        explanation=explanation.strip(), difficulty=int(difficulty), created_by=actor,
    )
    if tags:
        q.tags.set(tags)
    if audit:
        audit_record(actor=actor, action="question.create", target=q, after={"bank": bank.code, "type": qtype})
    return q


QUESTION_FIELDS = ("type", "stem", "options", "answer", "explanation", "difficulty")


@transaction.atomic
def question_update(*, actor, question: Question, tags: list[KnowledgeTag] | None = None, **changes) -> Question:
    """Edit a question. When the version has been used in any paper, a new version is created and
    the old one stays as it was for the papers that used it."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    if not question.is_current:
        raise ValidationError(_("只能修改试题的当前版本。"))
    qtype = changes.get("type", question.type)
    data = {f: changes.get(f, getattr(question, f)) for f in QUESTION_FIELDS}
    data["options"] = _clean_options(qtype, data["options"])
    data["answer"] = _normalise_answer(qtype, data["answer"])
    if qtype in (Question.Type.SINGLE, Question.Type.MULTIPLE):
        data["answer"] = normalise_response(data["answer"])
    problems = question_problems(qtype=qtype, stem=data["stem"], options=data["options"], answer=data["answer"],
                                 difficulty=data["difficulty"])
    if not problems and Question.objects.filter(bank=question.bank, is_current=True, stem_digest=stem_digest(data["stem"])).exclude(
        lineage=question.lineage
    ).exists():
        problems.append(_("题库中已有相同题干的试题"))
    if problems:
        raise ValidationError(problems)
    before = {f: getattr(question, f) for f in QUESTION_FIELDS}
    old_tags = list(question.tags.all())
    used = question.attempt_items.exists()
    if used:
        Question.objects.filter(pk=question.pk).update(is_current=False)
        new = Question(bank=question.bank, lineage=question.lineage, version=question.version + 1, image=question.image,
                       created_by=actor, retired_at=question.retired_at)
        for f in QUESTION_FIELDS:
            setattr(new, f, data[f])
        new.save()
        new.tags.set(tags if tags is not None else old_tags)
        target = new
    else:
        for f in QUESTION_FIELDS:
            setattr(question, f, data[f])
        question.save()
        if tags is not None:
            question.tags.set(tags)
        target = question
    audit_record(actor=actor, action="question.new_version" if used else "question.update", target=target,
                 before=before, after={f: getattr(target, f) for f in QUESTION_FIELDS})
    return target


@transaction.atomic
def question_retire(*, actor, question: Question, reason: str = "") -> Question:
    if question.retired_at is None:
        question.retired_at = timezone.now()
        question.save(update_fields=["retired_at"])
        audit_record(actor=actor, action="question.retire", target=question, before={"retired": False},
                     after={"retired": True}, reason=reason)
    return question


@transaction.atomic
def question_restore(*, actor, question: Question, reason: str = "") -> Question:
    if question.retired_at is not None:
        question.retired_at = None
        question.save(update_fields=["retired_at"])
        audit_record(actor=actor, action="question.restore", target=question, before={"retired": True},
                     after={"retired": False}, reason=reason)
    return question
