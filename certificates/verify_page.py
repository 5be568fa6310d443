"""The public verification result page (``/verify/<code>/``, what the QR code opens), built cheaply.

The result is built for each request from the certificate's public card (certificates.public_index:
read from the index, or from the row just read when the index is off or does not know the code);
the live status and the signature check are computed for each request, never kept.

What is reused is the site chrome around it. For an anonymous visitor with no messages waiting —
nearly all of this traffic — ``base.html`` comes out the same for every result in one language,
except for the current URL (the language switch's ``next``). So ``verify_result.html`` (which
extends ``base.html`` like every page) is rendered once per language and process with markers in
those places and split there; a request joins the pieces with its own URL and result. The result
page is static HTML: it loads no script and carries no form, so it needs no CSP nonce and no CSRF
token, and a visitor's scan sets no cookie. (Should the chrome ever use either again, it is no
longer reused: every page is rendered in full.) Signed-in visitors, or a
request with messages to show, get the ordinary full render of the same template, with the same
result HTML.

The result HTML is built here rather than in template tags: the page is the hottest public path and
~30 ``{% translate %}`` tags and variable lookups cost more than the rest of the request. Its labels
go through gettext (translated once per language and kept); the markup is the same as the other
cards of the site.
"""

from __future__ import annotations

import logging
import re
import time
from functools import lru_cache
from urllib.parse import quote

from django.contrib.messages import get_messages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.http import http_date
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_noop as N_

from config.escaping import escape
from config.responses import html_response

from .models import LiveStatus

logger = logging.getLogger("anxun.verify")

TEMPLATE = "certificates/verify_result.html"

# gettext msgids of the result (the same as the template used, so existing translations apply)
LABELS = {
    "signature": N_("二维码签名"),
    "sig_valid": N_("签名有效"),
    "sig_altered": N_("内容被篡改"),
    "sig_unknown": N_("未知证书"),
    "status": N_("证书状态"),
    "name": N_("姓名"),
    "id_number": N_("身份证号"),
    "kind": N_("证书种类"),
    "category": N_("作业类别"),
    "item": N_("操作项目"),
    "number": N_("证书编号"),
    "national_number": N_("全国统一证号"),
    "authority": N_("发证机关"),
    "first_issued": N_("初领日期"),
    "validity": N_("有效期"),
    "review_due": N_("应复审日期"),
    "reviewed": N_("实际复审日期"),
    "revocation_reason": N_("撤销原因"),
    "checked_at": N_("查验时间：%(t)s（状态为实时状态）"),
    "not_found": N_("未找到匹配的证书。请核对查验码，或姓名与证书编号。持假证上岗属违法行为。"),
}

_labels: dict[str, dict[str, str]] = {}


def labels() -> dict[str, str]:
    """The result's labels in the active language, escaped (as {% translate %} would output them)."""
    language = get_language() or ""
    found = _labels.get(language)
    if found is None:
        found = {key: escape(gettext(msgid)) for key, msgid in LABELS.items()}
        found["checked_at"] = gettext(LABELS["checked_at"])  # escaped value goes in; like blocktranslate
        found.update({f"live:{value}": escape(str(label)) for value, label in LiveStatus.choices})
        _labels[language] = found
    return found


def result_html(card: dict | None, *, check=None, status: str = "", checked_at=None, searched: bool = False) -> SafeString:
    """The result cards: signature check (when a QR payload was given), then the certificate's
    public card (certificates.public_index.card_of: only masked personal data) or "not found".
    Every value escaped."""
    t = labels()
    out = []
    if check is not None:
        if check.outcome == "valid":
            badge = f'<span class="badge ok" data-signature="valid">{t["sig_valid"]}</span>'
        elif check.outcome == "altered":
            badge = f'<span class="badge bad" data-signature="altered">{t["sig_altered"]}</span>'
        else:
            badge = f'<span class="badge warn" data-signature="unknown">{t["sig_unknown"]}</span>'
        out.append(f'<div class="card">\n  <strong>{t["signature"]}：</strong>\n  {badge}\n'
                   f'  <span class="muted">{escape(check.message)}</span>\n</div>\n')
    c = card
    if c is not None:
        bad = status not in (LiveStatus.VALID, LiveStatus.REVIEW_DUE)
        tone = "bad" if bad else ("warn" if status == LiveStatus.REVIEW_DUE else "ok")
        red = ";color:#b42318" if bad else ""
        rows = [
            f'<dt>{t["name"]}</dt><dd>{escape(c["name"])}</dd>',
            f'<dt>{t["id_number"]}</dt><dd class="mono">{escape(c["idn"])}</dd>',
            f'<dt>{t["kind"]}</dt><dd>{escape(c["kind"])}</dd>',
        ]
        if c["item"]:
            rows.append(f'<dt>{t["category"]}</dt><dd>{escape(c["cat"])}</dd>')
            rows.append(f'<dt>{t["item"]}</dt><dd>{escape(c["item"])}</dd>')
        rows += [
            f'<dt>{t["number"]}</dt><dd class="mono">{escape(c["no"])}</dd>',
            f'<dt>{t["national_number"]}</dt><dd class="mono">{escape(c["nat"])}</dd>',
            f'<dt>{t["authority"]}</dt><dd>{escape(c["auth"])}</dd>',
            f'<dt>{t["first_issued"]}</dt><dd>{escape(c["first"])}</dd>',
            f'<dt>{t["validity"]}</dt><dd>{escape(c["from"])} — {escape(c["until"])}</dd>',
        ]
        if c["due"]:
            rows.append(f'<dt>{t["review_due"]}</dt><dd>{escape(c["due"])}</dd>')
        if c["reviewed"]:
            rows.append(f'<dt>{t["reviewed"]}</dt><dd>{escape(c["reviewed"])}</dd>')
        if c["state"] == "revoked":
            rows.append(f'<dt>{t["revocation_reason"]}</dt><dd>{escape(c["reason"])}</dd>')
        when = checked_at.strftime("%Y-%m-%d %H:%M") if checked_at else ""
        out.append(
            f'<div class="card">\n  <p style="font-size:1.3rem;margin:0 0 12px">{t["status"]}：\n'
            f'    <span class="badge {tone}" data-status="{escape(status)}" style="font-size:1.2rem{red}">'
            f'{t.get("live:" + status, "")}</span></p>\n'
            f'  <dl class="kv">\n    ' + "\n    ".join(rows) + '\n  </dl>\n'
            f'  <p class="muted">{t["checked_at"] % {"t": escape(when)}}</p>\n</div>\n')
    elif searched:
        out.append(f'<div class="errors" role="alert"><p>{t["not_found"]}</p></div>\n')
    return mark_safe("".join(out))  # noqa: S308 — built above from escaped values and fixed markup


# --- the chrome ---------------------------------------------------------------------------

_MARK = "anxunverifyshell7c1e"  # letters and digits only: template escaping (and urlencode) leave it as is
PATH_MARK, RESULT_MARK = f"{_MARK}path", f"{_MARK}result"
# Rendered into the chrome too, to notice a chrome that would use them: a CSRF token or a CSP
# nonce is the request's own, so such a chrome cannot be reused and every page is rendered in full.
CSRF_MARK, NONCE_MARK = f"{_MARK}csrf", f"{_MARK}nonce"
_MARK_RE = re.compile(f"({PATH_MARK}|{RESULT_MARK})")


class _ShellRequest(HttpRequest):
    """An anonymous GET of a verification result, whose full path is a marker."""

    def __init__(self, path: str):
        super().__init__()
        from django.contrib.auth.models import AnonymousUser

        self.method = "GET"
        self.path = self.path_info = path
        self.user = AnonymousUser()
        self._messages = []

    def get_full_path(self, force_append_slash=False):
        return PATH_MARK


class Shell:
    """The page around the result, split at the markers."""

    def __init__(self, html: str):
        if CSRF_MARK in html or NONCE_MARK in html:
            raise ValueError("the verification page's chrome uses a CSRF token or a CSP nonce")
        parts = _MARK_RE.split(html)
        # even indexes: text; odd: a marker
        self.parts = parts
        markers = parts[1::2]
        if markers.count(RESULT_MARK) != 1 or _MARK in "".join(parts[0::2]):
            raise ValueError("the verification page's chrome cannot be reused: unexpected markers")

    def join(self, *, path: str, result: str) -> str:
        values = {PATH_MARK: path, RESULT_MARK: result}
        parts = list(self.parts)
        for i in range(1, len(parts), 2):
            parts[i] = values[parts[i]]
        return "".join(parts)


_shells: dict[tuple, Shell | None] = {}


def _shell(request) -> Shell | None:
    """The reusable chrome for this request, or None when it must be rendered in full."""
    # without any cookie there is no session, so no signed-in user and no message waiting
    if request.COOKIES and (request.user.is_authenticated or len(get_messages(request))):
        return None
    key = (get_language(), get_script_prefix(), getattr(request, "urlconf", None))
    if key not in _shells:
        # The chrome is rendered for the section's own path: for anonymous visitors base.html
        # depends on the path only through the navigation's active entry, the same for every
        # /verify/<code>/ (tests/certificates check this).
        shell_request = _ShellRequest(request.path)
        try:
            html = render_to_string(TEMPLATE, {"result": RESULT_MARK, "csrf_token": CSRF_MARK,
                                               "csp_nonce": NONCE_MARK}, shell_request)
            _shells[key] = Shell(html)
        except ValueError:
            logger.warning("verification page: chrome not reusable, rendering every page in full", exc_info=True)
            _shells[key] = None
    return _shells[key]


@receiver(setting_changed)
def _forget(**kwargs):
    """Templates, languages or URLs changed (tests): build the labels and the chrome again."""
    _labels.clear()
    _shells.clear()


NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"  # as django's never_cache


@lru_cache(maxsize=1)
def _http_date(second: int) -> str:
    return http_date(second)  # the same for every response within one second


def no_store(response: HttpResponse) -> HttpResponse:
    """The headers ``never_cache`` sets (the status is live: no copy may be kept), written directly."""
    response["Expires"] = _http_date(int(time.time()))
    response["Cache-Control"] = NO_STORE
    response["Vary"] = "Cookie"  # the language cookie chooses the page's language
    return response


def result_response(request, card: dict | None, *, check=None, status: str = "", checked_at=None,
                    searched: bool = False, early: bool = False) -> HttpResponse | None:
    """The result page for a certificate's public card (or None: not found). ``early``: only the
    page joined from the reusable chrome, None when it would need the full render."""
    shell = _shell(request)
    if shell is None and early:
        return None
    result = result_html(card, check=check, status=status, checked_at=checked_at, searched=searched)
    code = 200 if card is not None or check is not None else 404
    if shell is None:
        return no_store(render(request, TEMPLATE, {"result": result, "check": check, "status": status}, status=code))
    html = shell.join(path=escape(quote(request.get_full_path(), safe="")), result=result)
    return no_store(html_response(html, status=code))
