"""Home-page tasks from training: courses to finish, and for enterprise managers overdue training."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.roles import ENTERPRISE_MANAGERS, OrgKind
from accounts.selectors import org_ids_with_role
from core.todo import Task

from .models import Enrolment
from .selectors import enterprise_enrolments, my_enrolments


def tasks(user):
    today = timezone.localdate()
    for enrolment in my_enrolments(user).filter(status=Enrolment.Status.ACTIVE)[:8]:
        overdue = enrolment.is_overdue(today)
        if enrolment.due_date:
            detail = (_("已于 %(d)s 逾期") if overdue else _("请在 %(d)s 前完成")) % {"d": enrolment.due_date.isoformat()}
        else:
            detail = ""
        yield Task(title=_("完成课程：%(c)s") % {"c": enrolment.course.title},
                   url=reverse("courses:course", args=[enrolment.course.code]), detail=detail,
                   due=enrolment.due_date, urgent=overdue, order=20)
    managed = org_ids_with_role(user, *ENTERPRISE_MANAGERS)
    if not managed:
        return
    for org in Organization.objects.filter(pk__in=managed, kind=OrgKind.ENTERPRISE).order_by("name")[:5]:
        late = enterprise_enrolments(org, overdue_only=True).values("user_id").distinct().count()
        if late:
            yield Task(title=_("%(org)s：培训逾期未完成的人员") % {"org": org.name}, count=late, urgent=True,
                       url=reverse("courses:enterprise") + "?" + urlencode({"org": org.pk, "overdue": 1}), order=30)
