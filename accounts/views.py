from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from core.audit import audit_record

from .forms import ProfileForm, ThrottledAuthenticationForm
from .selectors import memberships_of, people_visible_to


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True


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
    return render(request, "accounts/me.html", {"form": form, "memberships": memberships_of(user)})


@login_required
def people(request):
    """The people the current user may see (enterprise managers: their own people; bureau: region)."""
    qs = people_visible_to(request.user).exclude(pk=request.user.pk).prefetch_related(
        "memberships__organization"
    ).order_by("real_name", "username")
    if not qs.exists() and not request.user.is_superuser:
        raise Http404
    return render(request, "accounts/people.html", {"people": qs[:500]})


@login_required
def person_detail(request, pk: int):
    person = people_visible_to(request.user).filter(pk=pk).first()
    if person is None:
        raise Http404
    return render(request, "accounts/person.html", {"person": person,
                                                    "memberships": person.memberships.select_related("organization")})
