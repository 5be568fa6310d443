"""The editors' Content-Security-Policy.

The site's policy (``SECURE_CSP``) is strict: scripts from this origin or carrying the response's
nonce. Wagtail's admin cannot work under it (its panels and widgets write inline scripts without a
nonce), so every response under the admin's address (the admin itself and its choosers) gets
``ANXUN_ADMIN_CSP`` instead.

Page previews (and "view draft") are the site's own templates, which Wagtail renders through the
whole middleware chain once more with a dummy request for the page's public address
(``request.is_dummy``). They keep the site's policy, except that the editor may frame them:
``ANXUN_PREVIEW_CSP``. A view that chose its own policy
(``django.views.decorators.csp.csp_override``) keeps it.

The middleware sits below ``django.middleware.csp.ContentSecurityPolicyMiddleware`` in
``MIDDLEWARE``: it sees the response first and leaves the choice on it for Django's middleware,
which writes the header.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse


@lru_cache(maxsize=8)
def _admin_prefix(urlconf: str | None, script_prefix: str) -> str | None:
    try:
        return reverse("wagtailadmin_home", urlconf=urlconf)
    except NoReverseMatch:
        return None


def admin_prefix() -> str | None:
    """The Wagtail admin's address, e.g. ``/admin/`` (None when the admin is not installed)."""
    return _admin_prefix(get_urlconf(), get_script_prefix())


def is_admin_path(path: str) -> bool:
    prefix = admin_prefix()
    return bool(prefix) and path.startswith(prefix)


class AdminContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if hasattr(response, "_csp_config"):
            return response
        if getattr(request, "is_dummy", False):
            response._csp_config = settings.ANXUN_PREVIEW_CSP
        elif is_admin_path(request.path):
            response._csp_config = settings.ANXUN_ADMIN_CSP
        return response
