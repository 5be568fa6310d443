"""Question banks, questions (versioned), blueprints, exam sessions, registrations, attempts with a
frozen paper, answers, practical tasks and results, practice records.

考培分离: a bank is either *training* (practice; training institutions and learners may see it) or
*testing* (only exam-centre staff of the owning centre). Reads go through ``exams.selectors``.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.storage import encrypted_storage

OPTION_KEYS = "ABCDEF"


def stem_digest(stem: str) -> str:
    """Digest of a stem with whitespace and full-width punctuation normalised (duplicate detection)."""
    text = re.sub(r"\s+", "", stem or "")
    text = text.replace("（", "(").replace("）", ")").replace("，", ",").replace("。", ".").replace("：", ":")
    return hashlib.sha256(text.encode()).hexdigest()


class QuestionBank(models.Model):
    class Kind(models.TextChoices):
        TRAINING = "training", _("培训练习题库")
        TESTING = "testing", _("考试题库")

    code = models.SlugField(_("题库代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, db_index=True)
    owner = models.ForeignKey(
        "accounts.Organization", verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="question_banks"
    )
    operation_item = models.ForeignKey(
        "catalogue.OperationItem", verbose_name=_("操作项目"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="question_banks",
    )
    description = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Changes whenever a question of the bank (or its tags) changes; names the cached candidate
    # pool papers are drawn from (exams.pools). Random, so a rolled-back change never reuses one.
    pool_token = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("题库")
        verbose_name_plural = _("题库")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_testing(self) -> bool:
        return self.kind == self.Kind.TESTING


class KnowledgeTag(models.Model):
    """A knowledge point (知识点) a question tests."""

    code = models.SlugField(_("代码"), max_length=60, unique=True)
    name = models.CharField(_("知识点"), max_length=64, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("知识点")
        verbose_name_plural = _("知识点")

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    """One version of a question. Editing a question used in a paper creates a new version
    (same ``lineage``, ``version`` + 1); papers keep pointing at the version they used."""

    class Type(models.TextChoices):
        SINGLE = "single", _("单选题")
        MULTIPLE = "multiple", _("多选题")
        TRUEFALSE = "truefalse", _("判断题")
        ESSAY = "essay", _("简答题")

    bank = models.ForeignKey(QuestionBank, verbose_name=_("题库"), on_delete=models.PROTECT, related_name="questions")
    lineage = models.UUIDField(_("试题编号"), db_index=True, editable=False)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    is_current = models.BooleanField(_("当前版本"), default=True)
    type = models.CharField(_("题型"), max_length=16, choices=Type.choices)
    stem = models.TextField(_("题干"))
    stem_digest = models.CharField(max_length=64, editable=False)
    image = models.ImageField(_("题干图片"), upload_to="exams/questions/%Y/", blank=True)
    # [{"key": "A", "text": "...", "image": ""}, ...] — order A..F; true/false have T/F.
    options = models.JSONField(_("选项"), default=list, blank=True)
    answer = models.CharField(_("答案"), max_length=8, blank=True, help_text=_("选项字母，如 B 或 ACD；判断题 T/F。"))
    explanation = models.TextField(_("解析"), blank=True)
    difficulty = models.PositiveSmallIntegerField(_("难度"), default=3, help_text=_("1（易）至 5（难）"))
    tags = models.ManyToManyField(KnowledgeTag, verbose_name=_("知识点"), blank=True, related_name="questions")
    clauses = models.ManyToManyField("cms.Clause", verbose_name=_("考查的标准条款"), blank=True, related_name="questions")
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["bank", "id"]
        verbose_name = _("试题")
        verbose_name_plural = _("试题")
        constraints = [
            models.UniqueConstraint(fields=["lineage", "version"], name="exams_question_lineage_version"),
            models.UniqueConstraint(
                fields=["bank", "stem_digest"], condition=Q(is_current=True), name="exams_question_unique_stem_in_bank"
            ),
            models.UniqueConstraint(fields=["lineage"], condition=Q(is_current=True), name="exams_question_one_current"),
            models.CheckConstraint(condition=Q(difficulty__gte=1, difficulty__lte=5), name="exams_question_difficulty_1_5"),
            models.CheckConstraint(
                condition=Q(type="essay") | ~Q(answer=""), name="exams_question_objective_has_answer"
            ),
        ]
        indexes = [models.Index(fields=["bank", "is_current", "type"], name="exams_q_draw")]

    def __str__(self) -> str:
        return f"{self.stem[:40]}（v{self.version}）"

    def save(self, *args, **kwargs):
        self.stem_digest = stem_digest(self.stem)
        if self.lineage is None:
            import uuid

            self.lineage = uuid.uuid4()
        super().save(*args, **kwargs)

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def is_objective(self) -> bool:
        return self.type != self.Type.ESSAY

    def option_map(self) -> dict[str, dict]:
        return options_by_key(self.options)


def options_by_key(options: list[dict] | None) -> dict[str, dict]:
    """A question's options (a list of {"key", "text", …}) by their key."""
    return {o["key"]: o for o in options or []}


def truefalse_options() -> list[dict]:
    return [{"key": "T", "text": "正确"}, {"key": "F", "text": "错误"}]


class Blueprint(models.Model):
    """组卷策略: sections × count × points × tag filter × difficulty range, and the rules of the exam."""

    class Review(models.TextChoices):
        SCORE = "score", _("仅显示成绩与是否合格")
        RESPONSES = "responses", _("成绩及各知识点对错题数")
        FULL = "full", _("成绩、每题对错、正确答案与解析（仅模拟考试）")

    class ReviewWhen(models.TextChoices):
        IMMEDIATELY = "immediately", _("交卷后立即")
        AFTER_SESSION = "after_session", _("考试场次结束后")

    # A blueprint's papers are drawn from a testing bank, whose keys and explanations never reach a
    # candidate: only these policies are allowed for the real exam. Full review exists only for
    # mock exams, which draw from the training bank.
    EXAM_REVIEW_POLICIES = (Review.SCORE, Review.RESPONSES)

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    owner = models.ForeignKey("accounts.Organization", verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="blueprints")
    bank = models.ForeignKey(
        QuestionBank, verbose_name=_("考试题库"), on_delete=models.PROTECT, related_name="blueprints",
        limit_choices_to={"kind": "testing"},
    )
    training_bank = models.ForeignKey(
        QuestionBank, verbose_name=_("模拟考试用练习题库"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="mock_blueprints", limit_choices_to={"kind": "training"},
        help_text=_("模拟考试按本策略的结构只从练习题库抽题。"),
    )
    certificate_kind = models.ForeignKey(
        "catalogue.CertificateKind", verbose_name=_("证书种类"), null=True, blank=True, on_delete=models.PROTECT
    )
    pass_mark = models.DecimalField(
        _("合格分"), max_digits=6, decimal_places=1, null=True, blank=True,
        help_text=_("留空则取证书种类的理论考试合格分（默认 80）。"),
    )
    duration_minutes = models.PositiveSmallIntegerField(_("考试时长（分钟）"), default=90)
    shuffle_questions = models.BooleanField(_("试题乱序"), default=True)
    shuffle_options = models.BooleanField(_("选项乱序"), default=True)
    review_policy = models.CharField(_("考后可查看"), max_length=16, choices=Review.choices, default=Review.RESPONSES)
    review_when = models.CharField(_("查看时间"), max_length=16, choices=ReviewWhen.choices, default=ReviewWhen.IMMEDIATELY)
    success_text = models.TextField(_("合格提示"), blank=True, default="恭喜，您的理论考试成绩合格。")
    fail_text = models.TextField(_("不合格提示"), blank=True, default="很遗憾，本次成绩未达到合格分，可按规定参加补考。")
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("组卷策略")
        verbose_name_plural = _("组卷策略")

    def __str__(self) -> str:
        return self.name

    @property
    def effective_pass_mark(self) -> Decimal:
        if self.pass_mark is not None:
            return self.pass_mark
        if self.certificate_kind_id:
            return Decimal(self.certificate_kind.theory_pass_mark)
        return Decimal(80)

    def total_score(self) -> Decimal:
        return sum((s.points * s.count for s in self.sections.all()), Decimal(0))


class BlueprintSection(models.Model):
    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    title = models.CharField(_("标题"), max_length=64)
    question_type = models.CharField(_("题型"), max_length=16, choices=Question.Type.choices)
    count = models.PositiveSmallIntegerField(_("题数"))
    points = models.DecimalField(_("每题分值"), max_digits=5, decimal_places=1)
    tags = models.ManyToManyField(KnowledgeTag, verbose_name=_("限定知识点"), blank=True,
                                  help_text=_("留空不限；否则只抽带有其中任一知识点的试题。"))
    difficulty_min = models.PositiveSmallIntegerField(_("最低难度"), default=1)
    difficulty_max = models.PositiveSmallIntegerField(_("最高难度"), default=5)
    partial_credit = models.BooleanField(
        _("多选题少选得分"), default=False, help_text=_("少选且无错选按选对比例得分；错选不得分。"),
    )

    class Meta:
        ordering = ["blueprint", "order", "id"]
        verbose_name = _("组卷策略题组")
        verbose_name_plural = _("组卷策略题组")
        constraints = [
            models.CheckConstraint(condition=Q(difficulty_min__lte=models.F("difficulty_max")), name="exams_section_difficulty_range"),
            models.CheckConstraint(condition=Q(count__gte=1), name="exams_section_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.count}×{self.points}）"


class ExamVenue(models.Model):
    """A site where exams are held (考点/考场), with the organisation it belongs to. Sessions may only
    be held at a venue of their own exam centre (考培分离: never on a training institution's
    premises or equipment); the check is ``exams.services.venue_problems``, run on every save."""

    owner = models.ForeignKey("accounts.Organization", verbose_name=_("场地所属单位"), on_delete=models.PROTECT,
                              related_name="exam_venues")
    name = models.CharField(_("场地名称"), max_length=128)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["owner", "name"]
        verbose_name = _("考试场地")
        verbose_name_plural = _("考试场地")
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="exams_venue_name_per_owner")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from accounts.roles import OrgKind

        if self.owner_id and self.owner.kind != OrgKind.EXAM_CENTRE:
            raise ValidationError({"owner": _("考试场地只能登记在考试中心名下（考培分离，不得使用培训机构的场地）。")})


class ExamSession(models.Model):
    """考试场次, run by an exam centre."""

    centre = models.ForeignKey("accounts.Organization", verbose_name=_("考试中心"), on_delete=models.PROTECT, related_name="exam_sessions")
    name = models.CharField(_("场次名称"), max_length=128)
    blueprint = models.ForeignKey(Blueprint, verbose_name=_("组卷策略"), on_delete=models.PROTECT, related_name="sessions")
    certificate_kind = models.ForeignKey(
        "catalogue.CertificateKind", verbose_name=_("证书种类"), on_delete=models.PROTECT, related_name="exam_sessions"
    )
    operation_item = models.ForeignKey(
        "catalogue.OperationItem", verbose_name=_("操作项目"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="exam_sessions",
    )
    rule_version = models.ForeignKey(
        "catalogue.RuleVersion", verbose_name=_("规则版本"), on_delete=models.PROTECT, related_name="exam_sessions"
    )
    required_course_code = models.CharField(_("须完成的课程代码"), max_length=64, blank=True)
    require_identity_verified = models.BooleanField(_("须已核验身份"), default=True)
    require_check_in = models.BooleanField(
        _("须现场核验身份（签到）"), default=True,
        help_text=_("开考前监考人员在监考台逐人核验身份；未签到的考生不能开始考试。"),
    )
    # Optional stills during the theory exam (exams/services/stills.py): the exam page takes a camera
    # still at the start and every N minutes; they are kept with the attempt for the proctors.
    exam_stills = models.BooleanField(
        _("考试中拍照留存"), default=False,
        help_text=_("考试页面在开考时及每隔一定时间调用摄像头拍照，照片随答卷保存，仅本考试中心的监考人员可以查看。"),
    )
    exam_still_minutes = models.PositiveSmallIntegerField(
        _("考试中拍照间隔（分钟）"), default=10, help_text=_("0 表示只在开考时拍照。"),
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    venue = models.ForeignKey(
        "ExamVenue", verbose_name=_("考试场地"), null=True, blank=True, on_delete=models.PROTECT, related_name="sessions",
        help_text=_("考试中心的场地；考培分离，不得使用培训机构的场地。"))
    room = models.CharField(_("考场"), max_length=128, blank=True)
    seats = models.PositiveSmallIntegerField(_("座位数"), default=30)
    allowed_ip_ranges = models.TextField(
        _("允许的客户端 IP 段"), blank=True, help_text=_("每行一个，如 10.1.2.0/24；留空不限制。")
    )
    proctors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("监考人员"), blank=True, related_name="proctored_sessions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("考试场次")
        verbose_name_plural = _("考试场次")
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="exams_session_window")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """考培分离: the venue belongs to the session's exam centre (``exams.services.venue_problems``)."""
        from django.core.exceptions import ValidationError

        from .services.practical import venue_problems

        if self.venue_id and self.centre_id:
            if problems := venue_problems(centre=self.centre, venue=self.venue):
                raise ValidationError({"venue": problems})

    def save(self, *args, **kwargs):
        # checked on every save, whichever page, import or script saves the session
        if self.venue_id:
            self.clean()
        super().save(*args, **kwargs)

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.starts_at <= now < self.ends_at

    def ip_allowed(self, ip: str | None) -> bool:
        ranges = [r.strip() for r in self.allowed_ip_ranges.splitlines() if r.strip()]
        if not ranges:
            return True
        if not ip:
            return False
        import ipaddress

        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        for r in ranges:
            try:
                if addr in ipaddress.ip_network(r, strict=False):
                    return True
            except ValueError:
                continue
        return False

    @property
    def practical_required(self) -> bool:
        return self.certificate_kind.practical_pass_mark is not None


class CheckIn(models.TextChoices):
    CHECKED_IN = "checked_in", _("已签到")
    REFUSED = "refused", _("拒绝入场")


class CheckInSource(models.TextChoices):
    CAMERA = "camera", _("考场摄像头")
    READER = "reader", _("身份证阅读器照片")


class Registration(models.Model):
    """A candidate registered in a session. The certificates app issues one certificate per
    qualifying registration."""

    class Status(models.TextChoices):
        REGISTERED = "registered", _("已报名")
        CANCELLED = "cancelled", _("已取消")

    session = models.ForeignKey(ExamSession, verbose_name=_("考试场次"), on_delete=models.PROTECT, related_name="registrations")
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("考生"), on_delete=models.PROTECT, related_name="exam_registrations")
    ticket_number = models.CharField(_("准考证号"), max_length=32, unique=True)
    seat = models.PositiveSmallIntegerField(_("座位号"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REGISTERED)
    eligibility_notes = models.TextField(_("资格审核记录"), blank=True)
    identity_checked_at = models.DateTimeField(_("身份核验时间"), null=True, blank=True)
    # 考场签到: the proctor's identity check in the room (exams/services/checkin.py)
    check_in_status = models.CharField(_("现场核验结果"), max_length=16, choices=CheckIn.choices, blank=True)
    check_in_at = models.DateTimeField(_("现场核验时间"), null=True, blank=True)
    check_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("核验监考人员"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    check_in_match = models.CharField(_("人脸比对结果"), max_length=16, blank=True)
    check_in_distance = models.FloatField(_("人脸特征距离"), null=True, blank=True)
    check_in_still = models.ImageField(_("现场照片"), upload_to="exam_checkins/%Y/%m/", blank=True,
                                       storage=encrypted_storage)
    check_in_source = models.CharField(_("照片来源"), max_length=16, choices=CheckInSource.choices, blank=True)
    check_in_still_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True)
    check_in_note = models.TextField(_("核验说明"), blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # an eligibility override (破格): why, who, in which role, when — empty when none was needed
    override_reason = models.CharField(_("破格理由"), max_length=200, blank=True)
    override_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("破格批准人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    override_role = models.CharField(_("破格批准人角色"), max_length=32, blank=True)
    override_at = models.DateTimeField(_("破格时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "seat", "id"]
        verbose_name = _("考试报名")
        verbose_name_plural = _("考试报名")
        constraints = [
            models.UniqueConstraint(fields=["session", "candidate"], name="exams_registration_once_per_session"),
            # a cancelled registration gives its seat back (seat NULL), so no two standing ones share one
            models.UniqueConstraint(fields=["session", "seat"], name="exams_registration_seat_once_per_session"),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} · {self.session}"

    @property
    def override_role_label(self) -> str:
        from .eligibility import override_role_label

        return override_role_label(self.override_role)

    @property
    def checked_in(self) -> bool:
        return self.check_in_status == CheckIn.CHECKED_IN

    def _attempts(self):
        cache = getattr(self, "_prefetched_objects_cache", {})
        if "attempts" in cache:
            return list(cache["attempts"])
        return list(self.attempts.all())

    @property
    def theory_passed_attempt(self):
        passed = [a for a in self._attempts() if a.passed and a.mode == Attempt.Mode.EXAM]
        return min(passed, key=lambda a: a.submitted_at) if passed else None

    @property
    def practical_result_or_none(self):
        try:
            return self.practical_result
        except PracticalResult.DoesNotExist:
            return None

    @property
    def is_qualified(self) -> bool:
        """Theory passed, and, when the certificate kind has a practical pass mark, the practical
        passed and confirmed by a second examiner."""
        if self.status != self.Status.REGISTERED or self.theory_passed_attempt is None:
            return False
        if self.session.certificate_kind.practical_pass_mark is None:
            return True
        result = self.practical_result_or_none
        return bool(result and result.counts_as_passed)


class AttemptManager(models.Manager):
    """Attempts as every page, report and rule sees them: a paper prepared ahead of time is not an
    attempt until the candidate starts it, so it is left out here (``Attempt.all_objects`` has it)."""

    def get_queryset(self):
        return super().get_queryset().exclude(status=Attempt.Status.PREPARED)


class Attempt(models.Model):
    """One sitting: a frozen paper, the answers, the server deadline and the grade.

    A paper can be frozen before the session opens (status ``prepared``, number 0, started_at and
    deadline provisional, the bank's ``pool_token`` recorded); starting then only claims it. Until
    then it is invisible: ``Attempt.objects`` and every related manager leave it out."""

    class Mode(models.TextChoices):
        EXAM = "exam", _("正式考试")
        MOCK = "mock", _("模拟考试")

    class Status(models.TextChoices):
        PREPARED = "prepared", _("已备卷（待开考）")
        IN_PROGRESS = "in_progress", _("作答中")
        MARKING = "marking", _("待阅卷")
        GRADED = "graded", _("已评分")

    class SubmittedBy(models.TextChoices):
        CANDIDATE = "candidate", _("考生交卷")
        DEADLINE = "deadline", _("到时自动交卷")
        PROCTOR = "proctor", _("监考强制交卷")

    mode = models.CharField(_("类型"), max_length=8, choices=Mode.choices, default=Mode.EXAM)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("考生"), on_delete=models.PROTECT, related_name="exam_attempts")
    registration = models.ForeignKey(Registration, null=True, blank=True, on_delete=models.PROTECT, related_name="attempts")
    blueprint = models.ForeignKey(Blueprint, on_delete=models.PROTECT, related_name="attempts")
    bank = models.ForeignKey(QuestionBank, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("第几次"), default=1)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.IN_PROGRESS, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    deadline = models.DateTimeField(_("截止时间"), db_index=True)
    submitted_at = models.DateTimeField(_("交卷时间"), null=True, blank=True)
    submitted_by = models.CharField(_("交卷方式"), max_length=16, choices=SubmittedBy.choices, blank=True)
    max_score = models.DecimalField(_("满分"), max_digits=6, decimal_places=1, default=0)
    pass_mark = models.DecimalField(_("合格分"), max_digits=6, decimal_places=1, default=0)
    score = models.DecimalField(_("成绩"), max_digits=6, decimal_places=1, null=True, blank=True)
    passed = models.BooleanField(_("合格"), null=True, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    # The bank's pool token when the paper was drawn: a prepared paper whose bank has changed since
    # (a question edited or retired) is discarded at start and a fresh one drawn.
    pool_token = models.UUIDField(null=True, blank=True, editable=False)
    # A make-up paper leaves out the items the candidate saw in earlier sittings as far as the bank
    # allows; how many it still had to repeat (shown to the exam centre).
    repeated_items = models.PositiveSmallIntegerField(_("与以往考试重复的试题数"), default=0)

    objects = AttemptManager()
    all_objects = models.Manager()

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("答卷")
        verbose_name_plural = _("答卷")
        constraints = [
            models.UniqueConstraint(fields=["registration", "number"], name="exams_attempt_number_per_registration"),
            models.UniqueConstraint(
                fields=["registration"], condition=Q(status="in_progress"), name="exams_one_open_attempt_per_registration"
            ),
            models.CheckConstraint(condition=Q(mode="mock") | Q(registration__isnull=False), name="exams_exam_attempt_has_registration"),
            models.UniqueConstraint(
                fields=["registration"], condition=Q(status="prepared"), name="exams_one_prepared_paper_per_registration"
            ),
            models.CheckConstraint(
                condition=~Q(status="prepared") | Q(number=0, mode="exam"), name="exams_prepared_paper_unnumbered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.blueprint} · #{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.IN_PROGRESS

    def is_past_deadline(self, now=None) -> bool:
        return (now or timezone.now()) >= self.deadline

    def seconds_left(self, now=None) -> int:
        return max(0, int((self.deadline - (now or timezone.now())).total_seconds()))

    def get_absolute_url(self) -> str:
        return reverse("exams:attempt", kwargs={"pk": self.pk})


def option_token_map(option_order: str, option_tokens: str) -> dict[str, str]:
    """token → option key of one frozen item (``option_tokens`` space-separated, parallel to
    ``option_order``); empty for an item frozen without tokens."""
    tokens = (option_tokens or "").split()
    if not tokens or len(tokens) != len(option_order or ""):
        return {}
    return dict(zip(tokens, option_order))


class AttemptItem(models.Model):
    """One question of a frozen paper: the exact question version, the option order shown and the
    paper's opaque token for each option (what the page and every save carry instead of a letter)."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    section = models.ForeignKey(BlueprintSection, null=True, on_delete=models.SET_NULL, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="attempt_items")
    option_order = models.CharField(max_length=8, blank=True)
    # one random token per option of this paper, space-separated, parallel to option_order
    option_tokens = models.CharField(max_length=120, blank=True)
    points = models.DecimalField(max_digits=5, decimal_places=1)
    partial_credit = models.BooleanField(default=False)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="exams_item_position"),
            models.UniqueConstraint(fields=["attempt", "question"], name="exams_item_no_duplicate_question"),
        ]

    def token_map(self) -> dict[str, str]:
        return option_token_map(self.option_order, self.option_tokens)

    def tokens_for(self, keys: str) -> list[str]:
        """The paper's tokens of option keys (a key the item does not have stays as it is)."""
        by_key = {k: t for t, k in self.token_map().items()}
        return [by_key.get(k, k) for k in keys]


class Answer(models.Model):
    """The candidate's latest saved answer to one item (upserted on every click)."""

    # no index of its own: the unique (attempt, item) index serves every lookup by attempt, and
    # each answer's first save (an exam day's commonest write) has one index less to update
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers", db_index=False)
    item = models.ForeignKey(AttemptItem, on_delete=models.CASCADE, related_name="answers")
    response = models.CharField(max_length=8, blank=True)
    text = models.TextField(blank=True)
    flagged = models.BooleanField(default=False)
    saved_at = models.DateTimeField()
    score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    marked_at = models.DateTimeField(null=True, blank=True)
    marker_comment = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attempt", "item"], name="exams_answer_once_per_item")]

    @property
    def is_answered(self) -> bool:
        return bool(self.response or self.text.strip())


class RetrainingRequirement(models.Model):
    """After a failed make-up (补考) the person must complete the training again before a new
    registration for the same certificate kind and operation item: recorded with the date of the
    failed make-up, and the date the training was completed again."""

    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("考生"), on_delete=models.PROTECT,
                                  related_name="retraining_requirements")
    certificate_kind = models.ForeignKey("catalogue.CertificateKind", verbose_name=_("证书种类"),
                                         on_delete=models.PROTECT, related_name="+")
    operation_item = models.ForeignKey("catalogue.OperationItem", verbose_name=_("操作项目"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    failed_attempt = models.OneToOneField(Attempt, verbose_name=_("未通过的补考"), on_delete=models.PROTECT,
                                          related_name="retraining_requirement")
    required_since = models.DateField(_("须重新培训（自）"))
    completed_on = models.DateField(_("重新培训完成日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-required_since", "-pk"]
        verbose_name = _("重新培训要求")
        verbose_name_plural = _("重新培训要求")

    def __str__(self) -> str:
        return f"{self.candidate} · {self.certificate_kind} · {self.required_since}"


class PracticalTask(models.Model):
    """A practical exam task for an operation item (实操考试项目), with its points, as data. A task
    belongs to one of the item's four subjects (K1–K4, ``catalogue.PracticalSubject``), whose
    points are the sum of its tasks' points."""

    operation_item = models.ForeignKey("catalogue.OperationItem", verbose_name=_("操作项目"), on_delete=models.PROTECT,
                                       related_name="practical_tasks")
    subject = models.ForeignKey("catalogue.PracticalSubject", verbose_name=_("科目"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="tasks")
    code = models.SlugField(_("代码"), max_length=40)
    title = models.CharField(_("考试项目"), max_length=128)
    points = models.DecimalField(_("分值"), max_digits=5, decimal_places=1)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    data = models.JSONField(_("评分要点"), default=dict, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["operation_item", "subject__order", "order", "code"]
        verbose_name = _("实操考试项目")
        verbose_name_plural = _("实操考试项目")
        constraints = [models.UniqueConstraint(fields=["operation_item", "code"], name="exams_practical_task_code")]

    def __str__(self) -> str:
        return f"{self.title}（{self.points}分）"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.subject_id and self.operation_item_id and self.subject.operation_item_id != self.operation_item_id:
            raise ValidationError({"subject": _("科目不属于该操作项目。")})


class Equipment(models.TextChoices):
    REAL = "real", _("实际设备")
    SIMULATED = "simulated", _("模拟设备")


class PracticalResult(models.Model):
    """A candidate's practical exam: per-task scores and the equipment each task was taken on, the
    veto items that occurred, the subject totals, and the four-eyes record — entered by one
    practical examiner, confirmed by a second one of the same centre. Only a confirmed result
    counts towards a certificate."""

    class Status(models.TextChoices):
        ENTERED = "entered", _("待确认")
        CONFIRMED = "confirmed", _("已确认")

    registration = models.OneToOneField(Registration, on_delete=models.PROTECT, related_name="practical_result")
    examiner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入考评员"), on_delete=models.PROTECT, related_name="+")
    scores = models.JSONField(_("各项得分"), default=dict)  # {task_id: points}
    equipment = models.JSONField(_("各项考试设备"), default=dict, blank=True)  # {task_id: "real" | "simulated"}
    subject_scores = models.JSONField(_("各科目得分"), default=dict, blank=True)  # {"K1": "18.0", …}
    vetoes = models.JSONField(_("出现的否决项"), default=list, blank=True)  # [{"subject": "K2", "item": "…"}]
    total = models.DecimalField(_("总分"), max_digits=6, decimal_places=1)
    pass_mark = models.DecimalField(_("合格分"), max_digits=6, decimal_places=1)
    passed = models.BooleanField(_("合格"))
    status = models.CharField(_("确认状态"), max_length=12, choices=Status.choices, default=Status.ENTERED)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("确认考评员"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("实操考试成绩")
        verbose_name_plural = _("实操考试成绩")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="entered", confirmed_by__isnull=True)
                | (Q(status="confirmed", confirmed_by__isnull=False) & ~Q(confirmed_by=models.F("examiner"))),
                name="exams_practical_confirmed_by_second_examiner"),
        ]

    def __str__(self) -> str:
        return f"{self.registration} · {self.total}"

    @property
    def is_confirmed(self) -> bool:
        return self.status == self.Status.CONFIRMED

    @property
    def counts_as_passed(self) -> bool:
        """Passed and confirmed: what a certificate needs."""
        return self.passed and self.is_confirmed


def _evidence_path(instance, filename: str) -> str:
    import os

    ext = os.path.splitext(filename)[1].lower()[:8]
    return f"exams/practical/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


class PracticalEvidence(models.Model):
    """A photo or video of one task of a practical exam, kept privately: served only through
    ``core.protected_files`` to the exam centre's staff."""

    result = models.ForeignKey(PracticalResult, on_delete=models.CASCADE, related_name="evidence")
    task = models.ForeignKey(PracticalTask, verbose_name=_("考试项目"), on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("照片或视频"), upload_to=_evidence_path, storage=encrypted_storage)
    original_name = models.CharField(_("文件名"), max_length=255, blank=True)
    content_type = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["task__order", "uploaded_at"]
        verbose_name = _("实操考试影像资料")
        verbose_name_plural = _("实操考试影像资料")

    def __str__(self) -> str:
        return self.original_name or self.file.name


class PracticeRecord(models.Model):
    """A learner's latest practice answer to one training question; feeds the wrong-answer notebook."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_records")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="practice_records")
    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="+")
    last_response = models.CharField(max_length=8, blank=True)
    last_correct = models.BooleanField(default=False)
    times = models.PositiveIntegerField(default=0)
    wrong_times = models.PositiveIntegerField(default=0)
    in_notebook = models.BooleanField(_("在错题本中"), default=False)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "question"], name="exams_practice_once_per_question")]
        indexes = [models.Index(fields=["user", "bank"], name="exams_practice_user_bank")]


from catalogue.models import EducationLevel  # noqa: E402  (the applications section below)


class ExamApplication(models.Model):
    """报名申请: a person applies (or their enterprise, or their training institution applies for
    them) for a session of an exam centre; the centre approves — which registers the person through
    the registration service, seat and ticket included — or returns it with a reason. The
    eligibility found at submission is kept as a snapshot."""

    class Channel(models.TextChoices):
        SELF = "self", _("本人报名")
        ENTERPRISE = "enterprise", _("企业集体报名")
        TRAINING = "training", _("培训机构代报名")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        RETURNED = "returned", _("已退回")
        APPROVED = "approved", _("已通过")
        WITHDRAWN = "withdrawn", _("已撤回")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("考生"), on_delete=models.PROTECT,
                               related_name="exam_applications")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申请人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(_("报名方式"), max_length=16, choices=Channel.choices, default=Channel.SELF)
    organization = models.ForeignKey("accounts.Organization", verbose_name=_("报名单位"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="exam_applications")
    centre = models.ForeignKey("accounts.Organization", verbose_name=_("考试中心"), on_delete=models.PROTECT,
                               related_name="received_exam_applications")
    session = models.ForeignKey(ExamSession, verbose_name=_("考试场次"), on_delete=models.PROTECT,
                                related_name="applications")
    certificate_kind = models.ForeignKey("catalogue.CertificateKind", verbose_name=_("证书种类"),
                                         on_delete=models.PROTECT, related_name="+")
    operation_item = models.ForeignKey("catalogue.OperationItem", verbose_name=_("操作项目"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    declared_education = models.CharField(_("文化程度"), max_length=16, blank=True,
                                          choices=EducationLevel.choices)
    health_declared = models.BooleanField(_("已声明身体健康"), default=False)
    health_declared_on = models.DateField(_("体检日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    reason = models.TextField(_("退回原因"), blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    registration = models.ForeignKey(Registration, verbose_name=_("考试报名"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="applications")
    # [{"code", "label", "ok", "message", "blocking"}, ...] as found at the last submission
    eligibility = models.JSONField(_("资格核对结果"), default=list, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("报名申请")
        verbose_name_plural = _("报名申请")
        constraints = [
            models.UniqueConstraint(fields=["person", "session"], condition=~Q(status="withdrawn"),
                                    name="exams_application_once_per_session"),
            models.CheckConstraint(condition=~Q(status="approved") | Q(registration__isnull=False),
                                   name="exams_application_approved_has_registration"),
            models.CheckConstraint(condition=~Q(status="returned") | ~Q(reason=""),
                                   name="exams_application_returned_has_reason"),
        ]
        indexes = [models.Index(fields=["centre", "status", "submitted_at"], name="exams_app_queue")]

    def __str__(self) -> str:
        return f"{self.person} · {self.session}"

    @property
    def problems(self) -> list[dict]:
        return [i for i in self.eligibility or [] if not i.get("ok")]

    @property
    def open_for_change(self) -> bool:
        return self.status in (self.Status.SUBMITTED, self.Status.RETURNED)


class AttemptStill(models.Model):
    """A camera still the exam page took during a formal attempt (or the note that it could not: camera
    refused or missing — the candidate goes on answering, the proctor sees the note). Served only to
    the proctors of the session's exam centre, every view audited; the file is deleted when its
    retention ends (``exams.services.stills.delete_expired_exam_stills``), the row stays."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("照片")
        NO_CAMERA = "no_camera", _("摄像头不可用或未获准使用")

    attempt = models.ForeignKey(Attempt, verbose_name=_("答卷"), on_delete=models.CASCADE, related_name="stills")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.PHOTO)
    taken_at = models.DateTimeField(_("拍摄时间"), default=timezone.now)
    still = models.ImageField(_("考试照片"), upload_to="exam_stills/%Y/%m/", blank=True,
                              storage=encrypted_storage)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # compared with the verified portrait after the still is kept (``services.stills.attempt_still_compare``)
    match = models.CharField(_("人脸比对"), max_length=16, blank=True)
    match_distance = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["taken_at", "pk"]
        verbose_name = _("考试照片")
        verbose_name_plural = _("考试照片")
        indexes = [models.Index(fields=["attempt", "taken_at"], name="exams_still_attempt_time")]

    def __str__(self) -> str:
        return f"{self.attempt_id} · {self.taken_at:%Y-%m-%d %H:%M:%S}"
