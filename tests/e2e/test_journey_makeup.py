"""The make-up journey (补考) in a real browser: a candidate fails the theory exam and sees the score
and the per-knowledge-point counts but no key; cannot start again in the same session; the exam
centre creates a later session in its back office and registers the candidate there; the make-up
paper leaves out the items already seen; on both papers no option value is an option letter."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e]

PASSWORD = "pw-Anxun-2026"  # tests.factories.UserFactory's
LETTERS = {"A", "B", "C", "D", "E", "F", "T"}
SESSION_1 = "低压电工作业理论考试（第一场）"
SESSION_2 = "低压电工作业理论考试（补考场）"


def _world():
    """An exam centre with a testing bank large enough for two disjoint papers (two knowledge
    points), a blueprint that shows results as score and per-point counts, and an open session with
    the candidate registered."""
    from accounts.roles import OrgKind, Role
    from catalogue.models import CertificateKind, OperationItem
    from exams import services
    from exams.models import Blueprint, KnowledgeTag, QuestionBank
    from tests.exams.conftest import add_questions, small_sections
    from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

    centre = OrganizationFactory(kind=OrgKind.EXAM_CENTRE, name="江门市安全生产考试中心（测试）", credit_code=None)
    examiner = UserFactory(username="centre_staff", real_name="考务甲")
    for role in (Role.ITEM_WRITER, Role.PROCTOR, Role.CERT_OFFICER):
        MembershipFactory(user=examiner, organization=centre, role=role)
    candidate = UserFactory(username="makeup_candidate", real_name="补考乙", identity_verified=True)
    MembershipFactory(user=candidate, role=Role.WORKER)

    item = OperationItem.objects.get(code="elec-lv")
    bank = QuestionBank.objects.create(code="e2e-test", name="低压电工考试题库", kind="testing", owner=centre,
                                       operation_item=item)
    ground = KnowledgeTag.objects.create(code="kp-ground", name="接地与接零")
    shock = KnowledgeTag.objects.create(code="kp-shock", name="触电急救")
    for tag, prefix in ((ground, "甲"), (shock, "乙")):
        add_questions(bank, 30, "single", prefix=prefix, tags=[tag])
        add_questions(bank, 10, "multiple", prefix=prefix, tags=[tag])
        add_questions(bank, 20, "truefalse", prefix=prefix, tags=[tag])
    blueprint = services.blueprint_save(
        actor=None, owner=centre, code="bp-e2e", name="低压电工作业理论考试", bank=bank,
        certificate_kind=CertificateKind.objects.get(code="special-op", rule_version__code="2010"),
        sections=small_sections(), duration_minutes=60, pass_mark=Decimal("60"),
        review_policy=Blueprint.Review.RESPONSES)
    now = timezone.now()
    session = services.session_create(
        actor=examiner, centre=centre, name=SESSION_1, blueprint=blueprint, certificate_kind=blueprint.certificate_kind,
        operation_item=item, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=3), seats=10,
        require_check_in=False)
    services.registration_create(actor=examiner, session=session, candidate=candidate)
    return session, examiner, candidate


def _choice_values(page) -> list[str]:
    """Every option value on the exam page (the page carries the whole paper)."""
    return page.locator("input[name=choice]").evaluate_all("els => els.map(e => e.value)")


def _start(page, base, session_name):
    page.goto(f"{base}/exams/my/")
    page.locator("tr", has_text=session_name).locator("button:has-text('开始考试')").click()
    page.wait_for_load_state("networkidle")


def test_failed_candidate_sees_no_key_and_sits_the_makeup_in_a_later_session(page, live_server, transactional_db, shot):
    from exams.models import Attempt, AttemptItem, ExamSession, Registration

    session, examiner, candidate = _world()
    base = live_server.url

    # 1. The theory exam: the page's option values are per-paper tokens, never letters.
    login(page, base, candidate.username, PASSWORD)
    _start(page, base, SESSION_1)
    first = Attempt.objects.get(registration__session=session, user=candidate)
    values = _choice_values(page)
    assert len(values) >= 25 * 2 and not LETTERS & set(values)
    shot(page, "makeup-01-first-paper")

    # 2. Handed in unanswered: failed. The result shows the score and the per-point counts, no key.
    page.goto(f"{base}/exams/attempts/{first.pk}/overview/")
    page.check("input[name=confirm]")
    page.click("#submit-btn")
    page.wait_for_load_state("networkidle")
    first.refresh_from_db()
    assert first.status == "graded" and first.passed is False
    main = page.locator("main").inner_text()
    assert "不合格" in main and "各知识点答题情况" in main
    assert "接地与接零" in main and "触电急救" in main
    assert "逐题回顾" not in main and "✓" not in main and page.locator("ol.review").count() == 0
    items = list(AttemptItem.objects.filter(attempt=first).select_related("question"))
    html = page.content()
    assert not any(i.question.explanation in html or i.question.stem in html for i in items)  # no key, no items
    shot(page, "makeup-02-result")

    # 3. No second start in the same session: no button, and a forged start is refused.
    page.goto(f"{base}/exams/my/")
    row = page.locator("tr", has_text=SESSION_1)
    assert row.locator("button:has-text('开始考试')").count() == 0
    assert row.locator("a:has-text('查看成绩')").count() == 1
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    registration = Registration.objects.get(session=session, candidate=candidate)
    refused = page.request.post(f"{base}/exams/registrations/{registration.pk}/start/",
                                headers={"X-CSRFToken": token, "Referer": f"{base}/exams/my/"})
    assert "补考须另行报名" in refused.text()
    assert Attempt.objects.filter(registration=registration).count() == 1

    # 4. The day's sitting closes; the exam centre creates a later session in its back office
    #    (picking from lists, every label in Chinese) and registers the candidate for the make-up.
    opens = timezone.localtime().replace(second=0, microsecond=0)
    ExamSession.objects.filter(pk=session.pk).update(ends_at=opens)
    page.context.clear_cookies()
    login(page, base, examiner.username, PASSWORD)
    page.goto(f"{base}/exams/manage/sessions/new/")
    form = page.locator("main form")
    assert "---------" not in form.inner_text() and "Select" not in form.inner_text()
    page.fill("input[name=name]", SESSION_2)
    page.select_option("select[name=blueprint]", label="低压电工作业理论考试")
    page.fill("input[name=starts_at]", opens.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=ends_at]", (opens + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=seats]", "10")
    page.uncheck("input[name=require_check_in]")  # this journey is about the paper, not the door
    page.select_option("select[name=required_course_code]", label="不要求完成课程")
    shot(page, "makeup-03-new-session")
    page.click("main form button:has-text('创建')")
    page.wait_for_load_state("networkidle")
    later = ExamSession.objects.get(name=SESSION_2)
    session.refresh_from_db()
    assert later.starts_at >= session.ends_at and later.required_course_code == ""
    page.fill("input[name=who]", candidate.username)
    page.click("main form button:has-text('报名')")
    page.wait_for_load_state("networkidle")
    assert "已为" in page.locator("main").inner_text()
    makeup = Registration.objects.get(session=later, candidate=candidate)
    shot(page, "makeup-04-registered")

    # 5. The make-up paper: drawn at start, none of the items of the first paper, no letters.
    page.context.clear_cookies()
    login(page, base, candidate.username, PASSWORD)
    _start(page, base, SESSION_2)
    second = Attempt.objects.get(registration=makeup)
    assert second.number == 2 and second.repeated_items == 0
    seen = set(AttemptItem.objects.filter(attempt=first).values_list("question__lineage", flat=True))
    drawn = set(AttemptItem.objects.filter(attempt=second).values_list("question__lineage", flat=True))
    assert drawn and not seen & drawn
    values = _choice_values(page)
    assert values and not LETTERS & set(values)
    radios = page.locator("input[type=radio][name=choice]").evaluate_all("els => els.map(e => e.value)")
    assert radios and not LETTERS & set(radios)
    shot(page, "makeup-05-makeup-paper")
