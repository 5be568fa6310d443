"""The answer sheet (题号导航) of an exam paper, built in one pass.

A 100-question paper has 100 links; as template code that is 100 URL reversals and a few hundred
translations on every question page, the page candidates load most. Here the URL is reversed once
and the labels are translated once.
"""

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def answer_sheet(nav, attempt_id: int, current: int | None = None):
    first = reverse("exams:question", kwargs={"pk": attempt_id, "position": 1})
    prefix = first[: -len("1/")]
    answered_title, open_title = escape(_("已答")), escape(_("未答"))
    flagged_suffix = " · " + escape(_("已标记"))
    links = []
    for n in nav:
        position = int(n["position"])
        classes = []
        if n["answered"]:
            classes.append("answered")
        if n["flagged"]:
            classes.append("flagged")
        if position == current:
            classes.append("current")
        title = (answered_title if n["answered"] else open_title) + (flagged_suffix if n["flagged"] else "")
        aria = ' aria-current="true"' if position == current else ""
        links.append(f'<a href="{prefix}{position}/" class="{" ".join(classes)}" title="{title}"{aria}>{position}</a>')
    return mark_safe("".join(links))  # noqa: S308 (positions are integers, labels are escaped)
