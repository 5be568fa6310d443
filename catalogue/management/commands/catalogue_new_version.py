"""Start a new catalogue version (e.g. the 2026 rules) as an editable copy of an existing one."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from catalogue.models import RuleVersion
from catalogue.services import catalogue_copy_version


class Command(BaseCommand):
    help = "复制规则版本（目录、证书种类）为新版本，供授权人员在后台修改。例：catalogue_new_version 2026 --from 2010 --effective 2026-06-01"

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--from", dest="source", required=True)
        parser.add_argument("--effective", required=True, help="施行日期 YYYY-MM-DD")
        parser.add_argument("--name", default="")
        parser.add_argument("--document", default="")

    def handle(self, *args, code, source, effective, name, document, **options):
        src = RuleVersion.objects.filter(code=source, scope=RuleVersion.Scope.SPECIAL_OPERATION).first()
        if src is None:
            raise CommandError(f"规则版本 {source} 不存在。")
        try:
            version = catalogue_copy_version(
                actor=None, source=src, code=code, name=name or f"特种作业目录（{code}）",
                effective_from=dt.date.fromisoformat(effective), document=document)
        except (ValidationError, ValueError) as exc:
            raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from None
        self.stdout.write(self.style.SUCCESS(
            f"已创建规则版本 {version.code}（{version.categories.count()} 个作业类别），施行日期 {version.effective_from}。"))
