"""Home-page tasks from exams: sittings to attend (or finish), and essays to mark for examiners."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.todo import Task

from .models import Attempt
from .selectors import applications_waiting, is_exam_staff, marking_queue, my_applications, my_registrations


def tasks(user):
    now = timezone.now()
    registrations = list(my_registrations(user).filter(session__ends_at__gte=now)
                         .exclude(attempts__status__in=[Attempt.Status.MARKING, Attempt.Status.GRADED])[:5])
    for reg in registrations:
        session = reg.session
        is_open = session.is_open(now)
        when = date_format(timezone.localtime(session.starts_at), "Y-m-d H:i")
        yield Task(title=_("参加考试：%(s)s") % {"s": session.name}, url=reverse("exams:my_exams"),
                   detail=_("考试进行中，请尽快开始") if is_open else _("开考时间 %(t)s") % {"t": when},
                   due=timezone.localtime(session.starts_at).date(), urgent=is_open, order=10)
    for application in my_applications(user).filter(status="returned")[:3]:
        yield Task(title=_("考试报名被退回：%(s)s") % {"s": application.session.name if application.session_id else ""},
                   detail=(application.reason or "")[:80], url=reverse("exams:application", args=[application.pk]),
                   urgent=True, order=11)
    if is_exam_staff(user):
        applications = applications_waiting(user).count()
        if applications:
            yield Task(title=_("待审核的考试报名"), count=applications, url=reverse("exams:manage_applications"),
                       order=35)
        from accounts.roles import Role
        from accounts.selectors import org_ids_with_role

        from .models import PracticalResult

        centres = org_ids_with_role(user, Role.PRACTICAL_EXAMINER)
        to_confirm = (PracticalResult.objects.filter(status=PracticalResult.Status.ENTERED,
                                                     registration__session__centre_id__in=centres)
                      .exclude(examiner=user).count()) if centres else 0
        if to_confirm:
            yield Task(title=_("待第二考评员确认的实操成绩"), count=to_confirm, url=reverse("exams:manage_sessions"),
                       order=38)
        waiting = marking_queue(user).count()
        if waiting:
            yield Task(title=_("待阅卷的主观题"), count=waiting, url=reverse("exams:manage_marking"), order=40)
