"""Demo content of the reports app: the Jiangmen campaign with its reporting units (towns, streets
and departments), last period's copies submitted and accepted (so the table has a number in every
item), a department spot check, and last month's stored progress table."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import Region, User

from .campaign_templates import ensure_templates
from .models import Campaign, CampaignTarget, ReportCopy, ReportingUnit, ReportTemplate

CAMPAIGN_NAME = "江门市重大事故隐患专项排查整治行动（演示）"

# region, name, kind, demo login of its reporter (password: the demo password)
UNITS = [
    ("440703", "环市街道（演示）", ReportingUnit.Kind.STREET, "town_huanshi", "何少文"),
    ("440704", "外海街道（演示）", ReportingUnit.Kind.STREET, "town_waihai", "邓丽萍"),
    ("440705", "大泽镇（演示）", ReportingUnit.Kind.TOWN, "town_daze", "黎国栋"),
    ("440700", "江门市住房和城乡建设局（演示）", ReportingUnit.Kind.DEPARTMENT, "dept_zhujian", "区永健"),
]


def demo_values(template: ReportTemplate, seed: int) -> dict:
    """Plausible figures for every typed-in cell (sub-items never exceed their totals)."""
    values = {}
    for n, item in enumerate(template.items):
        if item.get("platform"):
            continue
        for cell in item["cells"]:
            key = f"{item['key']}.{cell['key']}"
            base = (n * 7 + seed * 3) % 9 + 2
            if cell["type"] == "bool":
                values[key] = True
            elif cell["type"] == "decimal":
                values[key] = f"{base * 1.25:.2f}"
            else:
                values[key] = base
            if cell.get("le"):
                ceiling = values[cell["le"]]
                values[key] = (f"{float(ceiling) / 2:.2f}" if cell["type"] == "decimal" else max(int(ceiling) - 1, 0))
    return values


def seed(ctx) -> None:
    ensure_templates(ReportTemplate)
    template = ReportTemplate.objects.get(code="annex-2023", version=1)
    campaign, _ = Campaign.objects.update_or_create(
        name=CAMPAIGN_NAME,
        defaults={"region": Region.objects.get(code="440700"), "start_date": dt.date(2026, 5, 1),
                  "end_date": dt.date(2027, 12, 31), "document": "演示用专项活动，日期为虚构。",
                  "bureau": ctx.orgs["bureau"], "template": template},
    )
    CampaignTarget.objects.update_or_create(campaign=campaign, population="principal",
                                            defaults={"deadline": dt.date(2027, 12, 31)})
    CampaignTarget.objects.update_or_create(campaign=campaign, population="safety_manager",
                                            defaults={"deadline": dt.date(2027, 12, 31)})
    units = []
    for region, name, kind, username, real_name in UNITS:
        unit, _ = ReportingUnit.objects.update_or_create(region_id=region, name=name, defaults={"kind": kind})
        user = User.objects.filter(username=username).first() or User(username=username)
        user.real_name, user.email = real_name, f"{username}@demo.anxun.local"
        user.set_password(ctx.password)
        user.save()
        unit.members.add(user)
        ctx.users[username] = user
        units.append(unit)

    from .campaign_services import copy_accept, copy_save, period_open
    from .collection import period_containing

    today = timezone.localdate()
    start, _end, _due = period_containing(campaign, today)
    last = period_containing(campaign, start - dt.timedelta(days=1))
    reviewer = ctx.users.get("publisher")
    from .campaign_services import spot_check_run
    from .models import SpotCheck

    if not SpotCheck.objects.filter(enterprise=ctx.orgs["huarui"], roster_check__source_name="演示抽查").exists():
        spot_check_run(user=reviewer, enterprise=ctx.orgs["huarui"], unit=units[0], source_name="演示抽查",
                       checked_on=last[0], rows=[
                           {"name": "王建国", "id_number": "110101198503071235", "operation": "熔化焊接与热切割作业"},
                           {"name": "李秀梅", "id_number": "440704199002154027", "operation": "熔化焊接与热切割作业"}])
    for copy in period_open(campaign=campaign, day=last[0]):
        if copy.status == ReportCopy.Status.ACCEPTED:
            continue
        member = copy.unit.members.first()
        copy_save(copy=copy, values=demo_values(template, units.index(copy.unit) if copy.unit in units else 0),
                  actor=member, submit=True)
        copy_accept(copy=copy, actor=reviewer)
    period_open(campaign=campaign, day=start)  # this period's copies, waiting to be filled

    from .models import ProgressReport
    from .services import progress_report_build

    month = today.replace(day=1) if today.day >= 23 else (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    report = (ProgressReport.objects.filter(bureau=ctx.orgs["bureau"], month=month).first()
              or progress_report_build(bureau=ctx.orgs["bureau"], month=month))
    ctx.log.append(f"reports: 专项活动“{campaign.name}”（{len(units)} 个填报单位），"
                   f"{report.month:%Y年%m月}调度表已生成")
    from .rollup import rollup_build  # the bureau dashboard and coverage read the day's roll-up

    rollup_build()
