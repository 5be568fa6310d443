"""Campaign collection: copies, two-number items, validation as field messages, return/accept,
roll-up, reminders once per unit and period, and the export in the annex's layout."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from reports import campaign_services as services
from reports.campaign_exports import printed_label, rollup_workbook
from reports.collection import CopyForm, period_containing, rollup
from reports.demo import demo_values
from reports.models import Campaign, ReportCopy, ReportingUnit, ReportTemplate
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def template():
    return ReportTemplate.objects.get(code="annex-2023", version=1)


@pytest.fixture
def campaign(world, template):
    return Campaign.objects.create(name="专项整治", region_id="440700", start_date=dt.date(2026, 5, 1),
                                   bureau=world["bureau"], template=template)


@pytest.fixture
def units(db):
    out = {}
    for region, name in (("440704", "外海街道"), ("440705", "大泽镇")):
        unit = ReportingUnit.objects.create(region_id=region, name=name, kind=ReportingUnit.Kind.TOWN)
        member = UserFactory(phone=f"1380000000{len(out)}")
        unit.members.add(member)
        out[name] = (unit, member)
    ReportingUnit.objects.create(region_id="441900", name="东莞某镇", kind=ReportingUnit.Kind.TOWN)
    return out


def test_annex_template_has_the_printed_items_in_order(template):
    assert len(template.items) == 32
    assert [i["section"] for i in template.items][::8] == ["总体情况", "对企业自查自改进行抽查检查情况",
                                                         "部门精准严格执法情况", "党委政府组织领导情况"]
    assert printed_label(template.items[16]) == "行政处罚(次, 万元)"
    assert [c["key"] for c in template.items[16]["cells"]] == ["count", "amount"]
    assert [c["key"] for c in template.items[28]["cells"]] == ["amount", "anonymous"]


def test_periods_follow_the_due_day(campaign):
    assert period_containing(campaign, dt.date(2026, 7, 10)) == (dt.date(2026, 6, 23), dt.date(2026, 7, 22),
                                                                 dt.date(2026, 7, 23))
    assert period_containing(campaign, dt.date(2026, 7, 23))[0] == dt.date(2026, 7, 23)
    campaign.due_day = 20
    assert period_containing(campaign, dt.date(2026, 7, 10))[2] == dt.date(2026, 7, 20)
    # the first period starts with the campaign
    assert period_containing(campaign, dt.date(2026, 5, 2))[0] == dt.date(2026, 5, 1)


def test_open_gives_every_unit_of_the_region_one_copy(campaign, units):
    copies = services.period_open(campaign=campaign, day=dt.date(2026, 7, 10))
    assert sorted(c.unit.name for c in copies) == ["外海街道", "大泽镇"]
    services.period_open(campaign=campaign, day=dt.date(2026, 7, 1))
    assert ReportCopy.objects.count() == 2


def _post(copy, **cells):
    return {f"c_{k.replace('.', '__')}": v for k, v in cells.items()}


def test_two_number_items_keep_both_cells(campaign, units, template):
    copy = services.period_open(campaign=campaign, day=dt.date(2026, 7, 10))[0]
    form = CopyForm(_post(copy, **{"enforce_3.count": "3", "enforce_3.amount": "1.5",
                                   "lead_5.amount": "2", "lead_5.anonymous": "0.5"}), copy=copy)
    assert form.is_valid(), form.errors
    values = form.values_from(form.cleaned_data)
    assert values["enforce_3.count"] == 3 and values["enforce_3.amount"] == "1.50"
    assert values["lead_5.anonymous"] == "0.50"


def test_validation_errors_are_field_messages(campaign, units, template):
    copy = services.period_open(campaign=campaign, day=dt.date(2026, 7, 10))[0]
    form = CopyForm(_post(copy, **{"overall_1.n": "-1", "enforce_3.count": "abc", "enforce_3.amount": "1.234",
                                   "lead_5.amount": "1", "lead_5.anonymous": "2",
                                   "overall_3.n": "2", "overall_4.n": "5"}), copy=copy)
    assert not form.is_valid()
    assert form.errors["c_overall_1__n"] == ["不能为负数。"]
    assert form.errors["c_enforce_3__count"] == ["请输入完整的数字。"] or form.errors["c_enforce_3__count"] == ["请输入数字。"]
    assert form.errors["c_enforce_3__amount"] == ["最多保留两位小数。"]
    assert form.errors["c_lead_5__anonymous"] == ["不能大于“举报奖励”。"]
    assert form.errors["c_overall_4__n"] == ["不能大于“部门检查发现的重大事故隐患”。"]
    # submitting needs every typed-in cell
    form = CopyForm({}, copy=copy, submit=True)
    assert not form.is_valid()
    assert "c_overall_1__n" in form.errors and "c_spot_6__n" not in form.fields


def test_fill_return_correct_accept_and_roll_up(client, world, campaign, units, template):
    day = dt.date(2026, 7, 10)
    copies = {c.unit.name: c for c in services.period_open(campaign=campaign, day=day)}
    a, b = copies["外海街道"], copies["大泽镇"]
    member_a, member_b = units["外海街道"][1], units["大泽镇"][1]

    # a unit's bad input: a field message, nothing stored
    client.force_login(member_a)
    values = demo_values(template, 1)
    post = {**_post(a, **{k: str(v).lower() if isinstance(v, bool) else v for k, v in values.items()})}
    post = {k: ("yes" if v == "true" else v) for k, v in post.items()}
    bad = {**post, "c_enforce_3__amount": "-2", "action": "submit"}
    resp = client.post(reverse("reports:copy", args=[a.pk]), bad)
    assert resp.status_code == 200 and "不能为负数。" in resp.content.decode()
    a.refresh_from_db()
    assert a.status == "draft" and a.values == {}
    client.post(reverse("reports:copy", args=[a.pk]), {**post, "action": "submit"})
    a.refresh_from_db()
    assert a.status == "submitted" and a.values["enforce_3.amount"] == values["enforce_3.amount"]
    # a member of another unit cannot open it
    client.force_login(member_b)
    assert client.get(reverse("reports:copy", args=[a.pk])).status_code == 404
    services.copy_save(copy=b, values=demo_values(template, 2), actor=member_b, submit=True)

    # the bureau returns a with a reason (a reason is required), the unit corrects, the bureau accepts
    client.force_login(world["analyst"])
    resp = client.post(reverse("reports:copy", args=[a.pk]), {"action": "return", "reason": ""})
    assert "这个字段是必填项" in resp.content.decode() or resp.context["return_form"].errors
    client.post(reverse("reports:copy", args=[a.pk]), {"action": "return", "reason": "行政处罚金额有误"})
    a.refresh_from_db()
    assert a.status == "returned" and a.return_reason == "行政处罚金额有误"
    with pytest.raises(Exception):
        services.copy_accept(copy=a, actor=world["analyst"])
    services.copy_save(copy=a, values={**a.values, "enforce_3.amount": "9.00"}, actor=member_a, submit=True)
    body = client.get(reverse("reports:copy", args=[a.pk])).content.decode()
    assert 'data-value="lead_6.n">是</span>' in body and 'data-value="enforce_3.amount">罚款金额：9.00' in body
    for copy in (a, b):
        client.post(reverse("reports:copy", args=[copy.pk]), {"action": "accept"})
    assert set(ReportCopy.objects.values_list("status", flat=True)) == {"accepted"}

    start, end, _ = period_containing(campaign, day)
    totals = rollup(campaign, start, end)
    vb = demo_values(template, 2)
    assert totals["enforce_3.amount"] == Decimal("9.00") + Decimal(vb["enforce_3.amount"])
    assert totals["overall_1.n"] == values["overall_1.n"] + vb["overall_1.n"]
    assert totals["lead_6.n"] is True
    assert totals["spot_6.n"] == 0

    resp = client.get(reverse("reports:campaign", args=[campaign.pk]) + f"?period={start}")
    assert resp.status_code == 200 and "已采用 2/2" in resp.content.decode()

    wb = openpyxl.load_workbook(io.BytesIO(rollup_workbook(campaign, start, end)))
    assert wb.sheetnames == ["调度表", "平台数据", "各单位"]
    ws = wb["调度表"]
    printed = []
    for row in ws.iter_rows(min_row=6, values_only=True):
        if row[1] is None:
            break
        printed += [row[2]] + ([row[6]] if row[6] else [])
    assert printed == [printed_label(i) for i in template.items]
    assert ws.cell(row=6, column=4).value == values["overall_1.n"] + vb["overall_1.n"]
    assert ws.cell(row=6, column=5).value == values["overall_1.n"] + vb["overall_1.n"]  # cumulative = first period


def test_reminders_once_per_unit_and_period(campaign, units, sms_outbox, django_capture_on_commit_callbacks):
    services.period_open(campaign=campaign, day=dt.date(2026, 7, 10))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(today=dt.date(2026, 7, 10)) == 0  # not yet within 3 days of the 23rd
        assert services.reminders_send(today=dt.date(2026, 7, 20)) == 2
        assert services.reminders_send(today=dt.date(2026, 7, 21)) == 0
    assert sorted(m.phone for m in sms_outbox) == ["13800000000", "13800000001"]
    assert all("7月23日" in m.body for m in sms_outbox)
    from core.models import Notification

    assert Notification.objects.filter(kind="campaign.reminder").count() == 2
    # a submitted copy is not reminded; the next period is reminded again
    services.period_open(campaign=campaign, day=dt.date(2026, 8, 10))
    copy = ReportCopy.objects.filter(period_start=dt.date(2026, 7, 23)).first()
    services.copy_save(copy=copy, values={}, actor=copy.unit.members.first(), submit=True)
    assert services.reminders_send(today=dt.date(2026, 8, 21)) == 1


def test_late_units_are_listed(client, world, campaign, units):
    services.period_open(campaign=campaign, day=dt.date(2026, 5, 10))
    client.force_login(world["analyst"])
    resp = client.get(reverse("reports:campaign", args=[campaign.pk]) + "?period=2026-05-10")
    assert "逾期未报送：" in resp.content.decode() and "外海街道" in resp.content.decode()


def test_bureau_creates_and_edits_a_campaign(client, world, template):
    client.force_login(world["analyst"])
    data = {"name": "新专项", "document": "某某〔2026〕1号", "region": "440700", "start_date": "2026-06-01",
            "end_date": "2026-05-01", "template": template.pk, "due_day": "", "remind_days": "3",
            "industries": [world["machinery"].pk], "principal_deadline": "2028-12-31"}
    resp = client.post(reverse("reports:campaign_new"), data)
    assert resp.status_code == 200 and "结束日期不能早于开始日期。" in resp.content.decode()
    assert not Campaign.objects.exists()
    resp = client.post(reverse("reports:campaign_new"), {**data, "end_date": "2027-06-01"})
    campaign = Campaign.objects.get()
    assert resp.status_code == 302 and campaign.bureau == world["bureau"]
    assert list(campaign.targets.values_list("population", "deadline")) == [("principal", dt.date(2028, 12, 31))]
    # a region outside the bureau's own is not offered
    resp = client.post(reverse("reports:campaign_edit", args=[campaign.pk]), {**data, "region": "441900",
                                                                            "end_date": "2027-06-01"})
    assert "region" in resp.context["form"].errors


def test_campaign_list_query_count(client, world, template, django_assert_max_num_queries):
    for n in range(5):
        Campaign.objects.create(name=f"专项{n}", region_id="440700", start_date=dt.date(2026, 5, 1),
                                template=template)
    client.force_login(world["analyst"])
    with django_assert_max_num_queries(12):
        resp = client.get(reverse("reports:campaigns"))
    assert resp.status_code == 200 and "专项4" in resp.content.decode()


def test_spot_check_figure_counts_department_checks_only(client, world, campaign, units, settings, tmp_path):
    from certificates.services import roster_check_run
    from tests.factories import id_number_for

    unit, member = units["外海街道"]
    rows = [{"name": "张三", "id_number": id_number_for(7), "operation": "熔化焊接与热切割作业"}]
    # the enterprise's own roster check is not a department spot check
    roster_check_run(user=world["ent_admin"], rows=rows, organization=world["e1"])
    day = dt.date(2026, 7, 10)
    copy = services.period_open(campaign=campaign, day=day)[0]
    assert copy.platform_values == {"spot_6.n": 0}
    # two spot checks of the same enterprise count it once; a clean check does not count
    for _ in range(2):
        services.spot_check_run(user=world["analyst"], enterprise=world["e1"], unit=unit, rows=rows, checked_on=day)
    spot = services.spot_check_run(user=world["analyst"], enterprise=world["e3"], rows=rows, checked_on=day)
    assert spot.invalid_count == 1 and spot.roster_check.organization == world["e3"]
    copies = {c.unit.name: c for c in services.period_open(campaign=campaign, day=day)}
    assert copies["外海街道"].platform_values == {"spot_6.n": 1}
    assert copies["大泽镇"].platform_values == {"spot_6.n": 0}
    start, end, _ = period_containing(campaign, day)
    assert rollup(campaign, start, end)["spot_6.n"] == 2  # the region's figure, computed once
    # the locked cell and its definition are shown on the unit's page
    client.force_login(member)
    body = client.get(reverse("reports:copy", args=[copies["外海街道"].pk])).content.decode()
    assert 'data-locked="spot_6.n"' in body and "部门抽查" in body and "证书过期" in body


def test_stored_monthly_table_uses_the_campaign_template(world, campaign, units, settings, tmp_path):
    from reports.services import progress_report_build

    settings.MEDIA_ROOT = str(tmp_path)
    report = progress_report_build(bureau=world["bureau"], month=dt.date(2026, 11, 1))
    wb = openpyxl.load_workbook(io.BytesIO(report.file.open("rb").read()))
    assert wb.sheetnames[0] == "调度表" and wb["调度表"]["A1"].value == campaign.template.name
    assert wb["调度表"].cell(row=6, column=3).value == "企业自查发现的重大事故隐患(个)"


def test_demo_campaign_has_a_number_in_every_item(settings, tmp_path):
    import os

    from django.core.management import call_command
    from django.utils import timezone

    from reports.demo import CAMPAIGN_NAME

    settings.MEDIA_ROOT = str(tmp_path)
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    campaign = Campaign.objects.get(name=CAMPAIGN_NAME)
    start, _end, _due = period_containing(campaign, timezone.localdate())
    last = period_containing(campaign, start - dt.timedelta(days=1))
    copies = campaign.copies.filter(period_start=last[0])
    assert copies.count() == 4 and set(copies.values_list("status", flat=True)) == {"accepted"}
    totals = rollup(campaign, last[0], last[1])
    keys = [f"{i['key']}.{c['key']}" for i in campaign.template.items for c in i["cells"]]
    assert all(totals.get(k) is not None for k in keys)
    assert totals["spot_6.n"] == 1


def test_weekly_template_periods_and_copies(world, units):
    weekly = ReportTemplate.objects.get(code="weekly-industry")
    campaign = Campaign.objects.create(name="周报", region_id="440700", start_date=dt.date(2026, 6, 3),
                                       template=weekly)
    # Wednesday 3 June: the first week is clipped to the campaign start, due the Monday after
    assert period_containing(campaign, dt.date(2026, 6, 4)) == (dt.date(2026, 6, 3), dt.date(2026, 6, 7),
                                                                dt.date(2026, 6, 8))
    assert period_containing(campaign, dt.date(2026, 6, 10))[:2] == (dt.date(2026, 6, 8), dt.date(2026, 6, 14))
    copy = services.period_open(campaign=campaign, day=dt.date(2026, 6, 10))[0]
    form = CopyForm({}, copy=copy, submit=True)
    assert not form.is_valid() and len(form.fields) == 4 * 5  # 4 sectors × (3 counts + 行政处罚 2 cells)


def test_bureau_manages_units_and_their_reporters(client, world, units, django_assert_max_num_queries):
    client.force_login(world["analyst"])
    resp = client.post(reverse("reports:units"), {"action": "add", "region": "441900", "name": "外市镇",
                                                  "kind": "town"})
    assert "region" in resp.context["form"].errors  # outside the bureau's region
    client.post(reverse("reports:units"), {"action": "add", "region": "440705", "name": "司前镇", "kind": "town"})
    unit = ReportingUnit.objects.get(name="司前镇")
    person = UserFactory(phone="13911112222")
    resp = client.post(reverse("reports:units"), {"action": "member", "unit": unit.pk, "login": "nobody"})
    assert "找不到该用户，请确认其已在平台注册。" in resp.content.decode()
    client.post(reverse("reports:units"), {"action": "member", "unit": unit.pk, "login": "13911112222"})
    assert list(unit.members.all()) == [person]
    with django_assert_max_num_queries(12):
        resp = client.get(reverse("reports:units"))
    assert "司前镇" in resp.content.decode() and "东莞某镇" not in resp.content.decode()
    client.post(reverse("reports:units"), {"action": "remove", "unit": unit.pk, "user": person.pk})
    assert not unit.members.exists()


def test_rollup_period_and_cumulative_are_added_up_by_the_database(world, campaign, template, client,
                                                                    django_assert_max_num_queries):
    """Accepted copies of several units and periods: the period column sums that period's copies, the
    cumulative column every period's; 是/否 is 是 when any unit said 是; the page's queries do not grow
    with the number of copies."""
    from reports.collection import periods_of, rollups

    today = dt.date(2026, 12, 7)
    periods = list(reversed(periods_of(campaign, today)))[:4]
    units = [ReportingUnit.objects.create(region_id="440704", name=f"第{i}镇", kind=ReportingUnit.Kind.TOWN)
             for i in range(12)]
    rows = []
    for p, (start, end, due) in enumerate(periods):
        for u, unit in enumerate(units):
            values = demo_values(template, u)
            values["lead_6.n"] = p == 1 and u == 3  # one 是 in the second period only
            rows.append(ReportCopy(campaign=campaign, unit=unit, period_start=start, period_end=end, due_date=due,
                                   status=ReportCopy.Status.ACCEPTED if u % 4 else ReportCopy.Status.SUBMITTED,
                                   values=values))
    ReportCopy.objects.bulk_create(rows)
    accepted = [r for r in rows if r.status == ReportCopy.Status.ACCEPTED]
    start, end, _due = periods[2]
    period, cumulative = rollups(campaign, start, end)
    in_period = [r for r in accepted if r.period_start == start]
    upto = [r for r in accepted if r.period_start <= start]
    assert period["overall_1.n"] == sum(r.values["overall_1.n"] for r in in_period) > 0
    assert cumulative["overall_1.n"] == sum(r.values["overall_1.n"] for r in upto) > period["overall_1.n"]
    assert period["enforce_3.amount"] == sum(Decimal(r.values["enforce_3.amount"]) for r in in_period)
    assert cumulative["enforce_3.amount"] == sum(Decimal(r.values["enforce_3.amount"]) for r in upto)
    assert period["lead_6.n"] is False and cumulative["lead_6.n"] is True
    assert rollup(campaign, start, end) == period
    client.force_login(world["analyst"])
    for _more in range(2):
        with django_assert_max_num_queries(15):
            resp = client.get(reverse("reports:campaign", args=[campaign.pk]), {"period": start.isoformat()})
        assert resp.status_code == 200
        ReportCopy.objects.bulk_create([ReportCopy(campaign=campaign, unit=unit, period_start=periods[3][0],
                                                   period_end=periods[3][1], due_date=periods[3][2],
                                                   status=ReportCopy.Status.ACCEPTED, values=demo_values(template, 1))
                                        for unit in [ReportingUnit.objects.create(
                                            region_id="440705", name=f"新{_more}-{i}", kind="town") for i in range(20)]])
