"""The public verification result (``/verify/<code>/``), answered high in the middleware stack.

The page behind every certificate's QR code is the one public path that must hold national traffic,
and nearly all of it is a visitor's phone with no cookie for this site: no session, so no
signed-in user, no messages, no CSRF token. For such a request most of the stack has nothing to do
(the session, CSRF, authentication, messages, htmx and redirect middleware, WhiteNoise, the
editors' CSP), yet walking through it and resolving the URL cost more than half of the page. So
this middleware, placed right below the security-header middleware (HTTPS redirect, HSTS, CSP,
frame denial, referrer policy: those still see every request and response), answers a cookie-free
GET of a verification result itself:

- the host is validated by the very middleware the ordinary stack uses (``CommonMiddleware``), and
  the language chosen by ``LocaleMiddleware``: once per Accept-Language header, as the choice
  depends on nothing else for a cookie-free request under this one path (the first path segment,
  which could name a language, is always the same); the headers their response steps add to a
  found certificate's page (Vary, Content-Language, Content-Length) are written directly;
- the view's own code makes the page (``views.verify_code_early``), the same result page as the
  ordinary view would return (tests/certificates/test_verification_early.py compares the two).

Anything else goes down the ordinary stack: a request with cookies, another method, a site where
the public index is off, and any outcome other than a found certificate's result (over the rate
limit, not found — a 404 that Wagtail's redirects may answer — or a QR payload naming another
certificate). The lookup already made is then left on the request, so it is counted and logged
once.
"""

from __future__ import annotations

from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.middleware.common import CommonMiddleware
from django.middleware.locale import LocaleMiddleware
from django.urls import NoReverseMatch, Resolver404, get_script_prefix, get_urlconf, resolve, reverse
from django.utils import translation

_SAMPLE = "0SAMPLE0"
_prefixes: dict = {}
# (URL conf, Accept-Language header) -> the language LocaleMiddleware chose; bounded, as the
# header is the visitor's (the first ones are kept, any other is decided each time)
_languages: dict = {}
_LANGUAGES_KEPT = 512


def _prefix(urlconf) -> str | None:
    """``/verify/`` (the path before the code), or None when this site's URLs do not lead such a
    path to the verification view."""
    if urlconf not in _prefixes:
        from . import views

        found = None
        try:
            path = reverse("certificates:verify_code", kwargs={"code": _SAMPLE}, urlconf=urlconf)
            info = "/" + path[len(get_script_prefix()):]
            if info.endswith(f"/{_SAMPLE}/") and resolve(info, urlconf=urlconf).func is views.verify_code:
                found = info[: -len(_SAMPLE) - 1]
        except (NoReverseMatch, Resolver404):
            pass
        _prefixes[urlconf] = found
    return _prefixes[urlconf]


@receiver(setting_changed)
def _forget(**kwargs):
    _prefixes.clear()
    _languages.clear()


class VerificationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # only their request and response steps are used, on the requests answered here
        self.common = CommonMiddleware(get_response)
        self.locale = LocaleMiddleware(get_response)

    def _code(self, request, urlconf) -> str | None:
        if request.method != "GET" or request.META.get("HTTP_COOKIE"):
            return None
        path = request.path_info
        prefix = _prefix(urlconf)
        if prefix is None or not path.startswith(prefix) or not path.endswith("/"):
            return None
        code = path[len(prefix):-1]
        return code if code and "/" not in code else None  # what <str:code> matches

    def _activate_language(self, request, urlconf) -> None:
        key = (urlconf, request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        language = _languages.get(key)
        if language is None:
            self.locale.process_request(request)
            if len(_languages) < _LANGUAGES_KEPT:
                _languages[key] = request.LANGUAGE_CODE
            return
        translation.activate(language)
        request.LANGUAGE_CODE = language

    def __call__(self, request):
        urlconf = getattr(request, "urlconf", None) or get_urlconf()  # None: the site's own
        code = self._code(request, urlconf)
        if code is None:
            return self.get_response(request)
        from . import public_index, views

        redis = public_index.connection_if_enabled()
        if redis is None or self.common.process_request(request) is not None:
            return self.get_response(request)
        self._activate_language(request, urlconf)
        response = views.verify_code_early(request, code, redis)
        if response is None:
            return self.get_response(request)
        if is_language_prefix_patterns_used(urlconf)[0]:
            return self.common.process_response(request, self.locale.process_response(request, response))
        # what LocaleMiddleware and CommonMiddleware add to a 200 page outside i18n_patterns, with
        # Vary already naming Cookie (tests/certificates/test_verification_early.py compares them)
        response.headers["Vary"] = "Cookie, Accept-Language"
        response.headers["Content-Language"] = request.LANGUAGE_CODE
        response.headers["Content-Length"] = str(len(response.content))
        return response
