"""Home-page task from the warning inbox: warnings pushed to this person and not yet confirmed."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from core.todo import Task

from .selectors import unread_count


def tasks(user):
    unread = unread_count(user)
    if unread:
        yield Task(title=_("阅读监管部门推送的警示案例"), count=unread, url=reverse("cms:inbox"), urgent=True, order=15)
