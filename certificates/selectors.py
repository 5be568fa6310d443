"""Reads for certificates, already scoped to the requesting user (built on accounts.selectors)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts import pii
from accounts.roles import BUREAU_ROLES, ENTERPRISE_MANAGERS, Role
from accounts.selectors import has_role, org_ids_with_role, people_visible_to

from . import numbers
from .models import Certificate, CertificateBatch, CertificateReview, RosterCheck


def _base() -> QuerySet[Certificate]:
    return Certificate.objects.select_related("kind", "operation_item__category", "holder", "employer", "rule_version")


def officer_org_ids(user) -> set[int]:
    """Exam centres (or other issuers) where the user is a certificate officer."""
    return org_ids_with_role(user, Role.CERT_OFFICER)


def is_certificate_officer(user) -> bool:
    return bool(getattr(user, "is_superuser", False) or officer_org_ids(user))


def can_manage_certificate(user, certificate: Certificate) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return certificate.issued_by_org_id is not None and certificate.issued_by_org_id in officer_org_ids(user)


def can_check_rosters(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or has_role(user, Role.ENT_ADMIN, Role.SAFETY_MANAGER, *BUREAU_ROLES)


def certificates_visible_to(user) -> QuerySet[Certificate]:
    """The holder's own; their people's for enterprise managers and bureau staff (by region);
    the certificates their centre issued for certificate officers; everything for the superuser."""
    qs = _base()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_superuser:
        return qs
    q = Q(holder_id=user.pk)
    if org_ids_with_role(user, *ENTERPRISE_MANAGERS) or org_ids_with_role(user, *BUREAU_ROLES):
        q |= Q(holder__in=people_visible_to(user).values("pk"))
    officer_orgs = officer_org_ids(user)
    if officer_orgs:
        q |= Q(issued_by_org_id__in=officer_orgs)
    return qs.filter(q)


def my_certificates(user) -> QuerySet[Certificate]:
    if not getattr(user, "is_authenticated", False):
        return _base().none()
    return _base().filter(holder_id=user.pk)


def people_certificates(user) -> QuerySet[Certificate]:
    """Certificates of the people an enterprise manager / bureau user may see (not their own)."""
    if not getattr(user, "is_authenticated", False):
        return _base().none()
    if user.is_superuser:
        return _base()
    return _base().filter(holder__in=people_visible_to(user).exclude(pk=user.pk).values("pk"))


def certificates_managed_by(user) -> QuerySet[Certificate]:
    if not getattr(user, "is_authenticated", False):
        return _base().none()
    if user.is_superuser:
        return _base()
    return _base().filter(issued_by_org_id__in=officer_org_ids(user))


def reviews_to_decide(user) -> QuerySet[CertificateReview]:
    qs = CertificateReview.objects.filter(status=CertificateReview.Status.PENDING).select_related(
        "certificate__kind", "certificate__operation_item", "applicant")
    if getattr(user, "is_superuser", False):
        return qs
    return qs.filter(certificate__issued_by_org_id__in=officer_org_ids(user))


def roster_checks_of(user) -> QuerySet[RosterCheck]:
    return RosterCheck.objects.filter(created_by_id=getattr(user, "pk", None)).defer("results")


def batches_of(user) -> QuerySet[CertificateBatch]:
    return CertificateBatch.objects.filter(created_by_id=getattr(user, "pk", None))


# --- public verification -------------------------------------------------------------------


def certificate_by_code(code: str) -> Certificate | None:
    code = numbers.normalize_code(code)
    if not code or len(code) > 16:
        return None
    # The public page and API show only the certificate's own fields (the ID number as recorded on
    # it), so the lookup joins just the catalogue rows; a unique code needs no ORDER BY.
    found = list(Certificate.objects.select_related("kind", "operation_item__category")
                 .filter(verification_code=code).order_by()[:1])
    return found[0] if found else None


def certificate_by_name_and_number(name: str, number: str) -> Certificate | None:
    """Our own number or the national number ("T" + ID); the name must match exactly."""
    name = (name or "").strip()
    number = numbers.normalize_number(number)
    if not name or not number:
        return None
    if number.startswith("T"):
        qs = _base().filter(national_number_hash=pii.keyed_hash(number))
    elif numbers.is_valid_number(number):
        qs = _base().filter(number=number)
    else:
        return None
    return qs.filter(holder_name=name).first()


def registrations_to_issue(user):
    """Qualified exam results (theory and practical passed) of the officer's centre without a certificate yet."""
    from exams.selectors import qualified_registrations

    return qualified_registrations(user).filter(certificate__isnull=True).order_by("qualified_at", "pk")
