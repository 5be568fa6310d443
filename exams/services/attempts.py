"""Attempts: start (claiming a prepared paper), mock exams, submit and grade, time extensions."""

from __future__ import annotations


import datetime as dt
import random
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record

from ..grading import score_objective
from ..models import (
    Answer,
    Attempt,
    Blueprint,
    Question,
    QuestionBank,
    Registration,
)
from .checkin import start_refusal
from .errors import ExamError
from .papers import draw_paper, freeze_paper, seen_question_ids


# --------------------------------------------------------------------------- attempts

def attempt_start(*, user, registration: Registration, ip: str | None = None, now: dt.datetime | None = None,
                  rng: random.Random | None = None) -> Attempt:
    """Start (or resume) the candidate's attempt. One open attempt per registration, also under
    concurrent requests: the registration row is locked, and the database's unique constraints
    turn a lost race into fetching the winner's attempt.

    When a paper was prepared for the registration (``papers_prepare``) and the bank has not
    changed since, starting claims it with one conditional UPDATE; otherwise the paper is drawn
    and frozen here (a stale prepared paper is discarded first)."""
    now = now or timezone.now()
    if registration.candidate_id != user.pk:
        raise PermissionDenied
    session = registration.session
    if registration.status != Registration.Status.REGISTERED:
        raise ExamError(_("您的报名已取消，不能参加本场考试。"))
    blueprint = session.blueprint
    try:
        with transaction.atomic():
            # order_by(): the default ordering would join the session and lock its row too,
            # making every start in the session wait for every other.
            list(Registration.objects.select_for_update().filter(pk=registration.pk).order_by().values_list("pk"))
            # This registration's attempts (a prepared paper too) and the candidate's earlier sittings
            # of the same subject (certificate kind and operation item), in one query.
            # Two narrow queries rather than one OR across joins, which the planner cannot serve from
            # an index (and which then held the row lock for a scan during a session's start storm).
            mine = list(Attempt.all_objects.filter(registration=registration)
                        .annotate(bank_token=F("bank__pool_token")).order_by())
            rows = mine + list(Attempt.all_objects.filter(
                user=user, mode=Attempt.Mode.EXAM, registration__session__certificate_kind_id=session.certificate_kind_id,
                registration__session__operation_item_id=session.operation_item_id,
            ).exclude(registration=registration).order_by())
            open_attempt = next((a for a in mine if a.status == Attempt.Status.IN_PROGRESS), None)
            if open_attempt is not None:
                return open_attempt
            if not session.is_open(now):
                raise ExamError(_("不在本场考试的开放时间内（%(a)s 至 %(b)s）。") % {
                    "a": timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M"),
                    "b": timezone.localtime(session.ends_at).strftime("%Y-%m-%d %H:%M")})
            if not session.ip_allowed(ip):
                raise ExamError(_("请在指定考场的电脑上参加考试（当前 IP 不在允许范围内）。"), code="ip")
            refusal = start_refusal(registration)
            if refusal:
                raise ExamError(refusal, code="check_in")
            # One sitting per registration: a make-up (补考) is its own registration in a later session.
            if any(a.status != Attempt.Status.PREPARED for a in mine):
                raise ExamError(_("本次报名的考试已交卷，不能在本场次再考；补考须另行报名参加以后的考试场次。"),
                                code="sat")
            previous = [a for a in rows if a.registration_id != registration.pk and a.mode == Attempt.Mode.EXAM
                        and a.status != Attempt.Status.PREPARED]
            if any(a.passed for a in previous):
                raise ExamError(_("您已通过本科目考试，无需再考。"))
            number = len(previous) + 1
            deadline = min(now + dt.timedelta(minutes=blueprint.duration_minutes), session.ends_at)
            attempt = None
            ready = next((a for a in mine if a.status == Attempt.Status.PREPARED), None)
            if ready is not None:
                attempt = _claim_prepared(attempt=ready, user=user, registration=registration, blueprint=blueprint,
                                          number=number, now=now, deadline=deadline, ip=ip)
            prepared = attempt is not None
            if prepared:
                _commit_without_waiting_for_disk()
            if attempt is None:
                avoid = (seen_question_ids(user=user, bank_id=blueprint.bank_id, attempt_ids=[a.pk for a in previous])
                         if previous else frozenset())
                attempt = _create_attempt(user=user, blueprint=blueprint, bank=blueprint.bank, registration=registration,
                                          number=number, now=now, deadline=deadline, mode=Attempt.Mode.EXAM, ip=ip,
                                          rng=rng, avoid=avoid)
            # in the same transaction: one commit, and no start without its audit entry
            audit_record(actor=user, action="attempt.start", target=attempt,
                         after={"number": attempt.number, "ip": ip, "prepared": prepared})
    except IntegrityError:
        attempt = Attempt.objects.filter(registration=registration, status=Attempt.Status.IN_PROGRESS).first()
        if attempt is None:
            attempt = Attempt.objects.filter(registration=registration).order_by("-number").first()
        if attempt is None:
            raise
        return attempt
    return attempt


def _commit_without_waiting_for_disk() -> None:
    """Claiming a prepared paper commits without waiting for the disk (PostgreSQL's asynchronous
    commit for this one transaction): at the start of a session hundreds of candidates press
    “start” within seconds. Nothing can be lost that matters: only a database server crash in the
    next fraction of a second could undo the claim — the paper then is prepared again and the
    candidate starts it afresh — and the first answer's (synchronous) commit flushes the claim with it."""
    conn = connections[router.db_for_write(Attempt)]
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _claim_prepared(*, attempt: Attempt, user, registration: Registration, blueprint: Blueprint, number: int,
                    now: dt.datetime, deadline: dt.datetime, ip: str | None) -> Attempt | None:
    """Turn the registration's prepared paper (read with ``bank_token``, the bank's current pool
    token) into the started attempt with one conditional UPDATE; or discard it and return None
    when it was prepared under another blueprint or another state of the bank. Called under the
    registration's row lock."""
    usable = (attempt.blueprint_id == blueprint.pk and attempt.bank_id == blueprint.bank_id
              and attempt.user_id == user.pk and attempt.pool_token == attempt.bank_token)
    fields = {"status": Attempt.Status.IN_PROGRESS, "number": number, "started_at": now, "deadline": deadline,
              "client_ip": ip, "pass_mark": blueprint.effective_pass_mark}
    # The token is compared again in the UPDATE itself: a question changed since the read leaves
    # the row prepared, and it is discarded below.
    if usable and Attempt.all_objects.filter(
        pk=attempt.pk, status=Attempt.Status.PREPARED, pool_token=F("bank__pool_token")
    ).update(**fields) == 1:
        for name, value in fields.items():
            setattr(attempt, name, value)
        attempt.user, attempt.blueprint, attempt.registration = user, blueprint, registration
        return attempt
    Attempt.all_objects.filter(pk=attempt.pk, status=Attempt.Status.PREPARED).delete()
    return None


def _create_attempt(*, user, blueprint, bank, registration, number, now, deadline, mode, ip, rng,
                    avoid: frozenset[int] = frozenset()) -> Attempt:
    rng = rng or random.SystemRandom()
    option_keys: dict[int, str] = {}
    drawn = draw_paper(blueprint=blueprint, bank=bank, rng=rng, objective_only=mode == Attempt.Mode.MOCK,
                       with_option_keys=option_keys, avoid=avoid)
    attempt = Attempt.objects.create(
        mode=mode, user=user, registration=registration, blueprint=blueprint, bank=bank, number=number,
        started_at=now, deadline=deadline, pass_mark=blueprint.effective_pass_mark, client_ip=ip,
        max_score=sum((s.points for s, _qid in drawn), Decimal(0)),
        repeated_items=sum(1 for _s, qid in drawn if qid in avoid),
    )
    freeze_paper(attempt=attempt, drawn=drawn, rng=rng, shuffle_questions=blueprint.shuffle_questions,
                  shuffle_options=blueprint.shuffle_options, option_keys=option_keys)
    return attempt


@transaction.atomic
def mock_start(*, user, blueprint: Blueprint, now: dt.datetime | None = None, rng=None) -> Attempt:
    """A mock exam with the blueprint's shape, drawn from its training bank only."""
    now = now or timezone.now()
    bank = blueprint.training_bank
    if bank is None or bank.kind != QuestionBank.Kind.TRAINING or not bank.is_active:
        raise ExamError(_("该组卷策略没有可用于模拟考试的练习题库。"))
    existing = Attempt.objects.filter(user=user, blueprint=blueprint, mode=Attempt.Mode.MOCK,
                                      status=Attempt.Status.IN_PROGRESS).first()
    if existing is not None and not existing.is_past_deadline(now):
        return existing
    if existing is not None:
        attempt_submit(attempt=existing, by=Attempt.SubmittedBy.DEADLINE, now=now)
    number = Attempt.objects.filter(user=user, blueprint=blueprint, mode=Attempt.Mode.MOCK).count() + 1
    return _create_attempt(user=user, blueprint=blueprint, bank=bank, registration=None, number=number, now=now,
                           deadline=now + dt.timedelta(minutes=blueprint.duration_minutes), mode=Attempt.Mode.MOCK,
                           ip=None, rng=rng)


@transaction.atomic
def attempt_submit(*, attempt: Attempt, by: str = Attempt.SubmittedBy.CANDIDATE, actor=None, reason: str = "",
                   now: dt.datetime | None = None) -> Attempt:
    """Submit and grade with the last saved answers. Idempotent: a submitted attempt is returned as is."""
    now = now or timezone.now()
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.status != Attempt.Status.IN_PROGRESS:
        return attempt
    attempt.submitted_at = min(now, attempt.deadline) if by == Attempt.SubmittedBy.DEADLINE else now
    attempt.submitted_by = by
    grade_attempt(attempt)
    attempt.save()
    if by != Attempt.SubmittedBy.CANDIDATE or actor is not None:
        audit_record(actor=actor or "system", action=f"attempt.submit_{by}", target=attempt,
                     after={"score": attempt.score, "status": attempt.status}, reason=reason)
    return attempt


def grade_attempt(attempt: Attempt) -> None:
    items = list(attempt.items.select_related("question"))
    answers = {a.item_id: a for a in attempt.answers.all()}
    total = Decimal(0)
    pending = False
    changed = []
    for item in items:
        a = answers.get(item.pk)
        q = item.question
        if q.type == Question.Type.ESSAY:
            if a is None or not a.text.strip():
                if a is not None:
                    a.score = Decimal(0)
                    changed.append(a)
                continue
            if a.score is None:
                pending = True
            else:
                total += a.score
            continue
        if a is None:
            continue
        a.score = score_objective(qtype=q.type, key=q.answer, response=a.response, points=item.points,
                                  partial=item.partial_credit)
        total += a.score
        changed.append(a)
    if changed:
        Answer.objects.bulk_update(changed, ["score"])
    attempt.score = total
    if pending:
        attempt.status = Attempt.Status.MARKING
        attempt.passed = None
    else:
        attempt.status = Attempt.Status.GRADED
        attempt.passed = total >= attempt.pass_mark
        if not attempt.passed:
            from .registrations import retraining_record_if_due

            retraining_record_if_due(attempt)


def autosubmit_if_due(attempt: Attempt, now: dt.datetime | None = None) -> Attempt:
    if attempt.status == Attempt.Status.IN_PROGRESS and attempt.is_past_deadline(now):
        return attempt_submit(attempt=attempt, by=Attempt.SubmittedBy.DEADLINE, now=now)
    return attempt


def autosubmit_due_attempts(*, now: dt.datetime | None = None) -> int:
    """Beat job: submit every attempt whose deadline has passed, with its last saved answers."""
    now = now or timezone.now()
    n = 0
    for attempt in Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS, deadline__lte=now).only("pk"):
        attempt_submit(attempt=attempt, by=Attempt.SubmittedBy.DEADLINE, now=now)
        n += 1
    return n


@transaction.atomic
def attempt_extend(*, actor, attempt: Attempt, minutes: int, reason: str) -> Attempt:
    if not reason.strip():
        raise ValidationError(_("延长时间须填写原因。"))
    if not 1 <= int(minutes) <= 120:
        raise ValidationError(_("延长时间应为 1 至 120 分钟。"))
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.status != Attempt.Status.IN_PROGRESS:
        raise ValidationError(_("该答卷已交卷，不能延长时间。"))
    before = attempt.deadline
    base = max(attempt.deadline, timezone.now())
    attempt.deadline = base + dt.timedelta(minutes=int(minutes))
    attempt.save(update_fields=["deadline"])
    audit_record(actor=actor, action="attempt.extend_time", target=attempt, before={"deadline": before},
                 after={"deadline": attempt.deadline, "minutes": int(minutes)}, reason=reason)
    return attempt


def attempt_force_submit(*, actor, attempt: Attempt, reason: str) -> Attempt:
    if not reason.strip():
        raise ValidationError(_("强制交卷须填写原因。"))
    return attempt_submit(attempt=attempt, by=Attempt.SubmittedBy.PROCTOR, actor=actor, reason=reason)
