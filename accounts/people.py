"""The enterprise roster (花名册): add, update and end the employment of people.

One rule for the page, the Excel import and the HR API: ``person_clean`` checks an input and
``person_upsert`` applies it. A person is found by the keyed hash of their ID number:

* already on this enterprise's roster (active or ended) → their details, roles and operation items
  here are updated (an ended employment starts again);
* known to the platform through another enterprise or a certificate → they join this enterprise
  (new memberships), their account stays the one they have;
* unknown → a new account with no usable password and an invitation (accounts/invitations.py).

Ending employment makes the person's memberships here inactive with a date and a reason; nothing
is deleted (the person, their training records and certificates stay).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record

from . import pii
from .models import Membership, Organization, PersonOperation, User
from .roles import ENTERPRISE_ROLES, PEOPLE_MANAGERS, OrgKind, Role
from .selectors import forget_memberships, org_ids_with_role
from .validators import validate_id_number, validate_phone

MAX_NAME = 64
_SPLIT = re.compile(r"[,，、;；/|\s]+")


# ---------------------------------------------------------------------------------------------
# Who keeps which roster
# ---------------------------------------------------------------------------------------------


def managed_enterprises(user) -> QuerySet[Organization]:
    """Enterprises whose roster ``user`` keeps (enterprise admins and safety managers)."""
    qs = Organization.objects.filter(kind=OrgKind.ENTERPRISE, is_active=True)
    if getattr(user, "is_superuser", False):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(pk__in=org_ids_with_role(user, *PEOPLE_MANAGERS))


def managed_enterprise(user, organization_id=None) -> Organization | None:
    """The enterprise the user works on: the one asked for when they keep several, else their first."""
    qs = managed_enterprises(user).order_by("name", "pk")
    if organization_id not in (None, ""):
        try:
            pk = int(organization_id)
        except (TypeError, ValueError):
            return None
        return qs.filter(pk=pk).first() if 0 < pk < 2**31 else None
    if getattr(user, "is_superuser", False):
        return None
    return qs.first()


def assignable_roles(actor, organization: Organization) -> list[str]:
    """Enterprise roles the actor may give or take away here: the admin role only by an admin."""
    roles = [r for r in Role if r in ENTERPRISE_ROLES]
    is_admin = getattr(actor, "is_superuser", False) or organization.pk in org_ids_with_role(actor, Role.ENT_ADMIN)
    return [r.value for r in roles if is_admin or r != Role.ENT_ADMIN]


# ---------------------------------------------------------------------------------------------
# Operation items
# ---------------------------------------------------------------------------------------------


class OperationResolver:
    """Maps what people type (catalogue code or Chinese name) to operation items of the catalogue
    version in force (any version when none is in force or the item is only in an older one)."""

    def __init__(self):
        from catalogue.models import OperationItem, RuleVersion

        version = RuleVersion.in_force()
        items = list(OperationItem.objects.filter(is_active=True).select_related("category"))
        current = [i for i in items if version is not None and i.category.rule_version_id == version.pk]
        older = [i for i in items if i not in current]
        self.lookup: dict[str, object] = {}
        for item in reversed(current + older):  # the current version wins
            self.lookup[_norm(item.code)] = item
            self.lookup[_norm(item.name)] = item
        self.current = current or items

    def resolve(self, text) -> object | None:
        return self.lookup.get(_norm(text))


def _norm(text) -> str:
    return "".join(str(text or "").split()).lower()


def split_list(value) -> list[str]:
    """A cell or a JSON value listing several things: 'a、b，c' or ['a', 'b']."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        parts = [str(v) for v in value]
    else:
        parts = _SPLIT.split(str(value))
    return [p.strip() for p in parts if p and p.strip()]


def _role_lookup() -> dict[str, str]:
    lookup = {}
    for role in Role:
        if role in ENTERPRISE_ROLES:
            lookup[_norm(role.value)] = role.value
            lookup[_norm(str(role.label))] = role.value
    # what rosters commonly write
    lookup.update({_norm("安全管理人员"): Role.SAFETY_MANAGER.value, _norm("特种作业"): Role.SPECIAL_OPERATOR.value,
                   _norm("员工"): Role.WORKER.value, _norm("职工"): Role.WORKER.value,
                   _norm("管理员"): Role.ENT_ADMIN.value})
    return lookup


# ---------------------------------------------------------------------------------------------
# Validation (one rule for page, import and API)
# ---------------------------------------------------------------------------------------------


@dataclass
class PersonInput:
    name: str
    id_number: str
    phone: str
    email: str
    roles: list[str]
    operations: list = field(default_factory=list)  # catalogue.OperationItem
    existing: User | None = None
    in_enterprise: bool = False

    @property
    def id_hash(self) -> str:
        return pii.keyed_hash(self.id_number)


def person_clean(*, organization: Organization, actor, name, id_number, phone="", email="", roles=(),
                 operations=(), resolver: OperationResolver | None = None, existing: User | None = None,
                 check_existing: bool = True) -> PersonInput:
    """Return the checked input or raise ``ValidationError`` with a message per field name
    (name, id_number, phone, email, roles, operations). Writes nothing."""
    errors: dict[str, list[str]] = {}
    clean_name = " ".join(str(name or "").split())
    if not clean_name:
        errors.setdefault("name", []).append(_("请填写姓名。"))
    elif len(clean_name) > MAX_NAME:
        errors.setdefault("name", []).append(_("姓名过长（最多64个字）。"))
    number = ""
    if existing is not None:
        number = existing.id_number
    elif id_number in (None, ""):
        errors.setdefault("id_number", []).append(_("请填写身份证号。"))
    else:
        try:
            number = validate_id_number(id_number)
        except ValidationError as exc:
            errors.setdefault("id_number", []).extend(exc.messages)
    clean_phone = ""
    if phone not in (None, ""):
        try:
            clean_phone = validate_phone(phone)
        except ValidationError as exc:
            errors.setdefault("phone", []).extend(exc.messages)
    clean_email = str(email or "").strip()
    if clean_email:
        try:
            validate_email(clean_email)
        except ValidationError:
            errors.setdefault("email", []).append(_("电子邮箱格式不正确。"))
    # roles
    lookup = _role_lookup()
    allowed = set(assignable_roles(actor, organization))
    role_codes: list[str] = []
    for text in split_list(roles):
        code = lookup.get(_norm(text))
        if code is None:
            errors.setdefault("roles", []).append(_("角色“%(r)s”不存在。") % {"r": text})
        elif code not in allowed:
            errors.setdefault("roles", []).append(_("无权设置角色“%(r)s”。") % {"r": Role(code).label})
        elif code not in role_codes:
            role_codes.append(code)
    if not split_list(roles):
        errors.setdefault("roles", []).append(_("请至少选择一个角色。"))
    # operation items
    items = []
    op_texts = split_list(operations)
    if op_texts:
        resolver = resolver or OperationResolver()
        for text in op_texts:
            item = resolver.resolve(text)
            if item is None:
                errors.setdefault("operations", []).append(
                    _("操作项目“%(o)s”不在特种作业目录中。") % {"o": text})
            elif item not in items:
                items.append(item)
    if items and Role.SPECIAL_OPERATOR not in role_codes and "roles" not in errors:
        errors.setdefault("operations", []).append(_("只有特种作业人员需要填写操作项目。"))
    if Role.SPECIAL_OPERATOR in role_codes and not op_texts:
        errors.setdefault("operations", []).append(_("特种作业人员须填写所从事的操作项目。"))
    data = PersonInput(name=clean_name, id_number=number, phone=clean_phone, email=clean_email,
                       roles=role_codes, operations=items, existing=existing)
    if check_existing and (existing is not None or (number and "id_number" not in errors)):
        person = existing or User.objects.by_id_number(number).first()
        if person is not None:
            data.existing = person
            data.in_enterprise = Membership.objects.filter(user=person, organization=organization).exists()
            if not data.in_enterprise and clean_name and person.real_name and person.real_name != clean_name:
                errors.setdefault("name", []).append(
                    _("该身份证号已在平台登记，姓名与登记的不一致，请核对。"))
            elif data.in_enterprise and person.identity_verified and clean_name and person.real_name != clean_name:
                errors.setdefault("name", []).append(_("身份已核验的人员，姓名须经身份审核更正。"))
            # roles this actor may not change stay as they are; nothing to check
    if not clean_phone and not clean_email and (data.existing is None or not (data.existing.phone or data.existing.email)):
        errors.setdefault("phone", []).append(_("请至少填写手机号或电子邮箱之一，用于发送激活邀请。"))
    if errors:
        raise ValidationError(errors)
    return data


# ---------------------------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------------------------


@dataclass
class UpsertResult:
    user: User
    created: bool = False  # a new account
    joined: bool = False  # newly on this enterprise's roster (new account, known person or re-hired)
    changed: bool = False
    invitation: object | None = None


def _username_for(data: PersonInput) -> str:
    return f"p{data.id_hash[:11]}"


@transaction.atomic
def person_upsert(*, organization: Organization, actor, name, id_number, phone="", email="", roles=(),
                  operations=(), resolver: OperationResolver | None = None, invite: bool = True,
                  request=None) -> UpsertResult:
    data = person_clean(organization=organization, actor=actor, name=name, id_number=id_number, phone=phone,
                        email=email, roles=roles, operations=operations, resolver=resolver)
    return person_apply(organization=organization, actor=actor, data=data, invite=invite, request=request)


@transaction.atomic
def person_update(*, organization: Organization, actor, person: User, name, phone="", email="", roles=(),
                  operations=(), request=None) -> UpsertResult:
    """The edit page: the same rules, the ID number stays as it is (identity review corrects it)."""
    if not Membership.objects.filter(user=person, organization=organization).exists():
        raise ValidationError({"id_number": [_("此人不在本单位花名册中。")]})
    data = person_clean(organization=organization, actor=actor, name=name, id_number=None, phone=phone,
                        email=email, roles=roles, operations=operations, existing=person)
    return person_apply(organization=organization, actor=actor, data=data, invite=False, request=request)


def person_apply(*, organization: Organization, actor, data: PersonInput, invite: bool = True,
                 request=None) -> UpsertResult:
    from .invitations import invitation_send

    today = timezone.localdate()
    person = data.existing
    result = UpsertResult(user=person)
    if person is None:
        person = User(username=_username_for(data), real_name=data.name, phone=data.phone, email=data.email)
        person.set_id_number(data.id_number)
        person.set_unusable_password()
        try:
            with transaction.atomic():
                person.save()
        except IntegrityError:  # the same ID number registered at the same moment by another request
            raise ValidationError({"id_number": [_("该身份证号正在被同时登记，请稍后重试。")]}) from None
        audit_record(actor=actor, action="user.create", target=person, request=request,
                     after={"username": person.username, "organization": organization.name, "via": "roster"})
        result = UpsertResult(user=person, created=True, joined=True, changed=True)
    elif data.in_enterprise:
        # an empty phone or e-mail keeps the one on file (an HR system may not send them)
        before = {"real_name": person.real_name, "phone": person.phone, "email": person.email}
        after = {"real_name": data.name, "phone": data.phone or person.phone, "email": data.email or person.email}
        if before != after:
            person.real_name, person.phone, person.email = after["real_name"], after["phone"], after["email"]
            person.save(update_fields=["real_name", "phone", "email"])
            audit_record(actor=actor, action="user.roster_update", target=person, before=before, after=after,
                         request=request)
            result.changed = True
    else:
        # Known elsewhere: joins here with the account they have; fill in contact details they lack.
        updates = {}
        if not person.real_name:
            updates["real_name"] = data.name
        if data.phone and not person.phone:
            updates["phone"] = data.phone
        if data.email and not person.email:
            updates["email"] = data.email
        if updates:
            for key, value in updates.items():
                setattr(person, key, value)
            person.save(update_fields=list(updates))
        result.joined = result.changed = True
    # roles here: the listed ones active, the others this actor manages ended
    managed = set(assignable_roles(actor, organization))
    current = {m.role: m for m in Membership.objects.filter(user=person, organization=organization)}
    was_employed = any(m.is_active for m in current.values())
    if data.in_enterprise and not was_employed:
        result.joined = True  # re-hired
    for role in data.roles:
        m = current.get(role)
        if m is None:
            m = Membership(user=person, organization=organization, role=role, since=today)
            m.full_clean()
            m.save()
        elif not m.is_active:
            m.is_active, m.ended_on, m.end_reason, m.since = True, None, "", today
            m.save(update_fields=["is_active", "ended_on", "end_reason", "since"])
        else:
            continue
        result.changed = True
        audit_record(actor=actor, action="membership.grant", target=m, request=request,
                     after={"user": person.username, "organization": organization.name, "role": role})
    for role, m in current.items():
        if m.is_active and role not in data.roles and role in managed:
            m.is_active, m.ended_on = False, today
            m.save(update_fields=["is_active", "ended_on"])
            result.changed = True
            audit_record(actor=actor, action="membership.revoke", target=m, request=request,
                         before={"is_active": True}, after={"is_active": False})
    # operation items here: exactly the listed ones
    held = {po.operation_item_id: po for po in PersonOperation.objects.filter(user=person, organization=organization)}
    wanted = {item.pk: item for item in data.operations}
    added = [wanted[pk] for pk in wanted if pk not in held]
    removed = [po for pk, po in held.items() if pk not in wanted]
    if added or removed:
        PersonOperation.objects.bulk_create(
            [PersonOperation(user=person, organization=organization, operation_item=item) for item in added])
        PersonOperation.objects.filter(pk__in=[po.pk for po in removed]).delete()
        audit_record(actor=actor, action="person.operations", target=person, request=request,
                     before={"operations": sorted(po.operation_item.code for po in held.values())},
                     after={"operations": sorted(item.code for item in data.operations), "organization": organization.name})
        result.changed = True
    forget_memberships(person)
    result.user = person
    if invite and result.joined:
        if not person.has_usable_password():
            result.invitation = invitation_send(user=person, organization=organization, actor=actor, request=request)
        else:
            from core.notify import notify

            notify([person], title=_("您已被加入%(org)s的人员名单") % {"org": organization.name},
                   kind="roster", url="/accounts/me/")
    return result


@transaction.atomic
def employment_end(*, organization: Organization, actor, person: User, reason: str, ended_on=None,
                   request=None) -> int:
    """End the person's employment here: every membership in the enterprise inactive, dated, with the
    reason. Never deletes anything. Returns the number of memberships ended."""
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationError({"reason": [_("请填写离职原因。")]})
    if len(reason) > 255:
        raise ValidationError({"reason": [_("离职原因过长（最多255个字）。")]})
    if person.pk == getattr(actor, "pk", None):
        raise ValidationError({"id_number": [_("不能为自己办理离职。")]})
    ended_on = ended_on or timezone.localdate()
    memberships = list(Membership.objects.select_for_update().filter(user=person, organization=organization,
                                                                     is_active=True))
    if not memberships:
        raise ValidationError({"id_number": [_("此人不在本单位在职人员中。")]})
    if any(m.role == Role.ENT_ADMIN for m in memberships) and Role.ENT_ADMIN not in assignable_roles(actor, organization):
        raise ValidationError({"id_number": [_("只有企业管理员可以为企业管理员办理离职。")]})
    for m in memberships:
        m.is_active, m.ended_on, m.end_reason = False, ended_on, reason
        m.save(update_fields=["is_active", "ended_on", "end_reason"])
    audit_record(actor=actor, action="person.employment_end", target=person, request=request, reason=reason,
                 before={"roles": sorted(m.role for m in memberships)},
                 after={"organization": organization.name, "ended_on": ended_on.isoformat()})
    forget_memberships(person)
    return len(memberships)


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------


def roster_of(organization: Organization, *, status: str = "current", role: str = "", query: str = "") -> QuerySet[User]:
    """People on the enterprise's roster with their memberships and operation items here prefetched
    (``roster_memberships``, ``roster_operations``): a fixed number of queries for any length."""
    here = Membership.objects.filter(organization=organization)
    if status == "ended":
        people = User.objects.filter(pk__in=here.values("user_id")).exclude(
            pk__in=here.filter(is_active=True).values("user_id"))
    elif status == "all":
        people = User.objects.filter(pk__in=here.values("user_id"))
    else:
        people = User.objects.filter(pk__in=here.filter(is_active=True).values("user_id"))
    if role:
        people = people.filter(pk__in=here.filter(role=role).values("user_id"))
    query = (query or "").strip()
    if query:
        q = Q(real_name__icontains=query) | Q(phone__contains=query) | Q(username__iexact=query)
        try:
            q |= Q(id_number_hash=pii.keyed_hash(validate_id_number(query)))
        except ValidationError:
            pass
        people = people.filter(q)
    return people.prefetch_related(
        Prefetch("memberships", queryset=here.order_by("role"), to_attr="roster_memberships"),
        Prefetch("operations", queryset=PersonOperation.objects.filter(organization=organization)
                 .select_related("operation_item"), to_attr="roster_operations"),
    ).order_by("real_name", "pk")


def person_in(organization: Organization, pk) -> User | None:
    return roster_of(organization, status="all").filter(pk=pk).first()


def employment_of(person: User, organization: Organization) -> dict:
    memberships = list(Membership.objects.filter(user=person, organization=organization).order_by("role"))
    active = [m for m in memberships if m.is_active]
    ended = [m for m in memberships if not m.is_active and m.ended_on]
    last = max(ended, key=lambda m: m.ended_on) if ended and not active else None
    return {"memberships": memberships, "active_roles": [m.role for m in active], "is_active": bool(active),
            "ended_on": last.ended_on if last else None, "end_reason": last.end_reason if last else ""}
