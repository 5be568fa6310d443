"""Courses, lessons, assignment rules, enrolments, study time and training records.

Regulatory figures (required 学时, the length of one 学时) are data: ``catalogue.StudyHourRequirement``
is a versioned table with effective dates, and every course and training record keeps the requirement
it was made under.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.fields import RichTextField
from wagtail.models import Orderable

from accounts.models import HazardTag, Industry, Organization
from core.storage import encrypted_storage
from accounts.roles import Role
from catalogue.models import StudyHourRequirement, TrainingKind


class Course(ClusterableModel):
    code = models.SlugField(_("课程代码"), max_length=64, unique=True)
    title = models.CharField(_("课程名称"), max_length=200)
    summary = models.TextField(_("简介"), blank=True)
    audience = models.JSONField(
        _("面向角色"), default=list, blank=True,
        help_text=_("角色代码列表，如 principal、safety_manager、worker。为空表示不限。"))
    industries = ParentalManyToManyField(Industry, verbose_name=_("适用行业"), blank=True, related_name="courses")
    hazard_tags = ParentalManyToManyField(HazardTag, verbose_name=_("风险特征"), blank=True, related_name="courses")
    kind = models.CharField(_("培训类型"), max_length=16, choices=TrainingKind.choices, default=TrainingKind.TOPIC)
    requirement = models.ForeignKey(
        StudyHourRequirement, verbose_name=_("对应学时要求"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="courses", help_text=_("本课程用于满足的法定学时要求（可选）。"))
    required_hours = models.DecimalField(_("课程学时"), max_digits=6, decimal_places=1, default=Decimal("2"),
                                         validators=[MinValueValidator(Decimal("0.1"))])
    minutes_per_hour = models.PositiveSmallIntegerField(
        _("每学时分钟数"), default=45, validators=[MinValueValidator(20), MaxValueValidator(60)])
    is_mandatory = models.BooleanField(_("必修"), default=False)
    renewal_months = models.PositiveSmallIntegerField(
        _("复训周期（月）"), null=True, blank=True, help_text=_("如每年再培训填12；不需复训留空。"))
    prerequisites = ParentalManyToManyField("self", verbose_name=_("先修课程"), blank=True, symmetrical=False,
                                            related_name="unlocks")
    practice_banks = models.ManyToManyField(
        "exams.QuestionBank", verbose_name=_("练习题库"), blank=True, related_name="courses",
        limit_choices_to={"kind": "training"},
        help_text=_("只能选择培训练习题库，考试题库不得用于练习（考培分离）。"))
    practice_min_answered = models.PositiveIntegerField(_("练习最少答题数"), default=0)
    practice_min_rate = models.DecimalField(
        _("练习最低正确率（%）"), max_digits=5, decimal_places=1, default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)])
    provider = models.ForeignKey(Organization, verbose_name=_("主办单位"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="courses")
    is_published = models.BooleanField(_("已发布"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("课程")
        verbose_name_plural = _("课程")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("courses:course", kwargs={"code": self.code})

    def clean(self) -> None:
        unknown = [r for r in (self.audience or []) if r not in Role.values]
        if unknown:
            raise ValidationError({"audience": _("未知角色：%(r)s") % {"r": "、".join(map(str, unknown))}})

    @property
    def audience_labels(self) -> list[str]:
        return [str(Role(r).label) for r in (self.audience or []) if r in Role.values]

    @property
    def required_minutes(self) -> int:
        return int(self.required_hours * self.minutes_per_hour)


class Lesson(Orderable):
    course = ParentalKey(Course, on_delete=models.CASCADE, related_name="lessons")
    sort_order = models.PositiveIntegerField(_("顺序"), default=0)
    title = models.CharField(_("课时标题"), max_length=200)
    body = RichTextField(_("内容"), blank=True)
    video = models.FileField(_("视频文件"), upload_to="lessons/%Y/", blank=True)
    video_url = models.URLField(_("视频地址"), blank=True, help_text=_("本单位内网视频地址（可选）。"))
    clauses = models.ManyToManyField("cms.Clause", verbose_name=_("相关条款"), blank=True, related_name="lessons")
    pages = models.ManyToManyField(
        "wagtailcore.Page", verbose_name=_("相关指引与案例"), blank=True, related_name="+",
        help_text=_("隐患排查指引、警示案例、执法案例等页面。"))
    min_minutes = models.PositiveIntegerField(_("最少学习时长（分钟）"), default=45, validators=[MinValueValidator(1)])
    cap_minutes = models.PositiveIntegerField(
        _("计时上限（分钟）"), null=True, blank=True, help_text=_("本课时最多计入的时长；留空等于最少学习时长。"))

    class Meta:
        ordering = ["course", "sort_order", "pk"]
        verbose_name = _("课时")
        verbose_name_plural = _("课时")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("courses:lesson", kwargs={"code": self.course.code, "pk": self.pk})

    @property
    def min_seconds(self) -> int:
        return self.min_minutes * 60

    @property
    def cap_seconds(self) -> int:
        return max(self.cap_minutes or 0, self.min_minutes) * 60

    def clean(self) -> None:
        if self.cap_minutes is not None and self.cap_minutes < self.min_minutes:
            raise ValidationError({"cap_minutes": _("计时上限不能小于最少学习时长。")})


class AssignmentRule(models.Model):
    """“主要负责人 of enterprises tagged 粉尘涉爆 in region 4407 must complete course X by date D.”

    Every criterion left empty matches everyone. Bureau rules are limited to the bureau's region,
    enterprise rules to the enterprise's own people."""

    name = models.CharField(_("规则名称"), max_length=200)
    course = models.ForeignKey(Course, verbose_name=_("课程"), on_delete=models.PROTECT, related_name="rules")
    issuer = models.ForeignKey(Organization, verbose_name=_("发布单位"), on_delete=models.PROTECT,
                               related_name="course_rules")
    roles = models.JSONField(_("角色"), default=list, blank=True, help_text=_("角色代码列表；为空表示所有企业人员。"))
    industries = models.ManyToManyField(Industry, verbose_name=_("行业"), blank=True, related_name="+")
    hazard_tags = models.ManyToManyField(HazardTag, verbose_name=_("风险特征（任一）"), blank=True, related_name="+")
    region_prefix = models.CharField(_("地区代码前缀"), max_length=6, blank=True,
                                     help_text=_("如 4407 表示江门市；留空为发布单位辖区。"))
    organization = models.ForeignKey(Organization, verbose_name=_("限定企业"), null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="+")
    joined_since = models.DateField(
        _("入职日期不早于"), null=True, blank=True,
        help_text=_("用于新上岗人员培训：只匹配任职起始日期在此之后的人员。"))
    due_date = models.DateField(_("完成期限"), null=True, blank=True)
    due_in_days = models.PositiveIntegerField(
        _("后加入人员期限（天）"), null=True, blank=True,
        help_text=_("后来符合条件的人员自加入起的完成天数；不早于完成期限。"))
    is_active = models.BooleanField(_("有效"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("培训指派规则")
        verbose_name_plural = _("培训指派规则")

    def __str__(self) -> str:
        return self.name

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in (self.roles or []) if r in Role.values]

    def clean(self) -> None:
        unknown = [r for r in (self.roles or []) if r not in Role.values]
        if unknown:
            raise ValidationError({"roles": _("未知角色：%(r)s") % {"r": "、".join(map(str, unknown))}})
        if self.region_prefix and not self.region_prefix.isdigit():
            raise ValidationError({"region_prefix": _("地区代码前缀只能是数字。")})


class Enrolment(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("学习中")
        COMPLETED = "completed", _("已完成")
        WITHDRAWN = "withdrawn", _("已撤销")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrolments")
    cycle = models.CharField(_("培训周期"), max_length=8, blank=True, default="",
                             help_text=_("复训课程按年度区分，其他课程为空。"))
    rule = models.ForeignKey(AssignmentRule, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="enrolments")
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE,
                              db_index=True)
    due_date = models.DateField(_("完成期限"), null=True, blank=True, db_index=True)
    enrolled_at = models.DateTimeField(_("报名时间"), default=timezone.now)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("选课")
        verbose_name_plural = _("选课")
        constraints = [
            models.UniqueConstraint(fields=["user", "course", "cycle"], name="courses_enrolment_unique_cycle"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.course}"

    def is_overdue(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.status == self.Status.ACTIVE and self.due_date is not None and self.due_date < today


class EnrolmentReminder(models.Model):
    """One row per reminder sent: the unique constraint makes the nightly run send each at most once."""

    class Kind(models.TextChoices):
        DUE_30 = "due_30", _("30天内到期")
        DUE_7 = "due_7", _("7天内到期")
        OVERDUE = "overdue", _("已逾期")

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("到期提醒")
        verbose_name_plural = _("到期提醒")
        constraints = [models.UniqueConstraint(fields=["enrolment", "kind"], name="courses_reminder_once")]


class LessonProgress(models.Model):
    """Server-measured study time of one person on one lesson (follows the person, not the employer)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    seconds = models.PositiveIntegerField(_("已计学习秒数"), default=0)
    completed_at = models.DateTimeField(_("达标时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("课时学习进度")
        verbose_name_plural = _("课时学习进度")
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="courses_progress_unique")]


class StudyLease(models.Model):
    """The one study session a person may have at a time. A heartbeat from another page takes the
    lease over and is credited nothing, so parallel tabs never count twice."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_lease",
                                primary_key=True)
    token = models.CharField(max_length=64)
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+")
    last_beat_at = models.DateTimeField()
    started_at = models.DateTimeField()
    # What this lease's beats are written into and held against (set when the lease starts or moves):
    interval = models.ForeignKey("StudyInterval", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    day = models.DateField(null=True, blank=True)
    day_credited = models.PositiveIntegerField(default=0)
    daily_cap_seconds = models.PositiveIntegerField(null=True, blank=True)
    # identity checks of the rule in force (copied when the page starts) and where they stand
    check_at_start = models.BooleanField(default=False)
    check_interval = models.PositiveIntegerField(default=0)  # seconds; 0 = none during study
    match_threshold = models.DecimalField(max_digits=4, decimal_places=2, default=0.6)
    checked_at = models.DateTimeField(null=True, blank=True)  # last passed check
    pending_check = models.ForeignKey("StudyCheck", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("学习会话")
        verbose_name_plural = _("学习会话")


class OfflineSession(models.Model):
    """A classroom training (线下培训) held by a training institution; attendance gives training records."""

    course = models.ForeignKey(Course, verbose_name=_("课程"), on_delete=models.PROTECT, related_name="offline_sessions")
    provider = models.ForeignKey(Organization, verbose_name=_("培训机构"), on_delete=models.PROTECT,
                                 related_name="offline_sessions")
    instructor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("授课讲师"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(_("培训名称"), max_length=200)
    location = models.CharField(_("地点"), max_length=200, blank=True)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    hours = models.DecimalField(_("学时"), max_digits=6, decimal_places=1, validators=[MinValueValidator(Decimal("0.1"))])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "-pk"]
        verbose_name = _("线下培训")
        verbose_name_plural = _("线下培训")
        constraints = [models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")),
                                              name="courses_offline_dates")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("courses:offline_session", kwargs={"pk": self.pk})


class OfflineAttendance(models.Model):
    session = models.ForeignKey(OfflineSession, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(_("出勤"), default=True)
    hours = models.DecimalField(_("学时"), max_digits=6, decimal_places=1, default=Decimal("0"))
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("线下培训签到")
        verbose_name_plural = _("线下培训签到")
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="courses_attendance_once")]


class TrainingRecord(models.Model):
    """A completed training (培训考核档案 entry). It belongs to the person and follows them across
    employers; ``organization`` only notes the employer at the time."""

    class Source(models.TextChoices):
        ONLINE = "online", _("线上")
        OFFLINE = "offline", _("线下")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_records")
    course = models.ForeignKey(Course, verbose_name=_("课程"), on_delete=models.PROTECT, related_name="records")
    hours = models.DecimalField(_("学时"), max_digits=6, decimal_places=1, validators=[MinValueValidator(0)])
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), db_index=True)
    source = models.CharField(_("方式"), max_length=8, choices=Source.choices)
    enrolment = models.OneToOneField(Enrolment, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="record")
    offline_session = models.ForeignKey(OfflineSession, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="records")
    organization = models.ForeignKey(Organization, verbose_name=_("当时所在单位"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    requirement = models.ForeignKey(StudyHourRequirement, verbose_name=_("学时要求版本"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    minutes_per_hour = models.PositiveSmallIntegerField(_("每学时分钟数"), default=45)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-end_date", "-pk"]
        verbose_name = _("培训记录")
        verbose_name_plural = _("培训记录")
        constraints = [
            models.UniqueConstraint(fields=["offline_session", "person"], name="courses_record_once_per_session",
                                    condition=Q(offline_session__isnull=False)),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="courses_record_dates"),
        ]
        indexes = [models.Index(fields=["person", "course"])]

    def __str__(self) -> str:
        return f"{self.person} · {self.course} · {self.hours}学时"


class StudyInterval(models.Model):
    """One stretch of study on one page (the study trail): contiguous beats with the same outcome
    are one row. Uncredited stretches say why, so the learner, the enterprise and the bureau see
    what counted and what did not."""

    class Reason(models.TextChoices):
        CREDITED = "", _("已计入")
        INACTIVE = "inactive", _("页面不可见或无操作")
        DAILY_CAP = "daily_cap", _("超出当日上限")
        LESSON_CAP = "lesson_cap", _("超出本课时计时上限")
        IDENTITY_DUE = "identity_due", _("等待人脸核验")
        IDENTITY_FAILED = "identity_failed", _("人脸核验未通过")
        IDENTITY_PENDING = "identity_pending", _("人脸核验待审核")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_intervals")
    lesson = models.ForeignKey(Lesson, verbose_name=_("课时"), on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)
    day = models.DateField(_("日期"))
    started_at = models.DateTimeField(_("开始"))
    ended_at = models.DateTimeField(_("结束"))
    seconds = models.PositiveIntegerField(_("秒数"), default=0)
    credited = models.BooleanField(_("计入学时"), default=True)
    reason = models.CharField(_("原因"), max_length=20, choices=Reason.choices, blank=True, default="")
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("学习记录")
        verbose_name_plural = _("学习记录")
        indexes = [models.Index(fields=["user", "day"], name="courses_interval_user_day"),
                   models.Index(fields=["user", "-started_at"], name="courses_interval_user_time")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.started_at:%Y-%m-%d %H:%M} {self.seconds}s"


class StudyCheck(models.Model):
    """An identity check during online study: a still from the learner's camera compared with their
    verified portrait. Undecided ones (matcher unsure or absent) wait for a person in the review queue."""

    class Status(models.TextChoices):
        PASSED = "passed", _("通过")
        FAILED = "failed", _("未通过")
        PENDING = "pending", _("待人工审核")
        ACCEPTED = "accepted", _("人工确认通过")
        REJECTED = "rejected", _("人工确认不符")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("学员"), on_delete=models.CASCADE,
                             related_name="study_checks")
    lesson = models.ForeignKey(Lesson, verbose_name=_("课时"), on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)
    taken_at = models.DateTimeField(_("拍摄时间"))
    still = models.ImageField(_("现场照片"), upload_to="study_checks/%Y/%m/", storage=encrypted_storage)
    outcome = models.CharField(_("比对结果"), max_length=16)
    distance = models.FloatField(_("特征距离"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, db_index=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_reason = models.TextField(_("审核意见"), blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-taken_at", "-id"]
        verbose_name = _("学习人脸核验")
        verbose_name_plural = _("学习人脸核验")
        indexes = [models.Index(fields=["user", "-taken_at"], name="courses_check_user_time")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.taken_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def good(self) -> bool:
        return self.status in (self.Status.PASSED, self.Status.ACCEPTED)
# ---------------------------------------------------------------- training institutions

class TrainingProvider(models.Model):
    """An enterprise's choice of a training institution (选择培训机构). While the link is current the
    institution's instructors may enrol the enterprise's people in their classes."""

    enterprise = models.ForeignKey(Organization, verbose_name=_("企业"), on_delete=models.CASCADE,
                                   related_name="training_providers")
    institution = models.ForeignKey(Organization, verbose_name=_("培训机构"), on_delete=models.PROTECT,
                                    related_name="client_enterprises")
    since = models.DateField(_("起始日期"), default=timezone.localdate)
    until = models.DateField(_("终止日期"), null=True, blank=True)
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-since", "-pk"]
        verbose_name = _("委托培训机构")
        verbose_name_plural = _("委托培训机构")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "institution"], condition=Q(until__isnull=True),
                                    name="courses_provider_one_open_link"),
            models.CheckConstraint(condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                                   name="courses_provider_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} → {self.institution}"

    def is_current(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.since <= today and (self.until is None or self.until >= today)


class TrainingClass(models.Model):
    """A class (培训班) an institution runs for one of its courses: trainees from the enterprises that
    chose the institution, attendance per class day."""

    institution = models.ForeignKey(Organization, verbose_name=_("培训机构"), on_delete=models.PROTECT,
                                    related_name="training_classes")
    course = models.ForeignKey(Course, verbose_name=_("课程"), on_delete=models.PROTECT, related_name="classes")
    name = models.CharField(_("班级名称"), max_length=200)
    location = models.CharField(_("地点"), max_length=200, blank=True)
    start_date = models.DateField(_("开班日期"))
    end_date = models.DateField(_("结业日期"))
    trainees = models.ManyToManyField(settings.AUTH_USER_MODEL, through="ClassEnrolment", related_name="+",
                                      through_fields=("training_class", "person"),
                                      verbose_name=_("学员"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "-pk"]
        verbose_name = _("培训班")
        verbose_name_plural = _("培训班")
        constraints = [models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")),
                                              name="courses_class_dates")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("courses:institution_class", kwargs={"pk": self.pk})

    def days(self) -> list[dt.date]:
        n = (self.end_date - self.start_date).days
        return [self.start_date + dt.timedelta(days=i) for i in range(n + 1)]


class ClassEnrolment(models.Model):
    """A trainee in a class, with the enterprise that sent them and the course enrolment it made."""

    training_class = models.ForeignKey(TrainingClass, on_delete=models.CASCADE, related_name="class_enrolments")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="class_enrolments")
    enterprise = models.ForeignKey(Organization, verbose_name=_("所在企业"), on_delete=models.PROTECT,
                                   related_name="+")
    enrolment = models.ForeignKey(Enrolment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("培训班学员")
        verbose_name_plural = _("培训班学员")
        constraints = [models.UniqueConstraint(fields=["training_class", "person"], name="courses_class_person_once")]


class ClassAttendance(models.Model):
    training_class = models.ForeignKey(TrainingClass, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("日期"))
    present = models.BooleanField(_("出勤"), default=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = _("培训班考勤")
        verbose_name_plural = _("培训班考勤")
        constraints = [models.UniqueConstraint(fields=["training_class", "person", "date"],
                                               name="courses_class_attendance_once")]


class InspectionThreshold(models.Model):
    """When the bureau's monthly evidence marks a training institution for inspection (data, with
    effective dates; the row in force on the month's first day applies). A blank value is not checked."""

    max_anomaly_rate = models.DecimalField(_("异常学员比例上限（%）"), max_digits=5, decimal_places=1, null=True,
                                           blank=True)
    max_check_failure_rate = models.DecimalField(_("人脸核验未通过比例上限（%）"), max_digits=5, decimal_places=1,
                                                 null=True, blank=True)
    min_theory_pass_rate = models.DecimalField(_("理论考试合格率下限（%）"), max_digits=5, decimal_places=1,
                                               null=True, blank=True)
    min_practical_pass_rate = models.DecimalField(_("实操考试合格率下限（%）"), max_digits=5, decimal_places=1,
                                                  null=True, blank=True)
    effective_from = models.DateField(_("生效日期"))
    basis = models.CharField(_("依据"), max_length=255, blank=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("培训机构检查阈值")
        verbose_name_plural = _("培训机构检查阈值")

    def __str__(self) -> str:
        return f"{self.effective_from:%Y-%m-%d}"


class StudyAnomalyMonth(models.Model):
    """One person's study anomalies in one month (``courses.anomalies.flags_for``), recorded by the daily
    job ``courses.tasks.record_study_anomalies`` so the bureau's pages read rows instead of the trail.
    A row exists for everyone who studied online (or failed a check) that month, flagged or not."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("月份"))  # the month's first day (Asia/Shanghai)
    two_devices = models.PositiveIntegerField(default=0)
    uninterrupted = models.PositiveIntegerField(default=0)
    failed_checks = models.PositiveIntegerField(default=0)
    too_fast = models.PositiveIntegerField(default=0)
    # the training institutions (Course.provider ids) whose courses the person studied that month
    providers = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField(_("统计时间"))

    class Meta:
        verbose_name = _("在线学习异常（月）")
        verbose_name_plural = _("在线学习异常（月）")
        constraints = [models.UniqueConstraint(fields=["month", "user"], name="courses_anomaly_month_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.month:%Y-%m}"

    @property
    def total(self) -> int:
        return self.two_devices + self.uninterrupted + self.failed_checks + self.too_fast
