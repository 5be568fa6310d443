"""An enterprise signs up on a phone, the bureau of its region approves it."""

import pytest

from accounts.models import EnterpriseApplication, Region
from accounts.roles import OrgKind, Role
from accounts.validators import make_credit_code
from tests.e2e.conftest import login
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.e2e


def test_enterprise_signs_up_on_a_phone_and_the_bureau_approves(mobile_page, page, live_server, shot):
    bureau = OrganizationFactory(kind=OrgKind.BUREAU, name="江门市应急管理局", credit_code=None,
                                 region=Region.objects.get(code="440700"))
    reviewer = UserFactory(username="jm-editor")
    MembershipFactory(user=reviewer, organization=bureau, role=Role.BUREAU_EDITOR)

    m = mobile_page
    m.goto(live_server.url + "/accounts/login/")
    m.click("text=企业入驻申请")
    assert m.url.endswith("/accounts/join/")
    m.fill("#id_e-name", "江门市安全机械有限公司")
    m.fill("#id_e-credit_code", make_credit_code("91", "440704", "MA4UJ5XK"))
    m.select_option("#id_e-region", "440704")
    m.check("label:has-text('粉尘涉爆') input")  # a plain tap, no Ctrl-click
    m.check("label:has-text('有限空间作业') input")
    m.check("label:has-text('干式除尘器') input")
    m.fill("#id_p-real_name", "李明")
    m.fill("#id_p-phone", "13800138000")
    m.fill("#id_p-username", "liming")
    m.fill("#id_p-password", "Anquan-2026-xyz")
    m.fill("#id_p-password2", "Anquan-2026-xyz")
    assert m.evaluate("document.documentElement.scrollWidth") <= 390
    shot(m, "enterprise-join-mobile")
    m.click("button:has-text('提交入驻申请')")
    m.wait_for_url("**/accounts/join/status/")
    assert "待审核" in m.locator("main").inner_text()
    shot(m, "enterprise-join-status-mobile")

    login(page, live_server.url, "jm-editor", "pw-Anxun-2026")
    page.click(".main-nav >> text=企业入驻审核")
    page.click("text=江门市安全机械有限公司")
    shot(page, "enterprise-application-review")
    page.click("button:has-text('通过')")
    page.wait_for_url("**/accounts/enterprise-applications/")
    application = EnterpriseApplication.objects.get()
    assert application.status == EnterpriseApplication.Status.APPROVED
    assert application.organization.memberships.get().role == Role.ENT_ADMIN
