from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.storage import encrypted_storage

from . import pii
from .roles import EXAMINING_ROLES, ROLE_KIND, TRAINING_ROLES, OrgKind, Role
from .validators import id_birth_date, id_gender, validate_credit_code, validate_id_number


class Region(models.Model):
    """Administrative division (行政区划), identified by its 6-digit GB/T 2260 code."""

    code = models.CharField(_("行政区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def prefix(self) -> str:
        return region_prefix(self.code)


def region_prefix(code: str) -> str:
    """440000 → '44' (province), 440700 → '4407' (city), 440703 → '440703' (county)."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


class Industry(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("行业"), max_length=64, unique=True)
    high_risk = models.BooleanField(
        _("高危行业"), default=False,
        help_text=_("矿山、危险化学品、烟花爆竹、金属冶炼等，培训学时要求更高。"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("行业")
        verbose_name_plural = _("行业")

    def __str__(self) -> str:
        return self.name


class HazardTag(models.Model):
    """Hazard characteristics an enterprise carries (粉尘涉爆, 涉氨制冷, 有限空间 …)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("风险特征"), max_length=64, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("风险特征标签")
        verbose_name_plural = _("风险特征标签")

    def __str__(self) -> str:
        return self.name


class ProcessTag(models.Model):
    """Equipment and process tags, used to push warning cases to similar enterprises."""

    class Kind(models.TextChoices):
        EQUIPMENT = "equipment", _("设备")
        PROCESS = "process", _("工艺")

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("设备/工艺标签")
        verbose_name_plural = _("设备/工艺标签")

    def __str__(self) -> str:
        return self.name


class Organization(models.Model):
    kind = models.CharField(_("类型"), max_length=16, choices=OrgKind.choices, db_index=True)
    name = models.CharField(_("名称"), max_length=128)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, null=True, blank=True,
        validators=[validate_credit_code],
    )
    region = models.ForeignKey(Region, verbose_name=_("所在地区"), on_delete=models.PROTECT, related_name="organizations")
    industry = models.ForeignKey(Industry, verbose_name=_("行业"), null=True, blank=True, on_delete=models.PROTECT)
    hazard_tags = models.ManyToManyField(HazardTag, verbose_name=_("风险特征"), blank=True, related_name="organizations")
    process_tags = models.ManyToManyField(ProcessTag, verbose_name=_("设备/工艺"), blank=True, related_name="organizations")
    address = models.CharField(_("地址"), max_length=255, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="enterprise") | models.Q(credit_code__isnull=False),
                name="enterprise_has_credit_code",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == OrgKind.ENTERPRISE and not self.credit_code:
            raise ValidationError({"credit_code": _("企业必须填写统一社会信用代码。")})
        if self.credit_code:
            self.credit_code = validate_credit_code(self.credit_code)


class AnxunUserManager(UserManager):
    def by_id_number(self, id_number: str):
        return self.filter(id_number_hash=pii.keyed_hash(id_number))


class User(AbstractUser):
    real_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    id_number_encrypted = models.TextField(_("身份证号（加密）"), blank=True, editable=False)
    id_number_hash = models.CharField(
        _("身份证号检索摘要"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    photo = models.ImageField(_("照片"), upload_to="photos/%Y/", blank=True, storage=encrypted_storage)
    identity_verified = models.BooleanField(_("已核验身份"), default=False)

    objects = AnxunUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.real_name or self.username

    @property
    def display_name(self) -> str:
        return self.real_name or self.username

    @property
    def id_number(self) -> str:
        """Decrypted ID number. Show it only through ``accounts.pii`` / the ``show_id`` tag."""
        return pii.decrypt(self.id_number_encrypted)

    def set_id_number(self, value: str) -> None:
        if not value:
            self.id_number_encrypted = ""
            self.id_number_hash = None
            return
        number = validate_id_number(value)
        self.id_number_encrypted = pii.encrypt(number)
        self.id_number_hash = pii.keyed_hash(number)

    @property
    def masked_id_number(self) -> str:
        return pii.mask_id(self.id_number)

    @property
    def masked_name(self) -> str:
        return pii.mask_name(self.display_name)

    @property
    def birth_date(self) -> dt.date | None:
        number = self.id_number
        return id_birth_date(number) if number else None

    @property
    def gender(self) -> str:
        number = self.id_number
        return id_gender(number) if number else ""


class Membership(models.Model):
    """A user's role in an organisation. A user may hold several roles in several organisations."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    is_active = models.BooleanField(_("有效"), default=True)
    since = models.DateField(_("起始日期"), null=True, blank=True)
    ended_on = models.DateField(_("离职日期"), null=True, blank=True)
    end_reason = models.CharField(_("离职原因"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("任职")
        verbose_name_plural = _("任职")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="unique_membership_role"),
        ]
        indexes = [
            models.Index(fields=["organization", "role", "is_active"]),
            # "does this person hold that role?" — asked per person by scopes and per-enterprise figures
            models.Index(fields=["user", "role", "is_active"], name="accounts_mem_user_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.get_role_display()}"

    def clean(self) -> None:
        expected = ROLE_KIND.get(self.role)
        if expected and self.organization_id and self.organization.kind != expected:
            raise ValidationError(
                {"role": _("角色“%(role)s”只能属于%(kind)s。") % {
                    "role": self.get_role_display(), "kind": OrgKind(expected).label}}
            )
        conflict = None if self._unchanged_active() else self.separation_conflict()
        if conflict is not None:
            raise ValidationError({"role": _(
                "考培分离：%(person)s 已是%(org)s的“%(other)s”，不能同时担任“%(role)s”。"
                "培训讲师不得兼任命题人员、监考人员或实操考评员；请先撤销另一项任职。") % {
                "person": self.user.display_name, "org": conflict.organization.name,
                "other": conflict.get_role_display(), "role": self.get_role_display()}})

    def _unchanged_active(self) -> bool:
        """True when this membership is already saved, active, with this person and role: a conflict
        it has from before the rule is listed for the staff (考培分离核查), not a reason to refuse
        saving other changes, e.g. revoking the other membership in the same admin form."""
        if not self.pk:
            return False
        return Membership.objects.filter(pk=self.pk, user_id=self.user_id, role=self.role, is_active=True).exists()

    def separation_conflict(self) -> "Membership | None":
        """The person's other active membership that this one would break 考培分离 with (an
        instructor who would also write items, proctor or examine practicals, or the other way
        round), or None. Inactive memberships conflict with nothing."""
        if not self.is_active or not self.user_id:
            return None
        if self.role in TRAINING_ROLES:
            others = EXAMINING_ROLES
        elif self.role in EXAMINING_ROLES:
            others = TRAINING_ROLES
        else:
            return None
        return (Membership.objects.filter(user_id=self.user_id, role__in=others, is_active=True)
                .exclude(pk=self.pk).select_related("organization").order_by("pk").first())


# --------------------------------------------------------------------------- identity review
# Services and selectors: accounts/identity.py. Files live under a private path and are served only
# through core.protected_files.serve_protected after the scope check.


def _identity_file_path(instance, filename: str) -> str:
    import uuid

    from django.utils import timezone

    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"private/identity/{timezone.localdate():%Y}/{uuid.uuid4().hex}.{ext}"


class PersonalInfoConsent(models.Model):
    """Consent to process personal information (个人信息保护法), recorded before any ID photo is accepted.
    ``text_version`` names the text that was shown (accounts.identity.CONSENT_TEXTS)."""

    person = models.ForeignKey(User, verbose_name=_("本人"), on_delete=models.CASCADE, related_name="pi_consents")
    purpose = models.CharField(_("用途"), max_length=32, default="identity")
    text_version = models.CharField(_("告知文本版本"), max_length=32)
    on_behalf = models.BooleanField(_("由单位代为上传"), default=False)
    given_by = models.ForeignKey(User, verbose_name=_("确认人"), on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField(_("同意时间"), auto_now_add=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)

    class Meta:
        ordering = ["-given_at"]
        verbose_name = _("个人信息处理同意")
        verbose_name_plural = _("个人信息处理同意")

    def __str__(self) -> str:
        return f"{self.person} · {self.text_version}"


class IdentitySubmission(models.Model):
    """ID card (both sides) and a recent portrait, awaiting or carrying a reviewer's decision.
    The portrait stays its own file with the decision (used later for face matching)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待核验")
        VERIFIED = "verified", _("已核验")
        REJECTED = "rejected", _("已退回")

    person = models.ForeignKey(User, verbose_name=_("本人"), on_delete=models.CASCADE, related_name="identity_submissions")
    id_front = models.ImageField(_("身份证人像面"), upload_to=_identity_file_path, storage=encrypted_storage)
    id_back = models.ImageField(_("身份证国徽面"), upload_to=_identity_file_path, storage=encrypted_storage)
    portrait = models.ImageField(_("近期免冠照片"), upload_to=_identity_file_path, storage=encrypted_storage)
    consent = models.ForeignKey(PersonalInfoConsent, verbose_name=_("个人信息处理同意"), on_delete=models.PROTECT,
                                related_name="submissions")
    submitted_by = models.ForeignKey(User, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("上传时间"), auto_now_add=True, db_index=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    reviewer = models.ForeignKey(User, verbose_name=_("核验人"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    reviewed_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    reason = models.TextField(_("退回原因"), blank=True)
    # What the reviewer compared the photos with (the name and ID number held at that moment).
    reviewed_name = models.CharField(_("核验时姓名"), max_length=64, blank=True)
    reviewed_id_number_encrypted = models.TextField(_("核验时身份证号（加密）"), blank=True, editable=False)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("身份核验材料")
        verbose_name_plural = _("身份核验材料")
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=models.Q(status="pending"),
                                    name="one_pending_identity_submission"),
            models.CheckConstraint(condition=~models.Q(status="rejected") | ~models.Q(reason=""),
                                   name="identity_rejection_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_status_display()}"

    @property
    def reviewed_id_number(self) -> str:
        return pii.decrypt(self.reviewed_id_number_encrypted)
class PersonOperation(models.Model):
    """An operation item (操作项目) a person does in an enterprise: what the roster checks their
    special-operation certificate against. Kept when employment ends (the membership says so)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="operations")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="person_operations")
    operation_item = models.ForeignKey("catalogue.OperationItem", verbose_name=_("操作项目"), on_delete=models.PROTECT,
                                       related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("从事的操作项目")
        verbose_name_plural = _("从事的操作项目")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "operation_item"], name="unique_person_operation"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.operation_item}"


class Invitation(models.Model):
    """A one-time invitation to activate an account: a 6-digit code and a link token, both stored
    hashed only. Used once, expires, and is void after a few wrong codes or when a new one is sent."""

    class Channel(models.TextChoices):
        SMS = "sms", _("短信")
        EMAIL = "email", _("电子邮件")
        NONE = "none", _("未发送（无联系方式）")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(_("发送方式"), max_length=8, choices=Channel.choices)
    code_salt = models.CharField(max_length=32, editable=False)
    code_hash = models.CharField(max_length=64, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)
    expires_at = models.DateTimeField(_("有效期至"))
    used_at = models.DateTimeField(_("激活时间"), null=True, blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("激活邀请")
        verbose_name_plural = _("激活邀请")
        indexes = [models.Index(fields=["user", "used_at", "voided_at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d}"

    def is_open(self, now=None) -> bool:
        from django.utils import timezone

        return self.used_at is None and self.voided_at is None and self.expires_at > (now or timezone.now())
class EnterpriseApplication(models.Model):
    """An enterprise's self-registration (企业入驻申请), waiting for the bureau of its region.

    The enterprise itself (``Organization``) is created only when the bureau approves, so a pending
    or returned application never appears in lists, reports or warning pushes. The applicant's
    account exists from the start; their enterprise-admin membership is granted on approval."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        RETURNED = "returned", _("已退回")
        APPROVED = "approved", _("已通过")
        WITHDRAWN = "withdrawn", _("已撤回")

    OPEN = (Status.PENDING, Status.RETURNED)

    applicant = models.ForeignKey(User, verbose_name=_("申请人"), on_delete=models.CASCADE,
                                  related_name="enterprise_applications")
    name = models.CharField(_("企业名称"), max_length=128)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, validators=[validate_credit_code])
    region = models.ForeignKey(Region, verbose_name=_("所在地区"), on_delete=models.PROTECT, related_name="+")
    industry = models.ForeignKey(Industry, verbose_name=_("行业"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    hazard_tags = models.ManyToManyField(HazardTag, verbose_name=_("风险特征"), blank=True, related_name="+")
    process_tags = models.ManyToManyField(ProcessTag, verbose_name=_("设备/工艺"), blank=True, related_name="+")
    address = models.CharField(_("地址"), max_length=255, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    return_reason = models.TextField(_("退回原因"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))
    reviewed_by = models.ForeignKey(User, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    organization = models.ForeignKey(Organization, verbose_name=_("企业"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("企业入驻申请")
        verbose_name_plural = _("企业入驻申请")
        constraints = [
            models.UniqueConstraint(fields=["credit_code"], condition=models.Q(status__in=["pending", "returned"]),
                                    name="unique_open_enterprise_application"),
        ]
        indexes = [models.Index(fields=["status", "region"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_status_display()}）"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN
