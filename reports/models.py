"""Campaigns (the period cumulative figures count from) and the stored monthly progress tables."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, Region, region_prefix


class CampaignQuerySet(models.QuerySet):
    def covering(self, region_code: str) -> "CampaignQuerySet":
        """Campaigns whose region contains ``region_code`` (a province campaign covers its cities)."""
        prefixes = {region_code[:n] for n in (2, 4, 6)}
        codes = [p.ljust(6, "0") for p in prefixes]
        return self.filter(region_id__in=codes)

    def active_on(self, day: dt.date) -> "CampaignQuerySet":
        return self.filter(start_date__lte=day).filter(Q(end_date__isnull=True) | Q(end_date__gte=day))


class Campaign(models.Model):
    """A hazard-inspection campaign (专项排查整治): cumulative figures count from its start date."""

    name = models.CharField(_("活动名称"), max_length=200)
    region = models.ForeignKey(Region, verbose_name=_("适用地区"), on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    document = models.CharField(_("依据文件"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "pk"]
        verbose_name = _("专项活动")
        verbose_name_plural = _("专项活动")
        constraints = [
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                                   name="reports_campaign_dates"),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def for_region(cls, region_code: str, on: dt.date) -> "Campaign | None":
        """The campaign in force on ``on`` for a region; the most local, then the latest, wins."""
        candidates = list(cls.objects.covering(region_code).active_on(on))
        if not candidates:
            return None
        return sorted(candidates, key=lambda c: (len(region_prefix(c.region_id)), c.start_date, c.pk))[-1]


def progress_upload_to(instance: "ProgressReport", filename: str) -> str:
    return f"reports/progress/{instance.bureau_id}/{filename}"


class ProgressReport(models.Model):
    """The monthly progress table (调度表) of one bureau for one month, as produced on the 23rd."""

    bureau = models.ForeignKey(Organization, verbose_name=_("监管部门"), on_delete=models.CASCADE,
                               related_name="progress_reports")
    month = models.DateField(_("月份"), help_text=_("当月第一天。"))
    campaign = models.ForeignKey(Campaign, verbose_name=_("专项活动"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="reports")
    period_start = models.DateField(_("本期开始"))
    period_end = models.DateField(_("本期结束"))
    cumulative_start = models.DateField(_("累计起始"), null=True, blank=True)
    file = models.FileField(_("文件"), upload_to=progress_upload_to)
    figures = models.JSONField(_("数据"), default=list, blank=True)
    generated_at = models.DateTimeField(_("生成时间"))

    class Meta:
        ordering = ["-month", "bureau__name"]
        verbose_name = _("调度表")
        verbose_name_plural = _("调度表")
        constraints = [
            models.UniqueConstraint(fields=["bureau", "month"], name="reports_progress_once_per_month"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                   name="reports_progress_period"),
        ]

    def __str__(self) -> str:
        return f"{self.bureau} · {self.month:%Y年%m月}调度表"

    def get_absolute_url(self) -> str:
        return reverse("reports:progress_download", kwargs={"pk": self.pk})
