"""The answer sheet (题号导航) and the questions of an exam paper, each built in one pass.

The exam page carries the whole paper: 100 questions with their options, 100 answer-sheet links.
As template code that is thousands of node renders, URL reversals and translations on the page
candidates load most; here URLs are reversed once, labels translated once, and every text from the
paper goes through ``escape``.
"""


from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from config.escaping import escape as _esc

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
        links.append(f'<a href="{prefix}{position}/" data-position="{position}" class="{" ".join(classes)}" title="{title}"{aria}>{position}</a>')
    return mark_safe("".join(links))  # noqa: S308 (positions are integers, labels are escaped)


def _linebreaksbr(text: str) -> str:
    return _esc(text).replace("\r\n", "\n").replace("\n", "<br>")


@register.simple_tag(takes_context=True)
def paper_questions(context, items, current: int, save_prefix: str):
    """Every question of the paper as its own section; only ``current`` is shown. Each has the form
    that autosaves on change (htmx) and, without scripts, saves and moves on with its buttons."""
    from django.middleware.csrf import get_token

    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(get_token(context["request"]))}">'
    t = {k: escape(v) for k, v in {
        "points": _("分"), "prev": _("上一题"), "next": _("下一题"), "overview": _("检查并交卷"),
        "flag": _("标记待查"), "unflag": _("取消标记"), "multiple": _("多选：选出全部正确选项"),
        "single": _("选出一个答案"), "essay": _("作答"), "image": _("题干图片"), "heading": _("第 %(n)s 题"),
    }.items()}
    last = len(items)
    out = []
    type_labels: dict[str, str] = {}  # each question type's label translated once per page
    for it in items:
        pos = int(it["position"])
        item_id = int(it["id"])
        url = f"{save_prefix}{item_id}/save/"
        qtype = it["type"]
        heading = t["heading"].replace("%(n)s", str(pos))
        type_label = type_labels.get(qtype)
        if type_label is None:
            type_label = type_labels[qtype] = _esc(it["type_label"])
        parts = [
            f'<section class="card exam-question" id="q{pos}" data-position="{pos}" data-item="{item_id}" '
            f'aria-labelledby="q{pos}-h"{"" if pos == current else " hidden"}>',
            f'<p class="muted" id="q{pos}-h" tabindex="-1">{heading} · {type_label} · '
            f'{_esc(it["points"])} {t["points"]}</p>',
            f'<div class="stem">{_linebreaksbr(it["stem"])}</div>',
        ]
        if it.get("image"):
            parts.append(f'<img class="stem-image" src="{_esc(it["image"])}" alt="{t["image"]}" loading="lazy">')
        trigger = "change" if qtype != "essay" else f"change, keyup changed delay:2s from:#essay-{item_id}"
        parts.append(f'<form method="post" action="{url}" class="answer-form" hx-post="{url}" hx-trigger="{trigger}" '
                     f'hx-target="#status-{item_id}" hx-swap="innerHTML">{csrf}')
        if qtype == "essay":
            parts.append(f'<div class="field"><label for="essay-{item_id}">{t["essay"]}</label>'
                         f'<textarea id="essay-{item_id}" name="text" rows="8" class="input">{_esc(it["text"])}</textarea></div>')
        else:
            kind = "checkbox" if qtype == "multiple" else "radio"
            parts.append(f'<fieldset class="options"><legend class="muted">{t["multiple"] if qtype == "multiple" else t["single"]}</legend>')
            for o in it["options"]:
                checked = o["checked"]
                image = f'<img src="{_esc(o["image"])}" alt="" loading="lazy">' if o.get("image") else ""
                parts.append(
                    f'<label class="option{" chosen" if checked else ""}"><input type="{kind}" name="choice" '
                    f'value="{_esc(o["value"])}"{" checked" if checked else ""}> <span class="opt-label">'
                    f'{_esc(o["label"])}</span> <span>{_esc(o["text"])}</span>{image}</label>')
            if qtype != "multiple":
                parts.append('<input type="hidden" name="clear" value="">')
            parts.append("</fieldset>")
        parts.append(f'<p id="status-{item_id}" class="save-status" aria-live="polite"></p><div class="actions">')
        if pos > 1:
            parts.append(f'<button class="btn secondary" name="go" value="{pos - 1}" data-go="{pos - 1}">← {t["prev"]}</button>')
        if pos < last:
            parts.append(f'<button class="btn" name="go" value="{pos + 1}" data-go="{pos + 1}">{t["next"]} →</button>')
        else:
            parts.append(f'<button class="btn" name="go" value="overview">{t["overview"]}</button>')
        flagged = it["flagged"]
        parts.append(
            f'</div></form><form method="post" action="{url}" class="flag-form" hx-post="{url}" '
            f'hx-target="#status-{item_id}" hx-swap="innerHTML">{csrf}<input type="hidden" name="flag" '
            f'value="{0 if flagged else 1}"><button class="btn small secondary{" on" if flagged else ""}" '
            f'data-flag-label="{t["flag"]}" data-unflag-label="{t["unflag"]}" aria-pressed="{"true" if flagged else "false"}">'
            f'⚑ <span>{t["unflag"] if flagged else t["flag"]}</span></button></form></section>')
        out.append("".join(parts))
    return mark_safe("\n".join(out))  # noqa: S308 (every text from the paper is escaped above)
