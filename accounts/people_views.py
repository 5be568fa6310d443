"""Roster pages for enterprise admins and safety managers, and the public activation pages."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import people as roster
from .invitations import (address_blocked, invitation_by_token, invitation_check_code, invitation_complete,
                          invitation_send, open_invitation)
from .models import Invitation, PersonOperation
from .roles import Role
from .selectors import has_role

PAGE_SIZE = 100


# ---------------------------------------------------------------------------------------------
# Forms
# ---------------------------------------------------------------------------------------------


class PersonForm(forms.Form):
    name = forms.CharField(label=_lazy("姓名"), max_length=64)
    id_number = forms.CharField(label=_lazy("身份证号"), max_length=32,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}))
    phone = forms.CharField(label=_lazy("手机号"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    email = forms.CharField(label=_lazy("电子邮箱"), max_length=254, required=False,
                            widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    roles = forms.MultipleChoiceField(label=_lazy("角色"), widget=forms.CheckboxSelectMultiple,
                                      error_messages={"required": _lazy("请至少选择一个角色。")})
    operations = forms.MultipleChoiceField(
        label=_lazy("从事的操作项目"), required=False, widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_lazy("特种作业人员必选（可多选，按住 Ctrl 或 ⌘ 点选）。"))

    def __init__(self, *args, organization, actor, edit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = [(code, Role(code).label) for code in roster.assignable_roles(actor, organization)]
        resolver = roster.OperationResolver()
        self.fields["operations"].choices = [
            (item.code, f"{item.category.name} · {item.name}") for item in resolver.current]
        if edit:
            del self.fields["id_number"]

    def apply_errors(self, exc: ValidationError) -> None:
        for key, errors in exc.message_dict.items():
            self.add_error(key if key in self.fields else None, errors)


class EndForm(forms.Form):
    ended_on = forms.DateField(label=_lazy("离职日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                               help_text=_lazy("不填为今天。"))
    reason = forms.CharField(label=_lazy("离职原因"), max_length=255, widget=forms.Textarea(attrs={"rows": 2}))


class UploadForm(forms.Form):
    file = forms.FileField(label=_lazy("花名册文件"), help_text=_lazy("Excel（.xlsx）或 CSV（UTF-8/GBK），第一行为表头。"))


class ActivateForm(forms.Form):
    identifier = forms.CharField(label=_lazy("手机号或身份证号"), max_length=32,
                                 widget=forms.TextInput(attrs={"autocomplete": "username"}))
    code = forms.CharField(label=_lazy("激活码"), max_length=8, min_length=6, widget=forms.TextInput(
        attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}))


class SetPasswordForm(forms.Form):
    username = forms.RegexField(label=_lazy("用户名"), max_length=150, regex=r"^[\w.@+-]+$",
                                help_text=_lazy("登录时使用，可修改；只能包含字母、数字和 @ . + - _。"),
                                error_messages={"invalid": _lazy("用户名只能包含字母、数字和 @ . + - _。")})
    password1 = forms.CharField(label=_lazy("设置密码"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_lazy("再次输入密码"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif p1:
            try:
                password_validation.validate_password(p1, self.user)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


# ---------------------------------------------------------------------------------------------
# Roster pages
# ---------------------------------------------------------------------------------------------


def _enterprise(request):
    org = roster.managed_enterprise(request.user, request.GET.get("org") or request.POST.get("org"))
    if org is None:
        raise Http404
    return org


def _person(org, pk):
    person = roster.person_in(org, pk)
    if person is None:
        raise Http404
    return person


def _org_query(request, org) -> str:
    return f"?org={org.pk}" if roster.managed_enterprises(request.user).count() > 1 else ""


@login_required
def roster_list(request):
    org = _enterprise(request)
    status = request.GET.get("status", "current")
    role = request.GET.get("role", "")
    if role and role not in {r.value for r in Role}:
        role = ""
    query = request.GET.get("q", "").strip()[:64]
    people = roster.roster_of(org, status=status, role=role, query=query)
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    roles = [(code, Role(code).label) for code in roster.assignable_roles(request.user, org)]
    # the full ID number for whom may_see_full_id allows it (enterprise admins: their current staff),
    # decided once for the page instead of once per row
    user = request.user
    show_full = status == "current" and (user.is_superuser or has_role(user, Role.PROCTOR, Role.CERT_OFFICER)
                                         or has_role(user, Role.ENT_ADMIN, organization=org))
    return render(request, "accounts/roster.html", {"show_full": show_full,
        "org": org, "page": page, "status": status, "role": role, "q": query, "roles": roles,
        "orgs": roster.managed_enterprises(request.user).order_by("name")[:50], "org_query": _org_query(request, org)})


def _form_values(form) -> dict:
    data = form.cleaned_data
    return {"name": data["name"], "phone": data.get("phone", ""), "email": data.get("email", ""),
            "roles": data.get("roles", []), "operations": data.get("operations", [])}


@login_required
def person_add(request):
    org = _enterprise(request)
    form = PersonForm(request.POST or None, organization=org, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            result = roster.person_upsert(organization=org, actor=request.user,
                                          id_number=form.cleaned_data["id_number"], request=request,
                                          **_form_values(form))
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            if result.created:
                messages.success(request, _("已添加%(name)s，并已发送激活邀请。") % {"name": result.user.display_name})
            elif result.joined:
                messages.success(request, _("%(name)s已在平台登记，已加入本单位。") % {"name": result.user.display_name})
            else:
                messages.success(request, _("%(name)s已在本单位花名册中，信息已更新。") % {"name": result.user.display_name})
            return redirect(reverse("accounts:person", args=[result.user.pk]) + _org_query(request, org))
    return render(request, "accounts/roster_form.html", {"form": form, "org": org, "person": None})


@login_required
def person_edit(request, pk: int):
    org = _enterprise(request)
    person = _person(org, pk)
    initial = {"name": person.real_name, "phone": person.phone, "email": person.email,
               "roles": [m.role for m in person.roster_memberships if m.is_active],
               "operations": [po.operation_item.code for po in person.roster_operations]}
    form = PersonForm(request.POST or None, organization=org, actor=request.user, edit=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            roster.person_update(organization=org, actor=request.user, person=person, request=request,
                                 **_form_values(form))
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect(reverse("accounts:person", args=[person.pk]) + _org_query(request, org))
    return render(request, "accounts/roster_form.html", {"form": form, "org": org, "person": person})


@login_required
def person_end(request, pk: int):
    org = _enterprise(request)
    person = _person(org, pk)
    form = EndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            roster.employment_end(organization=org, actor=request.user, person=person, request=request,
                                  reason=form.cleaned_data["reason"], ended_on=form.cleaned_data["ended_on"])
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                form.add_error(key if key in form.fields else None, errors)
        else:
            messages.success(request, _("已办理离职。此人的账号、培训记录和证书均保留。"))
            return redirect(reverse("accounts:person", args=[person.pk]) + _org_query(request, org))
    return render(request, "accounts/roster_end.html", {"form": form, "org": org, "person": person})


@login_required
@require_POST
def person_invite(request, pk: int):
    org = _enterprise(request)
    person = _person(org, pk)
    if person.has_usable_password():
        messages.info(request, _("此人已激活账号，无需邀请。"))
    elif not any(m.is_active for m in person.roster_memberships):
        messages.error(request, _("此人已离职，不能发送邀请。"))
    else:
        invitation = invitation_send(user=person, organization=org, actor=request.user, request=request)
        if invitation.channel == Invitation.Channel.NONE:
            messages.error(request, _("此人没有手机号或电子邮箱，无法发送邀请，请先补充联系方式。"))
        else:
            messages.success(request, _("已重新发送激活邀请（%(channel)s）。") % {"channel": invitation.get_channel_display()})
    return redirect(reverse("accounts:person", args=[person.pk]) + _org_query(request, org))


def roster_person_context(request, person_pk) -> dict | None:
    """For the person page: the roster section when the viewer keeps a roster this person is on."""
    for org in roster.managed_enterprises(request.user).order_by("name")[:20]:
        if request.GET.get("org") and str(org.pk) != request.GET.get("org"):
            continue
        person = roster.person_in(org, person_pk)
        if person is not None:
            employment = roster.employment_of(person, org)
            return {"person": person, "roster_org": org, "employment": employment,
                    "operations": PersonOperation.objects.filter(user=person, organization=org)
                    .select_related("operation_item__category"),
                    "activated": person.has_usable_password(), "invitation": open_invitation(person),
                    "org_query": _org_query(request, org)}
    return None


@login_required
def import_people(request):
    from core.tables import read_table

    from .people_import import COLUMN_ALIASES, REQUIRED, TEMPLATE_HEADER, people_import

    org = _enterprise(request)
    report = None
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            rows = read_table(form.cleaned_data["file"], COLUMN_ALIASES, REQUIRED)
            report = people_import(organization=org, actor=request.user, rows=rows, request=request)
        except ValidationError as exc:
            form.add_error("file", exc.messages[0])
        if report is not None and not report.rows:
            form.add_error("file", _("文件中没有人员数据。"))
            report = None
        if report is not None and report.ok:
            messages.success(request, _("已导入%(n)d人：新建%(c)d人，已在平台登记并加入本单位%(j)d人，更新%(u)d人。") % {
                "n": len(report.results), "c": report.created, "j": report.joined, "u": report.updated})
            return redirect(reverse("accounts:people") + _org_query(request, org))
    return render(request, "accounts/roster_import.html", {"form": form, "report": report, "org": org,
                                                          "header": TEMPLATE_HEADER})


@login_required
def import_template(request):
    from core.exports import XLSX_CONTENT_TYPE

    from .people_import import template_xlsx

    _enterprise(request)
    response = HttpResponse(template_xlsx(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''%E8%8A%B1%E5%90%8D%E5%86%8C%E6%A8%A1%E6%9D%BF.xlsx"
    return response


# ---------------------------------------------------------------------------------------------
# Activation (public)
# ---------------------------------------------------------------------------------------------

SESSION_KEY = "anxun_activation"


@never_cache
def activate(request):
    form = ActivateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_check_code(identifier=form.cleaned_data["identifier"],
                                               code=form.cleaned_data["code"], request=request)
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
        else:
            request.session[SESSION_KEY] = invitation.pk
            return redirect("accounts:activate_password")
    return render(request, "accounts/activate.html", {"form": form, "blocked": address_blocked(request)})


@never_cache
def activate_link(request, token: str):
    invitation = invitation_by_token(token)
    if invitation is None:
        messages.error(request, _("激活链接无效、已使用或已过期。请用短信中的激活码激活，或请单位管理员重新发送邀请。"))
        return redirect("accounts:activate")
    request.session[SESSION_KEY] = invitation.pk
    return redirect("accounts:activate_password")


@never_cache
def activate_password(request):
    invitation = Invitation.objects.select_related("user").filter(pk=request.session.get(SESSION_KEY)).first()
    if invitation is None or not invitation.is_open():
        request.session.pop(SESSION_KEY, None)
        return redirect("accounts:activate")
    user = invitation.user
    form = SetPasswordForm(request.POST or None, user=user, initial={"username": user.username})
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_complete(invitation=invitation, username=form.cleaned_data["username"],
                                       password=form.cleaned_data["password1"], request=request)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for key, errors in exc.message_dict.items():
                    form.add_error(key if key in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages[0])
        else:
            request.session.pop(SESSION_KEY, None)
            login(request, user, backend="accounts.backends.CachedUserBackend")
            messages.success(request, _("账号已激活，欢迎使用安训平台。"))
            return redirect("home")
    return render(request, "accounts/activate_password.html", {"form": form, "person": user})
