"""Enterprises joining the platform: self-registration, the bureau's review, the bureau's register
import and edits. Every rule here is the one path used by the pages and the import alike.

* An application carries the enterprise's data; the ``Organization`` is created only on approval,
  together with the applicant's enterprise-admin membership.
* A unified social credit code belongs to one enterprise: it is refused when an enterprise already
  holds it or another application with it is still open (pending or returned).
* Only bureau staff whose region (division-code prefix) covers the enterprise's region review,
  import or edit it; ``REVIEW_ROLES`` act, every bureau role may look.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record, client_ip
from core.notify import notify
from core.tables import cell_text

from .models import EnterpriseApplication, HazardTag, Industry, Organization, ProcessTag, Region, User
from .models import region_prefix
from .roles import OrgKind, Role
from .selectors import memberships_of
from .validators import validate_credit_code, validate_phone

REVIEW_ROLES = frozenset({Role.BUREAU_EDITOR, Role.BUREAU_PUBLISHER})
NOTIFY_KIND = "enterprise_join"


@dataclass
class EnterpriseData:
    """What an enterprise is: the fields the sign-up, the review, the import and the edit share."""

    name: str
    credit_code: str
    region: Region | None
    industry: Industry | None = None
    hazard_tags: list[HazardTag] = field(default_factory=list)
    process_tags: list[ProcessTag] = field(default_factory=list)
    address: str = ""

    @classmethod
    def of(cls, obj) -> EnterpriseData:
        """The data of an Organization or an EnterpriseApplication."""
        return cls(name=obj.name, credit_code=obj.credit_code or "", region=obj.region, industry=obj.industry,
                   hazard_tags=list(obj.hazard_tags.all()), process_tags=list(obj.process_tags.all()),
                   address=obj.address)

    def snapshot(self) -> dict:
        """For the audit log."""
        return {"name": self.name, "credit_code": self.credit_code,
                "region": self.region.code if self.region else None,
                "industry": self.industry.code if self.industry else None,
                "hazard_tags": sorted(t.code for t in self.hazard_tags),
                "process_tags": sorted(t.code for t in self.process_tags), "address": self.address}


# ------------------------------------------------------------------------------------------------
# Scope
# ------------------------------------------------------------------------------------------------


def _prefixes(user, roles) -> set[str]:
    return {region_prefix(m.organization.region_id) for m in memberships_of(user)
            if m.role in roles and m.organization.kind == OrgKind.BUREAU}


def review_prefixes(user) -> set[str]:
    """Region prefixes in which this user may approve, return, import and edit enterprises."""
    return _prefixes(user, REVIEW_ROLES)


def may_review_region(user, region_code: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return any(region_code.startswith(p) for p in review_prefixes(user))


def may_review_anything(user) -> bool:
    return getattr(user, "is_authenticated", False) and (user.is_superuser or bool(review_prefixes(user)))


def _bureau_reviewers(region_code: str) -> QuerySet[User]:
    """Reviewers of the bureaus whose region covers this code (province, city and county)."""
    codes = {region_code[:2] + "0000", region_code[:4] + "00", region_code}
    return User.objects.filter(
        memberships__organization__kind=OrgKind.BUREAU, memberships__organization__region_id__in=codes,
        memberships__organization__is_active=True, memberships__role__in=REVIEW_ROLES,
        memberships__is_active=True, is_active=True).distinct()


# ------------------------------------------------------------------------------------------------
# Validation: one place for every path
# ------------------------------------------------------------------------------------------------


def clean_enterprise_data(data: EnterpriseData, *, organization: Organization | None = None,
                          application: EnterpriseApplication | None = None, by_bureau: bool = False) -> EnterpriseData:
    """Normalise and check the data; ValidationError keyed by field with Chinese messages.

    ``organization`` / ``application``: the record being edited, which may keep its own code.
    ``by_bureau``: the bureau itself registers or edits the enterprise; only an application still
    waiting for review stands in its way (a returned one does not hold the code against the bureau)."""
    errors: dict[str, list[str]] = {}
    data.name = " ".join(str(data.name or "").split())
    data.address = " ".join(str(data.address or "").split())
    if not data.name:
        errors.setdefault("name", []).append(_("请填写企业名称。"))
    elif len(data.name) > 128:
        errors.setdefault("name", []).append(_("企业名称不能超过128个字。"))
    if len(data.address) > 255:
        errors.setdefault("address", []).append(_("地址不能超过255个字。"))
    if data.region is None:
        errors.setdefault("region", []).append(_("请选择所在地区。"))
    if not str(data.credit_code or "").strip():
        errors.setdefault("credit_code", []).append(_("请填写统一社会信用代码。"))
    else:
        try:
            data.credit_code = validate_credit_code(data.credit_code)
        except ValidationError as exc:
            errors.setdefault("credit_code", []).extend(exc.messages)
        else:
            message = duplicate_credit_code_message(data.credit_code, organization=organization,
                                                    application=application, by_bureau=by_bureau)
            if message:
                errors.setdefault("credit_code", []).append(message)
    if errors:
        raise ValidationError(errors)
    return data


def duplicate_credit_code_message(code: str, *, organization=None, application=None, by_bureau: bool = False) -> str:
    """Why this (valid, normalised) code cannot be registered again, or ''."""
    existing = Organization.objects.filter(credit_code=code)
    if organization is not None:
        existing = existing.exclude(pk=organization.pk)
    holder = existing.only("name").first()
    if holder is not None:
        return _("统一社会信用代码 %(code)s 已登记为“%(name)s”，不能重复登记。"
                 "如果您是该企业的员工，请联系该企业的管理员为您开通账号。") % {"code": code, "name": holder.name}
    statuses = [EnterpriseApplication.Status.PENDING] if by_bureau else list(EnterpriseApplication.OPEN)
    open_apps = EnterpriseApplication.objects.filter(credit_code=code, status__in=statuses)
    if application is not None:
        open_apps = open_apps.exclude(pk=application.pk)
    if open_apps.exists():
        if by_bureau:
            return _("统一社会信用代码 %(code)s 有一份待审核的入驻申请，请先在“企业入驻审核”中处理该申请。") % {"code": code}
        return _("统一社会信用代码 %(code)s 已有入驻申请正在办理，不能重复申请。") % {"code": code}
    return ""


def _set_data(obj, data: EnterpriseData) -> None:
    obj.name = data.name
    obj.credit_code = data.credit_code
    obj.region = data.region
    obj.industry = data.industry
    obj.address = data.address


def _save_unique(obj, code: str) -> None:
    """Save, turning a lost race on the credit code (two submissions at once) into the clear message."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ValidationError({"credit_code": [
            duplicate_credit_code_message(code) or _("统一社会信用代码 %(code)s 已被登记。") % {"code": code}]}) from None


# ------------------------------------------------------------------------------------------------
# Self-registration
# ------------------------------------------------------------------------------------------------


@dataclass
class ApplicantData:
    username: str
    password: str
    real_name: str
    phone: str
    email: str = ""


def clean_applicant(person: ApplicantData) -> ApplicantData:
    errors: dict[str, list[str]] = {}
    person.username = str(person.username or "").strip()
    person.real_name = " ".join(str(person.real_name or "").split())
    person.email = str(person.email or "").strip()
    if not person.real_name:
        errors.setdefault("real_name", []).append(_("请填写您的姓名。"))
    try:
        person.phone = validate_phone(person.phone)
    except ValidationError as exc:
        errors.setdefault("phone", []).extend(exc.messages)
    if not person.username:
        errors.setdefault("username", []).append(_("请填写用户名。"))
    elif not re.fullmatch(r"[A-Za-z0-9_.@+-]{3,150}", person.username):
        errors.setdefault("username", []).append(_("用户名只能使用3个以上的字母、数字和 _ . @ + - 符号。"))
    elif User.objects.filter(username__iexact=person.username).exists():
        errors.setdefault("username", []).append(_("用户名“%(u)s”已被使用，请换一个。") % {"u": person.username})
    try:
        validate_password(person.password, User(username=person.username, email=person.email,
                                                real_name=person.real_name))
    except ValidationError as exc:
        errors.setdefault("password", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return person


def join_allowed(request) -> bool:
    """Count one sign-up submission from this client address; False once over the hourly limit."""
    window = 3600
    address = hashlib.sha256((client_ip(request) or "unknown").encode()).hexdigest()[:32]
    key = f"enterprise-join:ip:{address}"
    if cache.add(key, 1, window):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:
            cache.set(key, 1, window)
            count = 1
    return count <= settings.ANXUN_ENTERPRISE_JOIN_PER_ADDRESS


@transaction.atomic
def enterprise_apply(*, data: EnterpriseData, applicant: User | None = None, person: ApplicantData | None = None,
                     request=None) -> EnterpriseApplication:
    """Register an enterprise for review. Either ``applicant`` (a signed-in user) or ``person`` (a new
    account, created here with the application) is given. Nothing is written when anything is wrong."""
    errors: dict[str, list[str]] = {}
    try:
        data = clean_enterprise_data(data)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if applicant is None:
        if person is None:
            raise ValueError("an applicant or the data of a new account is needed")
        try:
            person = clean_applicant(person)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    elif EnterpriseApplication.objects.filter(applicant=applicant, status__in=EnterpriseApplication.OPEN).exists():
        errors.setdefault("__all__", []).append(_("您已有一份入驻申请正在办理，请等待审核结果或修改被退回的申请。"))
    if errors:
        raise ValidationError(errors)
    if applicant is None:
        from .services import user_create

        applicant = user_create(username=person.username, password=person.password, real_name=person.real_name,
                                phone=person.phone, email=person.email)
    application = EnterpriseApplication(applicant=applicant, submitted_at=timezone.now())
    _set_data(application, data)
    _save_unique(application, data.credit_code)
    application.hazard_tags.set(data.hazard_tags)
    application.process_tags.set(data.process_tags)
    audit_record(actor=applicant, action="enterprise.apply", target=application, after=data.snapshot(),
                 request=request)
    _tell_bureau(application)
    return application


def _tell_bureau(application: EnterpriseApplication) -> None:
    notify(list(_bureau_reviewers(application.region_id)), title=_("新的企业入驻申请：%(name)s") % {"name": application.name},
           body=_("统一社会信用代码 %(code)s，请审核。") % {"code": application.credit_code},
           url=reverse("accounts:enterprise_application", args=[application.pk]), kind=NOTIFY_KIND)


@transaction.atomic
def enterprise_application_resubmit(*, application: EnterpriseApplication, actor: User, data: EnterpriseData,
                                    request=None) -> EnterpriseApplication:
    """The applicant corrects a returned application and sends it again."""
    application = EnterpriseApplication.objects.select_for_update().get(pk=application.pk)
    if application.applicant_id != actor.pk:
        raise ValidationError(_("只有申请人本人可以修改这份申请。"))
    if application.status != EnterpriseApplication.Status.RETURNED:
        raise ValidationError(_("只有被退回的申请可以修改后重新提交。"))
    before = EnterpriseData.of(application).snapshot()
    data = clean_enterprise_data(data, application=application)
    _set_data(application, data)
    application.status = EnterpriseApplication.Status.PENDING
    application.submitted_at = timezone.now()
    _save_unique(application, data.credit_code)
    application.hazard_tags.set(data.hazard_tags)
    application.process_tags.set(data.process_tags)
    audit_record(actor=actor, action="enterprise.resubmit", target=application, before=before,
                 after=data.snapshot(), request=request)
    _tell_bureau(application)
    return application


@transaction.atomic
def enterprise_application_withdraw(*, application: EnterpriseApplication, actor: User,
                                    request=None) -> EnterpriseApplication:
    """The applicant withdraws a pending or returned application; its credit code is free again."""
    application = EnterpriseApplication.objects.select_for_update().get(pk=application.pk)
    if application.applicant_id != actor.pk:
        raise ValidationError(_("只有申请人本人可以撤回这份申请。"))
    if not application.is_open:
        raise ValidationError(_("这份申请已经处理完毕，不能撤回。"))
    before = application.status
    application.status = EnterpriseApplication.Status.WITHDRAWN
    application.save(update_fields=["status"])
    audit_record(actor=actor, action="enterprise.withdraw", target=application, before={"status": before},
                 after={"status": application.status}, request=request)
    return application


# ------------------------------------------------------------------------------------------------
# Review
# ------------------------------------------------------------------------------------------------


def _lock_for_review(application: EnterpriseApplication, actor) -> EnterpriseApplication:
    application = EnterpriseApplication.objects.select_for_update().select_related("applicant").get(pk=application.pk)
    if not may_review_region(actor, application.region_id):
        raise ValidationError(_("这份申请不在您所在监管部门的辖区内，无权审核。"))
    if application.status != EnterpriseApplication.Status.PENDING:
        raise ValidationError(_("这份申请已经处理过（当前状态：%(s)s）。") % {"s": application.get_status_display()})
    return application


@transaction.atomic
def enterprise_application_approve(*, application: EnterpriseApplication, actor: User,
                                   request=None) -> Organization:
    """Create the enterprise and make the applicant its administrator; tell the applicant."""
    from .services import membership_grant

    application = _lock_for_review(application, actor)
    data = EnterpriseData.of(application)
    message = duplicate_credit_code_message(data.credit_code, application=application)
    if message:
        raise ValidationError(message)
    organization = _create_enterprise(data, actor=actor, request=request, action="enterprise.create")
    application.status = EnterpriseApplication.Status.APPROVED
    application.reviewed_by = actor
    application.reviewed_at = timezone.now()
    application.organization = organization
    application.return_reason = ""
    application.save(update_fields=["status", "reviewed_by", "reviewed_at", "organization", "return_reason"])
    audit_record(actor=actor, action="enterprise.approve", target=application,
                 before={"status": EnterpriseApplication.Status.PENDING},
                 after={"status": application.status, "organization": organization.pk}, request=request)
    membership_grant(user=application.applicant, organization=organization, role=Role.ENT_ADMIN, actor=actor)
    notify([application.applicant], title=_("企业入驻申请已通过"),
           body=_("“%(name)s”已通过审核，您已成为该企业的管理员，可以登录平台添加本企业人员。") % {"name": organization.name},
           url=reverse("home"), kind=NOTIFY_KIND, sms=True, email=True)
    return organization


@transaction.atomic
def enterprise_application_return(*, application: EnterpriseApplication, actor: User, reason: str,
                                  request=None) -> EnterpriseApplication:
    """Send the application back to the applicant with the reason; they correct and resubmit."""
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("退回时必须填写原因，告诉申请人需要修改什么。")]})
    application = _lock_for_review(application, actor)
    application.status = EnterpriseApplication.Status.RETURNED
    application.return_reason = reason
    application.reviewed_by = actor
    application.reviewed_at = timezone.now()
    application.save(update_fields=["status", "return_reason", "reviewed_by", "reviewed_at"])
    audit_record(actor=actor, action="enterprise.return", target=application,
                 before={"status": EnterpriseApplication.Status.PENDING}, after={"status": application.status},
                 reason=reason, request=request)
    notify([application.applicant], title=_("企业入驻申请被退回"),
           body=_("“%(name)s”的入驻申请被退回，原因：%(reason)s。请登录平台修改后重新提交。") % {
               "name": application.name, "reason": reason},
           url=reverse("accounts:join_status"), kind=NOTIFY_KIND, sms=True, email=True)
    return application


# ------------------------------------------------------------------------------------------------
# Bureau: create (import) and edit
# ------------------------------------------------------------------------------------------------


def _create_enterprise(data: EnterpriseData, *, actor, request=None, action: str) -> Organization:
    organization = Organization(kind=OrgKind.ENTERPRISE)
    _set_data(organization, data)
    _save_unique(organization, data.credit_code)
    organization.hazard_tags.set(data.hazard_tags)
    organization.process_tags.set(data.process_tags)
    audit_record(actor=actor, action=action, target=organization, after=data.snapshot(), request=request)
    return organization


@transaction.atomic
def enterprise_update(*, organization: Organization, actor: User, data: EnterpriseData,
                      request=None) -> Organization:
    """Bureau staff correct an enterprise's data (within their region); audited before and after."""
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if organization.kind != OrgKind.ENTERPRISE:
        raise ValidationError(_("只能修改企业的信息。"))
    if not may_review_region(actor, organization.region_id):
        raise ValidationError(_("这家企业不在您所在监管部门的辖区内，无权修改。"))
    before = EnterpriseData.of(organization).snapshot()
    data = clean_enterprise_data(data, organization=organization, by_bureau=True)
    if not may_review_region(actor, data.region.code):
        raise ValidationError({"region": [_("只能选择您所在监管部门辖区内的地区。")]})
    after = data.snapshot()
    if before == after:
        return organization
    _set_data(organization, data)
    _save_unique(organization, data.credit_code)
    organization.hazard_tags.set(data.hazard_tags)
    organization.process_tags.set(data.process_tags)
    changed = [k for k in after if before[k] != after[k]]
    audit_record(actor=actor, action="enterprise.update", target=organization,
                 before={k: before[k] for k in changed}, after={k: after[k] for k in changed}, request=request)
    return organization


# ------------------------------------------------------------------------------------------------
# Import of the bureau's enterprise register
# ------------------------------------------------------------------------------------------------

COLUMN_ALIASES = {
    "name": ("名称", "企业名称", "单位名称", "name"),
    "credit_code": ("统一社会信用代码", "信用代码", "credit_code"),
    "region": ("行政区划代码", "区划代码", "region"),
    "industry": ("行业", "industry"),
    "hazard_tags": ("风险特征", "hazard_tags"),
    "process_tags": ("设备工艺", "设备/工艺", "process_tags"),
    "address": ("地址", "address"),
}
REQUIRED = ("name", "credit_code", "region")
TEMPLATE_HEADER = ["名称", "统一社会信用代码", "行政区划代码", "行业", "风险特征", "设备工艺", "地址"]
_SEPARATORS = re.compile(r"[、,，;；/\n]+")


@dataclass
class ImportReport:
    rows: list[dict] = field(default_factory=list)
    created: list[Organization] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(r["ok"] for r in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if not r["ok"])


def _lookup(objects, text: str):
    key = "".join(text.split())
    for obj in objects:
        if key in (obj.code, obj.name):
            return obj
    return None


def _tags(text: str, objects, label: str, errors: list[str]) -> list:
    found = []
    for part in _SEPARATORS.split(text):
        part = part.strip()
        if not part:
            continue
        obj = _lookup(objects, part)
        if obj is None:
            errors.append(_("%(label)s“%(v)s”不在平台的标签中。") % {"label": label, "v": part})
        elif obj not in found:
            found.append(obj)
    return found


@transaction.atomic
def enterprise_import(*, actor: User, rows: list[dict], dry_run: bool = False, request=None) -> ImportReport:
    """Check every row; when all pass create the enterprises, otherwise create none. Each row is
    checked by the same rules as the sign-up (``clean_enterprise_data``) plus the importer's region."""
    report = ImportReport()
    regions = {r.code: r for r in Region.objects.all()}
    industries = list(Industry.objects.all())
    hazards = list(HazardTag.objects.all())
    processes = list(ProcessTag.objects.all())
    seen: dict[str, int] = {}
    plans: list[EnterpriseData] = []
    if not rows:
        raise ValidationError(_("文件中没有数据行。"))
    for index, row in enumerate(rows, start=2):
        number = row.get("_row", index)
        errors: list[str] = []
        region_text = cell_text(row.get("region"))
        region = regions.get(region_text)
        if not region_text:
            errors.append(_("缺少行政区划代码。"))
        elif region is None:
            errors.append(_("行政区划代码“%(v)s”不存在（应为6位数字，如 440704）。") % {"v": region_text})
        elif not may_review_region(actor, region.code):
            errors.append(_("行政区划代码 %(v)s 不在您所在监管部门的辖区内。") % {"v": region.code})
        industry = None
        industry_text = cell_text(row.get("industry"))
        if industry_text:
            industry = _lookup(industries, industry_text)
            if industry is None:
                errors.append(_("行业“%(v)s”不在平台的行业列表中。") % {"v": industry_text})
        data = EnterpriseData(
            name=cell_text(row.get("name")), credit_code=row.get("credit_code") or "", region=region,
            industry=industry, hazard_tags=_tags(cell_text(row.get("hazard_tags")), hazards, _("风险特征"), errors),
            process_tags=_tags(cell_text(row.get("process_tags")), processes, _("设备工艺"), errors),
            address=cell_text(row.get("address")))
        try:
            data = clean_enterprise_data(data, by_bureau=True)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                if key == "region" and region_text:
                    continue  # already explained above
                errors.extend(messages)
        code = data.credit_code if isinstance(data.credit_code, str) else ""
        if code and len(code) == 18:
            if code in seen:
                errors.append(_("统一社会信用代码与第 %(n)s 行重复。") % {"n": seen[code]})
            else:
                seen[code] = number
        report.rows.append({"row": number, "name": data.name, "credit_code": cell_text(row.get("credit_code")),
                            "ok": not errors, "messages": errors})
        plans.append(data)
    if not report.ok or dry_run:
        return report
    for data in plans:
        report.created.append(_create_enterprise(data, actor=actor, request=request, action="enterprise.import"))
    audit_record(actor=actor, action="enterprise.import_batch", after={"count": len(report.created)},
                 request=request)
    return report


def template_workbook() -> bytes:
    from core.exports import table_xlsx

    example = ["江门市示例机械有限公司", "91440704MA4UJ5XK2C", "440704", "机械", "粉尘涉爆、有限空间作业",
               "干式除尘器、抛光打磨", "江门市江海区示例路1号"]
    return table_xlsx(TEMPLATE_HEADER, [example], title="企业名册")


__all__ = [
    "REVIEW_ROLES", "EnterpriseData", "ApplicantData", "clean_enterprise_data", "clean_applicant",
    "duplicate_credit_code_message", "join_allowed", "enterprise_apply", "enterprise_application_resubmit",
    "enterprise_application_withdraw",
    "enterprise_application_approve", "enterprise_application_return", "enterprise_update",
    "enterprise_import", "template_workbook", "review_prefixes", "may_review_region", "may_review_anything",
]
