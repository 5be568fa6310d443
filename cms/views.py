from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _, gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.views import serve as wagtail_serve

from accounts.roles import BUREAU_ROLES
from accounts.selectors import has_role

from . import selectors, services
from .models import NoticePage, WarningCasePage, WarningNotification


def section(request, path: str):
    """Named entry points (for navigation) to the Wagtail section pages."""
    return wagtail_serve(request, path)


def clause_detail(request, code: str):
    clause = selectors.clause_by_code(code)
    if clause is None:
        raise Http404
    if code != clause.code:
        return redirect(clause.get_absolute_url(), permanent=True)
    siblings = list(clause.standard.clauses.filter(article=clause.article).only("code", "article", "item", "title"))
    cited_by = selectors.pages_citing(clause)
    return render(request, "cms/clause_detail.html", {
        "clause": clause, "siblings": siblings, "standard": clause.standard, "cited_by": cited_by,
    })


def _excerpt(text: str, terms: list[str], width: int = 60) -> str:
    """A window of text around the first hit, HTML-escaped, with every term wrapped in <mark>."""
    low = text.lower()
    snippet = text[: width * 3]
    for t in terms:
        i = low.find(t.lower())
        if i >= 0:
            start = max(0, i - width)
            snippet = ("…" if start else "") + text[start:i + len(t) + width * 2] + "…"
            break
    out = escape(snippet.replace("\n", " "))
    pattern = "|".join(re.escape(escape(t)) for t in sorted(terms, key=len, reverse=True))
    if pattern:
        out = re.sub(pattern, lambda m: f"<mark>{m.group(0)}</mark>", out, flags=re.IGNORECASE)
    return mark_safe(out)  # noqa: S308 - built from escaped text


KIND_LABELS = {
    "clause": gettext_lazy("标准条款"), "standardpage": gettext_lazy("标准规范"), "hazardguidepage": gettext_lazy("排查指引"),
    "warningcasepage": gettext_lazy("警示案例"), "enforcementcasepage": gettext_lazy("执法案例"), "noticepage": gettext_lazy("通知公告"),
}


def search(request):
    query = (request.GET.get("q") or "").strip()[:100]
    results = []
    if query:
        terms = query.split()
        for doc in selectors.search(query):
            results.append({"doc": doc, "excerpt": _excerpt(doc.text, terms), "kind": KIND_LABELS.get(doc.kind, doc.kind)})
    return render(request, "cms/search.html", {"query": query, "results": results})


@login_required
def inbox(request):
    qs = selectors.inbox_for(request.user)
    page_obj = Paginator(qs, 20).get_page(request.GET.get("page"))
    drill = reverse("reports:drill", args=["notif_unread_all"])
    enterprises = [{**row, "url": f"{drill}?view=enterprise&org={row['org'].pk}"}
                   for row in selectors.enterprise_unread(request.user) if row["n"]]
    return render(request, "cms/inbox.html", {
        "page_obj": page_obj, "items": page_obj.object_list, "unread": selectors.unread_count(request.user),
        "enterprises": enterprises,
    })


@login_required
def inbox_item(request, pk: int):
    notification = get_object_or_404(
        WarningNotification.objects.select_related("page", "organization"), pk=pk, recipient=request.user
    )
    # showing the warning to its recipient is what makes confirming it possible (the opening is recorded)
    services.notification_mark_opened(notification=notification, user=request.user)
    return render(request, "cms/inbox_item.html", {"n": notification, "case": notification.page})


@login_required
@require_POST
def inbox_read(request, pk: int):
    notification = get_object_or_404(WarningNotification, pk=pk, recipient=request.user)
    try:
        services.notification_mark_read(notification=notification, user=request.user, request=request)
    except services.NotOpenedYet as exc:
        messages.error(request, str(exc))
        return redirect("cms:inbox_item", pk=notification.pk)
    messages.success(request, _("已确认阅读。"))
    nxt = request.POST.get("next", "")
    if nxt.startswith("/") and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect("cms:inbox")


def _require_bureau(user):
    if not (user.is_superuser or has_role(user, *BUREAU_ROLES)):
        raise PermissionDenied


@login_required
def warning_status(request):
    _require_bureau(request.user)
    page_obj = Paginator(selectors.warning_status_list(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "cms/warning_status.html", {
        "page_obj": page_obj, "items": selectors.warning_status_pages(page_obj.object_list)})


def _after(request) -> int:
    value = request.GET.get("after") or ""
    return int(value) if value.isdigit() else 0


@login_required
def warning_status_detail(request, page_id: int):
    _require_bureau(request.user)
    case = get_object_or_404(WarningCasePage.objects.live(), pk=page_id)
    totals = selectors.warning_status_totals(request.user, case)
    if not totals["total"]:
        raise Http404
    after = _after(request)
    groups, next_after = selectors.warning_status_detail(request.user, case, after=after)
    return render(request, "cms/warning_status_detail.html", {
        "case": case, "groups": groups, "next_after": next_after, "paged": bool(after), **totals,
    })


@login_required
@require_POST
def warning_remind(request, page_id: int):
    _require_bureau(request.user)
    case = get_object_or_404(WarningCasePage.objects.live(), pk=page_id)
    if not selectors.warning_status_totals(request.user, case)["total"]:
        raise Http404
    # a province's unread recipients are many: the reminders go out from a task after the reply
    services.warning_remind_queue(page=case, actor=request.user)
    messages.success(request, _("提醒已提交，将发送给您辖区内尚未阅读的人员（一小时内已提醒过的除外）。"))
    return redirect("cms:warning_status_detail", page_id=case.pk)


class WarningCaseFeed(Feed):
    title = gettext_lazy("安训 · 事故警示案例")
    link = "/cases/"
    description = gettext_lazy("应急管理部门发布的事故警示案例")

    def items(self):
        return WarningCasePage.objects.live().order_by("-first_published_at")[:30]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return item.url

    def item_pubdate(self, item):
        return item.first_published_at


class NoticeFeed(WarningCaseFeed):
    title = gettext_lazy("安训 · 通知公告")
    link = "/notices/"
    description = gettext_lazy("通知公告")

    def items(self):
        return NoticePage.objects.live().order_by("-first_published_at")[:30]


class WarningCaseAtomFeed(WarningCaseFeed):
    feed_type = Atom1Feed
    subtitle = WarningCaseFeed.description


class NoticeAtomFeed(NoticeFeed):
    feed_type = Atom1Feed
    subtitle = NoticeFeed.description
