"""The exams demo content: six banks of ≥ 40 questions, separated stems, open session, idempotent."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from exams.models import Blueprint, ExamSession, Question, QuestionBank, Registration


@pytest.mark.django_db
def test_demo_seed(tmp_path):
    call_command("seed_demo", stdout=open(tmp_path / "out.txt", "w"))
    counts = {b.code: b.questions.count() for b in QuestionBank.objects.all()}
    assert set(counts) >= {"lv-elec-train", "lv-elec-test", "weld-train", "weld-test", "gongmao-train", "gongmao-test"}
    assert all(counts[c] >= 40 for c in counts)
    for topic in ("lv-elec", "weld", "gongmao"):
        train = set(Question.objects.filter(bank__code=f"{topic}-train").values_list("stem_digest", flat=True))
        test = set(Question.objects.filter(bank__code=f"{topic}-test").values_list("stem_digest", flat=True))
        assert not train & test
        assert QuestionBank.objects.get(code=f"{topic}-test").owner.kind == "exam_centre"
        assert QuestionBank.objects.get(code=f"{topic}-train").owner.kind == "training"
    assert Question.objects.filter(bank__kind="testing", type="essay").exists()
    assert not Question.objects.filter(bank__kind="training", type="essay").exists()
    now = timezone.now()
    open_sessions = [s for s in ExamSession.objects.all() if s.is_open(now)]
    registered = set(Registration.objects.filter(session__in=open_sessions).values_list("candidate__username", flat=True))
    assert {"principal", "welder", "newhire"} <= registered
    # practical exams to the four-subject norm, at the exam centre's own venue
    from catalogue.models import PracticalSubject
    from exams.models import PracticalResult, PracticalTask

    for code in ("elec-lv", "weld-fusion"):
        subjects = list(PracticalSubject.objects.filter(operation_item__code=code, operation_item__category__rule_version__code="2010"))
        assert [s.code for s in subjects] == ["K1", "K2", "K3", "K4"]
        for subject in subjects:
            assert sum(t.points for t in PracticalTask.objects.filter(subject=subject)) == subject.points
        assert any(s.veto_list for s in subjects)
    assert all(s.venue is not None and s.venue.owner.kind == "exam_centre" for s in open_sessions)
    waiting = PracticalResult.objects.get(registration__candidate__username="newhire")
    assert waiting.status == "entered" and waiting.examiner.username == "examiner"
    from accounts.models import User
    from exams import services

    services.practical_result_confirm(examiner=User.objects.get(username="examiner2"), registration=waiting.registration)
    before = (Question.objects.count(), Registration.objects.count(), Blueprint.objects.count(),
              PracticalResult.objects.count())
    call_command("seed_demo", stdout=open(tmp_path / "out2.txt", "w"))
    assert (Question.objects.count(), Registration.objects.count(), Blueprint.objects.count(),
            PracticalResult.objects.count()) == before
