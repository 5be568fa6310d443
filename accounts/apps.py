from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("账号与单位")

    def ready(self) -> None:
        from . import backends  # noqa: F401  (drops a user's cached row when it changes)
        from . import twofactor  # noqa: F401  (a sign-in with an authenticator owes its code)
        from core.navigation import NavItem, register, set_roles_provider

        from .roles import BUREAU_ROLES, ENTERPRISE_MANAGERS, EXAM_CENTRE_ROLES
        from .selectors import roles_of

        set_roles_provider(roles_of)

        register(NavItem("home", _("首页"), order=0, public=True))
        register(NavItem("accounts:people", _("人员"), roles=frozenset(ENTERPRISE_MANAGERS | BUREAU_ROLES), order=80))
        register(NavItem("accounts:separation_conflicts", _("考培分离核查"), roles=frozenset(EXAM_CENTRE_ROLES),
                         order=82))
        register(NavItem("accounts:me", _("我的账号"), order=99))

        from core import todo as _todo

        from . import todo

        _todo.register(todo.tasks)
        from .identity import REVIEWER_ROLES

        register(NavItem("accounts:identity_queue", _("身份核验"), roles=frozenset(REVIEWER_ROLES), order=85))

        # Enterprises joining: the bureau's queue (its page leads to the register and the import); a reminder at sign-in for applicants.
        from django.contrib.auth.signals import user_logged_in

        from .enterprise_views import signed_in_reminder

        register(NavItem("accounts:enterprise_applications", _("企业入驻审核"), roles=frozenset(BUREAU_ROLES), order=78))
        user_logged_in.connect(signed_in_reminder, dispatch_uid="accounts.enterprise_join_reminder")
