from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("证书")

    def ready(self) -> None:
        from core import todo as _todo

        from . import todo

        _todo.register(todo.tasks)
        from core.navigation import NavItem, register
        from accounts.roles import BUREAU_ROLES, LEARNER_ROLES, Role

        register(NavItem("certificates:mine", _("我的证书"), roles=frozenset(LEARNER_ROLES), order=40, superuser=False))
        register(NavItem("certificates:manage", _("证书管理"), roles=frozenset({Role.CERT_OFFICER}), order=45))
        register(NavItem("certificates:roster", _("持证核查"),
                         roles=frozenset({Role.ENT_ADMIN, Role.SAFETY_MANAGER} | BUREAU_ROLES), order=46))
        register(NavItem("certificates:verify", _("证书查验"), order=90, public=True))

        from django.db.models.signals import post_delete, post_save

        from catalogue.models import CertificateKind, OperationCategory, OperationItem

        from . import selectors
        from .models import Certificate

        from exams import eligibility

        eligibility.register(eligibility.NO_SUSPENSION, selectors.suspension_problems)

        post_save.connect(selectors.on_certificate_changed, sender=Certificate, dispatch_uid="cert-card-save")
        post_delete.connect(selectors.on_certificate_changed, sender=Certificate, dispatch_uid="cert-card-delete")
        for model in (CertificateKind, OperationItem, OperationCategory):
            post_save.connect(selectors.on_catalogue_changed, sender=model, dispatch_uid=f"cert-card-{model.__name__}")

        from exams import eligibility

        eligibility.register_warning("valid_certificate", selectors.registration_warnings)
