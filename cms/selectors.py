"""Reads for the CMS, scoped to the requesting user through accounts.selectors."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, F, Q, QuerySet

from accounts.roles import ENTERPRISE_MANAGERS, OrgKind
from accounts.selectors import enterprises_visible_to, organizations_of, region_prefixes

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


def notifications_visible_to(user) -> QuerySet[WarningNotification]:
    """Notifications of enterprises a bureau user oversees (region-scoped); nothing for others."""
    if not getattr(user, "is_authenticated", False):
        return WarningNotification.objects.none()
    if not user.is_superuser and not region_prefixes(user):
        return WarningNotification.objects.none()
    return notifications_of_enterprises(enterprises_visible_to(user))


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
