"""Journey 4, from nothing: a new enterprise registers, the bureau approves it, its admin imports
20 employees from Excel (one bad row → nothing imported, row report; fixed → all imported), a
worker activates from the invitation code sent by text message, uploads ID card and portrait, the
exam centre confirms his identity, he starts the course assigned to new workers, applies for an
exam, is approved, sits it and passes, passes the practical (entered and confirmed by two
examiners), gets a certificate, and the enterprise's roster check says `valid` for him.
Screenshots at desktop size, and phone size for the pages people use on a phone."""

import datetime as dt
import io
import re

import pytest
from django.utils import timezone

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_journey]

PASSWORD = "Anquan-2026-journey"
ENTERPRISE = "江门市新会区示例五金制品有限公司（演示）"
WORKER = "梁志明"
WORKER_ID_SEQ = 7


def _credit_code() -> str:
    from accounts.validators import make_credit_code

    return make_credit_code("91", "440704", "MA5QJ7XN")


def _people_xlsx(bad_row: bool) -> bytes:
    from openpyxl import Workbook

    from tests.factories import id_number_for

    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "手机号", "电子邮箱", "角色", "操作项目"])
    for n in range(20):
        name = WORKER if n == WORKER_ID_SEQ else f"员工{n:02d}"
        id_number = id_number_for(900 + n, birth="19900412")
        if bad_row and n == 13:
            id_number = id_number[:-1] + ("0" if id_number[-1] != "0" else "1")  # wrong check digit
        roles = "从业人员、特种作业人员" if n == WORKER_ID_SEQ else "从业人员"
        ws.append([name, id_number, f"1391234{n:04d}", "", roles, "低压电工作业" if n == WORKER_ID_SEQ else ""])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _photo(width=480, height=320, colour=(200, 210, 220)) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), colour)
    ImageDraw.Draw(image).ellipse((width // 3, height // 6, 2 * width // 3, 5 * height // 6), fill=(230, 190, 160))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def _files(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_a_new_enterprise_joins_and_its_worker_gets_a_certificate(page, mobile_page, live_server, demo, shot,
                                                                 tmp_path, sms_outbox):
    from accounts.models import EnterpriseApplication, Organization, User
    from exams.models import Attempt, AttemptItem, ExamApplication, ExamSession, PracticalTask, Registration
    from tests.factories import id_number_for

    base = live_server.url
    code = _credit_code()

    # 1. The enterprise registers itself (on a phone).
    phone = mobile_page
    phone.goto(f"{base}/accounts/join/")
    shot(phone, "j4-01-join-phone")
    phone.fill("[name='e-name']", ENTERPRISE)
    phone.fill("[name='e-credit_code']", code)
    phone.select_option("[name='e-region']", "440704")
    phone.locator("[name='e-hazard_tags']").first.check()
    phone.fill("[name='e-address']", "江门市新会区示例路8号")
    phone.fill("[name='p-real_name']", "何丽")
    phone.fill("[name='p-phone']", "13800001111")
    phone.fill("[name='p-email']", "heli@example.com")
    phone.fill("[name='p-username']", "heli")
    phone.fill("[name='p-password']", PASSWORD)
    phone.fill("[name='p-password2']", PASSWORD)
    phone.click("button:has-text('提交入驻申请')")
    phone.wait_for_load_state("networkidle")
    application = EnterpriseApplication.objects.get(credit_code=code)
    assert application.status == EnterpriseApplication.Status.PENDING
    assert not Organization.objects.filter(credit_code=code).exists()
    shot(phone, "j4-02-join-submitted-phone")

    # 2. The bureau of the region approves it.
    login(page, base, "editor")
    page.goto(f"{base}/accounts/enterprise-applications/{application.pk}/")
    shot(page, "j4-03-bureau-application")
    page.click("button:has-text('通过')")
    page.wait_for_load_state("networkidle")
    enterprise = Organization.objects.get(credit_code=code)

    # 3. Its admin imports 20 employees: one bad row → nothing imported; fixed → all 20.
    page.context.clear_cookies()
    login(page, base, "heli", PASSWORD)
    page.goto(f"{base}/accounts/people/import/")
    page.set_input_files("input[type=file]", _files(tmp_path, "bad.xlsx", _people_xlsx(bad_row=True)))
    page.click("button:has-text('校验并导入')")
    page.wait_for_load_state("networkidle")
    report = page.locator("main").inner_text()
    assert "第" in report and "身份证号" in report
    shot(page, "j4-04-import-refused")
    assert not User.objects.filter(memberships__organization=enterprise, memberships__role="worker").exists()
    page.goto(f"{base}/accounts/people/import/")
    page.set_input_files("input[type=file]", _files(tmp_path, "good.xlsx", _people_xlsx(bad_row=False)))
    page.click("button:has-text('校验并导入')")
    page.wait_for_load_state("networkidle")
    shot(page, "j4-05-import-done")
    assert User.objects.filter(memberships__organization=enterprise, memberships__role="worker").distinct().count() == 20
    worker = User.objects.get(real_name=WORKER)

    # ... and assigns the three-level safety education course to its workers.
    from courses.models import Course

    course = Course.objects.get(code="new-worker-3level")
    page.goto(f"{base}/courses/rules/")
    page.fill("[name=name]", "新员工三级安全教育")
    page.select_option("[name=course]", str(course.pk))
    page.check("[name=roles][value=worker]")
    page.fill("[name=due_in_days]", "30")
    page.click("button:has-text('发布规则')")
    page.wait_for_load_state("networkidle")
    shot(page, "j4-05b-assignment-rule")
    assert worker.enrolments.filter(course=course).exists()

    # 4. The worker activates his account with the code from the text message (on his phone).
    message = next(m for m in reversed(sms_outbox) if m.phone == f"1391234{WORKER_ID_SEQ:04d}")
    activation_code = re.search(r"激活码(\d{6})", message.body).group(1)
    phone.context.clear_cookies()
    phone.goto(f"{base}/accounts/activate/")
    phone.fill("[name=identifier]", message.phone)
    phone.fill("[name=code]", activation_code)
    phone.click("button:has-text('下一步')")
    phone.wait_for_load_state("networkidle")
    phone.fill("[name=username]", "liangzm")
    phone.fill("[name=password1]", PASSWORD)
    phone.fill("[name=password2]", PASSWORD)
    shot(phone, "j4-06-activate-phone")
    phone.click("button:has-text('激活并登录')")
    phone.wait_for_load_state("networkidle")
    worker.refresh_from_db()
    assert worker.username == "liangzm" and worker.has_usable_password()

    # 5. He uploads his ID card and a portrait, with consent; the exam centre confirms his identity.
    phone.goto(f"{base}/accounts/me/identity/")
    phone.check("[name=consent]")
    phone.set_input_files("[name=id_front]", _files(tmp_path, "front.jpg", _photo()))
    phone.set_input_files("[name=id_back]", _files(tmp_path, "back.jpg", _photo(colour=(180, 200, 230))))
    phone.set_input_files("[name=portrait]", _files(tmp_path, "portrait.jpg", _photo(360, 480)))
    shot(phone, "j4-07-identity-upload-phone")
    phone.click("button:has-text('提交核验')")
    phone.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    login(page, base, "examiner")
    page.goto(f"{base}/accounts/identity/reviews/")
    page.locator("tr", has_text=WORKER).locator("a", has_text="核验").click()
    page.wait_for_load_state("networkidle")
    shot(page, "j4-08-identity-review")
    page.click("button[name=action][value=confirm]")
    page.wait_for_load_state("networkidle")
    worker.refresh_from_db()
    assert worker.identity_verified

    # 6. He studies the course assigned to new workers: the server starts counting his time.
    phone.goto(f"{base}/courses/")
    shot(phone, "j4-09-my-courses-phone")
    phone.locator("main a.btn", has_text="继续学习").first.click()
    phone.wait_for_load_state("networkidle")
    phone.locator("#study:has-text('计时已开始')").wait_for()
    shot(phone, "j4-10-lesson-phone")

    # 7. He applies for the low-voltage electrician exam; the exam centre approves.
    session = ExamSession.objects.get(name="低压电工作业 理论考试（报名演示场次）")
    phone.goto(f"{base}/exams/applications/new/?session={session.pk}")
    phone.select_option("[name=education]", "senior")
    phone.check("[name=health_declared]")
    phone.fill("[name=health_declared_on]", (timezone.localdate() - dt.timedelta(days=20)).isoformat())
    phone.click("button[name=action][value=check]")  # see the eligibility, then submit
    phone.wait_for_load_state("networkidle")
    shot(phone, "j4-10b-eligibility-phone")
    phone.click("button[name=action][value=submit]")
    phone.wait_for_load_state("networkidle")
    shot(phone, "j4-11-applied-phone")
    application = ExamApplication.objects.get(person=worker, session=session)
    page.goto(f"{base}/exams/manage/applications/{application.pk}/")
    shot(page, "j4-12-application-review")
    page.click("button[name=action][value=approve]")
    page.wait_for_load_state("networkidle")
    registration = Registration.objects.get(session=session, candidate=worker)
    assert registration.ticket_number and any(m.phone == worker.phone for m in sms_outbox[-3:])

    # 8. Exam day (the session is moved to now): he sits the theory exam and passes.
    now = timezone.now()
    ExamSession.objects.filter(pk=session.pk).update(starts_at=now - dt.timedelta(minutes=5),
                                                     ends_at=now + dt.timedelta(hours=2))
    # the proctor checks him in at the door: a still from the ID-card reader beside his verified portrait
    from django.core.files.uploadedfile import SimpleUploadedFile

    from exams.services.checkin import checkin_decide, checkin_still

    proctor = User.objects.get(username="examiner")
    checkin_still(actor=proctor, registration=registration, source="reader",
                  upload=SimpleUploadedFile("reader.jpg", _photo(360, 480), content_type="image/jpeg"))
    checkin_decide(actor=proctor, registration=Registration.objects.get(pk=registration.pk), admit=True,
                   note="与身份证读卡器照片一致")
    phone.goto(f"{base}/exams/my/")
    phone.locator("button:has-text('开始考试')").first.click()
    phone.wait_for_load_state("networkidle")
    attempt = Attempt.objects.get(registration=registration, mode="exam")
    items = list(AttemptItem.objects.filter(attempt=attempt).select_related("question").order_by("position"))
    current = ".exam-question:not([hidden])"
    phone.goto(f"{base}/exams/attempts/{attempt.pk}/q/1/")
    shot(phone, "j4-13-exam-phone")
    for item in items:
        if item.question.type == "essay":
            phone.fill(f"{current} textarea[name=text]", "停电、验电、装设接地线、悬挂标示牌和装设遮栏。")
            phone.locator(f"{current} textarea[name=text]").blur()
        else:
            for value in item.tokens_for(item.question.answer):
                phone.locator(f"{current} input[name=choice][value='{value}']").check()
        phone.locator(f"{current} .save-status").filter(has_text="保存").wait_for()
        phone.click(f"{current} button[name=go]:not(.secondary)")
    phone.wait_for_url("**/overview/")
    phone.check("input[name=confirm]")
    phone.click("#submit-btn")
    phone.wait_for_load_state("networkidle")
    attempt.refresh_from_db()
    assert attempt.status == "marking"  # the short-answer question waits for an examiner
    from exams.models import Answer
    from exams.services import essay_mark

    essay = Answer.objects.get(attempt=attempt, item__question__type="essay")
    essay_mark(actor=User.objects.get(username="examiner"), answer=essay, score=8)
    attempt.refresh_from_db()
    assert attempt.status == "graded" and attempt.passed
    phone.goto(f"{base}/exams/attempts/{attempt.pk}/result/")
    shot(phone, "j4-14-result-phone")

    # 9. The practical: one examiner enters, a second confirms.
    from exams.services import practical_result_confirm, practical_result_record

    examiner, second = User.objects.get(username="examiner"), User.objects.get(username="examiner2")
    tasks = PracticalTask.objects.filter(operation_item=session.operation_item, is_active=True)
    practical_result_record(examiner=examiner, registration=registration, scores={t.pk: t.points for t in tasks})
    practical_result_confirm(examiner=second, registration=registration)

    # 10. The certificate officer issues the certificate.
    page.goto(f"{base}/certificates/issue/")
    page.locator("tr", has_text=WORKER).locator("button:has-text('发证')").click()
    page.wait_for_load_state("networkidle")
    assert "已签发" in page.locator(".messages, .msg").first.inner_text()
    shot(page, "j4-15-issued")

    # 11. The enterprise's roster check says valid for him.
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["姓名", "身份证号", "操作项目"])
    wb.active.append([WORKER, id_number_for(900 + WORKER_ID_SEQ, birth="19900412"), "低压电工作业"])
    out = io.BytesIO()
    wb.save(out)
    page.context.clear_cookies()
    login(page, base, "heli", PASSWORD)
    page.goto(f"{base}/certificates/roster/")
    page.set_input_files("input[type=file]", _files(tmp_path, "roster.xlsx", out.getvalue()))
    page.click("button:has-text('开始核查')")
    page.wait_for_load_state("networkidle")
    shot(page, "j4-16-roster-valid")
    row = page.locator("tr", has_text=WORKER)
    assert "有效" in row.inner_text()
