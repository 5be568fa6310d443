"""Reads for certificates, already scoped to the requesting user (built on accounts.selectors)."""

from __future__ import annotations

import weakref

from django.db import connections, router
from django.db.models import Q, QuerySet

from accounts import pii
from accounts.roles import BUREAU_ROLES, ENTERPRISE_MANAGERS, Role
from accounts.selectors import has_role, org_ids_with_role, people_visible_to

from config import prepared

from . import numbers
from catalogue.models import CertificateKind, OperationCategory, OperationItem

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


class _CodeLookup:
    """The public lookup by verification code as one prepared SQL statement (built once per
    database connection from the models' metadata), so a lookup costs the round trip and the
    row, not the ORM's query compilation. It reads the certificate with its kind, operation item
    and category, all columns, exactly what ``select_related("kind", "operation_item__category")``
    reads, and applies the backend's converters the same way."""

    JOINS = (("k", CertificateKind, "kind", "c"), ("i", OperationItem, "operation_item", "c"),
             ("g", OperationCategory, "category", "i"))

    def __init__(self, connection):
        qn = connection.ops.quote_name
        columns, self.converters, self.parts = [], [], []
        for alias, model in (("c", Certificate), *((a, m) for a, m, _f, _o in self.JOINS)):
            fields = model._meta.concrete_fields
            start = len(columns)
            for f in fields:
                col = f.get_col(alias)
                converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if converters:
                    self.converters.append((len(columns), col, converters))
                columns.append(f"{alias}.{qn(f.column)}")
            self.parts.append((model, [f.attname for f in fields], start, len(columns)))
        joins = []
        owners = {"c": Certificate, "i": OperationItem}
        outer = set()  # a join below an outer join is outer too (a certificate without operation item)
        for alias, model, fk_name, owner in self.JOINS:
            fk = owners[owner]._meta.get_field(fk_name)
            if fk.null or owner in outer:
                outer.add(alias)
            kind = "LEFT OUTER JOIN" if alias in outer else "INNER JOIN"
            joins.append(f"{kind} {qn(model._meta.db_table)} {alias} "
                         f"ON ({owner}.{qn(fk.column)} = {alias}.{qn(fk.target_field.column)})")
        self.sql = (f"SELECT {', '.join(columns)} FROM {qn(Certificate._meta.db_table)} c {' '.join(joins)} "
                    f"WHERE c.{qn(Certificate._meta.get_field('verification_code').column)} = %s")
        self.kind_field = Certificate._meta.get_field("kind")
        self.item_field = Certificate._meta.get_field("operation_item")
        self.category_field = OperationItem._meta.get_field("category")

    def __call__(self, connection, using: str, code: str) -> Certificate | None:
        # config.prepared: bound and prepared on the server (planned once per connection; planning
        # was most of this lookup's server time), logged and counted like any Django cursor.
        row = prepared.fetchone(connection, self.sql, [code])  # a read: safe to run twice
        if row is None:
            return None
        if self.converters:
            row = list(row)
            for i, col, converters in self.converters:
                for converter in converters:
                    row[i] = converter(row[i], col, connection)
        (cm, cnames, c0, c1), (km, knames, k0, k1), (im, inames, i0, i1), (gm, gnames, g0, g1) = self.parts
        certificate = cm.from_db(using, cnames, row[c0:c1])
        self.kind_field.set_cached_value(certificate, km.from_db(using, knames, row[k0:k1]))
        item = None
        if row[i0] is not None:
            item = im.from_db(using, inames, row[i0:i1])
            self.category_field.set_cached_value(item, gm.from_db(using, gnames, row[g0:g1]))
        self.item_field.set_cached_value(certificate, item)
        return certificate


_code_lookups: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def certificate_by_code(code: str) -> Certificate | None:
    code = numbers.normalize_code(code)
    if not code or len(code) > 16:
        return None
    # The public page and API show only the certificate's own fields (the ID number as recorded on
    # it) and its catalogue rows; the code is unique.
    using = router.db_for_read(Certificate)
    connection = connections[using]
    lookup = _code_lookups.get(connection)
    if lookup is None:
        lookup = _code_lookups[connection] = _CodeLookup(connection)
    return lookup(connection, using, code)


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
