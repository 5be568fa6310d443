"""The site's behaviours under its Content-Security-Policy, in a real browser: the exam timer and htmx
autosave, the exam console's htmx refresh and its "force submit?" question, the select-all box of the
certificate issue list, and the editor's Draftail, image chooser and framed page preview. Chromium
must report no policy violation on any of them (console messages and securitypolicyviolation events)."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e]

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " in " + e.documentURI);
});
"""


def watch(page) -> list[str]:
    """Collects what Chromium reports about the Content-Security-Policy on this page (all frames)."""
    seen: list[str] = []
    page.context.add_init_script(WATCH_VIOLATIONS)
    page.on("console", lambda m: "Content Security Policy" in m.text and seen.append(m.text))
    page.on("pageerror", lambda e: seen.append(f"page error: {e}"))
    return seen


def open_page(browser, timeout: int = 15000, **context_options):
    """A fresh browser context (Chinese, Shanghai time) with one page whose policy reports are watched."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_options)
    page = context.new_page()
    page.set_default_timeout(timeout)
    return context, page, watch(page)


def violations(page, seen: list[str]) -> list[str]:
    reported = []
    for frame in page.frames:
        if not frame.is_detached():  # a preview frame may have gone away meanwhile
            reported += frame.evaluate("window.__cspViolations || []")
    return seen + reported


def _policy(page) -> dict[str, list[str]]:
    header = page.request.get(page.url).headers["content-security-policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


def _start_exam(page, base, username):
    login(page, base, username)
    page.goto(f"{base}/exams/my/")
    page.locator("button:has-text('开始考试')").first.click()
    page.wait_for_load_state("networkidle")
    assert "/q/" in page.url, page.url
    return int(re.search(r"/attempts/(\d+)/", page.url).group(1))


def test_timer_htmx_confirm_select_all_and_the_editor_work_under_the_policy(browser, live_server, demo, settings):
    from django.utils import timezone

    # The page editor pings its editing session every 10 s; a ping still in flight when the test
    # ends would write a row while the database is being emptied. One ping per page load is enough.
    settings.WAGTAIL_EDITING_SESSION_PING_INTERVAL = 10**9

    from exams.models import Answer, Attempt, PracticalResult

    base = live_server.url

    # 1. A candidate's exam: the policy is the strict one, the timer counts down, htmx autosaves.
    context, page, seen = open_page(browser)
    welder_attempt = _start_exam(page, base, "welder")
    policy = _policy(page)
    assert policy["script-src"][0] == "'self'" and policy["script-src"][1].startswith("'nonce-")
    assert len(policy["script-src"]) == 2 and policy["frame-ancestors"] == ["'none'"]
    first = page.locator("#exam-timer-value").inner_text()
    assert re.fullmatch(r"(\d+:)?\d\d:\d\d", first), first  # the script replaced the server's "N 分钟"
    # (expect, not wait_for_function: that polls with eval, which the policy refuses.)
    expect(page.locator("#exam-timer-value")).not_to_have_text(first)
    current = ".exam-question:not([hidden])"  # the paper is one page; the browser shows one question
    page.locator(f"{current} input[name=choice]").first.check()
    page.locator(f"{current} .save-status").filter(has_text="已保存").wait_for()
    assert Answer.objects.filter(item__attempt_id=welder_attempt).exists()
    page.locator(f"{current} button[data-go]").first.click()  # the next question, by the page's own script
    assert page.url.endswith("/q/2/") and page.locator(f"{current} [id='q2-h']").is_visible()
    assert not violations(page, seen), violations(page, seen)
    context.close()

    # A second candidate, so that the issue list below has more than one row to tick.
    context, page, seen = open_page(browser)
    newhire_attempt = _start_exam(page, base, "newhire")
    assert not violations(page, seen), violations(page, seen)
    context.close()

    # 2. The exam console: htmx refreshes the rows; "force submit" asks first, and only "OK" sends it.
    context, page, seen = open_page(browser, timeout=20000)
    login(page, base, "examiner")
    session_pk = Attempt.objects.get(pk=welder_attempt).registration.session_id
    page.goto(f"{base}/exams/manage/sessions/{session_pk}/console/")
    with page.expect_response(lambda r: f"/sessions/{session_pk}/console/" in r.url and r.request.headers.get("hx-request")):
        pass  # the rows' refresh every 10 s
    row = page.locator("#console-rows tr", has_text="王建国")
    questions = []
    page.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    row.locator("form[data-confirm] input[name=reason]").fill("演示：监考强制交卷")
    row.locator("form[data-confirm] button").click()
    page.wait_for_timeout(500)
    assert questions == ["确认强制交卷？"]
    assert Attempt.objects.get(pk=welder_attempt).status == Attempt.Status.IN_PROGRESS  # "cancel" sent nothing
    page.once("dialog", lambda d: (questions.append(d.message), d.accept()))
    row = page.locator("#console-rows tr", has_text="王建国")
    row.locator("form[data-confirm] input[name=reason]").fill("演示：监考强制交卷")
    with page.expect_navigation():
        row.locator("form[data-confirm] button").click()
    assert len(questions) == 2
    assert Attempt.objects.get(pk=welder_attempt).status != Attempt.Status.IN_PROGRESS

    # 3. The issue list's select-all box ticks and clears every row. Both results are made passing
    #    here (theory and, where the kind has one, the practical part).
    from django.contrib.auth import get_user_model

    examiner = get_user_model().objects.get(username="examiner")
    for pk in (welder_attempt, newhire_attempt):
        attempt = Attempt.objects.get(pk=pk)
        Attempt.objects.filter(pk=pk).update(status=Attempt.Status.GRADED, passed=True, submitted_at=timezone.now())
        if attempt.registration.session.practical_required:  # entered by one examiner, confirmed by another
            PracticalResult.objects.update_or_create(registration=attempt.registration, defaults={
                "examiner": examiner, "total": 90, "pass_mark": 60, "passed": True, "status": "confirmed",
                "confirmed_by": get_user_model().objects.get(username="examiner2"), "confirmed_at": timezone.now()})
    page.goto(f"{base}/certificates/issue/")
    rows = page.locator("input[name=ids]")
    assert rows.count() >= 2
    page.locator("input[data-select-all]").check()
    assert page.locator("input[name=ids]:checked").count() == rows.count()
    page.locator("input[data-select-all]").uncheck()
    assert page.locator("input[name=ids]:checked").count() == 0
    assert not violations(page, seen), violations(page, seen)
    context.close()

    # 4. The editor: Wagtail's own policy lets the page editor, Draftail, the image chooser and the
    #    framed preview (the site's policy, framed by the same origin) work.
    from wagtail.users.models import UserProfile

    from cms.models import WarningCasePage

    UserProfile.get_for_user(get_user_model().objects.get(username="editor"))
    case = WarningCasePage.objects.live().first()
    context, page, seen = open_page(browser, viewport={"width": 1400, "height": 900})
    login(page, base, "editor")
    page.goto(f"{base}/admin/pages/{case.pk}/edit/")
    assert _policy(page)["script-src"] == ["'self'", "'unsafe-inline'"]  # Wagtail writes inline scripts
    editor = page.locator("[data-contentpath=lessons] .Draftail-Editor [contenteditable=true]")
    editor.click()
    page.keyboard.type("（补充）")
    expect(page.locator("input[name=lessons]")).to_have_value(re.compile("（补充）"))
    add = page.locator("[data-contentpath=what_happened] button.c-sf-add-button").first
    add.scroll_into_view_if_needed()
    add.click()
    page.locator(".w-combobox__option", has_text="图片").first.click()
    page.locator("[data-contentpath=what_happened] button[data-chooser-action-choose]").first.click()
    choice = page.locator(".modal-content a[data-chooser-modal-choice], .modal-content a.image-choice").first
    choice.click()
    page.locator(".modal-content").first.wait_for(state="hidden")
    page.locator("[data-side-panel-toggle=preview]").click()
    preview = page.frame_locator("iframe[data-w-preview-target=iframe]").first
    expect(preview.locator("h1").first).to_have_text(case.title)
    expect(preview.locator("main")).to_contain_text("（补充）")  # the unsaved edit, shown by the preview
    problems = violations(page, seen)
    context.close()
    assert not problems, problems
