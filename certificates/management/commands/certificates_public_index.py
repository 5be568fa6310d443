"""Rebuild the public index of certificates (what the verification page reads from Redis)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from certificates import public_index


class Command(BaseCommand):
    help = _("重建证书公开查验索引（Redis），并写入排队中的查验记录。")

    def add_arguments(self, parser):
        parser.add_argument("--drain", action="store_true", help=_("只写入排队中的查验记录"))

    def handle(self, *args, drain=False, **options):
        if not public_index.enabled():
            raise CommandError(_("公开查验索引未启用（需要 Redis 缓存且 ANXUN_VERIFY_INDEX 为真）。"))
        if not drain:
            n = public_index.rebuild()
            self.stdout.write(_("已写入 %(n)d 张证书的公开信息。") % {"n": n})
        written = public_index.drain_log()
        self.stdout.write(_("已写入 %(n)d 条查验记录。") % {"n": written})
