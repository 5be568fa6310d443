"""Phones: the candidate, worker and verification pages fit 390 px — no sideways scrolling, the
navigation wraps inside the screen, tables read as lists of "heading: value" lines. Screenshots of
each page go to test-artifacts/screenshots/phone-*.png."""

import pytest

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e]

WIDTH = 390

FITS = """() => {
  const doc = document.documentElement;
  const navOut = Array.from(document.querySelectorAll('.main-nav a, .user-box a, .user-box button'))
    .filter(a => a.getBoundingClientRect().right > window.innerWidth + 1).map(a => a.textContent.trim());
  const tables = Array.from(document.querySelectorAll('table.table'));
  return {scroll: doc.scrollWidth, width: window.innerWidth, navOut: navOut,
          tables: tables.length, stacked: tables.filter(t => t.classList.contains('stack')
                                                        && getComputedStyle(t.querySelector('thead') || t).display === 'none').length};
}"""


def _check(page, shot, name):
    page.wait_for_load_state("networkidle")
    found = page.evaluate(FITS)
    shot(page, f"phone-{name}")
    assert found["scroll"] <= found["width"] + 1, f"{name}: page is {found['scroll']} px wide on a {WIDTH} px screen"
    assert not found["navOut"], f"{name}: navigation entries off screen: {found['navOut']}"
    assert found["stacked"] == found["tables"], f"{name}: a table stays a wide grid"
    return found


def test_candidate_worker_and_verification_pages_fit_a_phone(mobile_page, live_server, demo, shot):
    from certificates.models import Certificate

    page, base = mobile_page, live_server.url
    code = Certificate.objects.filter(state=Certificate.State.ACTIVE).values_list("verification_code", flat=True).first()

    page.goto(f"{base}/verify/")
    _check(page, shot, "verify")
    page.goto(f"{base}/verify/{code}/")
    _check(page, shot, "verify-result")
    assert "有效" in page.locator("main").inner_text() or "证书" in page.locator("main").inner_text()

    login(page, base, "welder")
    for path, name in [("/", "home"), ("/courses/", "my-courses"), ("/exams/my/", "my-exams"),
                       ("/exams/practice/", "practice"), ("/certificates/mine/", "my-certificates"),
                       ("/notifications/", "notifications"), ("/accounts/me/", "my-account")]:
        page.goto(base + path)
        _check(page, shot, name)

    # the exam itself: start the open session and look at a question
    page.goto(f"{base}/exams/my/")
    start = page.locator("main form button", has_text="开始").first
    if start.count():
        start.click()
        page.wait_for_load_state("networkidle")
        _check(page, shot, "exam-question")

    page.context.clear_cookies()
    login(page, base, "ent_admin")
    for path, name in [("/", "enterprise-home"), ("/certificates/people/", "people-certificates"),
                       ("/accounts/people/", "people"), ("/courses/enterprise/", "training-progress")]:
        page.goto(base + path)
        found = _check(page, shot, name)
        if name == "people-certificates":
            assert found["tables"] >= 1
