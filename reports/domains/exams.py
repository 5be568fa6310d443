"""Examinations: sessions held, candidates, sittings and passes of people in scope."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from exams import selectors as exams

from ..metrics import Metric, Source, _people, model, register_metric, register_source
from ..scope import Scope


def _registrations(scope: Scope) -> QuerySet:
    return model("exams.Registration").objects.filter(exams.registered_q(), candidate__in=_people(scope))


def _period(scope: Scope) -> Q:
    return scope.in_period("session__starts_at")


def sat_q(scope: Scope) -> Q:
    return _period(scope) & exams.sat_q()


def qualified_q(scope: Scope) -> Q:
    """Theory passed, and the practical passed where the certificate kind has a practical exam."""
    return _period(scope) & exams.qualified_q()


def failed_q(scope: Scope) -> Q:
    return sat_q(scope) & ~qualified_q(scope)


register_source(Source(
    key="registrations", label="考试报名", models=("exams.Registration",), base=_registrations,
    template="reports/rows/registrations.html",
    facets={"operation_item": lambda scope, v: Q(session__operation_item_id=v),
            "session": lambda scope, v: Q(session_id=v)},
    order_by=("-session__starts_at", "pk"),
    select_related=("candidate", "session", "session__operation_item", "session__certificate_kind",
                    "practical_result"),
    membership="candidate__memberships",
))
register_metric(Metric("exam_registered", "报名参加考试", "registrations", _period, unit="人次",
                       help="统计期间内开考的场次中的有效报名。"))
register_metric(Metric("exam_sat", "参加考试", "registrations", sat_q, unit="人次",
                       help="已交卷的正式考试报名。"))
register_metric(Metric("exam_passed", "考试合格", "registrations", qualified_q, unit="人次",
                       help="理论考试合格；有实操考试的，实操也合格。"))
register_metric(Metric("exam_failed", "考试未合格（含待实操）", "registrations", failed_q, unit="人次"))


def _sessions(scope: Scope) -> QuerySet:
    regs = _registrations(scope).filter(session_id=OuterRef("pk"))
    return model("exams.ExamSession").objects.filter(Exists(regs))


register_source(Source(
    key="exam_sessions", label="考试场次", models=("exams.ExamSession",), base=_sessions,
    template="reports/rows/exam_sessions.html",
    order_by=("-starts_at", "pk"), select_related=("centre", "operation_item", "certificate_kind"),
    link=("registrations", "session_id"),
))
register_metric(Metric("exam_sessions_held", "组织考试", "exam_sessions",
                       lambda s: s.in_period("starts_at") & Q(starts_at__lte=timezone.now()), unit="场",
                       help="统计期间内已开考、且有本辖区考生的场次。"))
