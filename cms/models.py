"""Published content: standards and their clauses, hazard-check guides, warning and enforcement
cases, notices; targeted warning notifications with read receipts; a Chinese-aware search table."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django import forms
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from accounts.models import HazardTag, Industry, ProcessTag

from .blocks import RICH_FEATURES, BodyBlock, ExamplesBlock, StepsBlock
from .slugs import AsciiSlugMixin

PAGE_SIZE = 12


# --------------------------------------------------------------------------- index pages


class ContentRootPage(AsciiSlugMixin, Page):
    """Root of the published content. Its children are the section index pages
    (/standards/, /guides/, /cases/, /enforcement/, /notices/)."""

    intro = models.TextField(_("简介"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "cms.StandardIndexPage", "cms.GuideIndexPage", "cms.WarningCaseIndexPage",
        "cms.EnforcementCaseIndexPage", "cms.NoticeIndexPage",
    ]
    max_count = 1

    class Meta:
        verbose_name = _("内容根页面")
        verbose_name_plural = _("内容根页面")


class FilteredIndexPage(AsciiSlugMixin, Page):
    """An index of one child type with filters (industry, hazard, year) and pagination.

    The list runs a fixed number of queries whatever its length: the page itself, the filter
    choices, a count and one page of children with their tags prefetched."""

    intro = RichTextField(_("简介"), blank=True, features=RICH_FEATURES)
    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["cms.ContentRootPage"]
    max_count = 1
    child_model: type[Page]
    date_field = "first_published_at"
    has_tags = True
    feed_url_name = ""

    class Meta:
        abstract = True

    def filtered_children(self, params):
        model = self.child_model
        qs = model.objects.live().child_of(self)
        filters = {"industry": "", "hazard": "", "year": "", "q": ""}
        if self.has_tags:
            qs = qs.select_related("industry").prefetch_related("hazard_tags")
            industry = (params.get("industry") or "").strip()
            if industry:
                qs = qs.filter(industry__code=industry)
                filters["industry"] = industry
            hazard = (params.get("hazard") or "").strip()
            if hazard:
                qs = qs.filter(hazard_tags__code=hazard)
                filters["hazard"] = hazard
        year = (params.get("year") or "").strip()
        if year.isdigit() and len(year) == 4:
            qs = qs.filter(**{f"{self.date_field}__year": int(year)})
            filters["year"] = year
        return qs.distinct().order_by(f"-{self.date_field}", "-pk"), filters

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        qs, filters = self.filtered_children(request.GET)
        paginator = Paginator(qs, PAGE_SIZE)
        try:
            page_obj = paginator.page(request.GET.get("page") or 1)
        except (EmptyPage, PageNotAnInteger):
            page_obj = paginator.page(1)
        query = request.GET.copy()
        query.pop("page", None)
        context.update({
            "items": page_obj.object_list,
            "page_obj": page_obj,
            "filters": filters,
            "filter_query": query.urlencode(),
            "industries": list(Industry.objects.all()) if self.has_tags else [],
            "hazards": list(HazardTag.objects.all()) if self.has_tags else [],
            "years": range(dt.date.today().year, 2014, -1),
            "feed_url": reverse(self.feed_url_name) if self.feed_url_name else "",
        })
        return context


class StandardIndexPage(FilteredIndexPage):
    subpage_types = ["cms.StandardPage"]
    date_field = "effective_date"
    has_tags = False
    template = "cms/index_page.html"

    class Meta:
        verbose_name = _("标准规范栏目")
        verbose_name_plural = _("标准规范栏目")

    @property
    def child_model(self):
        return StandardPage


class GuideIndexPage(FilteredIndexPage):
    subpage_types = ["cms.HazardGuidePage"]
    template = "cms/index_page.html"

    class Meta:
        verbose_name = _("排查指引栏目")
        verbose_name_plural = _("排查指引栏目")

    @property
    def child_model(self):
        return HazardGuidePage


class WarningCaseIndexPage(FilteredIndexPage):
    subpage_types = ["cms.WarningCasePage"]
    date_field = "occurred_on"
    feed_url_name = "cms:feed_cases"
    template = "cms/index_page.html"

    class Meta:
        verbose_name = _("警示案例栏目")
        verbose_name_plural = _("警示案例栏目")

    @property
    def child_model(self):
        return WarningCasePage


class EnforcementCaseIndexPage(FilteredIndexPage):
    subpage_types = ["cms.EnforcementCasePage"]
    date_field = "decided_on"
    template = "cms/index_page.html"

    class Meta:
        verbose_name = _("执法案例栏目")
        verbose_name_plural = _("执法案例栏目")

    @property
    def child_model(self):
        return EnforcementCasePage


class NoticeIndexPage(FilteredIndexPage):
    subpage_types = ["cms.NoticePage"]
    date_field = "issued_on"
    has_tags = False
    feed_url_name = "cms:feed_notices"
    template = "cms/index_page.html"

    class Meta:
        verbose_name = _("通知公告栏目")
        verbose_name_plural = _("通知公告栏目")

    @property
    def child_model(self):
        return NoticePage


# --------------------------------------------------------------------------- standards and clauses


class StandardPage(AsciiSlugMixin, Page):
    class Status(models.TextChoices):
        IN_FORCE = "in_force", _("现行有效")
        NOT_YET = "not_yet", _("尚未施行")
        SUPERSEDED = "superseded", _("已被替代")
        REPEALED = "repealed", _("已废止")

    document_number = models.CharField(_("文号"), max_length=120, help_text=_("例如：应急管理部令第10号"))
    issuing_body = models.CharField(_("发布机关"), max_length=120)
    effective_date = models.DateField(_("施行日期"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.IN_FORCE)
    supersedes = models.ForeignKey(
        "self", verbose_name=_("替代的标准"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="superseded_by_set",
    )
    supersedes_text = models.CharField(
        _("替代的文件（平台外）"), max_length=200, blank=True,
        help_text=_("被本标准替代、但未收录在平台中的文件，例如：安监总管四〔2017〕129号"),
    )
    summary = models.TextField(_("摘要"), blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("正文"), blank=True)

    content_panels = Page.content_panels + [
        MultiFieldPanel([
            FieldRowPanel([FieldPanel("document_number"), FieldPanel("issuing_body")]),
            FieldRowPanel([FieldPanel("effective_date"), FieldPanel("status")]),
            FieldPanel("supersedes"), FieldPanel("supersedes_text"),
        ], heading=_("标准信息")),
        FieldPanel("summary"),
        FieldPanel("body"),
    ]
    parent_page_types = ["cms.StandardIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("标准规范")
        verbose_name_plural = _("标准规范")

    @property
    def superseded_by(self):
        return self.superseded_by_set.first()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        clauses = list(self.clauses.order_by("article", "item"))
        articles: dict[int, list[Clause]] = {}
        for c in clauses:
            articles.setdefault(c.article, []).append(c)
        context["articles"] = sorted(articles.items())
        context["superseded_by"] = self.superseded_by
        return context


class Clause(models.Model):
    """One item of a standard (e.g. art. 11 item 2 of the 工贸 criteria), individually linkable at
    ``/clauses/<code>/``. Exam questions, lessons and cases cite clauses by foreign key or code."""

    standard = models.ForeignKey(StandardPage, verbose_name=_("所属标准"), on_delete=models.PROTECT, related_name="clauses")
    code = models.SlugField(
        _("条款代码"), max_length=40, unique=True,
        help_text=_("稳定的唯一代码，发布后不要修改，例如 gm2023-11-2（标准-条-项）。"),
    )
    article = models.PositiveSmallIntegerField(_("条"))
    item = models.PositiveSmallIntegerField(_("项"), default=0, help_text=_("0 表示整条。"))
    title = models.CharField(_("要点"), max_length=200)
    text = models.TextField(_("条文"))
    interpretation = RichTextField(_("解读"), blank=True, features=RICH_FEATURES)
    examples = StreamField(ExamplesBlock(), verbose_name=_("隐患图例"), blank=True)
    industries = models.ManyToManyField(Industry, verbose_name=_("适用行业"), blank=True, related_name="clauses")
    hazard_tags = models.ManyToManyField(HazardTag, verbose_name=_("风险特征"), blank=True, related_name="clauses")
    process_tags = models.ManyToManyField(ProcessTag, verbose_name=_("设备/工艺"), blank=True, related_name="clauses")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    panels = [
        FieldPanel("standard"),
        FieldRowPanel([FieldPanel("article"), FieldPanel("item"), FieldPanel("code")]),
        FieldPanel("title"), FieldPanel("text"), FieldPanel("interpretation"), FieldPanel("examples"),
        FieldPanel("industries", widget=forms.CheckboxSelectMultiple),
        FieldPanel("hazard_tags", widget=forms.CheckboxSelectMultiple),
        FieldPanel("process_tags", widget=forms.CheckboxSelectMultiple),
    ]

    class Meta:
        ordering = ["standard_id", "article", "item"]
        verbose_name = _("标准条款")
        verbose_name_plural = _("标准条款")
        constraints = [
            models.UniqueConstraint(fields=["standard", "article", "item"], name="unique_clause_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number_label} {self.title}"

    @property
    def number_label(self) -> str:
        if self.item:
            return _("第%(a)s条第（%(i)s）项") % {"a": self.article, "i": self.item}
        return _("第%(a)s条") % {"a": self.article}

    def get_absolute_url(self) -> str:
        return reverse("cms:clause", kwargs={"code": self.code})

    def clean(self) -> None:
        if self.code:
            self.code = self.code.strip().lower()


# --------------------------------------------------------------------------- guides, cases, notices


class TaggedPage(AsciiSlugMixin, Page):
    """Pages carrying the same taxonomy enterprises carry (industry, hazard, equipment/process)."""

    industry = models.ForeignKey(Industry, verbose_name=_("行业"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    hazard_tags = ParentalManyToManyField(HazardTag, verbose_name=_("风险特征"), blank=True, related_name="+")
    process_tags = ParentalManyToManyField(ProcessTag, verbose_name=_("设备/工艺"), blank=True, related_name="+")
    clauses = ParentalManyToManyField(Clause, verbose_name=_("相关条款"), blank=True, related_name="+")
    is_demo = models.BooleanField(_("演示内容"), default=False, help_text=_("虚构的演示内容，页面上会明确标注。"))

    tag_panels = [
        MultiFieldPanel([
            FieldPanel("industry"),
            # tick boxes, not a multi-select that needs Ctrl-click
            FieldPanel("hazard_tags", widget=forms.CheckboxSelectMultiple),
            FieldPanel("process_tags", widget=forms.CheckboxSelectMultiple),
            FieldPanel("clauses", widget=forms.CheckboxSelectMultiple),
        ], heading=_("分类与条款")),
    ]

    class Meta:
        abstract = True


class HazardGuidePage(TaggedPage):
    summary = models.TextField(_("适用范围与摘要"))
    steps = StreamField(StepsBlock(), verbose_name=_("排查步骤"), blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("补充说明"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("summary"), FieldPanel("steps"), FieldPanel("body")] + TaggedPage.tag_panels + [FieldPanel("is_demo")]
    parent_page_types = ["cms.GuideIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("隐患排查指引")
        verbose_name_plural = _("隐患排查指引")


class WarningCasePage(TaggedPage):
    """事故警示案例. Publishing it pushes a warning to enterprises that match its tags."""

    occurred_on = models.DateField(_("事故日期"))
    place = models.CharField(_("地点"), max_length=120)
    deaths = models.PositiveIntegerField(_("死亡人数"), default=0)
    injuries = models.PositiveIntegerField(_("受伤人数"), default=0)
    direct_loss = models.DecimalField(_("直接经济损失（万元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    summary = models.TextField(_("事故简介"))
    what_happened = StreamField(BodyBlock(), verbose_name=_("事故经过"), blank=True)
    direct_causes = RichTextField(_("直接原因"), features=RICH_FEATURES)
    underlying_causes = RichTextField(_("间接原因"), blank=True, features=RICH_FEATURES)
    lessons = RichTextField(_("教训与防范措施"), features=RICH_FEATURES)

    content_panels = Page.content_panels + [
        MultiFieldPanel([
            FieldRowPanel([FieldPanel("occurred_on"), FieldPanel("place")]),
            FieldRowPanel([FieldPanel("deaths"), FieldPanel("injuries"), FieldPanel("direct_loss")]),
        ], heading=_("基本情况")),
        FieldPanel("summary"), FieldPanel("what_happened"), FieldPanel("direct_causes"),
        FieldPanel("underlying_causes"), FieldPanel("lessons"),
    ] + TaggedPage.tag_panels + [FieldPanel("is_demo")]
    parent_page_types = ["cms.WarningCaseIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("事故警示案例")
        verbose_name_plural = _("事故警示案例")

    def match_rule(self) -> dict:
        """What an enterprise must share with this case to receive it (any one suffices)."""
        return {
            "industry": self.industry,
            "hazards": list(self.hazard_tags.all()),
            "processes": list(self.process_tags.all()),
        }


class EnforcementCasePage(TaggedPage):
    """典型执法案例."""

    decided_on = models.DateField(_("处罚日期"))
    place = models.CharField(_("地点"), max_length=120, blank=True)
    violation = RichTextField(_("违法事实"), features=RICH_FEATURES)
    legal_basis = RichTextField(_("处罚依据"), features=RICH_FEATURES)
    penalty = models.TextField(_("处罚结果"))
    fine_amount = models.DecimalField(_("罚款合计（万元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    dual_punishment = models.BooleanField(_("一案双罚"), default=False, help_text=_("同时处罚企业及其主要负责人。"))
    criminal_prosecution = models.BooleanField(_("以危险作业罪移送追责"), default=False)
    body = StreamField(BodyBlock(), verbose_name=_("案例评析"), blank=True)

    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("decided_on"), FieldPanel("place")]),
        FieldPanel("violation"), FieldPanel("legal_basis"), FieldPanel("penalty"),
        FieldRowPanel([FieldPanel("fine_amount"), FieldPanel("dual_punishment"), FieldPanel("criminal_prosecution")]),
        FieldPanel("body"),
    ] + TaggedPage.tag_panels + [FieldPanel("is_demo")]
    parent_page_types = ["cms.EnforcementCaseIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("典型执法案例")
        verbose_name_plural = _("典型执法案例")


class NoticePage(AsciiSlugMixin, Page):
    issued_on = models.DateField(_("发布日期"))
    issuer = models.CharField(_("发文单位"), max_length=120, blank=True)
    summary = models.TextField(_("摘要"), blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("正文"), blank=True)
    is_demo = models.BooleanField(_("演示内容"), default=False)

    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("issued_on"), FieldPanel("issuer")]),
        FieldPanel("summary"), FieldPanel("body"), FieldPanel("is_demo"),
    ]
    parent_page_types = ["cms.NoticeIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("通知公告")
        verbose_name_plural = _("通知公告")


# --------------------------------------------------------------------------- targeted warnings


class WarningNotification(models.Model):
    """One warning case pushed to one responsible person of one matching enterprise."""

    page = models.ForeignKey(WarningCasePage, verbose_name=_("警示案例"), on_delete=models.CASCADE, related_name="notifications")
    organization = models.ForeignKey("accounts.Organization", verbose_name=_("企业"), on_delete=models.CASCADE, related_name="warning_notifications")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="warning_notifications")
    role = models.CharField(_("岗位"), max_length=32)
    matched_on = models.CharField(_("匹配依据"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("推送时间"), auto_now_add=True, db_index=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    # when the recipient first opened the warning; confirming it read is only possible after that
    opened_at = models.DateTimeField(_("打开时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("确认阅读时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("最近提醒时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("预警推送")
        verbose_name_plural = _("预警推送")
        constraints = [
            models.UniqueConstraint(fields=["page", "organization", "recipient"], name="unique_warning_recipient"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.page_id} → {self.recipient_id}@{self.organization_id}"

    def get_role_label(self) -> str:
        from accounts.roles import Role

        return str(Role(self.role).label) if self.role in Role.values else self.role

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class WarningReadCount(models.Model):
    """The read-status figures of one warning case in one region (the enterprises' 6-digit region
    code, "" for an enterprise without one): kept by the services that push a warning and confirm it
    read (``cms.services``), so the bureau's read-status list sums a few rows per case instead of
    counting every push. ``services.warning_counts_rebuild`` recomputes them from the pushes."""

    page = models.ForeignKey(WarningCasePage, verbose_name=_("警示案例"), on_delete=models.CASCADE, related_name="read_counts")
    region_code = models.CharField(_("行政区划代码"), max_length=6, blank=True)
    enterprises = models.PositiveIntegerField(_("推送企业"), default=0)
    recipients = models.PositiveIntegerField(_("接收人"), default=0)
    read = models.PositiveIntegerField(_("已读"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("预警阅读统计")
        verbose_name_plural = _("预警阅读统计")
        constraints = [
            models.UniqueConstraint(fields=["page", "region_code"], name="unique_warning_read_count"),
            models.CheckConstraint(condition=models.Q(read__lte=models.F("recipients")), name="warning_read_le_recipients"),
        ]

    def __str__(self) -> str:
        return f"{self.page_id}@{self.region_code}: {self.read}/{self.recipients}"


# --------------------------------------------------------------------------- search


def search_bigrams(*texts: str) -> set[str]:
    """Every pair of adjacent characters (lower-cased, no whitespace) of the texts: a text contains
    a query term only if it contains each of the term's bigrams, so the bigram index narrows a
    substring search to candidate rows without a scan (Chinese needs no word segmentation)."""
    grams: set[str] = set()
    for text in texts:
        low = (text or "").lower()
        grams.update(low[i:i + 2] for i in range(len(low) - 1) if not (low[i].isspace() or low[i + 1].isspace()))
    return grams


def search_grams_field(*texts: str) -> str:
    """The stored form of the bigrams: space-separated, with a space at both ends (so that a
    bigram is found as `` ab `` on every database)."""
    return " " + " ".join(sorted(search_bigrams(*texts))) + " "


class SearchDocument(models.Model):
    """Flattened text of every published page and clause, searched by substring so that Chinese
    needs no word segmentation (a query such as 粉尘 matches 粉尘爆炸 anywhere in the text).

    ``grams`` holds the distinct bigrams of title and text (kept by ``save``); on PostgreSQL a GIN
    index over them as an array answers queries of two characters and more without a scan."""

    key = models.CharField(max_length=40, unique=True)  # "page:12" or "clause:7"
    kind = models.CharField(max_length=32, db_index=True)
    title = models.CharField(max_length=255)
    text = models.TextField()
    url = models.CharField(max_length=255)
    date = models.DateField(null=True, blank=True)
    grams = models.TextField(blank=True, default="", editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("检索索引")
        verbose_name_plural = _("检索索引")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if not self.key:
            raise ValidationError({"key": "required"})

    def save(self, *args, **kwargs):
        self.grams = search_grams_field(self.title, self.text)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "grams"}
        super().save(*args, **kwargs)
