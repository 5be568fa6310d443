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
