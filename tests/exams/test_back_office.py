"""Exam-centre back office: pages work, actions are audited, lists run a bounded number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog
from exams import services, stats
from exams.models import Answer, Attempt, AttemptItem, PracticalTask, Question


def _sit(candidate, registration, correct=True):
    attempt = services.attempt_start(user=candidate, registration=registration)
    for it in AttemptItem.objects.filter(attempt=attempt).select_related("question", "attempt"):
        if it.question.type == "essay":
            services.answer_save(item=it, text="要点")
        else:
            services.answer_save(item=it, response=it.question.answer if correct else "A")
    return services.attempt_submit(attempt=attempt)


def test_pages_render_for_examiner(client, examiner, session, registration, candidate, testing_bank):
    _sit(candidate, registration)
    client.force_login(examiner)
    for name, kwargs in [("exams:manage", {}), ("exams:manage_sessions", {}), ("exams:manage_blueprints", {}),
                         ("exams:manage_session", {"pk": session.pk}), ("exams:manage_console", {"pk": session.pk}),
                         ("exams:manage_stats", {"pk": session.pk}), ("exams:manage_marking", {}),
                         ("exams:manage_bank", {"code": testing_bank.code}),
                         ("exams:manage_session_create", {})]:
        r = client.get(reverse(name, kwargs=kwargs))
        assert r.status_code == 200, name
    pdf = client.get(reverse("exams:manage_tickets", kwargs={"pk": session.pk}))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = client.get(reverse("exams:manage_stats", kwargs={"pk": session.pk}) + "?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_candidate_downloads_own_ticket(client, registration, candidate):
    client.force_login(candidate)
    r = client.get(reverse("exams:my_ticket", kwargs={"registration_id": registration.pk}))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


def test_session_create_and_register_with_eligibility(client, examiner, blueprint, make_member):
    from accounts.roles import Role

    client.force_login(examiner)
    now = timezone.localtime()
    r = client.post(reverse("exams:manage_session_create"), {
        "name": "新场次", "blueprint": blueprint.pk, "starts_at": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + dt.timedelta(days=1, hours=2)).strftime("%Y-%m-%dT%H:%M"), "room": "302", "seats": 2,
        "allowed_ip_ranges": "10.0.0.0/8"})
    assert r.status_code == 302
    from exams.models import ExamSession

    s = ExamSession.objects.get(name="新场次")
    assert s.rule_version_id == blueprint.certificate_kind.rule_version_id
    unverified = make_member(Role.WORKER)
    r = client.post(reverse("exams:manage_session", kwargs={"pk": s.pk}), {"who": unverified.username})
    assert "身份尚未核验" in r.content.decode() and not s.registrations.exists()
    r = client.post(reverse("exams:manage_session", kwargs={"pk": s.pk}), {"who": unverified.username, "override_reason": "现场核验"})
    assert r.status_code == 302 and s.registrations.count() == 1
    bad = client.post(reverse("exams:manage_session_create"), {"name": "x", "blueprint": blueprint.pk,
                                                             "starts_at": "2026-01-02T10:00", "ends_at": "2026-01-02T09:00",
                                                             "seats": 1, "allowed_ip_ranges": "not-an-ip"})
    assert bad.status_code == 200 and "结束时间必须晚于开始时间" in bad.content.decode() and "格式有误" in bad.content.decode()


def test_required_course_uses_courses_selector(session, candidate, monkeypatch):
    import sys
    import types

    session.required_course_code = "gm-2023"
    session.save()
    fake = types.ModuleType("courses.selectors")
    fake.has_completed_course = lambda user, code: False
    monkeypatch.setitem(sys.modules, "courses.selectors", fake)
    assert "未完成规定课程（gm-2023）" in services.eligibility_problems(session=session, candidate=candidate)
    fake.has_completed_course = lambda user, code: code == "gm-2023"
    assert services.eligibility_problems(session=session, candidate=candidate) == []


def test_console_extend_and_force_submit(client, examiner, session, registration, candidate):
    attempt = services.attempt_start(user=candidate, registration=registration)
    client.force_login(examiner)
    page = client.get(reverse("exams:manage_console", kwargs={"pk": session.pk}), HTTP_HX_REQUEST="true").content.decode()
    assert candidate.display_name in page and "0 / 25" in page
    before = attempt.deadline
    client.post(reverse("exams:manage_extend", kwargs={"pk": session.pk, "attempt_id": attempt.pk}), {"minutes": 15, "reason": ""})
    attempt.refresh_from_db()
    assert attempt.deadline == before  # a reason is required
    client.post(reverse("exams:manage_extend", kwargs={"pk": session.pk, "attempt_id": attempt.pk}),
                {"minutes": 15, "reason": "电脑故障更换座位"})
    attempt.refresh_from_db()
    assert attempt.deadline == before + dt.timedelta(minutes=15)
    client.post(reverse("exams:manage_force_submit", kwargs={"pk": session.pk, "attempt_id": attempt.pk}), {"reason": "违纪"})
    attempt.refresh_from_db()
    assert attempt.status != Attempt.Status.IN_PROGRESS and attempt.submitted_by == "proctor"
    log = AuditLog.objects.filter(target_id=str(attempt.pk)).values_list("action", "reason")
    assert ("attempt.extend_time", "电脑故障更换座位") in log and ("attempt.submit_proctor", "违纪") in log


def test_practical_entry_and_marking_pages(client, examiner, session, registration, candidate, lv_item, centre,
                                           testing_bank, special_kind):
    from tests.exams.conftest import small_sections

    services.blueprint_save(actor=None, owner=centre, code=session.blueprint.code, name="x", bank=testing_bank,
                            certificate_kind=special_kind, sections=small_sections(essay=True))
    t = PracticalTask.objects.create(operation_item=lv_item, code="k1", title="创伤包扎", points=Decimal(100))
    attempt = _sit(candidate, registration)
    assert attempt.status == Attempt.Status.MARKING
    client.force_login(examiner)
    r = client.post(reverse("exams:manage_practical", kwargs={"pk": registration.pk}), {f"task_{t.pk}": "120"})
    assert "应在 0 至" in r.content.decode()
    r = client.post(reverse("exams:manage_practical", kwargs={"pk": registration.pk}), {f"task_{t.pk}": "85"})
    assert r.status_code == 302 and registration.practical_result.passed
    answer = Answer.objects.get(attempt=attempt, item__question__type="essay")
    queue = client.get(reverse("exams:manage_marking")).content.decode()
    assert reverse("exams:manage_mark", kwargs={"answer_id": answer.pk}) in queue
    assert candidate.display_name not in client.get(reverse("exams:manage_mark", kwargs={"answer_id": answer.pk})).content.decode()
    client.post(reverse("exams:manage_mark", kwargs={"answer_id": answer.pk}), {"score": "8"})
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.GRADED and attempt.passed
    from exams.selectors import qualified_registrations

    assert list(qualified_registrations(examiner)) == [registration]


def test_question_edit_creates_version_when_used_and_retire(client, examiner, registration, candidate, testing_bank):
    attempt = services.attempt_start(user=candidate, registration=registration)
    used = AttemptItem.objects.filter(attempt=attempt, question__type="single").select_related("question").first().question
    client.force_login(examiner)
    url = reverse("exams:manage_question_edit", kwargs={"code": testing_bank.code, "pk": used.pk})
    assert "生成新版本" in client.get(url).content.decode()
    data = {"type": "single", "stem": used.stem + "（新）", "option_a": "甲", "option_b": "乙", "answer": "B",
            "explanation": "", "difficulty": 2}
    assert client.post(url, data).status_code == 302
    new = Question.objects.get(lineage=used.lineage, is_current=True)
    assert new.version == 2 and new.answer == "B"
    bad = client.post(reverse("exams:manage_question_edit", kwargs={"code": testing_bank.code, "pk": new.pk}),
                      {**data, "answer": "D"})
    assert "不在选项中" in bad.content.decode()
    client.post(reverse("exams:manage_question_retire", kwargs={"code": testing_bank.code, "pk": new.pk}), {"reason": "过时"})
    new.refresh_from_db()
    assert new.retired_at is not None
    assert AuditLog.objects.filter(action="question.retire", target_id=str(new.pk), reason="过时").exists()


def test_item_statistics(session, registration, candidate, make_member, examiner):
    from accounts.roles import Role

    _sit(candidate, registration, correct=True)
    for i in range(4):
        other = make_member(Role.WORKER, identity_verified=True)
        reg = services.registration_create(actor=examiner, session=session, candidate=other)
        _sit(other, reg, correct=bool(i % 2))
    result = stats.item_statistics(session)
    assert result["candidates"] == 5 and result["rows"]
    for row in result["rows"]:
        assert 0 <= row["facility"] <= 1
        assert row["discrimination"] is None or -1 <= row["discrimination"] <= 1
        assert sum(n for _k, n, _ok in row["distribution"]) >= row["n"]


@pytest.mark.parametrize("extra_sessions", [1, 6])
def test_list_pages_bounded_queries(client, examiner, centre, blueprint, special_kind, lv_item,
                                    django_assert_max_num_queries, extra_sessions, make_member):
    from accounts.roles import Role

    now = timezone.now()
    for i in range(extra_sessions):
        s = services.session_create(actor=examiner, centre=centre, name=f"场次{i}", blueprint=blueprint,
                                    certificate_kind=special_kind, operation_item=lv_item, starts_at=now,
                                    ends_at=now + dt.timedelta(hours=2))
        for _ in range(2 * extra_sessions):
            services.registration_create(actor=examiner, session=s, candidate=make_member(Role.WORKER, identity_verified=True))
    client.force_login(examiner)
    client.get(reverse("exams:manage"))
    for name in ("exams:manage", "exams:manage_sessions", "exams:manage_blueprints", "exams:manage_marking"):
        with django_assert_max_num_queries(12):
            assert client.get(reverse(name)).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("exams:manage_session", kwargs={"pk": s.pk})).status_code == 200
