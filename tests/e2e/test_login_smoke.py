import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

DEMO_ACCOUNTS = ["editor", "publisher", "examiner", "trainer", "ent_admin", "principal", "welder", "newhire"]


def test_home_is_chinese_and_every_demo_account_logs_in(page, live_server, demo, shot):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "安全生产培训考试平台" in page.title()
    shot(page, "home-anonymous")
    for username in DEMO_ACCOUNTS:
        login(page, live_server.url, username)
        assert page.url.rstrip("/") == live_server.url, username
        header = page.locator(".user-box .who").inner_text()
        assert header.strip(), username
        shot(page, f"home-{username}")
        page.click(".user-box button:has-text('退出')")
        page.wait_for_load_state("networkidle")


def test_wrong_password_shows_a_clear_message(page, live_server, demo, shot):
    login(page, live_server.url, "principal", "wrong-password")
    assert "用户名或密码错误" in page.locator(".errors").inner_text()
    shot(page, "login-error")


def test_mobile_width_has_no_horizontal_overflow(mobile_page, live_server, demo, shot):
    mobile_page.goto(live_server.url + "/")
    width = mobile_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    shot(mobile_page, "home-mobile")
