from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import pii
from .roles import ROLE_KIND, OrgKind, Role
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
    photo = models.ImageField(_("照片"), upload_to="photos/%Y/", blank=True)
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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("任职")
        verbose_name_plural = _("任职")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="unique_membership_role"),
        ]
        indexes = [models.Index(fields=["organization", "role", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.get_role_display()}"

    def clean(self) -> None:
        expected = ROLE_KIND.get(self.role)
        if expected and self.organization_id and self.organization.kind != expected:
            raise ValidationError(
                {"role": _("角色“%(role)s”只能属于%(kind)s。") % {
                    "role": self.get_role_display(), "kind": OrgKind(expected).label}}
            )


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
