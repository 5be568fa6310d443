from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("内容发布")

    def ready(self) -> None:
        from core import todo as _todo

        from . import todo

        _todo.register(todo.tasks)
        from core.navigation import NavItem, register
        from accounts.roles import BUREAU_ROLES, Role

        from . import signals

        signals.connect_post_migrate(self)
        register(NavItem("cms:standards", _("标准规范"), order=20, public=True))
        register(NavItem("cms:cases", _("警示案例"), order=22, public=True))
        register(NavItem("cms:inbox", _("消息"), roles=frozenset({Role.PRINCIPAL, Role.SAFETY_MANAGER}), order=60, superuser=False))
        register(NavItem("cms:warning_status", _("预警阅读情况"), roles=frozenset(BUREAU_ROLES), order=70))
