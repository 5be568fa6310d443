"""python manage.py import_questions FILE --bank CODE [--dry-run]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exams.importer import ImportFileError, import_questions
from exams.models import QuestionBank


class Command(BaseCommand):
    help = "从 xlsx/csv 导入试题到题库（全部或全不，逐行报告错误）。Import questions into a bank (all-or-nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file", help=".xlsx 或 .csv 文件")
        parser.add_argument("--bank", required=True, help="题库代码，如 lv-elec-test")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不导入")

    def handle(self, *args, file: str, bank: str, dry_run: bool, **options):
        target = QuestionBank.objects.filter(code=bank).first()
        if target is None:
            raise CommandError(f"题库“{bank}”不存在。")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{file}")
        try:
            report = import_questions(actor="import_questions", bank=target, data=path,
                                      filename=path.name, dry_run=dry_run)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        if not report.ok:
            for line in report.lines():
                self.stderr.write(line)
            raise CommandError(f"共 {report.total} 行，其中 {len(report.errors)} 行有错误，未导入任何试题。")
        if dry_run:
            self.stdout.write(self.style.SUCCESS(f"检查通过：{report.total} 道试题可以导入到“{target.name}”（未导入）。"))
        else:
            self.stdout.write(self.style.SUCCESS(f"已导入 {report.created} 道试题到“{target.name}”。"))
