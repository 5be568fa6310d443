from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = _("考试")

    def ready(self) -> None:
        from core import todo as _todo

        from . import todo

        _todo.register(todo.tasks)
        from . import pools  # noqa: F401  (signals that renew a bank's pool token)
        from core.navigation import NavItem, register
        from accounts.roles import EXAM_CENTRE_ROLES, LEARNER_ROLES

        learners = frozenset(LEARNER_ROLES)
        register(NavItem("exams:my_exams", _("我的考试"), roles=learners, order=30))
        register(NavItem("exams:practice", _("练习"), roles=learners, order=25))
        register(NavItem("exams:manage", _("考务管理"), roles=frozenset(EXAM_CENTRE_ROLES), order=40))

        # applications (报名): the age check applies to every registration, direct or approved
        from accounts.roles import ENTERPRISE_MANAGERS, Role

        from . import eligibility
        from .services.applications import age_problems

        eligibility.register(eligibility.AGE, age_problems)
        register(NavItem("exams:my_applications", _("报名考试"), roles=learners, order=29))
        register(NavItem("exams:batch_apply", _("集体报名"),
                         roles=frozenset(ENTERPRISE_MANAGERS | {Role.INSTRUCTOR}), order=44))
        register(NavItem("exams:manage_applications", _("报名审核"), roles=frozenset(EXAM_CENTRE_ROLES), order=41))
