"""The candidate's exam: start/resume, autosave, deadlines, auto-submit, grading, essays."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import AuditLog
from exams import services
from exams.models import Answer, Attempt, AttemptItem


def _items(attempt):
    return list(AttemptItem.objects.filter(attempt=attempt).select_related("question", "attempt").order_by("position"))


def test_start_twice_resumes_the_same_attempt(registration, candidate):
    a = services.attempt_start(user=candidate, registration=registration)
    b = services.attempt_start(user=candidate, registration=registration)
    assert a.pk == b.pk and Attempt.objects.count() == 1


def test_deadline_is_min_of_duration_and_session_end(registration, candidate, session):
    now = timezone.now()
    a = services.attempt_start(user=candidate, registration=registration, now=now)
    assert a.deadline == now + dt.timedelta(minutes=60)
    session.ends_at = now + dt.timedelta(minutes=20)
    session.save()
    services.attempt_submit(attempt=a)
    with pytest.raises(services.ExamError):  # no second sitting in the same registration
        services.attempt_start(user=candidate, registration=registration, now=now)


def test_a_late_start_ends_with_the_session(registration, candidate, session):
    now = timezone.now()
    session.ends_at = now + dt.timedelta(minutes=20)
    session.save()
    b = services.attempt_start(user=candidate, registration=registration, now=now)
    assert b.deadline == session.ends_at


def test_start_refused_outside_window_and_ip(registration, candidate, session):
    with pytest.raises(services.ExamError, match="开放时间"):
        services.attempt_start(user=candidate, registration=registration, now=session.ends_at + dt.timedelta(minutes=1))
    session.allowed_ip_ranges = "10.8.0.0/16"
    session.save()
    with pytest.raises(services.ExamError, match="IP"):
        services.attempt_start(user=candidate, registration=registration, ip="192.168.1.5")
    assert services.attempt_start(user=candidate, registration=registration, ip="10.8.3.4").pk


def test_autosave_is_idempotent_and_reload_resumes(registration, candidate):
    attempt = services.attempt_start(user=candidate, registration=registration)
    items = _items(attempt)
    single = next(i for i in items if i.question.type == "single")
    for _ in range(3):
        services.answer_save(item=single, response="B")
    services.answer_save(item=single, flagged=True)
    assert Answer.objects.filter(attempt=attempt).count() == 1
    a = Answer.objects.get(attempt=attempt)
    assert a.response == "B" and a.flagged
    # "another browser": starting again returns the same attempt with the saved answers
    again = services.attempt_start(user=candidate, registration=registration)
    assert again.pk == attempt.pk
    assert Answer.objects.get(attempt=again, item=single).response == "B"


def test_single_choice_refuses_two_answers(registration, candidate):
    attempt = services.attempt_start(user=candidate, registration=registration)
    single = next(i for i in _items(attempt) if i.question.type == "single")
    with pytest.raises(services.ExamError, match="只能选一个"):
        services.answer_save(item=single, response="AB")


def test_late_save_refused_under_frozen_clock(registration, candidate):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        attempt = services.attempt_start(user=candidate, registration=registration)
        item = _items(attempt)[0]
        services.answer_save(item=item, response=item.question.answer)
    with time_machine.travel(attempt.deadline + dt.timedelta(seconds=1), tick=False):
        item = _items(attempt)[0]
        with pytest.raises(services.LateSave, match="考试时间已到"):
            services.answer_save(item=item, response="A" if item.question.answer != "A" else "B")
    assert Answer.objects.get(attempt=attempt, item=item).response == item.question.answer


def test_autosubmit_uses_last_saved_answers(registration, candidate):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        attempt = services.attempt_start(user=candidate, registration=registration)
        items = _items(attempt)
        for it in items:
            if it.question.type != "essay":
                services.answer_save(item=it, response=it.question.answer)
                with pytest.raises(services.ExamError):  # not an option: refused, the answer kept
                    services.answer_save(item=it, response="Z")
    with time_machine.travel(attempt.deadline + dt.timedelta(minutes=1), tick=False):
        assert services.autosubmit_due_attempts() == 1
        assert services.autosubmit_due_attempts() == 0  # idempotent
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.GRADED and attempt.submitted_by == "deadline"
    assert attempt.submitted_at == attempt.deadline
    assert attempt.score == Decimal(100) and attempt.passed
    assert AuditLog.objects.filter(action="attempt.submit_deadline", target_id=str(attempt.pk)).exists()


def test_grading_partial_and_wrong(registration, candidate):
    attempt = services.attempt_start(user=candidate, registration=registration)
    for it in _items(attempt):
        q = it.question
        if q.type == "single":
            services.answer_save(item=it, response=q.answer)              # 10 × 4 = 40
        elif q.type == "multiple":
            services.answer_save(item=it, response=q.answer[0])           # all-or-nothing: 0
        elif q.type == "truefalse":
            services.answer_save(item=it, response="T" if q.answer == "F" else "F")  # wrong: 0
    attempt = services.attempt_submit(attempt=attempt)
    assert attempt.score == Decimal(40) and attempt.passed is False
    # submitting twice changes nothing
    assert services.attempt_submit(attempt=attempt).score == Decimal(40)


def test_essays_go_to_marking_then_graded(centre, testing_bank, special_kind, session, registration, candidate, examiner):
    from tests.exams.conftest import small_sections

    bp = session.blueprint
    services.blueprint_save(actor=None, owner=centre, code=bp.code, name=bp.name, bank=testing_bank,
                            certificate_kind=special_kind, sections=small_sections(essay=True), duration_minutes=60)
    attempt = services.attempt_start(user=candidate, registration=registration)
    essay = None
    for it in _items(attempt):
        if it.question.type == "essay":
            essay = it
            services.answer_save(item=it, text="先断电，再验电，挂接地线，悬挂标示牌。")
        else:
            services.answer_save(item=it, response=it.question.answer)
    attempt = services.attempt_submit(attempt=attempt)
    assert attempt.status == Attempt.Status.MARKING and attempt.passed is None and attempt.score == Decimal(90)
    answer = Answer.objects.get(attempt=attempt, item=essay)
    for bad in (Decimal(11), Decimal(-1), Decimal("NaN"), Decimal("Infinity"), "不及格"):
        with pytest.raises(ValidationError):
            services.essay_mark(actor=examiner, answer=answer, score=bad)
    assert Answer.objects.get(pk=answer.pk).score is None
    services.essay_mark(actor=examiner, answer=answer, score=Decimal("7.5"), comment="要点基本完整")
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.GRADED and attempt.score == Decimal("97.5") and attempt.passed
    services.essay_mark(actor=examiner, answer=answer, score=Decimal(2), comment="复核")
    attempt.refresh_from_db()
    assert attempt.score == Decimal(92)
    assert AuditLog.objects.filter(action="attempt.score_change", target_id=str(attempt.pk)).exists()


def test_proctor_extend_and_force_submit_are_audited(registration, candidate, examiner):
    attempt = services.attempt_start(user=candidate, registration=registration)
    before = attempt.deadline
    with pytest.raises(Exception):
        services.attempt_extend(actor=examiner, attempt=attempt, minutes=10, reason="")
    attempt = services.attempt_extend(actor=examiner, attempt=attempt, minutes=10, reason="考场停电十分钟")
    assert attempt.deadline == before + dt.timedelta(minutes=10)
    attempt = services.attempt_force_submit(actor=examiner, attempt=attempt, reason="考生违纪")
    assert attempt.submitted_by == "proctor" and attempt.status != Attempt.Status.IN_PROGRESS
    actions = set(AuditLog.objects.filter(target_id=str(attempt.pk)).values_list("action", flat=True))
    assert {"attempt.extend_time", "attempt.submit_proctor"} <= actions


def test_one_sitting_per_registration(registration, candidate):
    a = services.attempt_start(user=candidate, registration=registration)
    assert a.number == 1
    services.attempt_submit(attempt=a)  # nothing answered: fails
    with pytest.raises(services.ExamError, match="补考须另行报名"):
        services.attempt_start(user=candidate, registration=registration)
