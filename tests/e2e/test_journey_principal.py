"""Journey 1: the principal responsible person studies the assigned course, practises, sits the
formal exam in the open demo session (answers autosaved, surviving a reload), gets the result, and
downloads the certificate the exam centre's certificate officer issues on it."""

import subprocess

import pytest

from tests.e2e.conftest import SCREENSHOTS, has_url, login

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_journey]

COURSE = "《工贸企业重大事故隐患判定标准》专题培训（粉尘涉爆企业）"
SESSION = "工贸企业重大事故隐患判定标准 考试（演示场次）"


def _answer_key(attempt_item) -> str:
    """The right response for one frozen item (the test's oracle; the page never sees it)."""
    return attempt_item.question.answer


CURRENT = ".exam-question:not([hidden])"  # the paper is one page; the shown question is the only one not hidden


def _choose(page, item) -> None:
    for value in item.tokens_for(_answer_key(item)):
        page.locator(f"{CURRENT} input[name=choice][value='{value}']").check()


def _study(page, base, shot) -> None:
    """My courses → the assigned course → a lesson whose study time the server starts counting;
    ends on the course page, whose practice button leads to the course's training bank."""
    page.goto(f"{base}/courses/")
    assert COURSE in page.locator("main").inner_text()
    shot(page, "j1-01-my-courses")
    page.locator("main a", has_text=COURSE).first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().strip() == COURSE
    shot(page, "j1-02-course")
    page.locator("main a.btn:text-is('学习')").first.click()
    page.wait_for_load_state("networkidle")
    page.locator("#study:has-text('计时已开始')").wait_for()
    lesson_title = page.locator("h1").inner_text().strip()
    assert lesson_title
    shot(page, "j1-03-lesson")
    page.go_back()
    page.wait_for_load_state("networkidle")
    page.locator("main a.btn.secondary", has_text="练习").first.click()


def test_principal_studies_practises_sits_the_exam_and_downloads_the_certificate(page, live_server, demo, shot, tmp_path):
    from exams.models import Answer, Attempt, AttemptItem, Question, Registration

    base = live_server.url
    login(page, base, "principal")

    # 1. The assigned course is the next step on 我的课程; a lesson counts study time on the server.
    #    (Without the courses pages installed, the journey starts at the practice bank.)
    if has_url("courses:my_courses"):
        _study(page, base, shot)
    else:
        page.goto(f"{base}/exams/practice/gongmao-train/")

    # 2. Practice on the course's training bank: instant feedback with the key and explanation.
    page.wait_for_load_state("networkidle")
    question = Question.objects.get(pk=page.locator("input[name=question]").get_attribute("value"))
    assert question.bank.code == "gongmao-train" and question.bank.kind == "training"
    for value in question.answer:
        page.locator(f"input[name=choice][value='{value}']").check()
    page.click("button:has-text('提交答案')")
    page.wait_for_load_state("networkidle")
    assert "回答正确" in page.locator(".msg").inner_text()
    shot(page, "j1-04-practice-feedback")

    # 3. The formal exam in the open demo session.
    page.goto(f"{base}/exams/my/")
    row = page.locator("tr", has_text=SESSION)
    shot(page, "j1-05-my-exams")
    row.locator("button:has-text('开始考试')").click()
    page.wait_for_load_state("networkidle")
    registration = Registration.objects.get(session__name=SESSION, candidate__username="principal")
    attempt = Attempt.objects.get(registration=registration, mode="exam")
    items = list(AttemptItem.objects.filter(attempt=attempt).select_related("question").order_by("position"))
    assert len(items) >= 10
    half = len(items) // 2
    if "/q/" not in page.url:
        page.goto(f"{base}/exams/attempts/{attempt.pk}/q/1/")
    shot(page, "j1-06-exam-question")
    values = page.locator("input[name=choice]").evaluate_all("els => els.map(e => e.value)")
    assert values and not any(v in ("A", "B", "C", "D", "E", "F", "T", "F") for v in values)  # opaque tokens
    for item in items[:half]:
        assert page.locator(CURRENT).inner_text().count(item.question.stem[:10]) == 1
        _choose(page, item)
        page.locator(f"{CURRENT} .save-status").filter(has_text="保存").wait_for()  # autosaved by the change event
        page.locator(f".paper-nav a.answered[data-position='{item.position}']").wait_for()  # the answer sheet follows
        page.click(f"{CURRENT} button[name=go]:not(.secondary)")  # the next question, shown without a page load
        assert page.url.endswith(f"/q/{item.position + 1}/")
    saved = Answer.objects.filter(attempt=attempt).exclude(response="")
    assert saved.count() == half
    assert page.locator("#answered-count").inner_text() == str(half)
    page.locator(f"{CURRENT} .flag-form button").click()  # flag for review, in the page
    page.locator(f".paper-nav a.flagged[data-position='{items[half].position}']").wait_for()
    assert Answer.objects.get(attempt=attempt, item=items[half]).flagged

    # 4. The browser reloads mid-exam: every answer is still there, and the paper goes on.
    page.goto(f"{base}/exams/attempts/{attempt.pk}/q/1/")
    page.reload()
    for value in items[0].tokens_for(_answer_key(items[0])):
        assert page.locator(f"{CURRENT} input[name=choice][value='{value}']").is_checked()
    page.click(f".paper-nav a[data-position='{items[half].position}']")  # the answer sheet jumps in the page
    assert page.url.endswith(f"/q/{items[half].position}/")
    shot(page, "j1-07-exam-after-reload")
    for item in items[half:]:
        _choose(page, item)
        page.locator(f"{CURRENT} .save-status").filter(has_text="保存").wait_for()
        page.click(f"{CURRENT} button[name=go]:not(.secondary)")
    page.wait_for_url("**/overview/")
    page.wait_for_load_state("networkidle")

    # 5. Check and submit; the result is graded at once.
    assert "/overview/" in page.url
    shot(page, "j1-08-overview")
    page.check("input[name=confirm]")
    page.click("#submit-btn")
    page.wait_for_load_state("networkidle")
    attempt.refresh_from_db()
    assert attempt.status == "graded" and attempt.passed
    assert "合格" in page.locator(".badge").first.inner_text()
    shot(page, "j1-09-result")

    # 6. The certificate officer issues the certificate on the passed result. (This session's
    #    certificate kind has no practical part; the practical-score step belongs to special operations.)
    assert not registration.session.practical_required
    page.context.clear_cookies()
    login(page, base, "examiner")
    page.goto(f"{base}/certificates/issue/")
    row = page.locator("tr", has_text="陈志强").filter(has_text=SESSION)
    shot(page, "j1-10-officer-issue-list")
    row.locator("button:has-text('发证')").click()
    page.wait_for_load_state("networkidle")
    assert "已签发" in page.locator(".messages, .msg").first.inner_text()
    shot(page, "j1-11-officer-issued")

    # 7. The principal downloads the certificate PDF; it renders, in Chinese, with a QR code that
    #    points at this certificate's public verification page.
    from certificates.models import Certificate

    certificate = Certificate.objects.get(registration=registration)
    page.context.clear_cookies()
    login(page, base, "principal")
    page.goto(f"{base}/certificates/mine/")
    assert certificate.number in page.locator("main").inner_text()
    shot(page, "j1-12-my-certificates")
    link = page.locator(f"a[href='/certificates/{certificate.pk}/pdf/']").first
    assert link.inner_text().strip() == "下载PDF证书"
    response = page.request.get(base + link.get_attribute("href"))  # the browser would show it inline
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(response.body())
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=60).stdout
    assert "陈" in text and certificate.kind.name[:4] in text
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(SCREENSHOTS / "j1-13-certificate-pdf")], check=True, timeout=60)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=60)
    qr = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")],
                        capture_output=True, text=True, timeout=60)
    assert f"/verify/{certificate.verification_code}/" in qr.stdout
