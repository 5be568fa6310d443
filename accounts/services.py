"""Writes for people and organisations."""

from __future__ import annotations

from django.db import transaction

from core.audit import audit_record
from .models import Membership, Organization, User
from .selectors import forget_memberships


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None = None,
    real_name: str = "",
    id_number: str = "",
    phone: str = "",
    email: str = "",
    actor=None,
) -> User:
    user = User(username=username, real_name=real_name, phone=phone, email=email)
    user.set_id_number(id_number)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(actor=actor, action="user.create", target=user, after={"username": username})
    return user


@transaction.atomic
def membership_grant(*, user: User, organization: Organization, role: str, actor=None) -> Membership:
    """Give the person a role in the organisation (or reactivate it). Refused with a ValidationError,
    nothing saved, when the role does not fit the organisation or breaks 考培分离 (``Membership.clean``,
    which the admin forms run too)."""
    membership = Membership.objects.filter(user=user, organization=organization, role=role).first()
    created = membership is None or not membership.is_active
    if membership is None:
        membership = Membership(user=user, organization=organization, role=role)
    membership.is_active = True
    membership.full_clean()
    if created:
        membership.save()
        audit_record(actor=actor, action="membership.grant", target=membership,
                     after={"user": user.username, "organization": organization.name, "role": role})
    forget_memberships(user)
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership, actor=None, reason: str = "") -> None:
    if membership.is_active:
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        audit_record(actor=actor, action="membership.revoke", target=membership,
                     before={"is_active": True}, after={"is_active": False}, reason=reason)
