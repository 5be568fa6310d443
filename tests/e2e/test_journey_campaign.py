"""Journey: a bureau analyst creates a campaign; two towns fill and submit their copies of the
monthly table (one is returned and corrected); the bureau accepts both; the roll-up is the sum; the
exported workbook's first sheet has the annex's items in the annex's order."""

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import timezone

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.e2e_journey]

NAME = "蓬江新会联合专项整治（测试）"


def _switch(page, base, username):
    page.context.clear_cookies()
    login(page, base, username)


def _fill_copy(page, base, username, number: str):
    _switch(page, base, username)
    page.goto(f"{base}/reports/campaigns/")
    page.click(f"a:has-text('{NAME}')")
    page.wait_for_load_state("networkidle")
    inputs = page.locator("input[name^=c_]")
    for i in range(inputs.count()):
        inputs.nth(i).fill(number)
    selects = page.locator("select[name^=c_]")
    for i in range(selects.count()):
        selects.nth(i).select_option("yes")
    # a sub-item larger than its total is refused next to the field, nothing is sent
    page.fill("input[name=c_lead_5__anonymous]", "99")
    page.click("button[value=submit]")
    page.wait_for_load_state("networkidle")
    assert "不能大于“举报奖励”。" in page.locator("tr[data-item=lead_5] .field-error").inner_text()
    page.fill("input[name=c_lead_5__anonymous]", "0")
    page.click("button[value=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".badge[data-status]").first.get_attribute("data-status") == "submitted"
    return page.url


def test_bureau_collects_the_monthly_table_from_two_towns(page, live_server, demo, shot, tmp_path):
    base = live_server.url
    today = timezone.localdate()
    login(page, base, "publisher")

    # 1. The analyst creates the campaign with the 2023 annex template.
    page.goto(f"{base}/reports/campaigns/new/")
    page.fill("input[name=name]", NAME)
    page.fill("input[name=document]", "演示〔2026〕1号")
    page.select_option("select[name=region]", "440700")
    page.fill("input[name=start_date]", (today - dt.timedelta(days=40)).isoformat())
    page.select_option("select[name=template]", label="重大事故隐患专项排查整治进展情况调度表（第1版）")
    page.fill("input[name=principal_deadline]", "2028-12-31")
    shot(page, "jc-01-campaign-new")
    page.click("button[name=save]")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == NAME
    page.click("button[value=open]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#copies tr[data-unit='环市街道（演示）']").count() == 1
    campaign_url = page.url

    # 2. Two towns fill in and submit.
    huanshi = _fill_copy(page, base, "town_huanshi", "2")
    shot(page, "jc-02-town-submitted")
    _fill_copy(page, base, "town_waihai", "3")

    # 3. The bureau returns one with a reason.
    _switch(page, base, "publisher")
    page.goto(huanshi)
    page.fill("textarea[name=reason]", "行政处罚金额请核实")
    page.click("button[value=return]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".badge[data-status]").first.get_attribute("data-status") == "returned"

    # 4. The town sees the reason, corrects and submits again.
    _switch(page, base, "town_huanshi")
    page.goto(huanshi)
    assert "行政处罚金额请核实" in page.locator("[data-return-reason]").inner_text()
    page.fill("input[name=c_enforce_3__amount]", "4.5")
    page.click("button[value=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".badge[data-status]").first.get_attribute("data-status") == "submitted"

    # 5. The bureau accepts both; the roll-up is their sum.
    _switch(page, base, "publisher")
    page.goto(campaign_url)
    for unit in ("环市街道（演示）", "外海街道（演示）"):
        page.click(f"#copies tr[data-unit='{unit}'] a")
        page.click("button[value=accept]")
        page.wait_for_load_state("networkidle")
        page.goto(campaign_url)
    assert "已采用 2/" in page.locator("[data-accepted]").inner_text()
    assert page.locator("tr[data-key=overall_1] [data-period]").inner_text() == "5"
    assert page.locator("tr[data-key='enforce_3.2'] [data-period]").inner_text() == "7.50"  # 4.50 + 3.00
    assert page.locator("tr[data-key=lead_6] [data-period]").inner_text() == "是"
    shot(page, "jc-03-rollup")

    # 6. The export's first sheet is the annex: its items in its order, two per row.
    with page.expect_download() as info:
        page.click("a:has-text('导出汇总表')")
    wb = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    ws = wb.worksheets[0]
    assert ws.title == "调度表" and wb.sheetnames[1] == "平台数据"
    rows = [r for r in ws.iter_rows(min_row=6, values_only=True) if r[1] is not None]
    assert len(rows) == 16
    assert [(r[1], r[2], r[5], r[6]) for r in rows[:2]] == [
        ("1", "企业自查发现的重大事故隐患(个)", "2", "企业自查发现重大事故隐患中已完成整改的(个)"),
        ("3", "部门检查发现的重大事故隐患(个)", "4", "部门检查发现重大事故隐患中已完成整改的(个)")]
    assert rows[8][2] == "行政处罚(次, 万元)" and rows[15][6] == "组织开展考核巡查督导检查(次)"
    assert rows[0][3] == 5


def test_campaign_pages_fit_a_phone(mobile_page, live_server, demo, shot):
    from reports.demo import CAMPAIGN_NAME
    from reports.models import Campaign, ReportCopy
    from tests.e2e.test_phone_pages import _check

    page, base = mobile_page, live_server.url
    campaign = Campaign.objects.get(name=CAMPAIGN_NAME)
    copy = ReportCopy.objects.filter(campaign=campaign, unit__members__username="town_huanshi",
                                     status="draft").first()
    login(page, base, "town_huanshi")
    for path, name in [("/reports/campaigns/", "campaign-my-copies"), (f"/reports/campaigns/copies/{copy.pk}/",
                                                                       "campaign-copy-fill")]:
        page.goto(base + path)
        _check(page, shot, name)
    page.context.clear_cookies()
    login(page, base, "publisher")
    for path, name in [(f"/reports/campaigns/{campaign.pk}/", "campaign-detail"),
                       ("/reports/campaigns/new/", "campaign-new"), ("/reports/coverage/", "coverage-register")]:
        page.goto(base + path)
        _check(page, shot, name)
