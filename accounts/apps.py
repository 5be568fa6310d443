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
