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
    bureau = models.ForeignKey(Organization, verbose_name=_("组织单位"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="campaigns")
    template = models.ForeignKey("ReportTemplate", verbose_name=_("调度表式样"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="campaigns")
    industries = models.ManyToManyField("accounts.Industry", verbose_name=_("重点行业领域"), blank=True, related_name="+")
    hazard_tags = models.ManyToManyField("accounts.HazardTag", verbose_name=_("重点风险特征"), blank=True,
                                         related_name="+")
    due_day = models.PositiveSmallIntegerField(_("报送截止日"), null=True, blank=True,
                                               help_text=_("留空则按调度表式样（附件要求每月23日前报送）。"))
    remind_days = models.PositiveSmallIntegerField(_("提前提醒天数"), default=3)
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


# ------------------------------------------------------------------ campaigns: templates, units, copies


class ReportTemplate(models.Model):
    """A versioned progress-table template (调度表式样), stored as data.

    ``items`` is a list of dicts, in the printed order::

        {"key": "overall_1", "section": "总体情况", "number": "1", "label": "...", "unit": "个",
         "cells": [{"key": "count", "label": "", "unit": "个", "type": "int"}, ...],
         "platform": "spot_unlicensed" | None, "definition": "..."}

    ``type`` is ``int`` (a count), ``decimal`` (an amount, two decimals) or ``bool`` (是/否). Items with a
    ``platform`` key are filled by the platform and locked in every copy."""

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("每月")
        WEEKLY = "weekly", _("每周")

    code = models.SlugField(_("代码"), max_length=40)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    name = models.CharField(_("名称"), max_length=200)
    source = models.CharField(_("出处"), max_length=255, blank=True)
    frequency = models.CharField(_("报送频次"), max_length=8, choices=Frequency.choices, default=Frequency.MONTHLY)
    due_day = models.PositiveSmallIntegerField(
        _("报送截止日"), default=23, help_text=_("每月报送的：当月几日前报送；每周报送的：周期结束后第几天前报送。"))
    items = models.JSONField(_("项目"), default=list)
    notes = models.JSONField(_("表注"), default=list, blank=True)
    effective_from = models.DateField(_("启用日期"))

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("调度表式样")
        verbose_name_plural = _("调度表式样")
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="reports_template_version")]

    def __str__(self) -> str:
        return f"{self.name}（第{self.version}版）"


class ReportingUnit(models.Model):
    """A unit that fills its copy of a campaign's table: a town or street (乡镇/街道) or a department."""

    class Kind(models.TextChoices):
        TOWN = "town", _("乡镇")
        STREET = "street", _("街道")
        DEPARTMENT = "department", _("部门")

    region = models.ForeignKey(Region, verbose_name=_("所属地区"), on_delete=models.PROTECT, related_name="+",
                               help_text=_("乡镇、街道所在的县（市、区）；部门所在的市或县。"))
    name = models.CharField(_("单位名称"), max_length=128)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    members = models.ManyToManyField("accounts.User", verbose_name=_("填报人员"), blank=True,
                                     related_name="reporting_units")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["region_id", "kind", "name"]
        verbose_name = _("填报单位")
        verbose_name_plural = _("填报单位")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="reports_unit_unique_name")]

    def __str__(self) -> str:
        return self.name


class CampaignTarget(models.Model):
    """A population the campaign must train, and by when (e.g. every principal within three years)."""

    class Population(models.TextChoices):
        PRINCIPAL = "principal", _("主要负责人")
        SAFETY_MANAGER = "safety_manager", _("安全生产管理人员")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    population = models.CharField(_("培训对象"), max_length=24, choices=Population.choices)
    deadline = models.DateField(_("完成期限"))

    class Meta:
        ordering = ["deadline", "population"]
        verbose_name = _("培训目标")
        verbose_name_plural = _("培训目标")
        constraints = [models.UniqueConstraint(fields=["campaign", "population"], name="reports_target_once")]


class ReportCopy(models.Model):
    """One reporting unit's copy of a campaign's table for one period."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("填报中")
        SUBMITTED = "submitted", _("已报送")
        RETURNED = "returned", _("已退回")
        ACCEPTED = "accepted", _("已采用")

    campaign = models.ForeignKey(Campaign, verbose_name=_("专项活动"), on_delete=models.CASCADE, related_name="copies")
    unit = models.ForeignKey(ReportingUnit, verbose_name=_("填报单位"), on_delete=models.PROTECT, related_name="copies")
    period_start = models.DateField(_("本期开始"))
    period_end = models.DateField(_("本期结束"))
    due_date = models.DateField(_("报送截止"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    values = models.JSONField(_("填报数据"), default=dict, blank=True)
    platform_values = models.JSONField(_("平台数据"), default=dict, blank=True)
    return_reason = models.TextField(_("退回原因"), blank=True)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    submitted_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "unit__name"]
        verbose_name = _("调度表填报")
        verbose_name_plural = _("调度表填报")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit", "period_start"], name="reports_copy_once_per_period"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="reports_copy_period"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.period_start:%Y-%m-%d}"

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)


class SpotCheck(models.Model):
    """A department spot check (部门抽查): inspection staff check the people at work in one enterprise
    against the certificate register (a roster check run by them, not by the enterprise)."""

    roster_check = models.OneToOneField("certificates.RosterCheck", on_delete=models.CASCADE, related_name="spot_check")
    enterprise = models.ForeignKey(Organization, verbose_name=_("被抽查企业"), on_delete=models.CASCADE,
                                   related_name="spot_checks")
    unit = models.ForeignKey(ReportingUnit, verbose_name=_("检查单位"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="spot_checks")
    checked_on = models.DateField(_("检查日期"), db_index=True)
    invalid_count = models.PositiveIntegerField(_("无证上岗人数"), default=0)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-checked_on", "-pk"]
        verbose_name = _("部门抽查")
        verbose_name_plural = _("部门抽查")


# ------------------------------------------------------------------ the daily roll-up of the bureau pages


class RollupBuild(models.Model):
    """One build of the daily roll-up (per day, Asia/Shanghai): when it was made and the periods it holds.

    ``periods`` maps a period key (``this_month``, ``last_month``, ``last_12``, ``year``,
    ``since:<campaign start>``) to ``[start, end]``; ``labels`` holds the names the pages print (regions,
    industries, hazard tags, operation items) so a page needs no further lookups."""

    day = models.DateField(_("汇总日期"), unique=True)
    built_at = models.DateTimeField(_("数据截至"))
    periods = models.JSONField(_("统计期间"), default=dict)
    labels = models.JSONField(_("名称"), default=dict)
    seconds = models.FloatField(_("耗时（秒）"), default=0)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("每日汇总")
        verbose_name_plural = _("每日汇总")

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}"


class RollupCell(models.Model):
    """The figures of the bureau dashboard and the coverage page for one period and one cell of
    enterprises: region × industry (× hazard tag; ``hazard`` empty = every enterprise of the cell).

    ``figures`` holds the counts by metric key and the panels' breakdowns (see ``reports/rollup.py``);
    a page adds up the cells inside the viewer's scope, so its cost depends on the number of cells,
    never on the number of enterprises or people."""

    build = models.ForeignKey(RollupBuild, on_delete=models.CASCADE, related_name="cells")
    period = models.CharField(_("统计期间"), max_length=40)
    # tree: the enterprises of the region and every region inside it (what a bureau of that region
    # sees), with every figure; not tree: only those registered with exactly this region code, with
    # the enterprise count alone (the dashboard's chart by region)
    tree = models.BooleanField(_("含下级地区"), default=True)
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    industry_id = models.IntegerField(_("行业"), default=0, help_text=_("0：未填行业。"))
    hazard = models.CharField(_("风险特征"), max_length=40, blank=True, default="")
    enterprises = models.PositiveIntegerField(_("企业数"), default=0)
    figures = models.JSONField(_("数据"), default=dict)

    class Meta:
        verbose_name = _("汇总单元")
        verbose_name_plural = _("汇总单元")
        indexes = [models.Index(fields=["build", "period", "tree", "hazard", "region"], name="reports_rollup_cell_read")]
        constraints = [models.UniqueConstraint(fields=["build", "period", "tree", "region", "industry_id", "hazard"],
                                               name="reports_rollup_cell_once")]
