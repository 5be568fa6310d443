"""Identity review: ID card (both sides) and a recent portrait, confirmed or rejected by staff.

Services (writes, audited) and selectors (reads, scoped) for identity in one module:

* ``identity_submit`` — the person (from 我的账号) or an administrator / safety manager of their
  enterprise (from the person's page) uploads the three photos. The personal-information consent
  (个人信息保护法) shown above the form is recorded first, with the version of its text; without it no
  file is accepted. Files are checked by content (JPEG or PNG, size and pixel limits) and stored
  under a private path with a random name.
* ``identity_confirm`` / ``identity_reject`` — the only code that sets ``User.identity_verified``,
  and the only place an ID number is corrected once entered (audited, masked before/after).
* Reviewers: proctors and certificate officers of an exam centre, and bureau staff, for people of
  enterprises in their organisation's region (administrative-division prefix, like bureau scoping),
  plus whoever an app above registers with ``register_reviewer_scope``. Nobody reviews their own
  submission.
* Photos are served (core.protected_files) to the person, the administrators and safety managers of
  their enterprise, reviewers in scope and the superuser — nobody else.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.audit import audit_record, client_ip
from core.notify import notify

from . import pii
from .models import IdentitySubmission, Membership, PersonalInfoConsent, User, region_prefix
from .roles import BUREAU_ROLES, OrgKind, Role
from .selectors import memberships_of
from .validators import validate_id_number

# Who reviews: exam-centre staff whose work is identity checks and issuing, and bureau staff.
REVIEWER_ROLES = frozenset({Role.PROCTOR, Role.CERT_OFFICER}) | BUREAU_ROLES
# Who may upload for someone else (and see their photos): these roles of the person's enterprise.
UPLOADER_ROLES = frozenset({Role.ENT_ADMIN, Role.SAFETY_MANAGER})

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MIN_IMAGE_SIDE = 200
MAX_IMAGE_PIXELS = 40_000_000
IMAGE_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png")}
FILE_PARTS = ("id_front", "id_back", "portrait")

CONSENT_VERSION = "2026-12"
# Every version ever shown stays here, so the text a person agreed to can be shown again.
CONSENT_TEXTS = {
    "2026-12": {
        "self": _lazy(
            "为核验您的身份（报名考试、发放证书时核对本人），安训平台将收集您的身份证正反面照片和近期免冠照片。"
            "身份证件和人脸图像属于敏感个人信息：仅您本人、您所在单位的管理员和安全生产管理人员、"
            "负责核验的考试中心和监管部门工作人员可以查看；照片加密传输、存放于受控位置，不对外公开。"
            "核验通过的照片将用于考试时的人脸比对。您可以随时要求查阅、更正或删除（删除后需重新核验方可报名考试）。"
            "勾选下方选项即表示您已阅读并单独同意上述处理。"),
        "on_behalf": _lazy(
            "您正在为本单位人员上传身份证正反面照片和近期免冠照片，用于核验其身份（报名考试、发放证书时核对本人）。"
            "身份证件和人脸图像属于敏感个人信息：上传前，您应已向本人告知上述用途和查看范围"
            "（本人、本单位管理员和安全生产管理人员、负责核验的考试中心和监管部门工作人员），并取得其单独同意。"
            "勾选下方选项即表示您确认已取得本人的单独同意。"),
    },
}


def consent_text(version: str = CONSENT_VERSION, *, on_behalf: bool = False) -> str:
    texts = CONSENT_TEXTS.get(version) or CONSENT_TEXTS[CONSENT_VERSION]
    return str(texts["on_behalf" if on_behalf else "self"])


# --------------------------------------------------------------------------- selectors


def _enterprise_ids_of(person) -> QuerySet:
    return Membership.objects.filter(user_id=person.pk, is_active=True,
                                     organization__kind=OrgKind.ENTERPRISE).values("organization_id")


def may_upload_for(user, person) -> bool:
    """The person themself, or an administrator / safety manager of one of the person's enterprises."""
    if not getattr(user, "is_authenticated", False) or person is None:
        return False
    if user.pk == person.pk:
        return True
    managed = {m.organization_id for m in memberships_of(user) if m.role in UPLOADER_ROLES}
    if not managed:
        return False
    return Membership.objects.filter(user_id=person.pk, organization_id__in=managed, is_active=True).exists()


def _reviewer_prefixes(user) -> set[str]:
    """Region prefixes a reviewer covers: a bureau its own division (as in bureau scoping); an exam
    centre at least its whole city (centres serve a prefecture-level city or a province, wherever in
    it their address is)."""
    prefixes = set()
    for m in memberships_of(user):
        if m.role not in REVIEWER_ROLES:
            continue
        prefix = region_prefix(m.organization.region_id)
        if m.organization.kind == OrgKind.EXAM_CENTRE and len(prefix) > 4:
            prefix = prefix[:4]
        prefixes.add(prefix)
    return prefixes


def is_identity_reviewer(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or bool(_reviewer_prefixes(user))


# Apps above accounts may widen a reviewer's scope (e.g. exams: the candidates who applied to the
# reviewer's exam centre, wherever they live). A provider takes the reviewer and returns a queryset
# of user ids (``.values("pk")`` / ``.values("user_id")``) or None.
_scope_providers: list[Callable[[object], QuerySet | None]] = []


def register_reviewer_scope(provider: Callable[[object], QuerySet | None]) -> None:
    if provider not in _scope_providers:
        _scope_providers.append(provider)


def submissions_reviewable_by(user) -> QuerySet[IdentitySubmission]:
    """Submissions (any status) of people of enterprises in the reviewer's region, plus whoever a
    registered scope provider adds; never the reviewer's own."""
    qs = IdentitySubmission.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_superuser:
        return qs.exclude(person_id=user.pk)
    prefixes = _reviewer_prefixes(user)
    if not prefixes:
        return qs.none()
    region_q = Q(pk__in=[])
    for prefix in prefixes:
        region_q |= Q(organization__region__code__startswith=prefix)
    people = Membership.objects.filter(region_q, is_active=True, organization__is_active=True,
                                       organization__kind=OrgKind.ENTERPRISE).values("user_id")
    scope = Q(person_id__in=people)
    for provider in _scope_providers:
        extra = provider(user)
        if extra is not None:
            scope |= Q(person_id__in=extra)
    return qs.filter(scope).exclude(person_id=user.pk)


def identity_review_queue(user) -> QuerySet[IdentitySubmission]:
    """Pending submissions in the reviewer's scope, oldest first."""
    return (submissions_reviewable_by(user).filter(status=IdentitySubmission.Status.PENDING)
            .select_related("person", "submitted_by").order_by("submitted_at", "pk"))


def identity_reviews_waiting(user) -> int:
    """How many submissions wait for this user's review (0 for everyone who does not review)."""
    if not is_identity_reviewer(user):
        return 0
    return identity_review_queue(user).count()


def may_see_identity_files(user, submission: IdentitySubmission) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.pk == submission.person_id:
        return True
    if may_upload_for(user, submission.person):
        return True
    return is_identity_reviewer(user) and submissions_reviewable_by(user).filter(pk=submission.pk).exists()


def latest_submission(person) -> IdentitySubmission | None:
    return IdentitySubmission.objects.filter(person_id=person.pk).select_related("reviewer").first()


def pending_submission(person) -> IdentitySubmission | None:
    return IdentitySubmission.objects.filter(person_id=person.pk, status=IdentitySubmission.Status.PENDING).first()


# --------------------------------------------------------------------------- upload checks


def check_image(upload, *, label: str) -> tuple[str, str]:
    """(extension, content type) of an uploaded photo, judged by its content; ValidationError otherwise."""
    from PIL import Image, UnidentifiedImageError

    if upload is None:
        raise ValidationError(_("请上传%(what)s。") % {"what": label})
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_IMAGE_BYTES:
        raise ValidationError(_("%(what)s过大：每张照片不超过 %(mb)d MB。") % {"what": label, "mb": MAX_IMAGE_BYTES // (1024 * 1024)})
    if not size:
        raise ValidationError(_("%(what)s是空文件。") % {"what": label})
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            fmt = image.format
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ValidationError(_("%(what)s的像素过多，请缩小后再上传。") % {"what": label})
            image.verify()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("%(what)s不是有效的 JPG 或 PNG 图片。") % {"what": label}) from None
    finally:
        upload.seek(0)
    if fmt not in IMAGE_FORMATS:
        raise ValidationError(_("%(what)s不是有效的 JPG 或 PNG 图片。") % {"what": label})
    if min(width, height) < MIN_IMAGE_SIDE:
        raise ValidationError(_("%(what)s太小（至少 %(px)d 像素），请上传清晰的照片。") % {"what": label, "px": MIN_IMAGE_SIDE})
    return IMAGE_FORMATS[fmt]


def content_type_of(fieldfile) -> str:
    name = (fieldfile.name or "").lower()
    return "image/png" if name.endswith(".png") else "image/jpeg"


# --------------------------------------------------------------------------- services


def _labels() -> dict[str, str]:
    return {"id_front": _("身份证人像面"), "id_back": _("身份证国徽面"), "portrait": _("近期免冠照片")}


@transaction.atomic
def identity_submit(*, actor, person: User, files: dict, consent_given: bool, consent_version: str,
                    request=None) -> IdentitySubmission:
    """Record the consent, then accept the three photos as one pending submission (all or nothing)."""
    if not may_upload_for(actor, person):
        raise PermissionDenied
    if not consent_given or consent_version not in CONSENT_TEXTS:
        raise ValidationError({"consent": _("请先阅读并同意个人信息处理说明。")})
    if IdentitySubmission.objects.select_for_update().filter(
            person_id=person.pk, status=IdentitySubmission.Status.PENDING).exists():
        raise ValidationError(_("已有材料在等待核验，请等待核验结果后再上传。"))
    on_behalf = actor.pk != person.pk
    consent = PersonalInfoConsent.objects.create(
        person=person, text_version=consent_version, on_behalf=on_behalf, given_by=actor, ip=client_ip(request))
    audit_record(actor=actor, action="identity.consent", target=person, request=request,
                 after={"version": consent_version, "on_behalf": on_behalf})
    labels = _labels()
    errors, checked = {}, {}
    for part in FILE_PARTS:
        try:
            checked[part] = check_image(files.get(part), label=labels[part])
        except ValidationError as exc:
            errors[part] = exc.messages
    if errors:
        raise ValidationError(errors)
    submission = IdentitySubmission(person=person, consent=consent, submitted_by=actor)
    for part in FILE_PARTS:
        upload = files[part]
        getattr(submission, part).save(f"{part}.{checked[part][0]}", upload, save=False)
    submission.save()
    audit_record(actor=actor, action="identity.submit", target=person, request=request,
                 after={"submission": submission.pk, "on_behalf": on_behalf})
    return submission


def _locked_for_review(reviewer, submission: IdentitySubmission) -> IdentitySubmission:
    if not is_identity_reviewer(reviewer) or not submissions_reviewable_by(reviewer).filter(pk=submission.pk).exists():
        raise PermissionDenied
    locked = IdentitySubmission.objects.select_for_update().select_related("person", "submitted_by").get(pk=submission.pk)
    if locked.status != IdentitySubmission.Status.PENDING:
        raise ValidationError(_("这份材料已经处理过了。"))
    return locked


@transaction.atomic
def identity_confirm(*, reviewer, submission: IdentitySubmission, corrected_id_number: str = "",
                     request=None) -> IdentitySubmission:
    """Confirm the person's identity; optionally correct their ID number at the same time."""
    sub = _locked_for_review(reviewer, submission)
    person = User.objects.select_for_update().get(pk=sub.person_id)
    corrected = (corrected_id_number or "").strip()
    if corrected:
        try:
            number = validate_id_number(corrected)
        except ValidationError as exc:
            raise ValidationError({"corrected_id_number": exc.messages}) from None
        if number != person.id_number:
            if User.objects.by_id_number(number).exclude(pk=person.pk).exists():
                raise ValidationError({"corrected_id_number": _("该身份证号已登记在另一人名下，请核对。")})
            before = pii.mask_id(person.id_number)
            person.set_id_number(number)
            audit_record(actor=reviewer, action="user.id_number_correct", target=person, request=request,
                         before={"id_number": before}, after={"id_number": pii.mask_id(number)},
                         reason=_("身份核验时更正"))
    if not person.id_number:
        raise ValidationError({"corrected_id_number": _("此人尚未登记身份证号，请按证件填写后再确认。")})
    was_verified = person.identity_verified
    person.identity_verified = True
    person.photo.name = sub.portrait.name  # the verified portrait is the photo printed on certificates
    person.save(update_fields=["identity_verified", "photo", "id_number_encrypted", "id_number_hash"])
    sub.status = IdentitySubmission.Status.VERIFIED
    sub.reviewer = reviewer
    sub.reviewed_at = timezone.now()
    sub.reviewed_name = person.display_name
    sub.reviewed_id_number_encrypted = person.id_number_encrypted
    sub.save()
    audit_record(actor=reviewer, action="identity.verify", target=person, request=request,
                 before={"identity_verified": was_verified},
                 after={"identity_verified": True, "submission": sub.pk})
    notify([person], kind="identity.verified", url=reverse("accounts:me"), title=_("身份核验已通过"),
           body=_("您上传的身份证件和照片已核验通过，可以报名考试。"))
    return sub


@transaction.atomic
def identity_reject(*, reviewer, submission: IdentitySubmission, reason: str, request=None) -> IdentitySubmission:
    """Send the submission back with a reason; the person (and whoever uploaded it) is told and may upload again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写退回原因。")})
    sub = _locked_for_review(reviewer, submission)
    person = sub.person
    sub.status = IdentitySubmission.Status.REJECTED
    sub.reviewer = reviewer
    sub.reviewed_at = timezone.now()
    sub.reason = reason
    sub.reviewed_name = person.display_name
    sub.reviewed_id_number_encrypted = person.id_number_encrypted
    sub.save()
    audit_record(actor=reviewer, action="identity.reject", target=person, reason=reason, request=request,
                 after={"submission": sub.pk})
    title = _("身份核验材料被退回")
    notify([person], kind="identity.rejected", url=reverse("accounts:identity_upload"), title=title,
           body=_("退回原因：%(reason)s。请重新上传。") % {"reason": reason}, sms=True)
    if sub.submitted_by_id != person.pk:
        notify([sub.submitted_by], kind="identity.rejected", url=reverse("accounts:identity_upload_for", args=[person.pk]),
               title=title, body=_("%(name)s 的材料被退回，原因：%(reason)s。请重新上传。") % {
                   "name": person.display_name, "reason": reason})
    return sub
