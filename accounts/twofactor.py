"""Optional second factor (TOTP, django-otp) for staff accounts of exam centres and bureaus.

A user who has a confirmed authenticator device signs in with the password as usual (any sign-in
page: the site's, Wagtail's, Django admin's); the session is then held at the code page until a
current code from the authenticator is entered. One rule, one path: ``SecondFactorMiddleware``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse

from .roles import BUREAU_ROLES, EXAM_CENTRE_ROLES
from .selectors import has_role

PENDING = "anxun_otp_pending"
ALLOWED_PREFIXES = ("/accounts/login/", "/accounts/logout/", "/static/", "/i18n/", "/healthz")


def may_use_second_factor(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_staff or user.is_superuser or has_role(user, *EXAM_CENTRE_ROLES, *BUREAU_ROLES))


def confirmed_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@receiver(user_logged_in)
def _require_code_after_password(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    if confirmed_device(user) is not None and not getattr(user, "otp_device", None):
        request.session[PENDING] = True


class SecondFactorMiddleware:
    """Holds a signed-in session whose second factor is still owed at the code page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(PENDING) and request.user.is_authenticated \
                and not request.user.is_verified() and not request.path.startswith(ALLOWED_PREFIXES):
            if request.path.startswith("/api/"):
                return JsonResponse({"error": {"code": "second_factor", "message": "second factor required"}},
                                    status=403)
            url = reverse("login_verify") + "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(url)
        return self.get_response(request)


def qr_svg_data_uri(text: str) -> str:
    import segno

    return segno.make(text, error="m").svg_data_uri(scale=5, border=2)
