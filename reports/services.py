"""Writes of the reports app: producing the monthly progress table."""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from accounts.models import Organization
from accounts.roles import OrgKind

from .models import ProgressReport
from .progress import campaign_for, progress_figures, standard_period, table_bytes


@transaction.atomic
def progress_report_build(*, bureau: Organization, month: dt.date, actor=None) -> ProgressReport:
    """Produce (or produce again) the progress table of ``bureau`` for ``month``. Idempotent: one
    record per bureau and month, its file replaced by the fresh one."""
    if bureau.kind != OrgKind.BUREAU:
        raise ValueError("progress tables are made for bureaus")
    month = month.replace(day=1)
    start, end = standard_period(month)
    campaign = campaign_for(bureau, end)
    figures = progress_figures(bureau, start, end, campaign)
    now = timezone.now()
    content = table_bytes(bureau, start, end, campaign, figures, now)
    report = ProgressReport.objects.select_for_update().filter(bureau=bureau, month=month).first()
    created = report is None
    if created:
        report = ProgressReport(bureau=bureau, month=month)
    old_name = report.file.name if report.file else ""
    report.campaign = campaign
    report.period_start, report.period_end = start, end
    report.cumulative_start = campaign.start_date if campaign else None
    report.figures = [f.as_dict() for f in figures]
    report.generated_at = now
    report.file.save(f"diaodu-{month:%Y-%m}-{bureau.pk}.xlsx", ContentFile(content), save=False)
    report.save()
    if old_name and old_name != report.file.name:
        storage = report.file.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    audit_record(actor=actor, action="progress_report.generate" if created else "progress_report.regenerate",
                 target=report, after={"month": f"{month:%Y-%m}", "period": [str(start), str(end)]})
    return report
