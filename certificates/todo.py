"""Home-page tasks from certificates: own reviews to apply for, reviews to decide (officers), and
the enterprise's certificates that no longer allow the work (managers)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from accounts.selectors import has_role
from core.todo import Task

from .models import Certificate
from .selectors import is_certificate_officer, my_certificates, people_certificates, reviews_to_decide


def tasks(user):
    today = timezone.localdate()
    soon = today + dt.timedelta(days=90)
    mine = my_certificates(user).filter(state=Certificate.State.ACTIVE).filter(
        Q(next_review_due__lte=soon) | Q(valid_until__lte=soon)).select_related("kind", "operation_item")[:5]
    for cert in mine:
        due = min(d for d in (cert.next_review_due, cert.valid_until) if d)
        late = due < today
        what = cert.operation_item.name if cert.operation_item_id else cert.kind.name
        yield Task(title=_("办理证书复审或换证：%(w)s") % {"w": what}, url=reverse("certificates:mine"),
                   detail=(_("已于 %(d)s 到期") if late else _("应于 %(d)s 前办理")) % {"d": due.isoformat()},
                   due=due, urgent=late, order=25)
    if is_certificate_officer(user):
        waiting = reviews_to_decide(user).count()
        if waiting:
            yield Task(title=_("待审核的复审申请"), count=waiting, url=reverse("certificates:reviews"), order=40)
    if has_role(user, Role.ENT_ADMIN, Role.SAFETY_MANAGER, Role.PRINCIPAL):
        lapsed = people_certificates(user).filter(
            Q(state__in=[Certificate.State.SUSPENDED, Certificate.State.REVOKED]) | Q(valid_until__lt=today)
            | Q(next_review_due__lt=today)).count()
        if lapsed:
            yield Task(title=_("本单位人员的证书已过期、逾期未复审、暂扣或撤销"), count=lapsed, urgent=True,
                       url=reverse("certificates:people"), order=30)
