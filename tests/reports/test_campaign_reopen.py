"""Reopening an accepted copy of the campaign table: a reason is required, only the copy's reviewers may
do it, the copy goes back to “returned” (the unit corrects and resubmits as after a return), it leaves
the roll-up at once and counts again when accepted again, every reopen is audited, and the stored
monthly tables are produced again."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Region
from accounts.roles import OrgKind, Role
from core.models import AuditLog, Notification
from reports import campaign_services as services
from reports.collection import period_containing, rollup
from reports.demo import demo_values
from reports.models import Campaign, ReportCopy, ReportingUnit, ReportTemplate
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 7, 10)  # period 2026-06-23 … 2026-07-22, due 2026-07-23


@pytest.fixture
def template():
    return ReportTemplate.objects.get(code="annex-2023", version=1)


@pytest.fixture
def campaign(world, template):
    return Campaign.objects.create(name="专项整治", region_id="440700", start_date=dt.date(2026, 5, 1),
                                   bureau=world["bureau"], template=template)


@pytest.fixture
def accepted(world, campaign, template):
    """Two units whose copies of the period are accepted: {name: (copy, member)}."""
    out = {}
    for n, (region, name) in enumerate((("440704", "外海街道"), ("440705", "大泽镇"))):
        unit = ReportingUnit.objects.create(region_id=region, name=name, kind=ReportingUnit.Kind.TOWN)
        member = UserFactory(phone=f"1390000000{n}")
        unit.members.add(member)
        out[name] = member
    copies = {}
    for copy in services.period_open(campaign=campaign, day=DAY):
        member = out[copy.unit.name]
        services.copy_save(copy=copy, values=demo_values(template, len(copies) + 1), actor=member, submit=True)
        copies[copy.unit.name] = (services.copy_accept(copy=copy, actor=world["analyst"]), member)
    return copies


def _total(campaign, key="overall_1.n"):
    start, end, _due = period_containing(campaign, DAY)
    return rollup(campaign, start, end).get(key)


def _form(values: dict) -> dict:
    post = {}
    for key, value in values.items():
        if isinstance(value, bool):
            value = "yes" if value else "no"
        post[f"c_{key.replace('.', '__')}"] = str(value)
    return post


def test_reopen_needs_a_reason_and_nothing_changes(client, world, accepted):
    copy, _member = accepted["外海街道"]
    client.force_login(world["analyst"])
    for reason in ("", "   "):
        resp = client.post(reverse("reports:copy", args=[copy.pk]), {"action": "reopen", "reason": reason})
        assert resp.status_code == 200
        assert resp.context["reopen_form"].errors["reason"] == ["请填写重新打开的原因。"]
        assert "请填写重新打开的原因。" in resp.content.decode()
    copy.refresh_from_db()
    assert copy.status == ReportCopy.Status.ACCEPTED and copy.return_reason == ""
    assert not AuditLog.objects.filter(action="campaign_copy.reopen").exists()
    assert not Notification.objects.filter(kind="campaign.reopened").exists()
    # the service refuses too, on the reason field
    with pytest.raises(ValidationError) as exc:
        services.copy_reopen(copy=copy, reason="  ", actor=world["analyst"])
    assert exc.value.message_dict == {"reason": ["请填写重新打开的原因。"]}
    copy.refresh_from_db()
    assert copy.status == ReportCopy.Status.ACCEPTED


def test_only_the_copys_reviewers_may_reopen(client, world, accepted):
    copy, member = accepted["外海街道"]
    other_member = accepted["大泽镇"][1]
    dongguan = OrganizationFactory(kind=OrgKind.BUREAU, name="东莞市应急管理局", region=Region.objects.get(code="441900"),
                                   credit_code=None)
    from tests.factories import MembershipFactory

    other_bureau = UserFactory()
    MembershipFactory(user=other_bureau, organization=dongguan, role=Role.BUREAU_ANALYST)
    url = reverse("reports:copy", args=[copy.pk])
    post = {"action": "reopen", "reason": "数据有误"}
    client.force_login(member)  # the unit's own reporter sees the copy but may not reopen it
    resp = client.get(url)
    assert resp.status_code == 200 and "data-reopen" not in resp.content.decode()
    assert client.post(url, post).status_code == 403
    for outsider in (other_bureau, other_member, world["ent_admin"]):  # cannot even see the copy
        client.force_login(outsider)
        assert client.post(url, post).status_code == 404
    copy.refresh_from_db()
    assert copy.status == ReportCopy.Status.ACCEPTED
    assert not AuditLog.objects.filter(action="campaign_copy.reopen").exists()
    # the bureau of the campaign's region sees the button, with a confirmation
    client.force_login(world["analyst"])
    body = client.get(url).content.decode()
    assert "data-reopen" in body and 'data-confirm="确认重新打开这份已采用的表？' in body
    assert 'name="action" value="reopen"' in body


def test_reopen_leaves_the_rollup_until_accepted_again(client, world, campaign, template, accepted):
    a, member_a = accepted["外海街道"]
    b, _member_b = accepted["大泽镇"]
    both = a.values["overall_1.n"] + b.values["overall_1.n"]
    assert _total(campaign) == both
    start = a.period_start
    detail = reverse("reports:campaign", args=[campaign.pk]) + f"?period={start}"
    client.force_login(world["analyst"])
    assert "已采用 2/2" in client.get(detail).content.decode()

    resp = client.post(reverse("reports:copy", args=[a.pk]), {"action": "reopen", "reason": "检查发现数填错"})
    assert resp.status_code == 302
    a.refresh_from_db()
    assert a.status == ReportCopy.Status.RETURNED and a.return_reason == "检查发现数填错"
    assert a.reviewed_by == world["analyst"] and a.editable
    # the roll-up stops counting it at once: the figure, the page and the count of accepted copies
    assert _total(campaign) == b.values["overall_1.n"]
    resp = client.get(detail)
    body = resp.content.decode()
    assert "已采用 1/2" in body
    row = next(r for r in resp.context["rows"] if r["item"]["key"] == "overall_1")
    assert row["cells"][0]["period"] == str(b.values["overall_1.n"])
    assert row["cells"][0]["cumulative"] == str(b.values["overall_1.n"])
    # open again and past its due date: listed with the late units until resubmitted
    assert [c.unit.name for c in resp.context["late"]] == ["外海街道"]

    # audited: who, the reason, the status before and after
    log = AuditLog.objects.get(action="campaign_copy.reopen")
    assert log.actor == world["analyst"] and log.target_id == str(a.pk) and log.reason == "检查发现数填错"
    assert log.before["status"] == "accepted"
    assert log.after == {"status": "returned", "reason": "检查发现数填错"}
    # the unit is told, with the reason, as after a return
    note = Notification.objects.get(kind="campaign.reopened")
    assert note.user == member_a and note.body == "检查发现数填错"
    assert note.url == reverse("reports:copy", args=[a.pk])

    # the unit sees the reason, corrects and resubmits through its usual form
    client.force_login(member_a)
    body = client.get(reverse("reports:copy", args=[a.pk])).content.decode()
    assert "检查发现数填错" in body and 'value="submit"' in body
    corrected = {**a.values, "overall_1.n": a.values["overall_1.n"] + 5}
    resp = client.post(reverse("reports:copy", args=[a.pk]), {**_form(corrected), "action": "submit"})
    assert resp.status_code == 302
    a.refresh_from_db()
    assert a.status == ReportCopy.Status.SUBMITTED and a.values["overall_1.n"] == corrected["overall_1.n"]
    assert _total(campaign) == b.values["overall_1.n"]  # submitted, not yet accepted

    # accepted again: it counts again, with the corrected figure
    client.force_login(world["analyst"])
    client.post(reverse("reports:copy", args=[a.pk]), {"action": "accept"})
    a.refresh_from_db()
    assert a.status == ReportCopy.Status.ACCEPTED and a.return_reason == ""
    assert _total(campaign) == both + 5
    resp = client.get(detail)
    assert "已采用 2/2" in resp.content.decode() and resp.context["late"] == []


def test_reopening_a_copy_not_accepted_is_refused(client, world, campaign, accepted):
    a, member_a = accepted["外海街道"]
    services.copy_reopen(copy=a, reason="数据有误", actor=world["analyst"])  # now returned
    url = reverse("reports:copy", args=[a.pk])
    client.force_login(world["analyst"])
    resp = client.post(url, {"action": "reopen", "reason": "再次打开"}, follow=True)
    assert resp.status_code == 200 and "只能重新打开已采用的表。" in resp.content.decode()
    a.refresh_from_db()
    assert a.status == ReportCopy.Status.RETURNED and a.return_reason == "数据有误"
    services.copy_save(copy=a, values=a.values, actor=member_a, submit=True)
    with pytest.raises(ValidationError, match="只能重新打开已采用的表。"):
        services.copy_reopen(copy=a, reason="再次打开", actor=world["analyst"])
    a.refresh_from_db()
    assert a.status == ReportCopy.Status.SUBMITTED
    assert AuditLog.objects.filter(action="campaign_copy.reopen").count() == 1
    # no reopen form on a copy that is not accepted
    assert "data-reopen" not in client.get(url).content.decode()


def test_stored_monthly_tables_follow_a_reopen(world, campaign, accepted, settings, tmp_path,
                                               django_capture_on_commit_callbacks):
    """The stored tables print the roll-up: those whose period ends on or after the copy's start are
    produced again when it is reopened and when it is accepted again; earlier ones are left alone."""
    from reports.services import progress_report_build

    settings.MEDIA_ROOT = str(tmp_path)
    a, member_a = accepted["外海街道"]
    b, _member_b = accepted["大泽镇"]
    reports = {m: progress_report_build(bureau=world["bureau"], month=dt.date(2026, m, 1)) for m in (6, 7, 8)}

    def printed(month):
        report = reports[month]
        report.refresh_from_db()
        ws = openpyxl.load_workbook(io.BytesIO(report.file.open("rb").read()))["调度表"]
        return ws.cell(row=6, column=4).value, ws.cell(row=6, column=5).value  # 本期, 累计 of item 1

    both = a.values["overall_1.n"] + b.values["overall_1.n"]
    assert printed(7) == (both, both) and printed(8)[1] == both
    june_generated = reports[6].generated_at
    with django_capture_on_commit_callbacks(execute=True):
        services.copy_reopen(copy=a, reason="数据有误", actor=world["analyst"])
    only_b = b.values["overall_1.n"]
    assert printed(7) == (only_b, only_b) and printed(8)[1] == only_b
    reports[6].refresh_from_db()
    assert reports[6].generated_at == june_generated
    services.copy_save(copy=a, values=a.values, actor=member_a, submit=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.copy_accept(copy=a, actor=world["analyst"])
    assert printed(7) == (both, both) and printed(8)[1] == both
