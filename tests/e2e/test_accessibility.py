"""Accessibility: every page a person reaches from the navigation passes the WCAG 2 A/AA rules of
axe-core (package.json pins it; ``make setup-dev`` installs it), at desktop and at phone width.

Each role starts at the home page and follows the links on the pages it opens (same site, no
downloads, feeds or the Wagtail admin), checking each kind of page once (addresses that differ only
in numbers are one kind), up to a limit per role. Pages reached only by a form (the exam paper, a
form sent with mistakes) are opened by their own steps."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SKIP = re.compile(r"^/(admin|django-admin|api|static|media|feeds|i18n)/|logout|export|download|template|/pdf/"
                  r"|/photo|/video|/file|training-file|\.(xlsx|pdf|csv|png|jpe?g|pem|rss|xml|txt)(\?|$)")
ROLES = {None: 25, "welder": 30, "principal": 30, "ent_admin": 30, "examiner": 30, "editor": 30, "trainer": 25,
         "town_huanshi": 20}
RUN = """async (rules) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: rules}});
  return r.violations.map(v => ({rule: v.id, help: v.help,
                                 where: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `make setup-dev` (npm ci).")
    return AXE.read_text()


def _context(browser, width):
    # the checker is injected as a script of the page's own: the site's content security policy, which
    # refuses scripts it did not send, is set aside for this one purpose
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True,
                                  viewport={"width": width, "height": 900}, is_mobile=width < 600)
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def _violations(page, axe_source) -> list[dict]:
    page.wait_for_load_state("networkidle")
    page.add_script_tag(content=axe_source)
    return page.evaluate(RUN, RULES)


def _kind(path: str) -> str:
    return re.sub(r"\d+", "N", path.split("?")[0].split("#")[0])


def _crawl(page, base, axe_source, limit) -> tuple[dict, int]:
    """Follow the site's links from the home page; returns {page: violations} and pages checked."""
    found, seen, queue = {}, set(), ["/"]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if _kind(path) in seen:
            continue
        seen.add(_kind(path))
        try:
            response = page.goto(base + path)
        except PlaywrightError:  # a file download, not a page
            continue
        if response is None or response.status >= 400 or not page.url.startswith(base):
            continue
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            if href and href.startswith("/") and not href.startswith("//") and not SKIP.search(href):
                queue.append(href.split("#")[0])
        problems = _violations(page, axe_source)
        if problems:
            found[page.url[len(base):]] = problems
    return found, len(seen)


def report(found: dict) -> str:
    return json.dumps(found, ensure_ascii=False, indent=1)


def check_roles(browser, live_server, axe_source, width):
    found, checked = {}, 0
    for role, limit in ROLES.items():
        context, page = _context(browser, width)
        if role:
            login(page, live_server.url, role)
        role_found, n = _crawl(page, live_server.url, axe_source, limit if width > 600 else limit // 2)
        found.update({f"{role or 'anonymous'} {path}": v for path, v in role_found.items()})
        checked += n
        context.close()
    return found, checked


def test_pages_pass_axe_at_desktop_width(browser, live_server, demo, axe_source):
    found, checked = check_roles(browser, live_server, axe_source, 1280)
    assert checked >= 100, f"only {checked} pages reached"
    assert not found, f"WCAG 2 A/AA violations at 1280 px:\n{report(found)}"


def test_form_pages_pass_axe(browser, live_server, demo, axe_source):
    base = live_server.url
    context, page = _context(browser, 1280)
    found = {}
    # a sign-in refused, then the enterprise application sent empty: the errors are part of the page
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "welder")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    found["login refused"] = _violations(page, axe_source)
    page.goto(f"{base}/accounts/join/")
    page.locator("main form button[type=submit]").first.click()
    found["join with mistakes"] = _violations(page, axe_source)
    # the exam paper itself, after pressing start
    login(page, base, "welder")
    page.goto(f"{base}/exams/my/")
    start = page.locator("main form button", has_text="开始").first
    assert start.count(), "the demo has an exam open for the welder"
    start.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("input[type=radio]").count() > 0
    found["exam paper"] = _violations(page, axe_source)
    context.close()
    found = {k: v for k, v in found.items() if v}
    assert not found, f"WCAG 2 A/AA violations:\n{report(found)}"
