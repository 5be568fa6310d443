"""Reads for certificates, already scoped to the requesting user (built on accounts.selectors)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import pii
from accounts.roles import BUREAU_ROLES, ENTERPRISE_MANAGERS, Role
from accounts.selectors import has_role, org_ids_with_role, people_visible_to

from . import numbers
from .models import Certificate, CertificateBatch, CertificateReview, RosterCheck, live_status


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


def card_cache_key(code: str) -> str:
    return f"certificates:card:v2:{code}"


def card_of(c: Certificate) -> dict:
    """What a visitor may see of a certificate (its public card): masked holder, the catalogue
    names, numbers, dates and state. The ID number and the national number only as
    ``pii.mask_id_public`` shows them (region code and birth year)."""
    item = c.operation_item if c.operation_item_id else None
    return {
        "id": c.pk, "code": c.verification_code, "state": c.state,
        # why it was suspended or revoked: the category only, never the officer's own words
        "why": c.state_category if c.state != Certificate.State.ACTIVE else "",
        "name": c.masked_holder_name, "idn": c.public_holder_id, "kind": c.kind.name, "kc": c.kind.code,
        "ic": item.code if item else "", "cat": item.category.name if item else "", "item": item.name if item else "",
        "no": c.number, "nat": c.public_national_number, "auth": c.issuing_authority,
        "first": _iso(c.first_issued_on), "from": _iso(c.valid_from), "until": _iso(c.valid_until),
        "due": _iso(c.next_review_due), "due_from": _iso(c.review_window_starts), "reviewed": _iso(c.last_reviewed_on),
    }


def _iso(value) -> str:
    return value.isoformat() if value else ""


def card_status(card: dict, on: dt.date | None = None) -> str:
    """The live status of the card's certificate on day ``on`` (today in Asia/Shanghai by default),
    computed for every lookup from the card's state and dates, never kept."""
    day = (on or timezone.localdate()).isoformat()
    return live_status(card["state"], card["from"], card["until"], card["due"], card["due_from"], day)


def certificate_by_code(code: str) -> Certificate | None:
    code = numbers.normalize_code(code)
    if not code or len(code) > 16:
        return None
    # The code is unique; the certificate's own fields and its catalogue rows.
    return Certificate.objects.select_related("kind", "operation_item__category").filter(
        verification_code=code).order_by().first()


def public_card(code: str) -> dict | None:
    """The public card for a verification code, or None. Kept in Django's cache; every change to
    the certificate drops it once committed (certificates.apps), so a revocation or suspension is
    visible on the very next lookup. Only a cache every app process shares keeps cards
    (``ANXUN_CARD_CACHE_SECONDS``, off without Redis)."""
    code = numbers.normalize_code(code)
    if not code or len(code) > 16:
        return None
    seconds = settings.ANXUN_CARD_CACHE_SECONDS
    key = card_cache_key(code)
    card = cache.get(key) if seconds else None
    if card is None:
        certificate = certificate_by_code(code)
        if certificate is None:
            return None
        card = card_of(certificate)
        if seconds:
            cache.set(key, card, seconds)
    return card


def drop_cards(codes) -> None:
    """Forget the cached public cards of these verification codes."""
    keys = [card_cache_key(c) for c in codes if c]
    if keys:
        cache.delete_many(keys)


def on_certificate_changed(sender, instance: Certificate, **kwargs) -> None:
    """A certificate was saved or deleted: its card is dropped once the change is committed (and
    now, so that a lookup inside the same transaction does not keep the old card either)."""
    code = instance.verification_code
    drop_cards([code])
    transaction.on_commit(lambda: drop_cards([code]))


_CATALOGUE_FIELDS = {"CertificateKind": "kind", "OperationItem": "operation_item",
                     "OperationCategory": "operation_item__category"}


def on_catalogue_changed(sender, instance, created: bool = False, **kwargs) -> None:
    """A certificate kind, operation item or category was renamed: the cards naming it are dropped
    once committed."""
    if created:
        return
    field = _CATALOGUE_FIELDS[sender.__name__]

    def drop() -> None:
        codes = Certificate.objects.filter(**{field: instance.pk}).values_list("verification_code", flat=True)
        batch = []
        for code in codes.iterator(chunk_size=2000):
            batch.append(code)
            if len(batch) == 1000:
                drop_cards(batch)
                batch = []
        drop_cards(batch)

    transaction.on_commit(drop)


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


# ------------------------------------------------------------------ exam eligibility (registered in apps.py)

# Revocations that are no sanction: the holder's own request, a lapsed review.
_NO_WAIT_CATEGORIES = frozenset({"holder_request", "review_lapsed"})


def suspension_problems(session, candidate) -> list[str]:
    """Exams' eligibility check "no active suspension or recent revocation for this operation item":
    a suspended certificate of the same operation item (by code, across rule versions; the same
    certificate kind when the session has no item) refuses; a revoked one refuses until the
    catalogue's waiting period (``ExamEntryRule.reapply_after_revocation_months``) has passed."""
    from django.utils.translation import gettext as _

    from catalogue.models import ExamEntryRule, add_months

    if not getattr(candidate, "pk", None):
        return []
    qs = Certificate.objects.filter(holder_id=candidate.pk, state__in=("suspended", "revoked"))
    if session.operation_item_id:
        qs = qs.filter(operation_item__code=session.operation_item.code)
    else:
        qs = qs.filter(kind__code=session.certificate_kind.code)
    found = []
    rule = None
    on = timezone.localdate(session.starts_at)
    for cert in qs.select_related("operation_item", "kind"):
        what = cert.operation_item.name if cert.operation_item_id else cert.kind.name
        if cert.state == "suspended":
            found.append(_("持有的%(what)s证书（%(number)s）正被暂扣，暂扣期间不能报名") % {"what": what, "number": cert.number})
            continue
        if cert.state_category in _NO_WAIT_CATEGORIES:
            continue
        rule = rule or ExamEntryRule.for_item(session.rule_version_id, session.operation_item)
        months = rule.reapply_after_revocation_months if rule is not None else 0
        revoked_on = timezone.localdate(cert.state_changed_at or cert.updated_at)
        until = add_months(revoked_on, months)
        if on < until:
            found.append(_("%(what)s证书（%(number)s）于 %(on)s 被撤销，%(until)s 前不能再次申请")
                         % {"what": what, "number": cert.number, "on": revoked_on.isoformat(),
                            "until": until.isoformat()})
    return found


# --------------------------------------------------------------------------------------------
# No duplicate certificates: what a person already holds for the same operation
# --------------------------------------------------------------------------------------------


def _same_operation_q(kind, operation_item) -> Q:
    """Certificates for the same operation as ``kind`` + ``operation_item``, in any rule version: the
    operation item by its category and item codes (a new version copies them), or, for kinds without
    an operation item (management certificates), the kind by its code."""
    if operation_item is not None:
        return Q(kind__family=kind.family, operation_item__code=operation_item.code,
                 operation_item__category__code=operation_item.category.code)
    return Q(kind__code=kind.code, operation_item__isnull=True)


def standing_certificates(*, holder_ids, kind, operation_item, on: dt.date | None = None) -> QuerySet[Certificate]:
    """Certificates of these people for the same operation that still stand on day ``on``: valid or
    in the review window, or suspended (a new certificate would get round the suspension). Expired,
    revoked and review-overdue certificates (void under the rules: a new exam is needed) do not."""
    on = on or timezone.localdate()
    live = Q(state=Certificate.State.ACTIVE) & (Q(next_review_due__isnull=True) | Q(next_review_due__gte=on))
    return (Certificate.objects.filter(holder_id__in=list(holder_ids), valid_until__gte=on)
            .filter(_same_operation_q(kind, operation_item))
            .filter(live | Q(state=Certificate.State.SUSPENDED))
            .select_related("kind", "operation_item")
            .order_by("holder_id", "-valid_from"))


def duplicate_message(certificate: Certificate) -> str:
    """Why a second certificate is refused, and the way that exists instead."""
    label = certificate.operation_item.name if certificate.operation_item_id else certificate.kind.name
    values = {"name": certificate.holder_name, "op": label, "n": certificate.number,
              "d": certificate.valid_until.isoformat()}
    if certificate.state == Certificate.State.SUSPENDED:
        return _("%(name)s已持有%(op)s证书（编号 %(n)s），目前处于暂扣状态，不能另发新证；暂扣事由消除后由发证单位恢复该证书。") % values
    return _("%(name)s已持有有效的%(op)s证书（编号 %(n)s，有效期至 %(d)s），不能重复发证；"
             "证书需要复审或到期延期换证的，请在该证书页面申请复审（延期换证）。") % values


def registration_warnings(session, candidates) -> dict[int, list[str]]:
    """The exams app's registration warning: the candidate already holds a standing certificate for
    the session's operation. One query for the whole list."""
    found: dict[int, list[str]] = {}
    for certificate in standing_certificates(holder_ids=[c.pk for c in candidates], kind=session.certificate_kind,
                                             operation_item=session.operation_item):
        if certificate.holder_id not in found:
            found[certificate.holder_id] = [duplicate_message(certificate)]
    return found


def duplicates_for_registrations(registrations) -> dict[int, str]:
    """For the issue list: {registration id: why issuing would be refused} for candidates who already
    hold a standing certificate for the session's operation. One query per certificate kind and
    operation item among the rows."""
    groups: dict[tuple, list] = {}
    for r in registrations:
        groups.setdefault((r.session.certificate_kind_id, r.session.operation_item_id), []).append(r)
    found: dict[int, str] = {}
    for rows in groups.values():
        session = rows[0].session
        held = {}
        for certificate in standing_certificates(holder_ids={r.candidate_id for r in rows},
                                                 kind=session.certificate_kind, operation_item=session.operation_item):
            held.setdefault(certificate.holder_id, certificate)
        for r in rows:
            if r.candidate_id in held:
                found[r.pk] = duplicate_message(held[r.candidate_id])
    return found
