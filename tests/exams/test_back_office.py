"""Exam-centre back office: pages work, actions are audited, lists run a bounded number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditLog
from accounts.roles import Role
from exams import services, stats
from exams.models import Answer, Attempt, AttemptItem, PracticalTask, Question


def _sit(candidate, registration, correct=True):
    attempt = services.attempt_start(user=candidate, registration=registration)
    for it in AttemptItem.objects.filter(attempt=attempt).select_related("question", "attempt"):
        if it.question.type == "essay":
            services.answer_save(item=it, text="要点")
        else:
            wrong = next(k for k in it.option_order if k not in it.question.answer)
            services.answer_save(item=it, response=it.question.answer if correct else wrong)
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


def test_required_course_is_answered_by_courses(session, candidate):
    from tests.courses.factories import CourseFactory, TrainingRecordFactory

    session.required_course_code = "gm-2023"
    session.save()
    assert "未完成规定课程（gm-2023）" in services.eligibility_problems(session=session, candidate=candidate)
    TrainingRecordFactory(person=candidate, course=CourseFactory(code="gm-2023"))
    assert services.eligibility_problems(session=session, candidate=candidate) == []


def test_required_course_without_an_answering_app_is_a_problem(session, candidate, monkeypatch):
    from exams import eligibility

    monkeypatch.setattr(eligibility, "_CHECKS", {})
    session.required_course_code = "gm-2023"
    session.save()
    assert "无法核对课程完成情况" in services.eligibility_problems(session=session, candidate=candidate)


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
                                           testing_bank, special_kind, make_member):
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
    assert not registration.practical_result.is_confirmed
    second = make_member(Role.PRACTICAL_EXAMINER, org=centre)
    client.force_login(second)
    page = client.get(reverse("exams:manage_practical", kwargs={"pk": registration.pk})).content.decode()
    assert "确认成绩" in page
    client.post(reverse("exams:manage_practical_confirm", kwargs={"pk": registration.pk}))
    registration.practical_result.refresh_from_db()
    assert registration.practical_result.confirmed_by == second
    client.force_login(examiner)
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


def _section_post(rows):
    data = {"s-TOTAL_FORMS": str(len(rows)), "s-INITIAL_FORMS": "0", "s-MIN_NUM_FORMS": "1", "s-MAX_NUM_FORMS": "20"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"s-{i}-{key}"] = value
    return data


def _blueprint_post(testing_bank, special_kind, code="bp-new", pass_mark="60", rows=None):
    rows = rows if rows is not None else [
        {"title": "单选题", "question_type": "single", "count": "10", "points": "5", "difficulty_min": "1",
         "difficulty_max": "5"},
        {"title": "判断题", "question_type": "truefalse", "count": "10", "points": "5", "difficulty_min": "1",
         "difficulty_max": "5"},
    ]
    return {"code": code, "name": "低压电工作业理论考试（新）", "bank": str(testing_bank.pk),
            "certificate_kind": str(special_kind.pk), "pass_mark": pass_mark, "duration_minutes": "60",
            "shuffle_questions": "on", "review_policy": "responses", "review_when": "immediately",
            **_section_post(rows)}


def test_item_writer_creates_and_edits_a_blueprint(client, centre, make_member, testing_bank, special_kind):
    from exams.models import Blueprint

    writer = make_member(Role.ITEM_WRITER, org=centre)
    client.force_login(writer)
    assert client.get("/exams/manage/blueprints/new/").status_code == 200
    r = client.post("/exams/manage/blueprints/new/", _blueprint_post(testing_bank, special_kind))
    assert r.status_code == 302, r.content.decode()[:2000]
    bp = Blueprint.objects.get(code="bp-new")
    assert bp.owner == centre and bp.total_score() == 100 and bp.pass_mark == 60 and bp.duration_minutes == 60
    assert [(s.title, s.count) for s in bp.sections.order_by("order")] == [("单选题", 10), ("判断题", 10)]
    assert bp.shuffle_questions and not bp.shuffle_options
    drawn = services.draw_paper(blueprint=bp, bank=testing_bank)
    assert len(drawn) == 20

    # edit: rename, fewer questions; the form shows the saved sections
    page = client.get("/exams/manage/blueprints/bp-new/edit/").content.decode()
    assert 'value="单选题"' in page and 'value="判断题"' in page
    post = _blueprint_post(testing_bank, special_kind, code="bp-renamed", pass_mark="24", rows=[
        {"title": "单选题", "question_type": "single", "count": "6", "points": "5", "difficulty_min": "1",
         "difficulty_max": "5"}])
    assert client.post("/exams/manage/blueprints/bp-new/edit/", post).status_code == 302
    bp.refresh_from_db()
    assert bp.code == "bp-renamed" and bp.total_score() == 30 and bp.sections.count() == 1
    assert AuditLog.objects.filter(action="blueprint.update").exists()


def test_blueprint_form_refuses_what_the_bank_cannot_supply(client, centre, make_member, testing_bank, special_kind):
    from exams.models import Blueprint

    client.force_login(make_member(Role.ITEM_WRITER, org=centre))
    rows = [{"title": "单选题", "question_type": "single", "count": "150", "points": "0.5", "difficulty_min": "1",
             "difficulty_max": "5"},
            {"title": "多选题", "question_type": "multiple", "count": "2", "points": "1", "difficulty_min": "4",
             "difficulty_max": "2", "partial_credit": "on"}]
    r = client.post("/exams/manage/blueprints/new/", _blueprint_post(testing_bank, special_kind, rows=rows))
    page = r.content.decode()
    assert r.status_code == 200
    assert "最高难度不能低于最低难度" in page
    rows[1]["difficulty_max"] = "5"
    page = client.post("/exams/manage/blueprints/new/", _blueprint_post(testing_bank, special_kind, rows=rows)).content.decode()
    assert "“单选题”需要 150 道" in page and "只有 30 道" in page
    assert not Blueprint.objects.filter(code="bp-new").exists()


def test_a_blueprint_in_use_is_copied_not_changed(client, centre, make_member, blueprint, registration, candidate,
                                                  testing_bank, special_kind):
    services.attempt_start(user=candidate, registration=registration, ip="127.0.0.1")
    client.force_login(make_member(Role.ITEM_WRITER, org=centre))
    page = client.get(f"/exams/manage/blueprints/{blueprint.code}/edit/").content.decode()
    assert "已有考生使用" in page and f'value="{blueprint.code}-2"' in page
    sections_before = list(blueprint.sections.values_list("pk", flat=True))
    post = _blueprint_post(testing_bank, special_kind, code=blueprint.code)
    r = client.post(f"/exams/manage/blueprints/{blueprint.code}/edit/", post)
    assert r.status_code == 200 and "该代码已被其他组卷策略使用" in r.content.decode()
    post["code"] = f"{blueprint.code}-2"
    assert client.post(f"/exams/manage/blueprints/{blueprint.code}/edit/", post).status_code == 302
    assert list(blueprint.sections.values_list("pk", flat=True)) == sections_before


@pytest.mark.parametrize("role", [Role.PROCTOR, Role.INSTRUCTOR, Role.WORKER])
def test_only_item_writers_edit_blueprints(client, make_member, centre, blueprint, role):
    user = make_member(role, org=centre if role == Role.PROCTOR else None)
    client.force_login(user)
    assert client.get("/exams/manage/blueprints/new/").status_code == 404
    assert client.get(f"/exams/manage/blueprints/{blueprint.code}/edit/").status_code == 404


def test_the_console_only_reads_an_overdue_attempt_is_shown_not_submitted(client, examiner, session, registration,
                                                                          candidate):
    attempt = services.attempt_start(user=candidate, registration=registration)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - dt.timedelta(seconds=5))
    client.force_login(examiner)
    page = client.get(reverse("exams:manage_console", kwargs={"pk": session.pk})).content.decode()
    assert "已到时，系统即将自动交卷" in page
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS  # a GET changes nothing
    assert services.autosubmit_due_attempts() == 1  # the beat job submits it
    attempt.refresh_from_db()
    assert attempt.status != Attempt.Status.IN_PROGRESS and attempt.submitted_by == "deadline"


def test_a_blueprint_candidates_sat_is_never_changed_by_the_service(centre, testing_bank, special_kind, session,
                                                                    registration, candidate):
    from django.core.exceptions import ValidationError

    from tests.exams.conftest import small_sections

    _sit(candidate, registration)
    bp = session.blueprint
    with pytest.raises(ValidationError) as refused:
        services.blueprint_save(actor=None, owner=centre, code=bp.code, name="改名", bank=testing_bank,
                                certificate_kind=special_kind, sections=small_sections())
    assert "不能修改" in str(refused.value)
    with pytest.raises(ValidationError):  # editing it saves a copy, which needs a code of its own
        services.blueprint_save(actor=None, owner=centre, code=bp.code, name="改名", bank=testing_bank,
                                certificate_kind=special_kind, sections=small_sections(), editing=bp)
    copy = services.blueprint_save(actor=None, owner=centre, code=f"{bp.code}-2", name="改名", bank=testing_bank,
                                   certificate_kind=special_kind, sections=small_sections(), editing=bp)
    bp.refresh_from_db()
    assert copy.pk != bp.pk and bp.name != "改名" and copy.name == "改名"
    with pytest.raises(ValidationError):
        services.blueprint_save(actor=None, owner=centre, code="bp-empty", name="空", bank=testing_bank, sections=[])


def test_registering_by_username_or_id_number(examiner, session, make_member):
    from django.core.exceptions import ValidationError

    person = make_member(Role.WORKER, real_name="赵报名", id_number="110101199003071233", identity_verified=True)
    reg = services.registration_create_for(actor=examiner, session=session, who="110101199003071233")
    assert reg.candidate_id == person.pk
    with pytest.raises(ValidationError) as refused:
        services.registration_create_for(actor=examiner, session=session, who="nobody-here")
    assert "找不到该考生" in str(refused.value)
