from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import transaction
from django.utils import timezone


@shared_task(name="reports.tasks.progress_report_build")
def progress_report_build(bureau_id: int, month: str) -> int:
    """Build one bureau's table for ``month`` ("YYYY-MM"); returns the ProgressReport id."""
    from accounts.models import Organization

    from .services import progress_report_build as build

    bureau = Organization.objects.get(pk=bureau_id)
    year, mon = (int(x) for x in month.split("-"))
    return build(bureau=bureau, month=dt.date(year, mon, 1)).pk


@shared_task(name="reports.tasks.progress_reports_monthly")
def progress_reports_monthly(month: str | None = None) -> int:
    """Queue the tables of every active bureau for ``month`` (default: the current month)."""
    from accounts.models import Organization
    from accounts.roles import OrgKind

    month = month or f"{timezone.localdate():%Y-%m}"
    ids = list(Organization.objects.filter(kind=OrgKind.BUREAU, is_active=True).values_list("pk", flat=True))
    for pk in ids:
        transaction.on_commit(lambda pk=pk: progress_report_build.delay(pk, month))
    return len(ids)


@shared_task(name="reports.tasks.campaign_reminders")
def campaign_reminders() -> int:
    """Remind reporting units whose copy is due soon (once per unit and period)."""
    from .campaign_services import reminders_send

    return reminders_send()


@shared_task(name="reports.tasks.rollup_build")
def rollup_build(day: str | None = None) -> int:
    """Build the daily roll-up of the bureau pages for ``day`` ("YYYY-MM-DD", default today); idempotent."""
    from .rollup import rollup_build as build

    return build(day=dt.date.fromisoformat(day) if day else None).pk
