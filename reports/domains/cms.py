"""Warning education and enforcement cases: pushes, read receipts, published cases."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from cms import selectors as cms

from ..metrics import Metric, Source, model, register_metric, register_source
from ..scope import Scope


def _notifications(scope: Scope) -> QuerySet:
    """Pushes to the people of the scope's enterprises: cms's own selector, as the inbox uses."""
    return cms.notifications_of_enterprises(scope.enterprise_ids())


def _sent(scope: Scope) -> Q:
    return scope.in_period("created_at")


register_source(Source(
    key="notifications", label="警示推送", models=("cms.WarningNotification",), base=_notifications,
    template="reports/rows/notifications.html",
    facets={"org": lambda scope, v: Q(organization_id=v), "page": lambda scope, v: Q(page_id=v)},
    order_by=("read_at", "-created_at", "pk"), select_related=("page", "organization", "recipient"),
    org_field="organization_id",
))
register_metric(Metric("notif_sent", "推送警示通知", "notifications", _sent, unit="份",
                       help="统计期间内推送给本辖区企业负责人的事故警示。"))
register_metric(Metric("notif_read", "已确认阅读", "notifications",
                       lambda s: _sent(s) & ~cms.unread_q(), unit="份"))
register_metric(Metric("notif_unread", "尚未阅读", "notifications",
                       lambda s: _sent(s) & cms.unread_q(), unit="份"))
register_metric(Metric("notif_unread_all", "接收人尚未确认阅读的警示推送", "notifications", lambda s: cms.unread_q(),
                       unit="份", help="推送给企业主要负责人、安全生产管理人员，至今仍未由接收人本人打开并确认阅读的"
                       "警示（不限统计期间；每位接收人一份，列表中可见接收人）。"))


def _cases(scope: Scope) -> QuerySet:
    """Live warning cases pushed to at least one enterprise of the scope."""
    pushed = model("cms.WarningNotification").objects.filter(page_id=OuterRef("pk"),
                                                              organization__in=scope.enterprise_ids())
    return model("cms.WarningCasePage").objects.live().filter(Exists(pushed))


register_source(Source(
    key="warning_cases", label="事故警示案例", models=("cms.WarningCasePage",), base=_cases,
    template="reports/rows/warning_cases.html", order_by=("-first_published_at", "pk"), select_related=("industry",),
    link=("notifications", "page_id"),
))
register_metric(Metric("warnings_published", "发布并推送的警示案例", "warning_cases",
                       lambda s: s.in_period("first_published_at"), unit="个",
                       help="统计期间内发布、且推送到本辖区企业的事故警示案例。"))


def _enforcement(scope: Scope) -> QuerySet:
    return model("cms.EnforcementCasePage").objects.live()


register_source(Source(
    key="enforcement_cases", label="典型执法案例", models=("cms.EnforcementCasePage",), base=_enforcement,
    template="reports/rows/enforcement_cases.html", order_by=("-first_published_at", "pk"),
))
register_metric(Metric("enforcement_published", "公布典型执法案例", "enforcement_cases",
                       lambda s: s.in_period("first_published_at"), unit="个",
                       help="平台公开发布的典型执法案例（平台案例不区分地区）。"))
register_metric(Metric("enforcement_dangerous_work", "其中危险作业罪案例", "enforcement_cases",
                       lambda s: s.in_period("first_published_at") & Q(criminal_prosecution=True), unit="个"))
