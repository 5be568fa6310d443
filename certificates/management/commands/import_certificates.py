"""Import historic certificates from an Excel/CSV file: all rows or none, with a row report."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from certificates.imports import COLUMN_ALIASES, REQUIRED, certificate_import
from core.tables import read_table


class Command(BaseCommand):
    help = "导入历史证书（全部行通过校验才导入，否则一行也不导入）。"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--officer", required=True, help="发证人员用户名（记入审计日志）")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, file: str, officer: str, dry_run: bool, **options):
        user = User.objects.filter(username=officer).first()
        if user is None:
            raise CommandError(f"用户 {officer} 不存在。")
        path = Path(file)
        if not path.exists():
            raise CommandError(f"文件 {file} 不存在。")
        try:
            rows = read_table(path, COLUMN_ALIASES, REQUIRED)
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from None
        report = certificate_import(officer=user, rows=rows, dry_run=dry_run)
        for row in report.rows:
            mark = "OK " if row["ok"] else "ERR"
            self.stdout.write(f"{mark} 第{row['row']}行 {row['name']} {row['id_number']} {' '.join(row['messages'])}")
        if not report.ok:
            raise CommandError(f"{report.error_count} 行有错误，未导入任何证书。")
        if dry_run:
            self.stdout.write(self.style.SUCCESS(f"校验通过（{len(report.rows)} 行），未写入（--dry-run）。"))
            return
        from certificates.tasks import render_certificate_pdf

        for certificate in report.certificates:
            render_certificate_pdf.delay(certificate.pk)
        self.stdout.write(self.style.SUCCESS(f"已导入 {len(report.certificates)} 张证书。"))
