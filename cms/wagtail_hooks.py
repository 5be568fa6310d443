"""Wagtail admin: clauses and the shared taxonomies (the very models enterprises carry) as snippets."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from accounts.models import HazardTag, Industry, ProcessTag

from .models import Clause


class ClauseViewSet(SnippetViewSet):
    model = Clause
    icon = "doc-full"
    menu_label = _("标准条款")
    list_display = ["code", "__str__", "standard", "updated_at"]
    list_filter = ["standard", "article"]
    search_fields = ["code", "title", "text"]
    ordering = ["standard", "article", "item"]


class IndustryViewSet(SnippetViewSet):
    model = Industry
    icon = "tag"
    menu_label = _("行业")
    list_display = ["name", "code", "high_risk"]
    search_fields = ["name", "code"]
    panels = [FieldPanel("name"), FieldPanel("code"), FieldPanel("high_risk")]


class HazardTagViewSet(SnippetViewSet):
    model = HazardTag
    icon = "warning"
    menu_label = _("风险特征")
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    panels = [FieldPanel("name"), FieldPanel("code")]


class ProcessTagViewSet(SnippetViewSet):
    model = ProcessTag
    icon = "cogs"
    menu_label = _("设备/工艺")
    list_display = ["name", "code", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    panels = [FieldPanel("name"), FieldPanel("code"), FieldPanel("kind")]


class TaxonomyGroup(SnippetViewSetGroup):
    items = (IndustryViewSet, HazardTagViewSet, ProcessTagViewSet)
    menu_icon = "tag"
    menu_label = _("分类标签")
    menu_name = "taxonomies"


register_snippet(ClauseViewSet)
register_snippet(TaxonomyGroup)
