"""Certificates, their reviews, reminders, verification log, roster checks and batches.

Certificate kinds, operation items and rule versions are regulation data: catalogue/models.py."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalogue.models import CertificateKind, OperationItem, RuleVersion
from core.jsonstore import UnicodeJSONEncoder


# --------------------------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------------------------


class LiveStatus(models.TextChoices):
    """The status a certificate has on a given day, computed from its dates and its state."""

    VALID = "valid", _("有效")
    REVIEW_DUE = "review_due", _("待复审")
    REVIEW_OVERDUE = "review_overdue", _("逾期未复审")
    EXPIRED = "expired", _("已过期")
    SUSPENDED = "suspended", _("暂扣")
    REVOKED = "revoked", _("已撤销")


GOOD_STATUSES = frozenset({LiveStatus.VALID, LiveStatus.REVIEW_DUE})


class CertificateNumberSequence(models.Model):
    """Per-year counter behind our own certificate numbers (never derived from personal data)."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("证书编号序列")
        verbose_name_plural = _("证书编号序列")


def live_status(state: str, valid_from, valid_until, review_due, review_from, on) -> str:
    """A certificate's status on day ``on`` from its state and dates. The dates are either all
    ``datetime.date`` or all ISO strings (``YYYY-MM-DD`` compares like the date), so the public
    index (certificates/public_index.py) computes the same status from what it keeps."""
    if state == "revoked":
        return LiveStatus.REVOKED
    if state == "suspended":
        return LiveStatus.SUSPENDED
    if on > valid_until:
        return LiveStatus.EXPIRED
    if on < valid_from:
        return LiveStatus.VALID
    if review_due:
        if on > review_due:
            return LiveStatus.REVIEW_OVERDUE
        if on >= review_from:
            return LiveStatus.REVIEW_DUE
    return LiveStatus.VALID


class StateCategory(models.TextChoices):
    """Why a certificate was suspended or revoked, as the public verification page names it. The
    grounds follow the special-operation rule of 2010 (原安监总局令第30号, 第三十九条 revocation,
    第四十条 cancellation on the holder's request) and the violations that lead to a suspension; the
    officer's own words stay in ``state_reason``, internal and audited."""

    FRAUD = "fraud", _("以欺骗、贿赂等不正当手段取得证书")
    FALSE_RECORD = "false_record", _("证书记载虚假信息")
    ACCIDENT = "accident", _("对生产安全事故负有责任")
    VIOLATION = "violation", _("违章作业")
    REVIEW_LAPSED = "review_lapsed", _("超过有效期或未按期复审")
    UNFIT = "unfit", _("身体条件不适合继续从事特种作业")
    HOLDER_REQUEST = "holder_request", _("持证人申请注销")
    UNDER_INVESTIGATION = "investigation", _("涉嫌违规，核查处理中")
    OTHER = "other", _("其他原因")


SUSPEND_CATEGORIES = frozenset({StateCategory.VIOLATION, StateCategory.UNDER_INVESTIGATION,
                                StateCategory.REVIEW_LAPSED, StateCategory.OTHER})
REVOKE_CATEGORIES = frozenset(StateCategory) - {StateCategory.UNDER_INVESTIGATION}


class Certificate(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", _("正常")
        SUSPENDED = "suspended", _("暂扣")
        REVOKED = "revoked", _("已撤销")

    StateCategory = StateCategory

    class Source(models.TextChoices):
        ISSUED = "issued", _("平台签发")
        IMPORTED = "imported", _("历史导入")
        DEMO = "demo", _("演示数据")

    number = models.CharField(_("证书编号"), max_length=20, unique=True)
    verification_code = models.CharField(_("查验码"), max_length=16, unique=True)
    national_number_encrypted = models.TextField(_("全国统一证号（加密）"), blank=True, editable=False)
    national_number_hash = models.CharField(
        _("全国统一证号检索摘要"), max_length=64, blank=True, db_index=True, editable=False
    )
    holder = models.ForeignKey(
        "accounts.User", verbose_name=_("持证人"), on_delete=models.PROTECT, related_name="certificates"
    )
    holder_name = models.CharField(_("姓名"), max_length=64)
    employer = models.ForeignKey(
        "accounts.Organization", verbose_name=_("发证时所在单位"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="employee_certificates",
    )
    kind = models.ForeignKey(CertificateKind, verbose_name=_("证书种类"), on_delete=models.PROTECT, related_name="certificates")
    operation_item = models.ForeignKey(
        OperationItem, verbose_name=_("操作项目"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="certificates",
    )
    rule_version = models.ForeignKey(RuleVersion, verbose_name=_("规则版本"), on_delete=models.PROTECT, related_name="certificates")
    issuing_authority = models.CharField(_("发证机关"), max_length=128)
    issued_by_org = models.ForeignKey(
        "accounts.Organization", verbose_name=_("签发单位"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="issued_certificates",
    )
    first_issued_on = models.DateField(_("初领日期"))
    valid_from = models.DateField(_("有效期开始"))
    valid_until = models.DateField(_("有效期结束"))
    next_review_due = models.DateField(_("应复审日期"), null=True, blank=True)
    last_reviewed_on = models.DateField(_("实际复审日期"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.ACTIVE)
    state_category = models.CharField(
        _("暂扣/撤销类别"), max_length=16, choices=StateCategory.choices, blank=True,
        help_text=_("公开查验页只显示此类别，不显示具体原因。"),
    )
    state_reason = models.TextField(_("状态变更原因"), blank=True, help_text=_("仅内部可见，记入变更记录。"))
    state_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.ISSUED)
    registration = models.OneToOneField(
        "exams.Registration", verbose_name=_("考试报名"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="certificate", help_text=_("据以发证的考试成绩；每个合格成绩只发一张证书。"),
    )
    revision = models.PositiveIntegerField(_("版本"), default=1)
    pdf = models.FileField(_("证书PDF"), upload_to="certificates/%Y/", blank=True)
    pdf_revision = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-first_issued_on", "-id"]
        verbose_name = _("证书")
        verbose_name_plural = _("证书")
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gt=models.F("valid_from")), name="certificate_validity_positive"),
            models.CheckConstraint(
                condition=~Q(state="revoked") | ~Q(state_reason=""), name="certificate_revocation_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(state="active") | ~Q(state_category=""), name="certificate_state_change_has_category"
            ),
        ]
        # updated_at: the public index's periodic sync reads the certificates changed since its last run
        indexes = [models.Index(fields=["valid_until"]), models.Index(fields=["next_review_due"]),
                   models.Index(fields=["updated_at"])]

    def __str__(self) -> str:
        return f"{self.number} {self.kind.name}"

    # -- personal data -------------------------------------------------------------------
    @property
    def national_number(self) -> str:
        from accounts import pii

        return pii.decrypt(self.national_number_encrypted)

    def set_national_number(self, id_number: str) -> None:
        from accounts import pii

        value = f"T{id_number}" if id_number else ""
        self.national_number_encrypted = pii.encrypt(value)
        self.national_number_hash = pii.keyed_hash(value) if value else ""

    @property
    def masked_national_number(self) -> str:
        from accounts import pii

        return pii.mask_id(self.national_number)

    @property
    def masked_holder_id(self) -> str:
        """The holder's ID number as recorded on the certificate when issued, masked."""
        from accounts import pii

        number = self.national_number
        return pii.mask_id(number[1:] if number.startswith("T") else number)

    @property
    def public_national_number(self) -> str:
        """The national number as public surfaces show it (region code and birth year only)."""
        from accounts import pii

        return pii.mask_id_public(self.national_number)

    @property
    def public_holder_id(self) -> str:
        """The holder's ID number as public surfaces show it (region code and birth year only)."""
        from accounts import pii

        number = self.national_number
        return pii.mask_id_public(number[1:] if number.startswith("T") else number)

    @property
    def masked_holder_name(self) -> str:
        from accounts import pii

        return pii.mask_name(self.holder_name)

    # -- live status -----------------------------------------------------------------------
    def status_on(self, on: dt.date | None = None) -> str:
        from django.utils import timezone

        return live_status(self.state, self.valid_from, self.valid_until, self.next_review_due,
                           self.review_window_starts, on or timezone.localdate())

    @property
    def review_window_starts(self) -> dt.date | None:
        """The first day the certificate shows "review due" (the kind's window before the due date)."""
        if not self.next_review_due:
            return None
        return self.next_review_due - dt.timedelta(days=self.kind.review_window_days)

    @property
    def status(self) -> str:
        return self.status_on()

    @property
    def status_label(self) -> str:
        return str(LiveStatus(self.status).label)

    @property
    def status_tone(self) -> str:
        status = self.status
        if status == LiveStatus.VALID:
            return "ok"
        if status == LiveStatus.REVIEW_DUE:
            return "warn"
        return "bad"

    @property
    def is_good(self) -> bool:
        return self.status in GOOD_STATUSES

    @property
    def operation_label(self) -> str:
        if self.operation_item_id:
            return f"{self.operation_item.category.name} · {self.operation_item.name}"
        return ""


class CertificateReview(models.Model):
    """A holder's application for the periodic review (复审) and the officer's decision."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("未通过")

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("证书"))
    applicant = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人"))
    applied_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    due_date = models.DateField(_("应复审日期"))
    refresher_hours = models.DecimalField(_("复审培训学时"), max_digits=6, decimal_places=1, default=0)
    checks = models.JSONField(_("规则检查"), default=list)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("审核人")
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审核意见"), blank=True)

    class Meta:
        ordering = ["-applied_at", "-id"]
        verbose_name = _("复审申请")
        verbose_name_plural = _("复审申请")
        constraints = [
            models.UniqueConstraint(
                fields=["certificate"], condition=Q(status="pending"), name="one_pending_review_per_certificate"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certificate.number} · {self.get_status_display()}"


class Reminder(models.Model):
    """One reminder sent for one certificate date to one person. The unique constraint makes the
    reminder job idempotent: a doubled or re-run beat never sends the same reminder twice."""

    class Kind(models.TextChoices):
        REVIEW = "review", _("复审提醒")
        EXPIRY = "expiry", _("到期提醒")

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    due_date = models.DateField(_("到期日"))
    days_before = models.PositiveSmallIntegerField(_("提前天数"))
    recipient = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="certificate_reminders")
    sent_at = models.DateTimeField(auto_now_add=True)
    delivered = models.BooleanField(default=False)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("证书提醒")
        verbose_name_plural = _("证书提醒")
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "kind", "due_date", "days_before", "recipient"], name="unique_certificate_reminder"
            ),
        ]


class VerificationLog(models.Model):
    """Every public verification: what was asked (masked), from where (hashed), and what was found."""

    class Channel(models.TextChoices):
        CODE = "code", _("查验码")
        QR = "qr", _("二维码")
        NAME_NUMBER = "name_number", _("姓名+证号")
        API = "api", _("接口")
        COMMAND = "command", _("命令行")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    query = models.CharField(_("查询内容（已脱敏）"), max_length=128, blank=True)
    certificate = models.ForeignKey(Certificate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    found = models.BooleanField(default=False)
    status = models.CharField(max_length=16, blank=True)
    signature = models.CharField(max_length=8, blank=True)
    client = models.CharField(_("客户端摘要"), max_length=16, blank=True)
    rate_limited = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("查验记录")
        verbose_name_plural = _("查验记录")


class RosterCheck(models.Model):
    """One roster check by an enterprise: per-row results (masked) and a summary."""

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="roster_checks"
    )
    source_name = models.CharField(_("文件名"), max_length=255, blank=True)
    channel = models.CharField(max_length=8, default="upload")
    row_count = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, encoder=UnicodeJSONEncoder)
    results = models.JSONField(default=list, encoder=UnicodeJSONEncoder)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("持证核查")
        verbose_name_plural = _("持证核查")


class CertificateBatch(models.Model):
    """A batch job (issuance or PDF rendering) whose progress is shown as a bar."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("处理中")
        DONE = "done", _("已完成")

    class Action(models.TextChoices):
        RENDER = "render", _("生成证书PDF")
        ISSUE = "issue", _("批量发证")

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.RENDER)
    item_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("批量任务")
        verbose_name_plural = _("批量任务")

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * (self.done + self.failed) / self.total)


class TrainingFile(models.Model):
    """A person's training file (培训档案) PDF as issued: what it states (``fields``, signed into
    ``payload`` with the certificates' key) and the SHA-256 digest of the PDF bytes with its own
    signature, so a copy can be checked at ``/verify/training-file/<code>/``. The PDF itself is not
    kept (it is rendered again for a new download, with a new code)."""

    code = models.CharField(_("查验码"), max_length=16, unique=True)
    person = models.ForeignKey("accounts.User", verbose_name=_("本人"), on_delete=models.CASCADE,
                               related_name="training_files")
    issued_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    issued_by = models.ForeignKey("accounts.User", verbose_name=_("生成人"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    fields = models.JSONField(_("档案摘要"), default=dict)
    payload = models.TextField(_("签名数据"))
    sha256 = models.CharField(_("文件摘要（SHA-256）"), max_length=64, blank=True)
    digest_signature = models.TextField(_("摘要签名"), blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("培训档案")
        verbose_name_plural = _("培训档案")

    def __str__(self) -> str:
        return f"{self.code} · {self.issued_at:%Y-%m-%d}"
