from wagtail.models import Page

from .models import EnforcementCaseIndexPage, GuideIndexPage, NoticeIndexPage, StandardIndexPage, WarningCaseIndexPage


def live_sections() -> list[dict]:
    """Section index pages in tree order, one query. Their URL is their path below the site root."""
    pages = (
        Page.objects.type(StandardIndexPage, GuideIndexPage, WarningCaseIndexPage, EnforcementCaseIndexPage, NoticeIndexPage)
        .live().filter(depth=3).only("title", "url_path").order_by("path")
    )
    return [{"title": p.title, "url": "/" + p.url_path.split("/", 2)[2]} for p in pages]
