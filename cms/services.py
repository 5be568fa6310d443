"""Writes for the CMS: the page tree, editorial groups, warning push, read receipts, search index."""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.db import transaction
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from wagtail.models import Page, Site

from core.audit import audit_record
from core.notify import notify
from accounts.models import Membership, Organization
from accounts.roles import OrgKind, Role

from .models import (
    Clause, ContentRootPage, EnforcementCaseIndexPage, GuideIndexPage, NoticeIndexPage, SearchDocument,
    StandardIndexPage, WarningCaseIndexPage, WarningCasePage, WarningNotification, WarningReadCount,
)

log = logging.getLogger(__name__)

SECTIONS = [
    (StandardIndexPage, "standards", "标准规范"),
    (GuideIndexPage, "guides", "隐患排查指引"),
    (WarningCaseIndexPage, "cases", "事故警示案例"),
    (EnforcementCaseIndexPage, "enforcement", "典型执法案例"),
    (NoticeIndexPage, "notices", "通知公告"),
]

EDITORS_GROUP = "Editors"
MODERATORS_GROUP = "Moderators"
# accounts roles → Wagtail groups (editors draft and submit; moderators approve and publish).
ROLE_GROUPS = {Role.BUREAU_EDITOR: EDITORS_GROUP, Role.BUREAU_PUBLISHER: MODERATORS_GROUP}
# Who receives targeted warnings in a matching enterprise.
WARNING_ROLES = (Role.PRINCIPAL, Role.SAFETY_MANAGER)


# --------------------------------------------------------------------------- tree and groups


def site_tree_ensure() -> ContentRootPage:
    """Create the content root and its section index pages once, point the default Site at it, and
    make sure the editorial groups, their permissions and the approval workflow exist. Idempotent;
    runs after every migrate (and after a test database flush)."""
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale

    if not Locale.objects.exists():
        from django.conf import settings

        Locale.objects.create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    wagtail_root = Page.get_first_root_node()
    if wagtail_root is None:
        wagtail_root = Page.add_root(instance=Page(title="Root", slug="root"))
    root = ContentRootPage.objects.first()
    if root is None:
        root = ContentRootPage(title="安训", slug="anxun", intro="")
        wagtail_root.add_child(instance=root)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", port=80, root_page=root, is_default_site=True, site_name="安训")
    elif site.root_page_id != root.pk:
        site.root_page = root
        site.site_name = site.site_name or "安训"
        site.save(update_fields=["root_page", "site_name"])
    # Wagtail's own placeholder "Welcome" page is no longer needed once our root is served.
    for page in Page.objects.filter(depth=2, slug="home", content_type__model="page", numchild=0):
        page.delete()
    existing = {type(p.specific) for p in root.get_children()}
    for model, slug, title in SECTIONS:
        if model not in existing and not model.objects.exists():
            root.add_child(instance=model(title=title, slug=slug))
    editorial_groups_ensure(root)
    return root


PAGE_PERMISSIONS = {
    EDITORS_GROUP: ("add_page", "change_page"),
    MODERATORS_GROUP: ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"),
}
COLLECTION_PERMISSIONS = {
    "wagtailimages": ("add_image", "change_image", "choose_image"),
    "wagtaildocs": ("add_document", "change_document", "choose_document"),
}


def editorial_groups_ensure(root: Page | None = None) -> None:
    """Editors draft pages and clauses; moderators also approve and publish. Both reach the admin,
    upload pictures and documents, and every page under the content root goes through the
    moderators' approval workflow."""
    from wagtail.models import (
        Collection, GroupApprovalTask, GroupCollectionPermission, GroupPagePermission, Task, Workflow, WorkflowTask,
    )

    root = root or ContentRootPage.objects.first()
    perms = {(p.content_type.app_label, p.codename): p for p in Permission.objects.filter(
        content_type__app_label__in=["cms", "wagtailadmin", "wagtailcore", "wagtailimages", "wagtaildocs"]
    ).select_related("content_type")}
    collection = Collection.get_first_root_node() or Collection.add_root(name="Root")
    groups = {}
    for name, codenames in (
        (EDITORS_GROUP, ("add_clause", "change_clause", "view_clause")),
        (MODERATORS_GROUP, ("add_clause", "change_clause", "delete_clause", "view_clause")),
    ):
        group, _created = Group.objects.get_or_create(name=name)
        groups[name] = group
        wanted = [perms[("cms", c)] for c in codenames if ("cms", c) in perms]
        if ("wagtailadmin", "access_admin") in perms:
            wanted.append(perms[("wagtailadmin", "access_admin")])
        group.permissions.add(*wanted)
        for app, codes in COLLECTION_PERMISSIONS.items():
            for code in codes:
                if (app, code) in perms:
                    GroupCollectionPermission.objects.get_or_create(group=group, collection=collection, permission=perms[(app, code)])
        if root is not None:
            covered = set(GroupPagePermission.objects.filter(
                group=group, page__in=root.get_ancestors(inclusive=True)
            ).values_list("permission__codename", flat=True))
            for code in PAGE_PERMISSIONS[name]:
                if code not in covered and ("wagtailcore", code) in perms:
                    GroupPagePermission.objects.create(group=group, page=root, permission=perms[("wagtailcore", code)])
    existing = root.get_workflow() if root is not None else None
    if existing is not None and existing.name == "Moderators approval":
        # Wagtail's own default workflow on the site root: keep it, in the bureau's words.
        Workflow.objects.filter(pk=existing.pk).update(name="编辑起草、审核发布")
        Task.objects.filter(pk__in=existing.workflow_tasks.values("task_id"), name="Moderators approval").update(
            name="监管部门审核发布")
    if root is not None and existing is None:
        task = GroupApprovalTask.objects.create(name="监管部门审核发布")
        task.groups.set([groups[MODERATORS_GROUP]])
        workflow = Workflow.objects.create(name="编辑起草、审核发布")
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
        workflow.workflow_pages.create(page=root)


def wagtail_groups_sync(*, user) -> None:
    """Bureau editors join the Editors group, bureau publishers the Moderators group."""
    roles = set(
        Membership.objects.filter(user=user, is_active=True, organization__is_active=True).values_list("role", flat=True)
    )
    for role, name in ROLE_GROUPS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        if role in roles:
            user.groups.add(group)
        else:
            user.groups.remove(group)


# --------------------------------------------------------------------------- targeted warnings


def matching_enterprises(case: WarningCasePage):
    """Active enterprises sharing the case's industry, any hazard tag or any equipment/process tag."""
    q = Q(pk__in=[])
    if case.industry_id:
        q |= Q(industry_id=case.industry_id)
    hazard_ids = [t.pk for t in case.hazard_tags.all()]
    process_ids = [t.pk for t in case.process_tags.all()]
    if hazard_ids:
        q |= Q(hazard_tags__in=hazard_ids)
    if process_ids:
        q |= Q(process_tags__in=process_ids)
    return (
        Organization.objects.filter(q, kind=OrgKind.ENTERPRISE, is_active=True)
        .distinct()
        .prefetch_related("hazard_tags", "process_tags")
        .select_related("industry")
    )


def _match_reason(case: WarningCasePage, org: Organization) -> str:
    reasons = []
    if case.industry_id and org.industry_id == case.industry_id:
        reasons.append(_("行业：%s") % case.industry.name)
    case_hazards = {t.pk: t.name for t in case.hazard_tags.all()}
    case_processes = {t.pk: t.name for t in case.process_tags.all()}
    hz = [case_hazards[t.pk] for t in org.hazard_tags.all() if t.pk in case_hazards]
    pr = [case_processes[t.pk] for t in org.process_tags.all() if t.pk in case_processes]
    if hz:
        reasons.append(_("风险特征：%s") % "、".join(hz))
    if pr:
        reasons.append(_("设备/工艺：%s") % "、".join(pr))
    return "；".join(reasons)[:255]


def _notify(case: WarningCasePage, orgs, *, whole_page: bool = False) -> list[WarningNotification]:
    orgs = list(orgs)
    if not orgs:
        return []
    members = (
        Membership.objects.filter(organization__in=orgs, role__in=WARNING_ROLES, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("organization_id", "user_id", "role")
    )
    by_org = {o.pk: o for o in orgs}
    existing = set(
        WarningNotification.objects.filter(page=case, organization__in=orgs).values_list("organization_id", "recipient_id")
    )
    new: dict[tuple[int, int], WarningNotification] = {}
    for m in members:
        key = (m.organization_id, m.user_id)
        if key in existing or key in new:
            continue
        new[key] = WarningNotification(
            page=case, organization_id=m.organization_id, recipient=m.user, role=m.role,
            matched_on=_match_reason(case, by_org[m.organization_id]),
        )
    WarningNotification.objects.bulk_create(new.values(), ignore_conflicts=True)
    if new:
        regions = None if whole_page else sorted({o.region_id or "" for o in orgs})
        warning_counts_rebuild(page_ids=[case.pk], region_codes=regions)
    created = list(
        WarningNotification.objects.filter(page=case, emailed_at__isnull=True, organization__in=orgs)
        .select_related("recipient")
    )
    _email(case, created)
    return created


def _email(case: WarningCasePage, notifications: list[WarningNotification]) -> None:
    """Tell each new recipient: in-app notification, text message and e-mail (core.notify; the
    messages leave after commit). ``emailed_at`` marks a recipient told, so nobody is told twice."""
    from django.conf import settings

    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    told = []
    for n in notifications:
        url = reverse("cms:inbox_item", args=[n.pk])
        try:
            notify(
                [n.recipient], kind="cms.warning", sms=True, email=True,
                title=_("【安全预警】%s") % case.title,
                body=_("%(name)s：\n\n监管部门发布了与贵单位相关的事故警示案例“%(title)s”（%(reason)s）。"
                       "请登录平台阅读并确认：%(url)s\n") % {
                    "name": n.recipient.display_name, "title": case.title, "reason": n.matched_on,
                    "url": f"{base}{url}"},
                url=url,
                sms_text=_("【安训】安全预警：%(title)s。请登录平台“消息”页面阅读并确认。") % {"title": case.title},
            )
            told.append(n.pk)
        except Exception:  # one failure must not stop the others
            log.exception("warning notification to user %s failed", n.recipient_id)
    if told:
        WarningNotification.objects.filter(pk__in=told).update(emailed_at=timezone.now())


@transaction.atomic
def warning_push(*, page_id: int) -> int:
    """Send a live warning case to every responsible person of every matching enterprise.
    Idempotent: re-publishing or editing never duplicates a notification. Returns how many are new."""
    case = WarningCasePage.objects.live().filter(pk=page_id).first()
    if case is None:
        return 0
    before = WarningNotification.objects.filter(page=case).count()
    _notify(case, matching_enterprises(case), whole_page=True)
    created = WarningNotification.objects.filter(page=case).count() - before
    if created:
        audit_record(actor=None, action="cms.warning_push", target=case, after={"notifications": created})
    return created


def warning_backfill_for_member(*, membership: Membership) -> int:
    """A person who becomes principal or safety manager of an enterprise later still gets the
    live warnings that match that enterprise."""
    if membership.role not in WARNING_ROLES or not membership.is_active:
        return 0
    org = membership.organization
    if org.kind != OrgKind.ENTERPRISE:
        return 0
    hazard_ids = list(org.hazard_tags.values_list("pk", flat=True))
    process_ids = list(org.process_tags.values_list("pk", flat=True))
    q = Q(pk__in=[])
    if org.industry_id:
        q |= Q(industry_id=org.industry_id)
    if hazard_ids:
        q |= Q(hazard_tags__in=hazard_ids)
    if process_ids:
        q |= Q(process_tags__in=process_ids)
    count = 0
    for case in WarningCasePage.objects.live().filter(q).distinct():
        before = WarningNotification.objects.filter(page=case, organization=org).count()
        _notify(case, [Organization.objects.prefetch_related("hazard_tags", "process_tags").get(pk=org.pk)])
        count += WarningNotification.objects.filter(page=case, organization=org).count() - before
    return count


class NotOpenedYet(Exception):
    """A warning is confirmed read only by a recipient who has opened it."""

    message = _("请先打开这条警示、阅读案例内容后再确认已读。")


def notification_mark_opened(*, notification: WarningNotification, user) -> WarningNotification:
    """Record the first time the recipient opened the warning (later openings change nothing)."""
    if notification.recipient_id != user.pk:
        raise PermissionError("not the recipient")
    if notification.opened_at is None:
        now = timezone.now()
        # only the first opening counts, even when two tabs open it at once
        WarningNotification.objects.filter(pk=notification.pk, opened_at__isnull=True).update(opened_at=now)
        notification.opened_at = WarningNotification.objects.values_list("opened_at", flat=True).get(pk=notification.pk)
    return notification


@transaction.atomic
def notification_mark_read(*, notification: WarningNotification, user, request=None) -> WarningNotification:
    """Confirm a warning read. Refused (``NotOpenedYet``, nothing recorded) unless the recipient has
    opened it first: a warning cannot be confirmed from the list without being read."""
    if notification.recipient_id != user.pk:
        raise PermissionError("not the recipient")
    if notification.read_at is None and notification.opened_at is None:
        raise NotOpenedYet(NotOpenedYet.message)
    if notification.read_at is None:
        from core.models import Notification

        now = timezone.now()
        # only the first confirmation counts, even when two tabs confirm at once
        if not WarningNotification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
            notification.read_at = WarningNotification.objects.values_list("read_at", flat=True).get(pk=notification.pk)
            return notification
        notification.read_at = now
        _count_read(notification)
        # the in-app notices (bell) about this warning are read with it
        Notification.objects.filter(
            user=user, read_at__isnull=True,
            url__in=[reverse("cms:inbox_item", args=[notification.pk])]).update(read_at=notification.read_at)
        audit_record(actor=user, action="cms.warning_read", target=notification, after={"read_at": notification.read_at}, request=request)
    return notification


# The read-status figures (``WarningReadCount``, per warning case and region) change only here: a push
# recounts the case's regions it reached, a confirmation adds one; ``warning_counts_rebuild`` also
# runs nightly (cms/schedule.py) and after a generated population is loaded, and puts right what
# changed around the pushes (an enterprise moved to another region, a person or enterprise deleted).


def _pushes_by_region(page_ids, region_codes):
    qs = WarningNotification.objects.annotate(region_code=Coalesce("organization__region_id", Value("")))
    if page_ids is not None:
        qs = qs.filter(page_id__in=page_ids)
    if region_codes is not None:
        qs = qs.filter(region_code__in=region_codes)
    return (qs.order_by().values("page_id", "region_code")
            .annotate(n=Count("pk"), n_read=Count("pk", filter=Q(read_at__isnull=False)),
                      n_orgs=Count("organization_id", distinct=True)))


@transaction.atomic
def warning_counts_rebuild(*, page_ids=None, region_codes=None) -> int:
    """Recount the read-status figures of the cases ``page_ids`` (all when None) in the regions
    ``region_codes`` (all when None) from their pushes. Idempotent; returns the rows written."""
    counts = WarningReadCount.objects.all()
    if page_ids is not None:
        counts = counts.filter(page_id__in=page_ids)
    if region_codes is not None:
        counts = counts.filter(region_code__in=region_codes)
    kept = {(pk, page, region) for pk, page, region in counts.select_for_update().values_list("pk", "page_id", "region_code")}
    rows = [
        WarningReadCount(page_id=r["page_id"], region_code=r["region_code"], recipients=r["n"], read=r["n_read"],
                         enterprises=r["n_orgs"])
        for r in _pushes_by_region(page_ids, region_codes)
    ]
    fresh = {(r.page_id, r.region_code) for r in rows}
    gone = [pk for pk, page, region in kept if (page, region) not in fresh]
    if gone:
        WarningReadCount.objects.filter(pk__in=gone).delete()
    WarningReadCount.objects.bulk_create(
        rows, batch_size=1000, update_conflicts=True, unique_fields=["page", "region_code"],
        update_fields=["recipients", "read", "enterprises", "updated_at"])
    return len(rows)


def _count_read(notification: WarningNotification) -> None:
    """One more confirmation in the figures of the notification's case and region (recounted
    instead when the figures are missing or would not add up)."""
    region = Organization.objects.filter(pk=notification.organization_id).values_list("region_id", flat=True).first() or ""
    bumped = WarningReadCount.objects.filter(
        page_id=notification.page_id, region_code=region, read__lt=F("recipients"),
    ).update(read=F("read") + 1, updated_at=timezone.now())
    if not bumped:
        warning_counts_rebuild(page_ids=[notification.page_id], region_codes=[region])


REMIND_AGAIN_AFTER = dt.timedelta(hours=1)


def warning_remind_queue(*, page: WarningCasePage, actor) -> None:
    """Queue the reminders of one case to the unread recipients in the actor's scope (after commit)."""
    from .tasks import warning_remind

    transaction.on_commit(lambda: warning_remind.delay(page.pk, actor.pk))


def warning_remind_unread(*, page: WarningCasePage, notifications, actor, request=None) -> int:
    """Send a reminder to every unread recipient among ``notifications`` (already scoped), except
    those reminded within the last hour — so a retried task or a second press sends nothing twice."""
    now = timezone.now()
    unread = [n for n in notifications if n.read_at is None
              and (n.reminded_at is None or n.reminded_at < now - REMIND_AGAIN_AFTER)]
    for n in unread:
        try:
            notify(
                [n.recipient], kind="cms.warning_remind", sms=True, email=True,
                title=_("【提醒】请阅读安全预警：%s") % page.title,
                body=_("%(name)s：您尚未确认阅读事故警示案例“%(title)s”，请登录平台“消息”页面阅读并确认。")
                % {"name": n.recipient.display_name, "title": page.title},
                url=reverse("cms:inbox_item", args=[n.pk]),
            )
        except Exception:
            log.exception("reminder to user %s failed", n.recipient_id)
    WarningNotification.objects.filter(pk__in=[n.pk for n in unread]).update(reminded_at=now)
    if unread:
        audit_record(actor=actor, action="cms.warning_remind", target=page, after={"reminded": len(unread)}, request=request)
    return len(unread)


# --------------------------------------------------------------------------- search index


def _stream_text(value) -> str:
    try:
        return strip_tags(value.render_as_block()) if value else ""
    except Exception:  # a broken block must not stop indexing
        return ""


def page_search_text(page) -> str:
    parts = [page.title, getattr(page, "search_description", "")]
    for field in ("summary", "intro", "document_number", "issuing_body", "place", "supersedes_text", "penalty", "issuer"):
        parts.append(str(getattr(page, field, "") or ""))
    for field in ("direct_causes", "underlying_causes", "lessons", "violation", "legal_basis"):
        parts.append(strip_tags(getattr(page, field, "") or ""))
    for field in ("body", "what_happened", "steps"):
        if hasattr(page, field):
            parts.append(_stream_text(getattr(page, field)))
    if hasattr(page, "hazard_tags"):
        parts += [t.name for t in page.hazard_tags.all()]
        parts += [t.name for t in page.process_tags.all()]
        if page.industry_id:
            parts.append(page.industry.name)
    return "\n".join(p for p in parts if p)


def _page_date(page):
    for field in ("occurred_on", "decided_on", "issued_on", "effective_date"):
        value = getattr(page, field, None)
        if value:
            return value
    return page.first_published_at.date() if page.first_published_at else None


def _searchable():
    from .models import EnforcementCasePage, HazardGuidePage, NoticePage, StandardPage

    return (StandardPage, HazardGuidePage, WarningCasePage, EnforcementCasePage, NoticePage)


def search_index_page(page) -> None:
    SEARCHABLE_PAGE_TYPES = _searchable()
    page = page.specific
    key = f"page:{page.pk}"
    if not page.live or not isinstance(page, SEARCHABLE_PAGE_TYPES):
        SearchDocument.objects.filter(key=key).delete()
        return
    SearchDocument.objects.update_or_create(
        key=key,
        defaults={
            "kind": page._meta.model_name, "title": page.title[:255], "text": page_search_text(page),
            "url": page.url or "", "date": _page_date(page),
        },
    )


def search_unindex_page(page_id: int) -> None:
    SearchDocument.objects.filter(key=f"page:{page_id}").delete()


def search_index_clause(clause: Clause) -> None:
    key = f"clause:{clause.pk}"
    if not clause.standard.live:
        SearchDocument.objects.filter(key=key).delete()
        return
    text = "\n".join([
        clause.title, clause.text, strip_tags(clause.interpretation or ""), _stream_text(clause.examples),
        clause.standard.title, clause.standard.document_number,
    ])
    SearchDocument.objects.update_or_create(
        key=key,
        defaults={
            "kind": "clause", "title": f"{clause.standard.title} {clause.number_label} {clause.title}"[:255],
            "text": text, "url": clause.get_absolute_url(), "date": clause.standard.effective_date,
        },
    )


def search_rebuild() -> int:
    """Re-index every live page and clause (management command ``cms_reindex``)."""
    SearchDocument.objects.all().delete()
    n = 0
    for model in _searchable():
        for page in model.objects.live():
            search_index_page(page)
            n += 1
    for clause in Clause.objects.select_related("standard"):
        search_index_clause(clause)
        n += 1
    return n
