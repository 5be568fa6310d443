"""Training: who has been trained, coverage of the mandatory populations, overdue assignments."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.roles import Role
from courses import selectors as courses

from ..metrics import (Metric, Source, _people, has_role_in_scope, member_of_q, model, register_metric,
                       register_source)
from ..scope import Scope


def trained_q(scope: Scope) -> Q:
    """Person holds a training record that ended within the period."""
    records = model("courses.TrainingRecord").objects.filter(person_id=OuterRef("pk"))
    return Q(Exists(records.filter(scope.in_period("end_date", is_date=True))))


def overdue_q(scope: Scope) -> Q:
    enrolments = model("courses.Enrolment").objects.filter(courses.overdue_enrolment_q(scope.today),
                                                           user_id=OuterRef("pk"))
    return Q(Exists(enrolments))


POPULATIONS = [
    ("principal", "主要负责人", (Role.PRINCIPAL,)),
    ("safety_manager", "安全生产管理人员", (Role.SAFETY_MANAGER,)),
    ("worker", "从业人员", (Role.WORKER, Role.SPECIAL_OPERATOR)),
]


# People-based figures: the list behind each is a list of people.
register_metric(Metric("people_trained", "取得培训记录的人员", "people", trained_q, unit="人",
                       help="统计期间内取得培训记录（线上或线下，含复审培训）的在册人员；与选课是否完成无关。"))
register_metric(Metric("managers_trained", "取得培训记录的主要负责人和安全生产管理人员", "people",
                       lambda s: trained_q(s) & has_role_in_scope(s, Role.PRINCIPAL, Role.SAFETY_MANAGER), unit="人"))
register_metric(Metric("managers_untrained", "尚无培训记录的主要负责人和安全生产管理人员", "people",
                       lambda s: ~trained_q(s) & has_role_in_scope(s, Role.PRINCIPAL, Role.SAFETY_MANAGER), unit="人"))
register_metric(Metric("people_overdue", "培训逾期未完成的人员", "people", overdue_q, unit="人",
                       help="有已过完成期限仍未完成的培训任务。"))
for _key, _label, _roles in POPULATIONS:
    register_metric(Metric(f"pop_{_key}_trained", f"{_label}·已培训", "people",
                           lambda s, r=_roles: has_role_in_scope(s, *r) & trained_q(s), unit="人"))
    register_metric(Metric(f"pop_{_key}_untrained", f"{_label}·未培训", "people",
                           lambda s, r=_roles: has_role_in_scope(s, *r) & ~trained_q(s), unit="人"))


def ent_trained_q(scope: Scope) -> Q:
    """Enterprise has a current member holding a training record that ended within the period."""
    records = model("courses.TrainingRecord").objects.filter(
        scope.in_period("end_date", is_date=True),
        person__memberships__organization_id=OuterRef("pk"), person__memberships__is_active=True)
    return Q(Exists(records))


register_metric(Metric("ent_trained", "开展培训的企业", "enterprises", ent_trained_q, unit="家",
                       help="统计期间内有在册人员取得培训记录的企业。", requires=("courses.TrainingRecord",)))


# Training records themselves (人次) — listed with person, course and hours.
def _records(scope: Scope) -> QuerySet:
    return model("courses.TrainingRecord").objects.filter(person__in=_people(scope))


register_source(Source(
    key="training_records", label="培训记录", models=("courses.TrainingRecord",), base=_records,
    template="reports/rows/training_records.html",
    order_by=("-end_date", "-pk"), select_related=("person", "course", "organization"),
    membership="person__memberships",
))
register_metric(Metric("records_in_period", "培训记录", "training_records",
                       lambda s: s.in_period("end_date", is_date=True), unit="人次"))


def _enrolments(scope: Scope) -> QuerySet:
    """The enrolments the enterprise's training progress table counts (courses' own selector)."""
    return courses.enrolments_of_members(scope.enterprise_ids())


register_source(Source(
    key="enrolments", label="培训任务", models=("courses.Enrolment",), base=_enrolments,
    template="reports/rows/enrolments.html", facets={"org": lambda scope, v: member_of_q(v, "user_id")},
    order_by=("due_date", "pk"), select_related=("user", "course"), membership="user__memberships",
))
register_metric(Metric("enrol_total", "选课", "enrolments", unit="项",
                       help="本单位在册人员的选课（不含已撤销的），与“培训进度”页相同。"))
register_metric(Metric("enrol_completed", "已完成的选课", "enrolments", lambda s: courses.completed_enrolment_q(),
                       unit="项", help="已完成课程的选课，与“培训进度”页的“已完成”相同。"))
register_metric(Metric("enrol_overdue", "已逾期的选课", "enrolments",
                       lambda s: courses.overdue_enrolment_q(s.today), unit="项",
                       help="已过完成期限仍未完成的选课，与“培训进度”页的“已逾期”相同。"))
register_metric(Metric("enrol_active", "学习中的选课", "enrolments", lambda s: courses.open_enrolment_q(), unit="项"))
