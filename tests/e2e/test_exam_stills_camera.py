"""Stills during the theory exam, in the browser: with Chromium's fake camera the exam page keeps a still
with the attempt at the start; without a camera the candidate answers on and the proctor sees the
note; the proctor opens the stills from the console (each view audited)."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login, logout
from tests.e2e.test_study_camera import same_person_scene

pytestmark = pytest.mark.e2e

CURRENT = ".exam-question:not([hidden])"


def _start_exam(page, base, username) -> int:
    login(page, base, username)
    page.goto(f"{base}/exams/my/")
    page.locator("button:has-text('开始考试')").first.click()
    page.wait_for_load_state("networkidle")
    assert "/q/" in page.url, page.url
    return int(re.search(r"/attempts/(\d+)/", page.url).group(1))


def _answer_first(page):
    page.locator(f"{CURRENT} input[name=choice]").first.check()
    page.locator(f"{CURRENT} .save-status").filter(has_text="保存").wait_for()


def test_exam_stills_with_a_camera_and_without(browser, camera_page, live_server, demo, shot):
    from django.utils import timezone

    from core.models import AuditLog
    from exams.models import Answer, AttemptStill, ExamSession

    now = timezone.now()
    assert ExamSession.objects.filter(starts_at__lte=now, ends_at__gt=now).update(exam_stills=True, exam_still_minutes=5)
    base = live_server.url

    # the welder's computer has a camera: a still at the start, kept with the attempt
    page = camera_page(same_person_scene())
    welder_attempt = _start_exam(page, base, "welder")
    expect(page.locator("#exam-camera")).to_contain_text("每 5 分钟拍照一次")
    expect(page.locator("#exam-camera-msg")).to_contain_text("已拍照")
    still = AttemptStill.objects.get(attempt_id=welder_attempt)
    assert still.kind == "photo" and still.still
    _answer_first(page)
    shot(page, "camera-exam-still-taken")
    assert Answer.objects.filter(attempt_id=welder_attempt).exclude(response="").count() == 1

    # the new hire's computer has none: a note for the proctor, and the answers save as ever
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 860})
    other = context.new_page()
    other.set_default_timeout(15000)
    newhire_attempt = _start_exam(other, base, "newhire")
    expect(other.locator("#exam-camera-msg")).to_contain_text("无法使用摄像头")
    _answer_first(other)
    shot(other, "camera-exam-no-camera")
    assert Answer.objects.filter(attempt_id=newhire_attempt).exclude(response="").count() == 1
    end = time.monotonic() + 10
    while not AttemptStill.objects.filter(attempt_id=newhire_attempt).exists() and time.monotonic() < end:
        time.sleep(0.3)
    assert AttemptStill.objects.get(attempt_id=newhire_attempt).kind == "no_camera"

    # the proctor: the console counts them, the stills page shows them, each view audited
    logout(other)
    login(other, base, "examiner")
    session_pk = ExamSession.objects.get(registrations__attempts__pk=welder_attempt).pk
    other.goto(f"{base}/exams/manage/sessions/{session_pk}/console/")
    rows = other.locator("table tbody tr")
    expect(rows.filter(has_text="考试照片 1 张").first).to_be_visible()
    expect(rows.filter(has_text="摄像头不可用").first).to_be_visible()
    shot(other, "camera-exam-console")
    other.goto(f"{base}/exams/manage/sessions/{session_pk}/console/{welder_attempt}/stills/")
    images = other.locator("figure.exam-still img")
    assert images.count() == 1
    views = AuditLog.objects.filter(action="identity_photo.view").count()
    answer = other.request.get(f"{base}{images.first.get_attribute('src')}")
    assert answer.status == 200 and len(answer.body()) > 1000
    assert AuditLog.objects.filter(action="identity_photo.view").count() >= views + 1
    shot(other, "camera-exam-stills-page")
    context.close()
