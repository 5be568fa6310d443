from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("统计报表")

    def ready(self) -> None:
        from core.navigation import NavItem, register
        from accounts.roles import BUREAU_ROLES, ENTERPRISE_MANAGERS

        register(NavItem("reports:index", _("统计看板"), roles=frozenset(BUREAU_ROLES | ENTERPRISE_MANAGERS), order=70))
        register(NavItem("reports:coverage", _("培训覆盖"), roles=frozenset(BUREAU_ROLES), order=46))
        register(NavItem("reports:progress", _("调度表"), roles=frozenset(BUREAU_ROLES), order=71))
        register(NavItem("reports:campaigns", _("专项活动"), roles=frozenset(BUREAU_ROLES), order=72))

        from core import todo

        from .collection import copy_tasks

        todo.register(copy_tasks)
