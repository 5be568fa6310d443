"""Reads for the CMS, scoped to the requesting user through accounts.selectors."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, F, Q, QuerySet

from accounts.selectors import enterprises_visible_to, region_prefixes

from .models import Clause, SearchDocument, WarningCasePage, WarningNotification, search_bigrams

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


def inbox_for(user) -> QuerySet[WarningNotification]:
    return (
        WarningNotification.objects.filter(recipient=user, page__live=True)
        .select_related("page", "organization")
        .order_by("read_at", "-created_at")
    )


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return WarningNotification.objects.filter(recipient=user, read_at__isnull=True, page__live=True).count()


def notifications_visible_to(user) -> QuerySet[WarningNotification]:
    """Notifications of enterprises a bureau user oversees (region-scoped); nothing for others."""
    if not getattr(user, "is_authenticated", False):
        return WarningNotification.objects.none()
    if not user.is_superuser and not region_prefixes(user):
        return WarningNotification.objects.none()
    return WarningNotification.objects.filter(organization__in=enterprises_visible_to(user))


def warning_status_list(user):
    """Warning cases with recipients/read counts within the user's scope, newest first."""
    scoped = notifications_visible_to(user)
    return (
        WarningCasePage.objects.live()
        .filter(notifications__in=scoped)
        .annotate(
            recipients=Count("notifications", filter=Q(notifications__in=scoped), distinct=True),
            read=Count("notifications", filter=Q(notifications__in=scoped, notifications__read_at__isnull=False), distinct=True),
            enterprises=Count("notifications__organization", filter=Q(notifications__in=scoped), distinct=True),
        )
        .annotate(unread=F("recipients") - F("read"))
        .order_by("-occurred_on", "-pk")
        .distinct()
    )


def warning_status_detail(user, page: WarningCasePage) -> list[WarningNotification]:
    return list(
        notifications_visible_to(user)
        .filter(page=page)
        .select_related("organization", "recipient")
        .order_by("organization__name", "read_at", "recipient__real_name")
    )


def search_candidates(terms: list[str], *, use_index: bool = True) -> QuerySet[SearchDocument]:
    """Documents whose title or text contains every term (case-insensitive substring). Terms of
    two characters and more first narrow the rows by their bigrams: on PostgreSQL through the GIN
    index over ``grams`` (cms migration 0003), elsewhere by the stored bigrams; the substring
    test then decides, so the result is exactly that of the plain scan."""
    q = Q()
    for t in terms:
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


def search(query: str, *, limit: int = 50, use_index: bool = True) -> list[SearchDocument]:
    """Substring search over titles and text, every whitespace-separated term must match.
    Ranked: title hits first, then by how often the terms occur, then newest."""
    terms = [t for t in query.split() if t][:8]
    if not terms:
        return []
    docs = list(search_candidates(terms, use_index=use_index).defer("grams")[:500])

    def score(doc: SearchDocument):
        title = doc.title.lower()
        text = doc.text.lower()
        s = 0
        for t in terms:
            tl = t.lower()
            s += 10 * title.count(tl) + min(text.count(tl), 20)
        return (-s, -(doc.date.toordinal() if doc.date else 0))

    docs.sort(key=score)
    return docs[:limit]
