import datetime as dt

from django.core.management.base import BaseCommand

from reports.rollup import rollup_build


class Command(BaseCommand):
    help = "Build the daily roll-up of the bureau dashboard and coverage pages (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="YYYY-MM-DD (default: today, Asia/Shanghai)")

    def handle(self, *args, day=None, **options):
        build = rollup_build(day=dt.date.fromisoformat(day) if day else None)
        self.stdout.write(f"roll-up of {build.day}: {build.cells.count()} cells in {build.seconds} s")
