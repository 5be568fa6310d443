"""Journey 3: a warning case goes from the editor's draft through approval to the enterprise's
responsible person, whose read receipt the bureau sees."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login, logout

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_journey]

TITLE = "某金属制品厂除尘器爆燃事故（演示）"


def test_editor_writes_publisher_approves_principal_reads_bureau_sees_it(
    page, mobile_page, live_server, demo, shot
):
    from cms.models import WarningCasePage, WarningNotification

    from django.contrib.auth import get_user_model
    from wagtail.users.models import UserProfile

    base = live_server.url
    # The admin creates a profile row on a user's first request; doing it here keeps the admin's
    # parallel first requests from racing for it on the test's shared in-memory SQLite database.
    for username in ("editor", "publisher"):
        UserProfile.get_for_user(get_user_model().objects.get(username=username))

    # 1. The editor drafts the case in the Wagtail admin and submits it for approval.
    login(page, base, "editor")
    cases = WarningCasePage.objects.first().get_parent()
    page.goto(f"{base}/admin/pages/add/cms/warningcasepage/{cases.pk}/")
    page.fill("#id_title", TITLE)
    page.fill("#id_occurred_on", "2026-11-18")
    page.keyboard.press("Escape")  # close the date picker
    page.fill("#id_place", "江门市蓬江区（演示）")
    page.fill("#id_deaths", "1")
    page.fill("#id_injuries", "2")
    page.fill("#id_summary", "抛光车间干式除尘器未设泄爆装置，箱体内积尘被打磨火花引燃后发生爆燃。")
    for field, text in (
        ("direct_causes", "除尘器内积尘遇打磨火花引燃，箱体无泄爆口。"),
        ("lessons", "除尘器设置泄爆装置并朝向安全区域，落实每班清扫制度。"),
    ):
        editor = page.locator(f"[data-contentpath={field}] .Draftail-Editor [contenteditable=true]")
        editor.click()
        page.keyboard.type(text)
        # Draftail copies its content into the form's hidden input a moment after the last keystroke.
        # (Waited for with expect: wait_for_function polls with eval, which the admin's policy refuses.)
        expect(page.locator(f"input[name={field}]")).to_have_value(re.compile(re.escape(text)))
    # tags are tick boxes, not a multi-select needing Ctrl-click
    page.locator("input[name=hazard_tags]").locator("xpath=..").filter(has_text="粉尘涉爆").locator("input").check()
    page.check("#id_is_demo")
    shot(page, "j3-01-editor-draft")
    page.click("footer [data-w-dropdown-target=toggle]")  # the publish menu
    page.locator("button[name=action-submit]").click()
    page.wait_for_load_state("networkidle")
    assert "提交" in page.locator(".messages").inner_text() and "审核" in page.locator(".messages").inner_text()
    shot(page, "j3-02-editor-submitted")

    case = WarningCasePage.objects.get(title=TITLE)
    assert not case.live
    assert not WarningNotification.objects.filter(page=case).exists()
    logout(page)

    # 2. The publisher finds it in the review queue and approves it: it goes live and is pushed.
    login(page, base, "publisher")
    page.goto(f"{base}/admin/")
    row = page.locator(f"tr:has-text('{TITLE}')")
    shot(page, "j3-03-publisher-queue")
    row.locator("[data-w-dropdown-target=toggle]").click()
    row.locator("button:text-is('批准')").click()
    page.wait_for_load_state("networkidle")
    page.locator(f"tr:has-text('{TITLE}')").wait_for(state="detached")
    # The row leaves the page when the browser starts the navigation, which can be before the
    # server has finished the approval: wait (up to 15 s) for the page to be recorded live.
    for _ in range(60):
        case.refresh_from_db()
        if case.live:
            break
        page.wait_for_timeout(250)
    assert case.live
    pushed = WarningNotification.objects.filter(page=case)
    assert pushed.filter(recipient__username="principal").exists()  # 华锐 carries 粉尘涉爆
    assert not pushed.filter(recipient__username="cold_principal").exists()  # 冰港 does not
    logout(page)

    # 3. The principal of 华锐 finds it unread in the inbox, opens it and confirms reading.
    login(page, base, "principal")
    page.goto(f"{base}/inbox/")
    item = page.locator("li", has=page.locator(f"a:text-is('{TITLE}')"))
    assert item.locator(".unread-dot").count() == 1
    assert "粉尘涉爆" in item.inner_text()  # the reason it reached this enterprise
    shot(page, "j3-04-principal-inbox")
    item.locator(f"a:text-is('{TITLE}')").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == TITLE
    shot(page, "j3-05-principal-case")
    page.click("button:has-text('我已阅读，确认')")
    page.wait_for_load_state("networkidle")
    assert "已确认阅读" in page.locator(".card").inner_text()
    shot(page, "j3-06-principal-confirmed")
    notification = pushed.get(recipient__username="principal")
    assert notification.read_at is not None

    # The inbox on a phone: read, and nothing wider than the screen.
    login(mobile_page, base, "principal")
    mobile_page.goto(f"{base}/inbox/")
    item = mobile_page.locator("li", has=mobile_page.locator(f"a:text-is('{TITLE}')"))
    assert "已读" in item.inner_text()
    assert mobile_page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(mobile_page, "j3-07-principal-inbox-mobile")
    logout(page)

    # 4. The bureau sees the principal's read receipt, and who else has not read it yet.
    login(page, base, "publisher")
    page.goto(f"{base}/warnings/status/")
    status_row = page.locator(f"tr:has-text('{TITLE}')")
    assert status_row.locator("td:nth-child(5)").inner_text().strip() == "1"
    assert status_row.locator("td:nth-child(6)").inner_text().strip() == str(pushed.count() - 1)
    shot(page, "j3-08-bureau-status")
    page.goto(f"{base}/warnings/status/{case.pk}/")
    principal_row = page.locator("tr:has-text('陈志强')")
    assert "已读" in principal_row.inner_text()
    assert "未读" not in principal_row.inner_text()
    shot(page, "j3-09-bureau-status-detail")
