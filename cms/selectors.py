"""Reads for the CMS, scoped to the requesting user through accounts.selectors."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from accounts.roles import ENTERPRISE_MANAGERS, OrgKind
from accounts.selectors import organizations_of, region_prefixes

from .models import Clause, SearchDocument, WarningCasePage, WarningNotification, WarningReadCount, search_bigrams

GRAMS_EXPR = "string_to_array(btrim(grams), ' ')"  # the expression cms migration 0003 indexes


def clause_by_code(code: str) -> Clause | None:
    return (
        Clause.objects.select_related("standard")
        .prefetch_related("industries", "hazard_tags", "process_tags")
        .filter(code=code.lower(), standard__live=True)
        .first()
    )


def pages_citing(clause: Clause, limit: int = 20) -> list:
    """Live guides, warning cases and enforcement cases that cite a clause (three queries)."""
    from .models import EnforcementCasePage, HazardGuidePage

    out = []
    for model in (WarningCasePage, EnforcementCasePage, HazardGuidePage):
        out += list(model.objects.live().filter(clauses=clause).only("title", "url_path").order_by("-first_published_at")[:limit])
    return out


def live_notifications() -> QuerySet[WarningNotification]:
    """Every push of a warning that is still published: the one base of the inbox, the read-status
    pages and the dashboards' warning figures."""
    return WarningNotification.objects.filter(page__live=True)


def unread_q() -> Q:
    """A push its recipient has not yet confirmed read (in the inbox: “未读”)."""
    return Q(read_at__isnull=True)


def notifications_of_enterprises(org_ids) -> QuerySet[WarningNotification]:
    """Pushes to the people of the enterprises ``org_ids`` (ids or a values("pk") queryset)."""
    return live_notifications().filter(organization__in=org_ids)


def inbox_for(user) -> QuerySet[WarningNotification]:
    return (
        live_notifications().filter(recipient=user)
        .select_related("page", "organization")
        .order_by("read_at", "-created_at")
    )


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return live_notifications().filter(unread_q(), recipient=user).count()


def enterprise_unread(user) -> list[dict]:
    """For the enterprises the user manages: how many pushes to their people are still unconfirmed
    (the enterprise dashboard's figure, counted from the same selector). [{"org", "n"}], one query."""
    orgs = {o.pk: o for o in organizations_of(user, *ENTERPRISE_MANAGERS) if o.kind == OrgKind.ENTERPRISE}
    if not orgs:
        return []
    counts = dict(notifications_of_enterprises(list(orgs)).filter(unread_q()).order_by()
                  .values("organization_id").annotate(n=Count("pk")).values_list("organization_id", "n"))
    return [{"org": org, "n": counts.get(pk, 0)} for pk, org in orgs.items()]


def status_region_prefixes(user) -> list[str] | None:
    """The region-code prefixes whose enterprises' read status a user oversees: None for a
    superuser (everything), the bureau's regions otherwise (none for anybody else)."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return None
    return sorted(region_prefixes(user))


def _prefix_q(prefixes: list[str], field: str) -> Q:
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(**{f"{field}__startswith": p})
    return q


def notifications_visible_to(user) -> QuerySet[WarningNotification]:
    """Pushes to the enterprises of the regions a bureau user oversees; nothing for others."""
    prefixes = status_region_prefixes(user)
    if prefixes is None:
        return live_notifications()
    if not prefixes:
        return WarningNotification.objects.none()
    return live_notifications().filter(_prefix_q(prefixes, "organization__region__code"))


def _read_counts_visible_to(user) -> QuerySet[WarningReadCount]:
    prefixes = status_region_prefixes(user)
    qs = WarningReadCount.objects.filter(page__live=True, recipients__gt=0)
    if prefixes is None:
        return qs
    if not prefixes:
        return qs.none()
    return qs.filter(_prefix_q(prefixes, "region_code"))


def _totals(qs):
    return qs.annotate(n=Sum("recipients"), n_read=Sum("read"), n_orgs=Sum("enterprises"))


def warning_status_list(user):
    """Warning cases pushed within the user's scope, newest first, as rows
    ``{"page_id", "n", "n_read", "n_orgs"}``: summed from the kept per-region figures
    (``WarningReadCount``), a few rows per case whatever the number of pushes."""
    return _totals(_read_counts_visible_to(user).values("page_id")).order_by("-page__occurred_on", "-page_id")


def warning_status_pages(rows) -> list[WarningCasePage]:
    """The cases of one page of ``warning_status_list`` with ``recipients``, ``read``, ``unread``
    and ``enterprises`` set (one query)."""
    rows = list(rows)
    pages = WarningCasePage.objects.in_bulk([r["page_id"] for r in rows])
    out = []
    for r in rows:
        page = pages[r["page_id"]]
        page.recipients, page.read, page.enterprises = r["n"], r["n_read"], r["n_orgs"]
        page.unread = page.recipients - page.read
        out.append(page)
    return out


def warning_status_totals(user, page: WarningCasePage) -> dict:
    """Recipients, read, unread and enterprises of one case within the user's scope (kept figures)."""
    row = _read_counts_visible_to(user).filter(page=page).aggregate(
        n=Sum("recipients"), n_read=Sum("read"), n_orgs=Sum("enterprises"))
    total, read = row["n"] or 0, row["n_read"] or 0
    return {"total": total, "read": read, "unread": total - read, "enterprises": row["n_orgs"] or 0}


STATUS_DETAIL_SIZE = 50


def warning_status_detail(user, page: WarningCasePage, *, after: int = 0, size: int = STATUS_DETAIL_SIZE):
    """One page of the case's enterprises within the user's scope, in enterprise order after the
    enterprise ``after`` (keyset: no OFFSET, no count), each with its recipients.
    Returns ``(groups, next_after)``; ``next_after`` is None on the last page."""
    scoped = notifications_visible_to(user).filter(page=page)
    org_ids = list(scoped.filter(organization_id__gt=after).order_by("organization_id")
                   .values_list("organization_id", flat=True).distinct()[:size + 1])
    next_after = org_ids[size - 1] if len(org_ids) > size else None
    rows = (scoped.filter(organization_id__in=org_ids[:size]).select_related("organization", "recipient")
            .order_by("organization_id", "read_at", "recipient__real_name", "pk"))
    groups: dict[int, dict] = {}
    for n in rows:
        g = groups.setdefault(n.organization_id, {"org": n.organization, "rows": [], "read": 0})
        g["rows"].append(n)
        g["read"] += n.read_at is not None
    return list(groups.values()), next_after


def warning_status_unread(user, page: WarningCasePage) -> QuerySet[WarningNotification]:
    """The unread pushes of one case within the user's scope (whom a reminder reaches)."""
    return notifications_visible_to(user).filter(unread_q(), page=page).select_related("recipient").order_by("pk")


def search_candidates(terms: list[str], *, use_index: bool = True) -> QuerySet[SearchDocument]:
    """Documents whose title or text contains every term (case-insensitive substring). Terms of
    two characters and more first narrow the rows by their bigrams: on PostgreSQL through the GIN
    index over ``grams`` (cms migration 0003), elsewhere by the stored bigrams; the substring
    test then decides, so the result is exactly that of the plain scan."""
    q = Q()
    for t in terms:
        if t.lower() == t.upper():
            # a term without letters that have a case (Chinese, digits): the case-insensitive test
            # is the plain one, without upper-casing every candidate's text (most of the time)
            q &= Q(title__contains=t) | Q(text__contains=t)
        else:
            q &= Q(title__icontains=t) | Q(text__icontains=t)
    qs = SearchDocument.objects.filter(q)
    grams = sorted(search_bigrams(*terms)) if use_index else []
    if grams:
        if connection.vendor == "postgresql":
            qs = qs.extra(where=[f"{GRAMS_EXPR} @> %s::text[]"], params=[grams])
        else:
            for g in grams:
                qs = qs.filter(grams__contains=f" {g} ")
    return qs


SEARCH_CANDIDATES = 500
SEARCH_FIELDS = ("pk", "key", "kind", "title", "text", "url", "date")


def search(query: str, *, limit: int = 50, use_index: bool = True) -> list[SearchDocument]:
    """Substring search over titles and text, every whitespace-separated term must match.
    Ranked: title hits first, then by how often the terms occur, then newest. The candidates are
    read as plain values and only the returned ones become model instances."""
    terms = [t for t in query.split() if t][:8]
    if not terms:
        return []
    rows = list(search_candidates(terms, use_index=use_index).values_list(*SEARCH_FIELDS)[:SEARCH_CANDIDATES])
    low_terms = [t.lower() for t in terms]

    def score(row):
        title = row[3].lower()
        text = row[4].lower()
        s = 0
        for tl in low_terms:
            s += 10 * title.count(tl) + min(text.count(tl), 20)
        return (-s, -(row[6].toordinal() if row[6] else 0))

    rows.sort(key=score)
    return [SearchDocument(**dict(zip(("id", *SEARCH_FIELDS[1:]), row))) for row in rows[:limit]]
