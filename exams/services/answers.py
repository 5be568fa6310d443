"""Answers: every rule of saving one, in one place."""

from __future__ import annotations


import datetime as dt
import re

from django.utils import timezone
from django.utils.translation import gettext as _


from ..grading import normalise_response
from ..models import (
    Answer,
    Attempt,
    AttemptItem,
    Question,
)
from .errors import ExamError, LateSave


def answer_save(*, item: AttemptItem, response: str | None = None, text: str | None = None,
                flagged: bool | None = None, ip: str | None = None, now: dt.datetime | None = None) -> Answer:
    """Save one answer to ``item`` (its attempt loaded; the caller has checked that it is the
    candidate's), ``response`` given as option keys (server side: imports, tests): the keys become
    the paper's tokens, then ``answer_record`` as for a loaded item."""
    from ..selectors import SaveTarget

    attempt = item.attempt
    session = attempt.registration.session if attempt.registration_id else None
    target = SaveTarget(attempt_id=attempt.pk, item_id=item.pk, position=item.position,
                        option_order=item.option_order or "", qtype=item.question.type, status=attempt.status,
                        deadline=attempt.deadline, ip_ranges=session.allowed_ip_ranges if session else "",
                        option_tokens=item.option_tokens or "")
    if response is not None and target.token_map():
        response = item.tokens_for(response)
    values = answer_record(target=target, response=response, text=text, flagged=flagged, ip=ip, now=now)
    return Answer(attempt_id=attempt.pk, item_id=item.pk, **values)


def answer_record(*, target, response: str | list[str] | None = None, text: str | None = None, flagged: bool | None = None,
                  ip: str | None = None, now: dt.datetime | None = None) -> dict:
    """Save one answer for ``target`` (exams.selectors.SaveTarget, already scoped to the candidate).
    Every rule of a save is here, once: the client inside the session's allowed addresses, the
    attempt in progress and before its deadline, a response made of the frozen paper's option
    tokens (a list, or one string separated by spaces or commas; one for single choice and
    true/false) mapped back to the option keys that are stored and graded, text only for an essay.
    A bad save is refused whole (``ExamError``, code ``invalid``) and keeps the previous answer.
    Then one upsert of the columns given, under the (attempt, item) constraint. Returns what was
    written."""
    now = now or timezone.now()
    if not target.allowed_from(ip):
        raise ExamError(_("当前 IP 不在允许范围内，答案未保存。"), code="ip")
    if target.status != Attempt.Status.IN_PROGRESS:
        raise LateSave(_("本答卷已交卷，答案未保存。"), code="submitted")
    if now >= target.deadline:
        raise LateSave(_("考试时间已到（截止 %(t)s），此后的作答不再保存；系统已按最后保存的答案交卷。")
                       % {"t": timezone.localtime(target.deadline).strftime("%H:%M:%S")}, code="late")
    values: dict = {"saved_at": now}
    essay = target.qtype == Question.Type.ESSAY
    if text is not None and not essay:
        raise ExamError(_("这是选择题，请选择选项作答；文字答案未保存，原答案保留。"), code="invalid")
    if response is not None:
        if essay and "".join(response).strip():
            raise ExamError(_("这是简答题，请输入文字作答；答案未保存。"), code="invalid")
        value = "" if essay else _choice_keys(target, response)
        if target.qtype in (Question.Type.SINGLE, Question.Type.TRUEFALSE) and len(value) > 1:
            raise ExamError(_("此题只能选一个答案。"), code="invalid")
        values["response"] = value
    if text is not None:
        values["text"] = text[:5000]
    if flagged is not None:
        values["flagged"] = bool(flagged)
    Answer.objects.bulk_create(
        [Answer(attempt_id=target.attempt_id, item_id=target.item_id, **values)],
        update_conflicts=True, unique_fields=["attempt", "item"], update_fields=list(values),
    )
    return values


def _choice_keys(target, response: str | list[str]) -> str:
    """The option keys a save's choices stand for: each choice must be one of the item's tokens on
    this paper (or, on a paper frozen before tokens existed, one of its option letters)."""
    parts = response if isinstance(response, (list, tuple)) else re.split(r"[\s,]+", response or "")
    parts = [p.strip() for p in parts if p and p.strip()]
    tokens = target.token_map()
    if tokens:
        unknown = [p for p in parts if p not in tokens]
        keys = "".join(tokens[p] for p in parts if p in tokens)
    else:
        allowed = target.option_order or ("TF" if target.qtype == Question.Type.TRUEFALSE else "")
        letters = "".join(parts).upper()
        unknown = [c for c in letters if c not in allowed]
        keys = letters
    if unknown:
        raise ExamError(_("所选选项不是本试卷这道题的选项，答案未保存，原答案保留；请刷新页面后重新选择。"),
                        code="invalid")
    return normalise_response(keys)
