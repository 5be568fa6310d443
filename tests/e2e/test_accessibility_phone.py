"""Accessibility at phone width (390 px): the pages each role reaches from the navigation pass the
WCAG 2 A/AA rules of axe-core (the desktop check and its method: test_accessibility.py)."""

import pytest

from tests.e2e.test_accessibility import axe_source, check_roles, report  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.e2e]


def test_pages_pass_axe_at_phone_width(browser, live_server, demo, axe_source):  # noqa: F811
    found, checked = check_roles(browser, live_server, axe_source, 390)
    assert checked >= 60, f"only {checked} pages reached"
    assert not found, f"WCAG 2 A/AA violations at 390 px:\n{report(found)}"
