from django.core.management.base import BaseCommand

from cms.services import search_rebuild


class Command(BaseCommand):
    help = "重建内容检索索引（已发布页面与标准条款）。Rebuild the CMS search table."

    def handle(self, *args, **options):
        n = search_rebuild()
        self.stdout.write(self.style.SUCCESS(f"已索引 {n} 项。"))
