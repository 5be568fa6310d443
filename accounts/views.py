from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache

from core.audit import audit_record

from .forms import LoginForm, ProfileForm, ThrottledPasswordResetForm
from .selectors import may_review_separation, memberships_of, people_visible_to, separation_conflicts


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset, limited per address and per entered e-mail (accounts/signin.py)."""

    form_class = ThrottledPasswordResetForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password through the e-mailed link also lifts any sign-in lock of the account."""

    def form_valid(self, form):
        from .signin import unlock

        response = super().form_valid(form)
        unlock(form.user)
        return response


def switch_language(request):
    """The language switch in every page's header: a plain link (``?language=en&next=/path/``).

    Only the visitor's language cookie changes, so a link is enough: no page has to carry a CSRF
    token or set a CSRF cookie just for the switch (the public verification result sets no cookie
    at all). ``next`` must be a path of this site; anything else goes home. An unknown language
    changes nothing."""
    next_url = request.GET.get("next", "")
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    response["Cache-Control"] = "no-store"
    language = request.GET.get("language", "")
    if language in dict(settings.LANGUAGES):
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
                            path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
                            secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                            samesite=settings.LANGUAGE_COOKIE_SAMESITE)
    return response


@login_required
def my_account(request):
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            before = {"phone": user.phone, "email": user.email}
            user.phone = form.cleaned_data["phone"]
            user.email = form.cleaned_data["email"]
            user.save(update_fields=["phone", "email"])
            audit_record(actor=user, action="user.profile_update", target=user, before=before,
                         after={"phone": user.phone, "email": user.email}, request=request)
            messages.success(request, _("个人信息已保存。"))
            return redirect("accounts:me")
    else:
        form = ProfileForm(initial={"phone": user.phone, "email": user.email})
    from .twofactor import confirmed_device, may_use_second_factor

    return render(request, "accounts/me.html", {
        "form": form, "memberships": memberships_of(user), "second_factor_allowed": may_use_second_factor(user),
        "second_factor_on": may_use_second_factor(user) and confirmed_device(user) is not None})


@login_required
def people(request):
    """The people the current user may see (enterprise managers: their own people; bureau: region).
    Who keeps an enterprise's roster gets the roster page (accounts/people_views.py)."""
    from .people import managed_enterprise

    if managed_enterprise(request.user, request.GET.get("org")) is not None:
        from .people_views import roster_list

        return roster_list(request)
    qs = people_visible_to(request.user).exclude(pk=request.user.pk).prefetch_related(
        "memberships__organization"
    ).order_by("real_name", "username")
    if not qs.exists() and not request.user.is_superuser:
        raise Http404
    return render(request, "accounts/people.html", {"people": qs[:500]})


@login_required
def person_detail(request, pk: int):
    from .people_views import roster_person_context

    context = roster_person_context(request, pk) or {}
    person = context.get("person") or people_visible_to(request.user).filter(pk=pk).first()
    if person is None:
        raise Http404
    return render(request, "accounts/person.html", {
        **context, "person": person, "memberships": person.memberships.select_related("organization")})


@login_required
def separation_conflicts_view(request):
    """考培分离核查: people who are instructors of a training institution and also item writers,
    proctors or practical examiners (new memberships like that are refused; this lists what exists)."""
    if not may_review_separation(request.user):
        raise Http404
    from .roles import EXAMINING_ROLES, TRAINING_ROLES

    people = list(separation_conflicts(request.user)[:500])
    for p in people:
        p.training_roles = [m for m in p.active_memberships if m.role in TRAINING_ROLES]
        p.examining_roles = [m for m in p.active_memberships if m.role in EXAMINING_ROLES]
    return render(request, "accounts/separation_conflicts.html", {"people": people})


class _CodeForm(forms.Form):
    code = forms.CharField(label=_lazy("验证码"), max_length=8, min_length=6,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                         "pattern": "[0-9]*"}))

    def clean_code(self):
        return self.cleaned_data["code"].replace(" ", "")


@never_cache
def login_verify(request):
    """The second step of signing in for a user with an authenticator: a current six-digit code."""
    from django_otp import login as otp_login

    from .twofactor import PENDING, confirmed_device

    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = ""
    if not request.user.is_authenticated or not request.session.get(PENDING):
        return redirect(next_url or "home")
    device = confirmed_device(request.user)
    form = _CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device is not None and device.verify_token(form.cleaned_data["code"]):
            otp_login(request, device)
            request.session.pop(PENDING, None)
            audit_record(actor=request.user, action="user.second_factor_verified", target=request.user,
                         request=request)
            return redirect(next_url or "home")
        form.add_error("code", _("验证码不正确或已过期，请查看身份验证器中的最新验证码。"))
    return render(request, "registration/login_verify.html", {"form": form, "next": next_url})


@login_required
def second_factor(request):
    """Staff turn their authenticator (TOTP) on or off: a QR code to scan, then one code to confirm."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .twofactor import may_use_second_factor, qr_svg_data_uri

    if not may_use_second_factor(request.user):
        raise Http404
    user = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    form = _CodeForm(request.POST or None)
    if confirmed is None:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=False)
        if request.method == "POST" and form.is_valid():
            if device.verify_token(form.cleaned_data["code"]):
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                from django_otp import login as otp_login

                otp_login(request, device)
                audit_record(actor=user, action="user.second_factor_on", target=user, request=request)
                messages.success(request, _("已开启两步验证：以后登录时需输入身份验证器中的验证码。"))
                return redirect("accounts:second_factor")
            form.add_error("code", _("验证码不正确或已过期，请查看身份验证器中的最新验证码。"))
        from base64 import b32encode

        return render(request, "accounts/second_factor.html", {
            "form": form, "enabled": False, "qr": qr_svg_data_uri(device.config_url),
            "secret": b32encode(device.bin_key).decode(),
        })
    if request.method == "POST" and form.is_valid():
        if confirmed.verify_token(form.cleaned_data["code"]):
            TOTPDevice.objects.filter(user=user).delete()
            audit_record(actor=user, action="user.second_factor_off", target=user, request=request)
            messages.success(request, _("已关闭两步验证。"))
            return redirect("accounts:second_factor")
        form.add_error("code", _("验证码不正确或已过期，请查看身份验证器中的最新验证码。"))
    return render(request, "accounts/second_factor.html", {"form": form, "enabled": True})
