"""Record the study anomalies of a month now (what the nightly job does), e.g. after loading the
city-scale demo or to recompute a past month after late review decisions. Idempotent."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from courses.anomalies import record_month
from courses.tasks import record_study_anomalies


class Command(BaseCommand):
    help = "统计在线学习异常（幂等）。Record the study anomalies of this month, or of --month YYYY-MM."

    def add_arguments(self, parser):
        parser.add_argument("--month", default="", help="YYYY-MM (default: this month, and last month on the 1st)")

    def handle(self, *args, month: str = "", **options):
        if not month:
            written = record_study_anomalies()
        else:
            try:
                first = dt.datetime.strptime(month, "%Y-%m").date()
            except ValueError:
                raise CommandError("--month must be YYYY-MM") from None
            written = record_month(first)
        self.stdout.write(f"recorded {written} learners")
