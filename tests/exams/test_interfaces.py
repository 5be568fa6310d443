"""Interfaces other parts use: qualified_registrations, is_qualified, practice_summary."""

from decimal import Decimal

from accounts.roles import Role
from exams import selectors, services
from exams.models import AttemptItem, Question, Registration


def _pass_theory(registration, candidate):
    attempt = services.attempt_start(user=candidate, registration=registration)
    for it in AttemptItem.objects.filter(attempt=attempt).select_related("question", "attempt"):
        services.answer_save(item=it, response=it.question.answer)
    return services.attempt_submit(attempt=attempt)


def test_qualified_needs_theory_and_practical(registration, candidate, examiner, lv_item, make_member, second_examiner):
    from exams.models import PracticalTask

    t1 = PracticalTask.objects.create(operation_item=lv_item, code="t1", title="单相电能表带照明线路安装", points=Decimal(60))
    t2 = PracticalTask.objects.create(operation_item=lv_item, code="t2", title="灭火器的选择和使用", points=Decimal(40))
    assert not selectors.qualified_registrations(examiner).exists()
    attempt = _pass_theory(registration, candidate)
    assert attempt.passed
    registration = Registration.objects.get(pk=registration.pk)
    assert not registration.is_qualified  # practical still missing (special-op kind has a practical pass mark)
    assert not selectors.qualified_registrations(examiner).exists()
    services.practical_result_record(examiner=examiner, registration=registration, scores={t1.pk: 50, t2.pk: 20})
    registration = Registration.objects.get(pk=registration.pk)
    assert not registration.is_qualified  # 70 < 80
    services.practical_result_record(examiner=examiner, registration=registration, scores={t1.pk: 55, t2.pk: 35},
                                     notes="复核")
    registration = Registration.objects.get(pk=registration.pk)
    assert not registration.is_qualified  # passed, but not confirmed by a second examiner
    assert not selectors.qualified_registrations(examiner).exists()
    services.practical_result_confirm(examiner=second_examiner, registration=registration)
    registration = Registration.objects.get(pk=registration.pk)
    assert registration.is_qualified
    rows = list(selectors.qualified_registrations(examiner))
    assert [r.pk for r in rows] == [registration.pk]
    assert rows[0].qualified_on is not None
    # another centre's certificate officer sees nothing; neither does the candidate
    other = make_member(Role.CERT_OFFICER)
    assert not selectors.qualified_registrations(other).exists()
    assert not selectors.qualified_registrations(candidate).exists()


def test_qualified_without_practical_when_kind_has_none(registration, candidate, examiner, special_kind):
    special_kind.practical_pass_mark = None
    special_kind.save()
    _pass_theory(registration, candidate)
    assert [r.pk for r in selectors.qualified_registrations(examiner)] == [registration.pk]


def test_practical_scores_validated(registration, examiner, lv_item):
    from exams.models import PracticalResult, PracticalTask

    import pytest
    from django.core.exceptions import ValidationError

    t = PracticalTask.objects.create(operation_item=lv_item, code="t1", title="创伤包扎", points=Decimal(20))
    with pytest.raises(ValidationError):
        services.practical_result_record(examiner=examiner, registration=registration, scores={t.pk: 25})
    for junk in ("NaN", "Infinity", "-inf", "sNaN", "二十"):
        with pytest.raises(ValidationError):
            services.practical_result_record(examiner=examiner, registration=registration, scores={t.pk: junk})
    assert not PracticalResult.objects.filter(registration=registration).exists()


def test_practice_summary_counts_training_banks_only(candidate, training_bank, testing_bank):
    qs = list(Question.objects.filter(bank=training_bank, type="single")[:4])
    services.practice_answer(user=candidate, question=qs[0], response=qs[0].answer)
    services.practice_answer(user=candidate, question=qs[1], response="Z")
    services.practice_answer(user=candidate, question=qs[2], response=qs[2].answer)
    services.practice_answer(user=candidate, question=qs[2], response=qs[2].answer)
    s = selectors.practice_summary(candidate, [training_bank.pk, testing_bank.pk])
    assert s == {"answered": 3, "correct": 2, "rate": round(2 / 3, 4)}
    assert [r.question_id for r in selectors.notebook(candidate)] == [qs[1].pk]
    import pytest
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.practice_answer(user=candidate, question=Question.objects.filter(bank=testing_bank).first(), response="A")
