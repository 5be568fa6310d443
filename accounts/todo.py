"""Home-page tasks from accounts: identity to complete, the applicant's returned enterprise
application, and for staff the enterprises and identities waiting for them."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from core.todo import Task

from .models import EnterpriseApplication, IdentitySubmission
from .roles import LEARNER_ROLES
from .selectors import enterprise_application_of, enterprise_applications_waiting, identity_reviews_waiting, roles_of


def tasks(user):
    application = enterprise_application_of(user)
    if application is not None and application.status == EnterpriseApplication.Status.RETURNED:
        yield Task(title=_("企业入驻申请被退回，请修改后重新提交"), detail=application.return_reason[:80],
                   url=reverse("accounts:join_status"), urgent=True, order=5)
    elif application is not None and application.status == EnterpriseApplication.Status.PENDING:
        yield Task(title=_("企业入驻申请等待监管部门审核"), url=reverse("accounts:join_status"), order=90)
    if not user.identity_verified and roles_of(user) & set(LEARNER_ROLES):
        latest = IdentitySubmission.objects.filter(person=user).order_by("-pk").first()
        if latest is None or latest.status == IdentitySubmission.Status.REJECTED:
            yield Task(title=_("上传身份证件和本人照片，完成身份核验"),
                       detail=_("报名考试和领取证书前须完成身份核验"), url=reverse("accounts:identity_upload"), order=12)
    waiting = enterprise_applications_waiting(user).count()
    if waiting:
        yield Task(title=_("待审核的企业入驻申请"), count=waiting, url=reverse("accounts:enterprise_applications"), order=35)
    identities = identity_reviews_waiting(user)
    if identities:
        yield Task(title=_("待核验的身份材料"), count=identities, url=reverse("accounts:identity_queue"), order=36)
