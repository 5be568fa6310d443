"""Regulation as data: rule versions with effective dates, the special-operation catalogue
(operation categories and items), certificate kinds and the study-hour requirements.

A ``RuleVersion`` is one state of one set of rules (the 2010 special-operation rules, the 2026 rules,
the 2015 training rules …). Operation categories/items, certificate kinds and study-hour requirements
hang off a version; every certificate and exam records the version it was made under. Nothing here
is a constant in code. The tables keep the names they had when this data lived in certificates and
courses.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RuleVersion(models.Model):
    class Scope(models.TextChoices):
        SPECIAL_OPERATION = "special_operation", _("特种作业目录")
        TRAINING = "training", _("安全培训学时")

    scope = models.CharField(_("适用范围"), max_length=24, choices=Scope.choices, default=Scope.SPECIAL_OPERATION,
                             help_text=_("特种作业目录（作业类别、操作项目、证书种类）或安全培训学时要求。"))
    code = models.CharField(_("版本代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    document = models.CharField(_("依据文件"), max_length=255, blank=True)
    effective_from = models.DateField(_("施行日期"))
    effective_until = models.DateField(_("废止日期"), null=True, blank=True)
    notes = models.TextField(_("说明"), blank=True)

    class Meta:
        db_table = "certificates_ruleversion"
        ordering = ["-effective_from"]
        verbose_name = _("规则版本")
        verbose_name_plural = _("规则版本")

    def __str__(self) -> str:
        """The name, followed by the version code unless the name already ends with it (the 2010
        rule is named "…管理规定（2010）")."""
        name = self.name.rstrip()
        if name.endswith((f"（{self.code}）", f"({self.code})")):
            return name
        return f"{name}（{self.code}）"

    @classmethod
    def in_force(cls, on: dt.date | None = None, *, scope: str = Scope.SPECIAL_OPERATION) -> "RuleVersion | None":
        on = on or timezone.localdate()
        return (
            cls.objects.filter(scope=scope, effective_from__lte=on)
            .filter(Q(effective_until__isnull=True) | Q(effective_until__gt=on))
            .order_by("-effective_from")
            .first()
        )


def ensure_version_editable(version: "RuleVersion | None") -> None:
    """Versions that have ended are kept as they were: records made under them refer to them."""
    if version is not None and version.effective_until and version.effective_until <= timezone.localdate():
        raise ValidationError(
            _("规则版本“%(v)s”已于 %(d)s 废止，不能再修改；请在新版本中调整。") % {"v": version.code, "d": version.effective_until}
        )


class OperationCategory(models.Model):
    rule_version = models.ForeignKey(RuleVersion, on_delete=models.PROTECT, related_name="categories")
    code = models.SlugField(_("类别代码"), max_length=32)
    name = models.CharField(_("作业类别"), max_length=64)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "certificates_operationcategory"
        ordering = ["rule_version", "order", "code"]
        verbose_name = _("作业类别")
        verbose_name_plural = _("作业类别")
        constraints = [models.UniqueConstraint(fields=["rule_version", "code"], name="unique_category_code_per_version")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        ensure_version_editable(self.rule_version if self.rule_version_id else None)


class OperationItem(models.Model):
    category = models.ForeignKey(OperationCategory, on_delete=models.PROTECT, related_name="items")
    code = models.SlugField(_("操作项目代码"), max_length=32)
    name = models.CharField(_("操作项目"), max_length=64)
    real_equipment_required = models.BooleanField(
        _("实操须用实际设备"), default=False,
        help_text=_("电工、焊接与热切割、高处、制冷与空调、烟花爆竹等项目的实操考试须在实际设备上进行。"),
    )
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        db_table = "certificates_operationitem"
        ordering = ["category__order", "order", "code"]
        verbose_name = _("操作项目")
        verbose_name_plural = _("操作项目")
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="unique_item_code_per_category")]

    def __str__(self) -> str:
        return self.name

    @property
    def rule_version_id(self) -> int:
        return self.category.rule_version_id

    def clean(self) -> None:
        ensure_version_editable(self.category.rule_version if self.category_id else None)


class CertificateKind(models.Model):
    class Family(models.TextChoices):
        SPECIAL_OPERATION = "special_operation", _("特种作业操作证")
        MANAGEMENT = "management", _("安全生产知识和管理能力考核合格证")
        TRAINING = "training", _("培训合格证明")

    rule_version = models.ForeignKey(RuleVersion, on_delete=models.PROTECT, related_name="certificate_kinds")
    code = models.SlugField(_("代码"), max_length=32)
    family = models.CharField(_("证书类型"), max_length=24, choices=Family.choices)
    name = models.CharField(_("名称"), max_length=128)
    validity_months = models.PositiveSmallIntegerField(_("有效期（月）"))
    review_interval_months = models.PositiveSmallIntegerField(_("复审周期（月）"), null=True, blank=True)
    review_window_days = models.PositiveSmallIntegerField(_("复审申请期（到期前天数）"), default=60)
    review_refresher_hours = models.PositiveSmallIntegerField(_("复审前培训学时"), default=0)
    theory_pass_mark = models.PositiveSmallIntegerField(_("理论考试合格分"), default=80)
    theory_full_mark = models.PositiveSmallIntegerField(_("理论考试满分"), default=100)
    practical_pass_mark = models.PositiveSmallIntegerField(
        _("实操考试合格分"), null=True, blank=True, help_text=_("待核实：按实际规定调整。")
    )
    makeup_attempts = models.PositiveSmallIntegerField(_("补考次数"), default=1, help_text=_("待核实：按实际规定调整。"))
    requires_operation_item = models.BooleanField(_("须指定操作项目"), default=False)

    class Meta:
        db_table = "certificates_certificatekind"
        ordering = ["rule_version", "family", "code"]
        verbose_name = _("证书种类")
        verbose_name_plural = _("证书种类")
        constraints = [models.UniqueConstraint(fields=["rule_version", "code"], name="unique_kind_code_per_version")]

    def __str__(self) -> str:
        return f"{self.name}（{self.rule_version.code}）"

    def clean(self) -> None:
        ensure_version_editable(self.rule_version if self.rule_version_id else None)


class Population(models.TextChoices):
    MANAGER = "manager", _("主要负责人和安全生产管理人员")
    NEW_WORKER = "new_worker", _("新上岗从业人员")
    WORKER = "worker", _("从业人员")
    SPECIAL_OPERATOR = "special_operator", _("特种作业人员")


class TrainingKind(models.TextChoices):
    INITIAL = "initial", _("初次培训")
    REFRESHER = "refresher", _("再培训（每年）")
    TOPIC = "topic", _("专题培训")


class StudyHourRequirement(models.Model):
    """Minimum 学时 one population must reach for one kind of training, valid from a date.

    Rows are versions: a new regulation adds rows with a later ``effective_from``; old rows stay so
    records made under them keep their meaning."""

    rule_version = models.ForeignKey(
        RuleVersion, verbose_name=_("依据版本"), on_delete=models.PROTECT, related_name="study_hour_requirements",
        limit_choices_to={"scope": RuleVersion.Scope.TRAINING}, help_text=_("例如“生产经营单位安全培训规定（2015修正）”"))
    population = models.CharField(_("人员类别"), max_length=24, choices=Population.choices)
    kind = models.CharField(_("培训类型"), max_length=16, choices=TrainingKind.choices)
    operation_item = models.ForeignKey(
        OperationItem, verbose_name=_("操作项目"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="study_hour_requirements",
        help_text=_("特种作业人员按操作项目规定学时时填写；留空表示适用于该类人员的所有操作项目。"))
    high_risk = models.BooleanField(_("高危行业"), default=False)
    hours = models.DecimalField(_("最低学时"), max_digits=6, decimal_places=1, validators=[MinValueValidator(0)])
    minutes_per_hour = models.PositiveSmallIntegerField(
        _("每学时分钟数"), default=45, validators=[MinValueValidator(20), MaxValueValidator(60)],
        help_text=_("各地规定不一，常见为45分钟。"))
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    verified = models.BooleanField(_("已核实"), default=True, help_text=_("未核实的数值请在说明中注明来源。"))
    note = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        db_table = "courses_studyhourrequirement"
        ordering = ["population", "kind", "high_risk", "-effective_from"]
        verbose_name = _("学时要求")
        verbose_name_plural = _("学时要求")
        constraints = [
            models.UniqueConstraint(fields=["population", "kind", "high_risk", "effective_from"],
                                    condition=Q(operation_item__isnull=True),
                                    name="courses_requirement_unique_version"),
            models.UniqueConstraint(fields=["population", "kind", "high_risk", "operation_item", "effective_from"],
                                    condition=Q(operation_item__isnull=False),
                                    name="catalogue_requirement_unique_item_version"),
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_to__gt=models.F("effective_from")),
                                   name="courses_requirement_dates"),
        ]

    def __str__(self) -> str:
        risk = _("高危") if self.high_risk else _("一般")
        item = f"·{self.operation_item.name}" if self.operation_item_id else ""
        return f"{self.get_population_display()}{item}·{self.get_kind_display()}·{risk} ≥{self.hours}学时（{self.rule_version.name}）"

    @classmethod
    def in_force(cls, *, population: str, kind: str, high_risk: bool, on: dt.date | None = None,
                 operation_item=None):
        """The row in force on ``on``. With an operation item, a row for that item wins over the
        population's general row (operation item left empty); without one, only general rows."""
        on = on or timezone.localdate()
        rows = (
            cls.objects.filter(population=population, kind=kind, high_risk=high_risk, effective_from__lte=on)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=on))
            .select_related("rule_version")
        )
        item_id = getattr(operation_item, "pk", operation_item)
        if item_id:
            found = rows.filter(operation_item_id=item_id).order_by("-effective_from").first()
            if found is not None:
                return found
        return rows.filter(operation_item__isnull=True).order_by("-effective_from").first()
