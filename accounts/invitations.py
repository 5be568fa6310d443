"""Invitations: a person put on a roster activates their account with a one-time code or link.

The text message (or e-mail) carries a 6-digit code and a link. Only hashes are stored: the code
with a per-invitation salt (HMAC with the site's secret), the link token by SHA-256. An invitation
is used once, expires after ``VALID_DAYS``, is void after ``MAX_ATTEMPTS`` wrong codes and when a
newer one is sent. Activating sets the username (prefilled) and the password, then signs in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from core.audit import audit_record, client_ip

from . import pii
from .models import Invitation, Organization, User
from .validators import normalize_identifier, validate_phone

VALID_DAYS = 7
MAX_ATTEMPTS = 5
# wrong codes per client address per hour, across invitations (guessing many people's codes)
ADDRESS_LIMIT = 20


def _code_hash(salt: str, code: str) -> str:
    return salted_hmac("anxun.invitation.code", f"{salt}:{code}", algorithm="sha256").hexdigest()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def activation_url(token: str, request=None) -> str:
    path = reverse("accounts:activate_link", args=[token])
    base = getattr(settings, "ANXUN_PUBLIC_BASE_URL", "")
    if base:
        return base + path
    if request is not None:
        return request.build_absolute_uri(path)
    return path


@transaction.atomic
def invitation_send(*, user: User, organization: Organization | None, actor, request=None) -> Invitation:
    """Void the person's open invitations, create a new one and send it after commit."""
    now = timezone.now()
    Invitation.objects.filter(user=user, used_at__isnull=True, voided_at__isnull=True).update(voided_at=now)
    code = f"{secrets.randbelow(10**6):06d}"
    token = secrets.token_urlsafe(32)
    salt = secrets.token_hex(8)
    channel = Invitation.Channel.SMS if user.phone else Invitation.Channel.EMAIL if user.email else Invitation.Channel.NONE
    invitation = Invitation.objects.create(
        user=user, organization=organization, channel=channel, code_salt=salt, code_hash=_code_hash(salt, code),
        token_hash=_token_hash(token), expires_at=now + timedelta(days=VALID_DAYS),
        created_by=actor if getattr(actor, "is_authenticated", False) else None)
    audit_record(actor=actor, action="invitation.send", target=user, request=request,
                 after={"channel": channel, "organization": organization.name if organization else ""})
    url = activation_url(token, request)
    org_name = organization.name if organization else _("安训平台")
    phone, email = user.phone, user.email
    text = _("【安训】%(org)s邀请您激活安训平台账号，激活码%(code)s（%(days)d天内有效，请勿告诉他人）。"
             "激活时填写手机号或身份证号和激活码，或打开：%(url)s") % {
        "org": org_name, "code": code, "days": VALID_DAYS, "url": url}

    def deliver():
        from core.sms import send_sms

        if channel == Invitation.Channel.SMS:
            send_sms(phone, text, kind="invitation")
        elif channel == Invitation.Channel.EMAIL:
            send_mail(_("安训平台账号激活邀请"), text, None, [email], fail_silently=True)

    transaction.on_commit(deliver)
    invitation.plain_code, invitation.plain_token = code, token  # for the caller only, never stored
    return invitation


def open_invitation(user: User) -> Invitation | None:
    now = timezone.now()
    return (Invitation.objects.filter(user=user, used_at__isnull=True, voided_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at").first())


def _address_key(request) -> str:
    return f"anxun:activate:fail:{client_ip(request) or 'unknown'}"


def address_blocked(request) -> bool:
    return cache.get(_address_key(request), 0) >= ADDRESS_LIMIT


def _count_address_failure(request) -> None:
    key = _address_key(request)
    if cache.add(key, 1, 3600):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, 3600)


def _people_by_identifier(identifier: str) -> list[User]:
    text = normalize_identifier(identifier)
    if len(text) == 18:
        return list(User.objects.filter(id_number_hash=pii.keyed_hash(text)))
    try:
        phone = validate_phone(text)
    except ValidationError:
        return []
    return list(User.objects.filter(phone=phone, is_active=True)[:20])


def _refusal() -> ValidationError:
    return ValidationError(_("激活码不正确、已使用或已过期。请核对，或请单位管理员重新发送邀请。"), code="invalid")


def invitation_check_code(*, identifier: str, code: str, request) -> Invitation:
    """The open invitation whose code matches for the person with this phone or ID number, or a
    ValidationError that says nothing about whether the person exists. Wrong codes count against the
    person's open invitation (void after MAX_ATTEMPTS) and the client address."""
    if address_blocked(request):
        raise ValidationError(_("尝试次数过多，请一小时后再试。"), code="throttled")
    code = normalize_identifier(code)
    candidates = [inv for inv in (open_invitation(u) for u in _people_by_identifier(identifier)) if inv is not None]
    for invitation in candidates:
        if code and constant_time_compare(invitation.code_hash, _code_hash(invitation.code_salt, code)):
            return invitation
    _count_address_failure(request)
    with transaction.atomic():  # kept: the refusal below is raised after this block commits
        for invitation in candidates:
            locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
            locked.attempts += 1
            fields = ["attempts"]
            if locked.attempts >= MAX_ATTEMPTS:
                locked.voided_at = timezone.now()
                fields.append("voided_at")
                audit_record(actor=None, action="invitation.void", target=locked.user, request=request,
                             reason="too many wrong codes")
            locked.save(update_fields=fields)
    raise _refusal()


def invitation_by_token(token: str) -> Invitation | None:
    invitation = Invitation.objects.select_related("user").filter(token_hash=_token_hash(token or "")).first()
    if invitation is None or not invitation.is_open():
        return None
    return invitation


@transaction.atomic
def invitation_complete(*, invitation: Invitation, username: str, password: str, request=None) -> User:
    """Set the username and password, mark the invitation used (once: a second use is refused)."""
    locked = Invitation.objects.select_for_update().select_related("user").get(pk=invitation.pk)
    if not locked.is_open():
        raise _refusal()
    user = locked.user
    username = (username or "").strip()
    if User.objects.filter(username__iexact=username).exclude(pk=user.pk).exists():
        raise ValidationError({"username": [_("该用户名已被使用，请换一个。")]})
    user.username = username
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["username", "password", "is_active"])
    locked.used_at = timezone.now()
    locked.save(update_fields=["used_at"])
    Invitation.objects.filter(user=user, used_at__isnull=True, voided_at__isnull=True).update(voided_at=locked.used_at)
    audit_record(actor=user, action="invitation.activate", target=user, request=request)
    return user
