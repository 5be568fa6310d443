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


class PracticalSubject(models.Model):
    """One of the four subjects of an operation item's practical exam (national practical-exam
    standards): K1 安全用具使用, K2 安全操作技术, K3 作业现场安全隐患排除, K4 作业现场应急处置 — with its
    points, an optional pass mark of its own and its veto items (否决项: an unsafe act that fails the
    practical exam whatever the points). The exams app hangs its tasks off a subject."""

    class Code(models.TextChoices):
        K1 = "K1", _("K1 安全用具使用")
        K2 = "K2", _("K2 安全操作技术")
        K3 = "K3", _("K3 作业现场安全隐患排除")
        K4 = "K4", _("K4 作业现场应急处置")

    operation_item = models.ForeignKey(OperationItem, verbose_name=_("操作项目"), on_delete=models.PROTECT,
                                       related_name="practical_subjects")
    code = models.CharField(_("科目"), max_length=2, choices=Code.choices)
    name = models.CharField(_("科目名称"), max_length=64)
    points = models.DecimalField(_("分值"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0)])
    pass_mark = models.DecimalField(
        _("科目合格分"), max_digits=5, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)],
        help_text=_("留空时本科目不单独设合格分，只计入总分。待核实：按实际考试标准调整。"))
    veto_items = models.TextField(
        _("否决项"), blank=True,
        help_text=_("每行一项。考试中出现任何一项，实操考试即不合格，不论得分多少。"))
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        db_table = "catalogue_practicalsubject"
        ordering = ["operation_item", "order", "code"]
        verbose_name = _("实操考试科目")
        verbose_name_plural = _("实操考试科目")
        constraints = [
            models.UniqueConstraint(fields=["operation_item", "code"], name="catalogue_practical_subject_once"),
            models.CheckConstraint(condition=Q(pass_mark__isnull=True) | Q(pass_mark__lte=models.F("points")),
                                   name="catalogue_practical_subject_pass_mark"),
        ]

    def __str__(self) -> str:
        return f"{self.operation_item.name} · {self.name}"

    @property
    def veto_list(self) -> list[str]:
        return [line.strip() for line in (self.veto_items or "").splitlines() if line.strip()]

    def clean(self) -> None:
        ensure_version_editable(self.operation_item.category.rule_version if self.operation_item_id else None)
        if self.pass_mark is not None and self.points is not None and self.pass_mark > self.points:
            raise ValidationError({"pass_mark": _("科目合格分不能高于科目分值。")})


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


class StudyRule(models.Model):
    """How online study is credited in a region for a population, valid from a date (e.g. Guangdong's
    粤应急规〔2022〕3号): the length of one 学时, the daily cap of credited hours, identity checks at
    the start and every N minutes, and how long study records and photos are kept.

    The rule for a person is the one in force on the day, of the longest region prefix that matches
    their enterprise's region (``''`` is the national default), for their population or for all."""

    region_prefix = models.CharField(_("地区代码前缀"), max_length=6, blank=True,
                                     help_text=_("如 44（广东省）、4407（江门市）；留空表示全国默认。"))
    population = models.CharField(_("人员类别"), max_length=24, choices=Population.choices, blank=True,
                                  help_text=_("留空表示所有人员。"))
    minutes_per_hour = models.PositiveSmallIntegerField(
        _("每学时分钟数"), default=45, validators=[MinValueValidator(20), MaxValueValidator(60)])
    daily_cap_hours = models.DecimalField(_("每日计入学时上限"), max_digits=4, decimal_places=1, null=True, blank=True,
                                          validators=[MinValueValidator(0)], help_text=_("留空表示不设上限。"))
    check_at_start = models.BooleanField(_("开始学习时核验身份"), default=False)
    check_interval_minutes = models.PositiveSmallIntegerField(
        _("学习中核验间隔（分钟）"), default=0, help_text=_("0 表示学习中不再核验。"))
    match_threshold = models.DecimalField(
        _("人脸比对阈值"), max_digits=4, decimal_places=2, default=0.6,
        help_text=_("特征距离不大于此值视为同一人；常用 0.6。"))
    retention_years = models.PositiveSmallIntegerField(_("学习记录和照片保存年限"), default=3)
    retention_years_special = models.PositiveSmallIntegerField(_("特种作业人员保存年限"), default=3)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    basis = models.CharField(_("依据"), max_length=255, blank=True)
    verified = models.BooleanField(_("已核实"), default=False, help_text=_("未核实的数值请在依据中注明。"))

    class Meta:
        ordering = ["region_prefix", "population", "-effective_from"]
        verbose_name = _("网络学习规则")
        verbose_name_plural = _("网络学习规则")
        constraints = [
            models.UniqueConstraint(fields=["region_prefix", "population", "effective_from"],
                                    name="catalogue_study_rule_version"),
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_to__gt=models.F("effective_from")),
                                   name="catalogue_study_rule_dates"),
        ]

    def __str__(self) -> str:
        where = self.region_prefix or _("全国")
        who = self.get_population_display() if self.population else _("所有人员")
        return f"{where}·{who}·{self.effective_from:%Y-%m-%d}"

    @property
    def seconds_per_hour(self) -> int:
        return self.minutes_per_hour * 60

    @property
    def daily_cap_seconds(self) -> int | None:
        if self.daily_cap_hours is None:
            return None
        return int(self.daily_cap_hours * self.minutes_per_hour * 60)

    @classmethod
    def for_person(cls, *, region_code: str = "", population: str = "", on: dt.date | None = None) -> "StudyRule":
        """The rule in force: longest matching region prefix first, then a population match over 'all'.
        Without any row, an unsaved national default (45 minutes, no cap, no checks)."""
        on = on or timezone.localdate()
        prefixes = {""} | {region_code[:n] for n in (2, 4, 6) if len(region_code) >= n}
        rows = (cls.objects.filter(region_prefix__in=prefixes, population__in={"", population},
                                   effective_from__lte=on)
                .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=on)))
        best = sorted(rows, key=lambda r: (len(r.region_prefix), r.population == population, r.effective_from),
                      reverse=True)
        return best[0] if best else cls(effective_from=on, check_at_start=False)
# --------------------------------------------------------------------------- who may apply for an exam

class EducationLevel(models.TextChoices):
    """Levels of education an applicant declares (报名时申报的文化程度), lowest first."""

    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中或者相当于高中（含中专、技校、职高）")
    COLLEGE = "college", _("大专")
    BACHELOR = "bachelor", _("本科及以上")


EDUCATION_RANK = {level: rank for rank, level in enumerate(EducationLevel.values)}


def education_meets(declared: str, required: str) -> bool:
    """Whether the declared level is the required one or higher."""
    if not required:
        return True
    return declared in EDUCATION_RANK and EDUCATION_RANK[declared] >= EDUCATION_RANK.get(required, 0)


class ExamEntryRule(models.Model):
    """报名条件: who may apply for an exam under one rule version, for all its operation categories
    (``category`` empty) or for one category that asks more (hazardous chemicals: senior middle
    school). Age, education, the health declaration and the wait after a revoked certificate."""

    rule_version = models.ForeignKey(RuleVersion, verbose_name=_("规则版本"), on_delete=models.PROTECT,
                                     related_name="entry_rules")
    category = models.ForeignKey(OperationCategory, verbose_name=_("作业类别"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="entry_rules",
                                 help_text=_("留空表示适用于本版本的全部作业类别。"))
    min_age = models.PositiveSmallIntegerField(_("最低年龄（周岁）"), default=18)
    max_age_is_retirement = models.BooleanField(
        _("不超过法定退休年龄"), default=True, help_text=_("按“法定退休年龄”表核对，按出生年月逐步延迟。"))
    min_education = models.CharField(_("最低文化程度"), max_length=16, choices=EducationLevel.choices,
                                     default=EducationLevel.JUNIOR, blank=True)
    health_declaration_required = models.BooleanField(
        _("须申报身体健康"), default=True,
        help_text=_("申请人声明经体检合格，无妨碍从事相应特种作业的器质性心脏病、癫痫病、美尼尔氏症、眩晕症、癔病、"
                    "震颤麻痹症、精神病、痴呆症以及其他疾病和生理缺陷。"))
    reapply_after_revocation_months = models.PositiveSmallIntegerField(
        _("证书撤销后不得再次申请的期限（月）"), default=36)
    note = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        ordering = ["rule_version", "category"]
        verbose_name = _("报名条件")
        verbose_name_plural = _("报名条件")
        constraints = [
            models.UniqueConstraint(fields=["rule_version", "category"], name="catalogue_entry_rule_per_category"),
            models.UniqueConstraint(fields=["rule_version"], condition=Q(category__isnull=True),
                                    name="catalogue_entry_rule_one_general"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_version.code} · {self.category.name if self.category_id else _('全部作业类别')}"

    def clean(self) -> None:
        ensure_version_editable(self.rule_version if self.rule_version_id else None)
        if self.category_id and self.rule_version_id and self.category.rule_version_id != self.rule_version_id:
            raise ValidationError({"category": _("作业类别须属于同一规则版本。")})

    @classmethod
    def for_item(cls, rule_version_id: int, operation_item=None) -> "ExamEntryRule | None":
        """The rule for an operation item: its category's own rule, else the version's general one."""
        rules = list(cls.objects.filter(rule_version_id=rule_version_id).filter(
            Q(category__isnull=True) | Q(category_id=getattr(operation_item, "category_id", None))))
        specific = [r for r in rules if r.category_id]
        return (specific or rules or [None])[0]


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


def add_months(day: dt.date, months: int) -> dt.date:
    import calendar

    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class RetirementAgeRule(models.Model):
    """法定退休年龄 as data: a base age, raised gradually for people born from a month on (from
    2025: men 60→63 and women 55→58 by one month every four months of birth, women 50→55 by one
    month every two months), up to a ceiling. One row per gender ``applies`` to the exam check."""

    rule_version = models.ForeignKey(RuleVersion, verbose_name=_("规则版本"), on_delete=models.PROTECT,
                                     related_name="retirement_rules")
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    label = models.CharField(_("适用人员"), max_length=64)
    base_age_years = models.PositiveSmallIntegerField(_("原法定退休年龄（周岁）"))
    raise_from_birth = models.DateField(_("自该出生年月起逐步延迟"), null=True, blank=True,
                                        help_text=_("留空表示不延迟。按月计算，日忽略。"))
    months_per_step = models.PositiveSmallIntegerField(_("每隔几个月出生延迟一个月"), default=4,
                                                       validators=[MinValueValidator(1)])
    max_raise_months = models.PositiveSmallIntegerField(_("最多延迟（月）"), default=0)
    applies = models.BooleanField(_("用于报名资格核对"), default=True,
                                  help_text=_("同一版本每种性别只有一条用于核对。"))
    document = models.CharField(_("依据文件"), max_length=255, blank=True)

    class Meta:
        ordering = ["rule_version", "gender", "base_age_years"]
        verbose_name = _("法定退休年龄")
        verbose_name_plural = _("法定退休年龄")
        constraints = [
            models.UniqueConstraint(fields=["rule_version", "gender"], condition=Q(applies=True),
                                    name="catalogue_retirement_one_applying_per_gender"),
            models.CheckConstraint(condition=Q(months_per_step__gte=1), name="catalogue_retirement_step_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.label}（{self.base_age_years}）"

    def clean(self) -> None:
        ensure_version_editable(self.rule_version if self.rule_version_id else None)

    def raise_months(self, birth: dt.date) -> int:
        start = self.raise_from_birth
        if start is None or not self.max_raise_months:
            return 0
        months = (birth.year - start.year) * 12 + birth.month - start.month
        if months < 0:
            return 0
        return min(self.max_raise_months, months // self.months_per_step + 1)

    def retirement_date(self, birth: dt.date) -> dt.date:
        """The day a person born on ``birth`` reaches the statutory retirement age."""
        return add_months(birth, self.base_age_years * 12 + self.raise_months(birth))

    @classmethod
    def for_person(cls, rule_version_id: int, gender: str) -> "RetirementAgeRule | None":
        return cls.objects.filter(rule_version_id=rule_version_id, gender=gender, applies=True).first()
