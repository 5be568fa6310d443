"""Demo content of the reports app: the campaign cumulative figures count from, and last month's table."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import Region

from .models import Campaign

CAMPAIGN_NAME = "江门市重大事故隐患专项排查整治行动（演示）"


def seed(ctx) -> None:
    campaign, _ = Campaign.objects.update_or_create(
        name=CAMPAIGN_NAME,
        defaults={"region": Region.objects.get(code="440700"), "start_date": dt.date(2026, 5, 1),
                  "end_date": dt.date(2027, 12, 31), "document": "演示用专项活动，日期为虚构。"},
    )
    from .models import ProgressReport
    from .services import progress_report_build

    today = timezone.localdate()
    month = today.replace(day=1) if today.day >= 23 else (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    report = (ProgressReport.objects.filter(bureau=ctx.orgs["bureau"], month=month).first()
              or progress_report_build(bureau=ctx.orgs["bureau"], month=month))
    ctx.log.append(f"reports: 专项活动“{campaign.name}”，{report.month:%Y年%m月}调度表已生成")
