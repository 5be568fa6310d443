"""Access scoping in one place. Every app asks these functions what a user may see.

* an enterprise's managers see their own enterprise's people, never another's;
* bureau staff see the organisations and people of their region (administrative division prefix);
* only exam-centre staff of the owning centre may touch testing material (考培分离);
* the platform superuser sees everything.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from .models import Membership, Organization, User, region_prefix
from .roles import (
    BUREAU_ROLES,
    ENTERPRISE_MANAGERS,
    EXAM_CENTRE_ROLES,
    EXAMINING_ROLES,
    FULL_ID_ROLES,
    TRAINING_ROLES,
    OrgKind,
    Role,
)

_CACHE_ATTR = "_anxun_memberships"


def memberships_of(user) -> list[Membership]:
    """Active memberships of a user, loaded once per user object (one query per request)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user, is_active=True, organization__is_active=True)
            .select_related("organization")
            .order_by("organization__kind", "organization__name", "role")
        )
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_memberships(user) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_of(user) -> set[str]:
    return {m.role for m in memberships_of(user)}


def has_role(user, *roles: str, organization: Organization | int | None = None) -> bool:
    org_id = getattr(organization, "pk", organization)
    return any(
        m.role in roles and (org_id is None or m.organization_id == org_id) for m in memberships_of(user)
    )


def org_ids_with_role(user, *roles: str) -> set[int]:
    roles_set: Iterable[str] = roles or {m.role for m in memberships_of(user)}
    return {m.organization_id for m in memberships_of(user) if m.role in roles_set}


def organizations_of(user, *roles: str) -> list[Organization]:
    seen: dict[int, Organization] = {}
    for m in memberships_of(user):
        if not roles or m.role in roles:
            seen.setdefault(m.organization_id, m.organization)
    return list(seen.values())


def region_prefixes(user) -> set[str]:
    """Region prefixes a bureau user oversees."""
    return {region_prefix(m.organization.region_id) for m in memberships_of(user) if m.role in BUREAU_ROLES}


def _region_q(prefixes: Iterable[str], field: str = "region__code") -> Q:
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(**{f"{field}__startswith": p})
    return q


def organizations_visible_to(user) -> QuerySet[Organization]:
    qs = Organization.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_superuser:
        return qs
    q = Q(pk__in=org_ids_with_role(user))
    prefixes = region_prefixes(user)
    if prefixes:
        q |= Q(kind=OrgKind.ENTERPRISE) & _region_q(prefixes)
    return qs.filter(q)


def enterprises_visible_to(user) -> QuerySet[Organization]:
    return organizations_visible_to(user).filter(kind=OrgKind.ENTERPRISE)


def people_visible_to(user) -> QuerySet[User]:
    """People whose records the user may list: themselves, their enterprise's people (managers),
    people of enterprises in their region (bureau staff)."""
    qs = User.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_superuser:
        return qs
    q = Q(pk=user.pk)
    managed = org_ids_with_role(user, *ENTERPRISE_MANAGERS)
    if managed:
        q |= Q(memberships__organization_id__in=managed, memberships__is_active=True)
    prefixes = region_prefixes(user)
    if prefixes:
        region_orgs = Organization.objects.filter(_region_q(prefixes), kind=OrgKind.ENTERPRISE)
        q |= Q(memberships__organization__in=region_orgs, memberships__is_active=True)
    return qs.filter(q).distinct()


def can_see_person(user, person: User) -> bool:
    return people_visible_to(user).filter(pk=person.pk).exists()


def testing_org_ids(user) -> set[int]:
    """Exam centres whose testing material this user may touch. Empty for everyone else."""
    return org_ids_with_role(user, *EXAM_CENTRE_ROLES)


def can_access_testing_material(user, organization: Organization | int | None = None) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    ids = testing_org_ids(user)
    if organization is None:
        return bool(ids)
    return getattr(organization, "pk", organization) in ids


def may_see_full_id(viewer, person) -> bool:
    """The person themself, the superuser, and staff whose role needs it for people in their scope
    (enterprise admin for their own people; proctor and certificate officer of an exam centre)."""
    if not getattr(viewer, "is_authenticated", False) or person is None:
        return False
    if viewer.pk == getattr(person, "pk", None) or viewer.is_superuser:
        return True
    if has_role(viewer, *(FULL_ID_ROLES - {Role.ENT_ADMIN})):
        return True
    ent_admin_orgs = org_ids_with_role(viewer, Role.ENT_ADMIN)
    if ent_admin_orgs:
        return Membership.objects.filter(
            user_id=person.pk, organization_id__in=ent_admin_orgs, is_active=True
        ).exists()
    return False


def is_staff_of_kind(user, kind: str) -> bool:
    return any(m.organization.kind == kind for m in memberships_of(user))


def may_review_separation(user) -> bool:
    """Who sees the list of 考培分离 conflicts: the superuser and exam-centre staff."""
    return bool(getattr(user, "is_superuser", False) or has_role(user, *EXAM_CENTRE_ROLES))


def separation_conflicts(user) -> QuerySet[User]:
    """People who are at once an active instructor of a training institution and an active item
    writer, proctor or practical examiner (memberships made before the rule was enforced, or
    written around it), with their active memberships prefetched. The superuser sees all; exam-centre
    staff the people who hold a membership in one of their centres; anyone else nobody."""
    from django.db.models import Prefetch

    if not may_review_separation(user):
        return User.objects.none()
    qs = User.objects.filter(
        pk__in=Membership.objects.filter(role__in=TRAINING_ROLES, is_active=True).values("user_id")
    ).filter(pk__in=Membership.objects.filter(role__in=EXAMINING_ROLES, is_active=True).values("user_id"))
    if not user.is_superuser:
        centres = org_ids_with_role(user, *EXAM_CENTRE_ROLES)
        qs = qs.filter(pk__in=Membership.objects.filter(organization_id__in=centres, is_active=True)
                       .values("user_id"))
    return qs.prefetch_related(Prefetch(
        "memberships", to_attr="active_memberships",
        queryset=Membership.objects.filter(is_active=True).select_related("organization").order_by("organization__name", "role"),
    )).order_by("real_name", "username")


__all__ = [
    "memberships_of", "forget_memberships", "roles_of", "has_role", "org_ids_with_role", "organizations_of",
    "region_prefixes", "organizations_visible_to", "enterprises_visible_to", "people_visible_to",
    "can_see_person", "testing_org_ids", "can_access_testing_material", "may_see_full_id",
    "is_staff_of_kind", "may_review_separation", "separation_conflicts", "FULL_ID_ROLES", "BUREAU_ROLES",
]




def verified_portrait_file(person):
    """The portrait confirmed in the person's identity review (a FieldFile), or None."""
    if not person.identity_verified or not person.photo:
        return None
    return person.photo


def verified_portrait_bytes(person) -> bytes | None:
    """The verified portrait's content (for face matching), or None when there is none or it is unreadable."""
    portrait = verified_portrait_file(person)
    if not portrait:
        return None
    try:
        with portrait.open("rb") as fh:
            return fh.read()
    except (FileNotFoundError, OSError, ValueError):
        return None


def identity_reviews_waiting(user) -> int:
    """How many identity submissions wait for this user's review (accounts/identity.py); 0 for non-reviewers."""
    from .identity import identity_reviews_waiting as waiting

    return waiting(user)


__all__ += ["identity_reviews_waiting"]
# --- enterprises joining (accounts/enterprises.py holds the writes) ------------------------------


def enterprise_applications_visible_to(user):
    """Enterprise applications (企业入驻申请) of the regions this bureau user oversees; all for the superuser."""
    from .models import EnterpriseApplication

    qs = EnterpriseApplication.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_superuser:
        return qs
    prefixes = region_prefixes(user)
    if not prefixes:
        return qs.none()
    return qs.filter(_region_q(prefixes))


def enterprise_applications_waiting(user):
    """Applications waiting for this bureau user's region to approve or return them, oldest first.
    ``.count()`` for the home page's "enterprises waiting for approval"."""
    from .models import EnterpriseApplication

    return enterprise_applications_visible_to(user).filter(
        status=EnterpriseApplication.Status.PENDING).order_by("submitted_at", "pk")


def enterprise_application_of(user):
    """The applicant's own latest application (pending, returned or approved), or None."""
    from .models import EnterpriseApplication

    if not getattr(user, "is_authenticated", False):
        return None
    return (EnterpriseApplication.objects.filter(applicant=user).select_related("region", "industry")
            .order_by("-submitted_at", "-pk").first())


__all__ += ["enterprise_applications_visible_to", "enterprise_applications_waiting", "enterprise_application_of"]
