"""Make-up (补考) as the rules say: the number of make-ups comes from the catalogue; a make-up is
its own registration in a later session (never the same sitting, never at once); after a failed
make-up the person trains again (recorded, with the date) before registering; a make-up paper
leaves out the items already seen as far as the bank allows, and the exam centre sees how many
were repeated."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from exams import services
from exams.models import Attempt, AttemptItem, RetrainingRequirement


def _fail(candidate, registration, now=None):
    attempt = services.attempt_start(user=candidate, registration=registration, now=now)
    services.attempt_submit(attempt=attempt, now=now)  # nothing answered: 0 points
    attempt.refresh_from_db()
    assert attempt.passed is False
    return attempt


def _later_session(session, examiner, days=1, name="补考场次"):
    return services.session_create(
        actor=examiner, centre=session.centre, name=name, blueprint=session.blueprint,
        certificate_kind=session.certificate_kind, operation_item=session.operation_item,
        starts_at=session.ends_at + dt.timedelta(days=days), ends_at=session.ends_at + dt.timedelta(days=days, hours=3),
        room="第二考场", seats=30, require_check_in=False)


def _questions(attempt):
    return set(AttemptItem.objects.filter(attempt=attempt).values_list("question__lineage", flat=True))


def test_no_second_attempt_in_the_same_registration(client, registration, candidate):
    first = _fail(candidate, registration)
    with pytest.raises(services.ExamError) as exc:
        services.attempt_start(user=candidate, registration=registration)
    assert "补考须另行报名" in exc.value.message
    assert Attempt.objects.filter(registration=registration).count() == 1
    client.force_login(candidate)
    page = client.get("/exams/my/").content.decode()
    assert "开始补考" not in page and "开始考试" not in page and f"/exams/attempts/{first.pk}/result/" in page
    r = client.post(f"/exams/registrations/{registration.pk}/start/", follow=True)
    assert "补考须另行报名" in r.content.decode()


def test_makeup_needs_a_later_session(registration, candidate, session, examiner):
    _fail(candidate, registration)
    overlapping = services.session_create(
        actor=examiner, centre=session.centre, name="同时段场次", blueprint=session.blueprint,
        certificate_kind=session.certificate_kind, operation_item=session.operation_item,
        starts_at=session.starts_at + dt.timedelta(minutes=30), ends_at=session.ends_at, room="第三考场", seats=30)
    with pytest.raises(ValidationError) as exc:
        services.registration_create(actor=examiner, session=overlapping, candidate=candidate, override_reason="破格")
    assert "以后的考试场次" in str(exc.value)
    later = _later_session(session, examiner)
    makeup = services.registration_create(actor=examiner, session=later, candidate=candidate)
    assert makeup.session == later


def test_makeup_paper_leaves_out_seen_items_and_the_centre_sees_the_count(client, registration, candidate, session,
                                                                          examiner):
    first = _fail(candidate, registration)
    later = _later_session(session, examiner)
    makeup = services.registration_create(actor=examiner, session=later, candidate=candidate)
    with time_machine.travel(later.starts_at + dt.timedelta(minutes=5), tick=False):
        assert services.papers_prepare(session=later) == 0  # a make-up paper is drawn at start
        second = services.attempt_start(user=candidate, registration=makeup)
    assert second.number == 2 and second.repeated_items == 0
    assert not _questions(first) & _questions(second)
    client.force_login(examiner)
    with time_machine.travel(later.starts_at + dt.timedelta(minutes=6), tick=False):
        console = client.get(f"/exams/manage/sessions/{later.pk}/console/").content.decode()
    assert "重复题" in console and "补考" in console


def test_makeup_repeats_only_what_the_bank_cannot_avoid(registration, candidate, session, examiner, testing_bank):
    from exams.models import Question

    first = _fail(candidate, registration)
    # retire all but 12 true/false questions: the make-up needs 10, only 2 unseen can be left at most
    seen_tf = set(AttemptItem.objects.filter(attempt=first, question__type="truefalse").values_list("question_id", flat=True))
    unseen_tf = list(Question.objects.filter(bank=testing_bank, type="truefalse").exclude(pk__in=seen_tf)
                     .values_list("pk", flat=True))
    for qid in unseen_tf[2:]:
        services.question_retire(actor=None, question=Question.objects.get(pk=qid))
    later = _later_session(session, examiner)
    makeup = services.registration_create(actor=examiner, session=later, candidate=candidate)
    with time_machine.travel(later.starts_at + dt.timedelta(minutes=5), tick=False):
        second = services.attempt_start(user=candidate, registration=makeup)
    assert second.repeated_items == 8
    assert len(_questions(first) & _questions(second)) == 8


def test_failed_makeup_requires_retraining_recorded_with_the_date(registration, candidate, session, examiner):
    _fail(candidate, registration)
    later = _later_session(session, examiner)
    makeup = services.registration_create(actor=examiner, session=later, candidate=candidate)
    with time_machine.travel(later.starts_at + dt.timedelta(minutes=5), tick=False):
        failed_makeup = _fail(candidate, makeup, now=later.starts_at + dt.timedelta(minutes=5))
    third = _later_session(session, examiner, days=10, name="第三场")
    with pytest.raises(ValidationError) as exc:
        services.registration_create(actor=examiner, session=third, candidate=candidate, override_reason="破格")
    assert "重新参加培训" in str(exc.value)
    requirement = RetrainingRequirement.objects.get(candidate=candidate)
    assert requirement.failed_attempt == failed_makeup and requirement.completed_on is None
    assert requirement.required_since == timezone.localdate(failed_makeup.submitted_at)
    services.retraining_complete(actor=examiner, requirement=requirement,
                                 completed_on=requirement.required_since + dt.timedelta(days=3))
    reg = services.registration_create(actor=examiner, session=third, candidate=candidate)
    assert reg.session == third


def test_makeup_count_comes_from_the_catalogue(registration, candidate, session, examiner, special_kind):
    special_kind.makeup_attempts = 2
    special_kind.save()
    _fail(candidate, registration)
    second = _later_session(session, examiner)
    reg2 = services.registration_create(actor=examiner, session=second, candidate=candidate)
    with time_machine.travel(second.starts_at + dt.timedelta(minutes=5), tick=False):
        _fail(candidate, reg2, now=second.starts_at + dt.timedelta(minutes=5))
    third = _later_session(session, examiner, days=5, name="第二次补考")
    assert services.registration_create(actor=examiner, session=third, candidate=candidate).session == third


def test_a_passed_candidate_is_not_registered_again(registration, candidate, session, examiner):
    attempt = services.attempt_start(user=candidate, registration=registration)
    for it in AttemptItem.objects.filter(attempt=attempt).select_related("question", "attempt"):
        services.answer_save(item=it, response=it.question.answer)
    services.attempt_submit(attempt=attempt)
    with pytest.raises(ValidationError):
        services.registration_create(actor=examiner, session=_later_session(session, examiner), candidate=candidate)


def test_the_console_lists_absent_candidates_and_changes_nothing(client, examiner, session, candidates):
    from django.urls import reverse

    from exams.models import Registration

    started = services.attempt_start(user=candidates[0].candidate, registration=candidates[0])
    client.force_login(examiner)
    before = list(Attempt.all_objects.order_by("pk").values_list("pk", "status"))
    page = client.get(reverse("exams:manage_console", kwargs={"pk": session.pk})).content.decode()
    for reg in Registration.objects.filter(session=session):
        assert reg.ticket_number in page
    assert page.count("未开始</span>") == 2 and f"/console/{started.pk}/extend/" in page
    assert list(Attempt.all_objects.order_by("pk").values_list("pk", "status")) == before
    with time_machine.travel(session.ends_at + dt.timedelta(minutes=1), tick=False):
        page = client.get(reverse("exams:manage_console", kwargs={"pk": session.pk})).content.decode()
    assert page.count("缺考</span>") == 2
