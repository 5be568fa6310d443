"""Pages of enterprises joining: the public sign-up, the applicant's status page, the bureau's queue,
review, enterprise list, edit and register import. Thin: rules live in ``accounts.enterprises``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.audit import audit_trail

from . import enterprises as svc
from .enterprise_forms import ApplicantForm, EnterpriseForm, ImportForm, ReturnForm, add_errors
from .models import EnterpriseApplication
from .roles import BUREAU_ROLES
from .selectors import enterprise_application_of, enterprise_applications_visible_to, enterprises_visible_to
from .selectors import has_role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ACTION_LABELS = {
    "enterprise.apply": _lazy("提交入驻申请"), "enterprise.resubmit": _lazy("修改后重新提交"),
    "enterprise.approve": _lazy("审核通过"), "enterprise.return": _lazy("退回"),
    "enterprise.create": _lazy("创建企业"), "enterprise.import": _lazy("由企业名册导入"),
    "enterprise.update": _lazy("修改企业信息"), "enterprise.withdraw": _lazy("申请人撤回"),
}
FIELD_LABELS = {
    "name": _lazy("企业名称"), "credit_code": _lazy("统一社会信用代码"), "region": _lazy("所在地区"),
    "industry": _lazy("行业"), "hazard_tags": _lazy("风险特征"), "process_tags": _lazy("设备/工艺"),
    "address": _lazy("地址"),
}


def _trail(target) -> list[dict]:
    """The audit entries of an application or enterprise, in words for the page."""
    out = []
    for entry in audit_trail(target)[:20]:
        changed = [str(FIELD_LABELS[k]) for k in (entry.after or {}) if k in FIELD_LABELS] \
            if entry.action == "enterprise.update" else []
        out.append({"at": entry.created_at, "actor": entry.actor.display_name if entry.actor else entry.actor_repr,
                    "label": ACTION_LABELS.get(entry.action, entry.action), "changed": changed,
                    "reason": entry.reason})
    return out


def _bureau(request) -> None:
    """Bureau staff (any bureau role) and the superuser; everyone else gets a 404."""
    user = request.user
    if not (user.is_superuser or has_role(user, *BUREAU_ROLES)):
        raise Http404


def _reviewer(request) -> None:
    if not svc.may_review_anything(request.user):
        raise Http404


# ------------------------------------------------------------------------------------------------
# Public sign-up and the applicant's own page
# ------------------------------------------------------------------------------------------------


@never_cache
def join(request):
    """企业入驻：the enterprise's data and (for a visitor) the account of the person registering it."""
    user = request.user
    if user.is_authenticated:
        current = enterprise_application_of(user)
        if current is not None and current.is_open:
            return redirect("accounts:join_status")
    enterprise_form = EnterpriseForm(request.POST or None, prefix="e")
    person_form = None if user.is_authenticated else ApplicantForm(request.POST or None, prefix="p")
    throttled = False
    if request.method == "POST":
        if not svc.join_allowed(request):
            throttled = True
        elif all([f.is_valid() for f in (enterprise_form, person_form) if f is not None]):  # both checked
            try:
                application = svc.enterprise_apply(
                    data=enterprise_form.to_data(), applicant=user if user.is_authenticated else None,
                    person=person_form.to_person() if person_form is not None else None, request=request)
            except ValidationError as exc:
                add_errors([f for f in (enterprise_form, person_form) if f is not None], exc)
            else:
                if not user.is_authenticated:
                    request.anxun_joined = True  # the page says it itself: no sign-in reminder
                    login(request, application.applicant, backend="accounts.backends.CachedUserBackend")
                messages.success(request, _("入驻申请已提交，所在地区的应急管理部门审核后会以短信通知您。"))
                return redirect("accounts:join_status")
    status = 429 if throttled else 200
    return render(request, "accounts/enterprise/join.html", {
        "form": enterprise_form, "person_form": person_form, "throttled": throttled}, status=status)


@login_required
@never_cache
def join_status(request):
    """The applicant's application: its state, the reason it was returned, and the form to correct it."""
    application = enterprise_application_of(request.user)
    if application is None:
        return redirect("accounts:join")
    form = None
    if application.status == EnterpriseApplication.Status.RETURNED:
        form = EnterpriseForm(request.POST or None, prefix="e", initial=EnterpriseForm.initial_of(application),
                              application=application)
        if request.method == "POST" and form.is_valid():
            try:
                svc.enterprise_application_resubmit(application=application, actor=request.user,
                                                    data=form.to_data(), request=request)
            except ValidationError as exc:
                add_errors([form], exc)
            else:
                messages.success(request, _("申请已重新提交，请等待审核。"))
                return redirect("accounts:join_status")
    return render(request, "accounts/enterprise/status.html", {"application": application, "form": form})


@login_required
@require_POST
def join_withdraw(request):
    """The applicant withdraws their open application (e.g. registered by mistake)."""
    application = enterprise_application_of(request.user)
    if application is None:
        raise Http404
    try:
        svc.enterprise_application_withdraw(application=application, actor=request.user, request=request)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("申请已撤回。"))
    return redirect("accounts:join_status")


def signed_in_reminder(sender, request, user, **kwargs) -> None:
    """At sign-in, an applicant whose enterprise is not yet approved is told where it stands."""
    if request is None or not hasattr(request, "_messages") or getattr(request, "anxun_joined", False):
        return
    application = enterprise_application_of(user)
    if application is None or not application.is_open:
        return
    url = reverse("accounts:join_status")
    if application.status == EnterpriseApplication.Status.RETURNED:
        text = format_html(_("您的企业入驻申请“{name}”已被退回，请<a href=\"{url}\">查看原因并修改后重新提交</a>。"),
                           name=application.name, url=url)
        messages.warning(request, text)
    else:
        text = format_html(_("您的企业入驻申请“{name}”正在等待所在地区应急管理部门审核，<a href=\"{url}\">查看申请</a>。"),
                           name=application.name, url=url)
        messages.info(request, text)


# ------------------------------------------------------------------------------------------------
# Bureau: queue and review
# ------------------------------------------------------------------------------------------------

STATUS_FILTERS = {"pending": EnterpriseApplication.Status.PENDING, "returned": EnterpriseApplication.Status.RETURNED,
                  "approved": EnterpriseApplication.Status.APPROVED,
                  "withdrawn": EnterpriseApplication.Status.WITHDRAWN}


@login_required
def application_list(request):
    _bureau(request)
    status = request.GET.get("status", "pending")
    if status not in STATUS_FILTERS:
        status = "pending"
    qs = (enterprise_applications_visible_to(request.user).filter(status=STATUS_FILTERS[status])
          .select_related("applicant", "region", "industry").prefetch_related("hazard_tags"))
    qs = qs.order_by("submitted_at", "pk") if status == "pending" else qs.order_by("-reviewed_at", "-pk")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    tabs = [(key, label) for key, label in (("pending", _("待审核")), ("returned", _("已退回")), ("approved", _("已通过")),
                                                     ("withdrawn", _("已撤回")))]
    return render(request, "accounts/enterprise/applications.html", {
        "page": page, "status": status, "tabs": tabs, "may_review": svc.may_review_anything(request.user)})


@login_required
def application_detail(request, pk: int):
    _bureau(request)
    application = (enterprise_applications_visible_to(request.user)
                   .select_related("applicant", "region", "industry", "reviewed_by", "organization")
                   .prefetch_related("hazard_tags", "process_tags").filter(pk=pk).first())
    if application is None:
        raise Http404
    may_act = (application.status == EnterpriseApplication.Status.PENDING
               and svc.may_review_region(request.user, application.region_id))
    return_form = ReturnForm(request.POST or None) if may_act else None
    duplicate = svc.duplicate_credit_code_message(application.credit_code, application=application) \
        if may_act else ""
    if request.method == "POST":
        if not may_act:
            raise Http404
        decision = request.POST.get("decision")
        try:
            if decision == "approve":
                organization = svc.enterprise_application_approve(application=application, actor=request.user,
                                                                  request=request)
                messages.success(request, _("已通过“%(name)s”的入驻申请，申请人已成为企业管理员。") % {
                    "name": organization.name})
                return redirect("accounts:enterprise_applications")
            if decision == "return" and return_form.is_valid():
                svc.enterprise_application_return(application=application, actor=request.user,
                                                  reason=return_form.cleaned_data["reason"], request=request)
                messages.success(request, _("已退回，申请人会收到短信和邮件通知。"))
                return redirect("accounts:enterprise_applications")
        except ValidationError as exc:
            if return_form is not None and hasattr(exc, "error_dict") and "reason" in exc.error_dict:
                add_errors([return_form], exc)
            else:
                for message in exc.messages:
                    messages.error(request, message)
                return redirect("accounts:enterprise_application", pk=application.pk)
    return render(request, "accounts/enterprise/application.html", {
        "application": application, "may_act": may_act, "return_form": return_form, "duplicate": duplicate,
        "trail": _trail(application)})


# ------------------------------------------------------------------------------------------------
# Bureau: enterprises of the region, edit, import
# ------------------------------------------------------------------------------------------------


@login_required
def enterprise_list(request):
    _bureau(request)
    q = " ".join(request.GET.get("q", "").split())[:64]
    qs = enterprises_visible_to(request.user).select_related("region", "industry").prefetch_related("hazard_tags")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__icontains=q.upper()))
    page = Paginator(qs.order_by("region_id", "name", "pk"), 50).get_page(request.GET.get("page"))
    return render(request, "accounts/enterprise/list.html", {
        "page": page, "q": q, "may_edit": svc.may_review_anything(request.user)})


@login_required
def enterprise_edit(request, pk: int):
    _reviewer(request)
    organization = enterprises_visible_to(request.user).filter(pk=pk).select_related("region", "industry").first()
    if organization is None or not svc.may_review_region(request.user, organization.region_id):
        raise Http404
    form = EnterpriseForm(request.POST or None, prefix="e", initial=EnterpriseForm.initial_of(organization),
                          organization=organization, by_bureau=True)
    if request.method == "POST" and form.is_valid():
        try:
            svc.enterprise_update(organization=organization, actor=request.user, data=form.to_data(), request=request)
        except ValidationError as exc:
            add_errors([form], exc)
        else:
            messages.success(request, _("已保存“%(name)s”的信息。") % {"name": form.cleaned_data["name"]})
            return redirect("accounts:enterprises")
    return render(request, "accounts/enterprise/edit.html", {
        "organization": organization, "form": form, "trail": _trail(organization)})


@login_required
def enterprise_import(request):
    _reviewer(request)
    from core.tables import read_table

    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            rows = read_table(form.cleaned_data["file"], svc.COLUMN_ALIASES, svc.REQUIRED)
            report = svc.enterprise_import(actor=request.user, rows=rows, dry_run=form.cleaned_data["dry_run"],
                                           request=request)
        except ValidationError as exc:
            form.add_error("file", exc.messages[0])
        else:
            if report.ok and not form.cleaned_data["dry_run"]:
                messages.success(request, _("已导入 %(n)d 家企业。") % {"n": len(report.created)})
                return redirect("accounts:enterprises")
    return render(request, "accounts/enterprise/import.html", {
        "form": form, "report": report, "header": svc.TEMPLATE_HEADER})


@login_required
def enterprise_import_template(request):
    _reviewer(request)
    response = HttpResponse(svc.template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = "attachment; filename=\"enterprise-register-template.xlsx\""
    return response


__all__ = ["join", "join_status", "join_withdraw", "application_list", "application_detail", "enterprise_list", "enterprise_edit",
           "enterprise_import", "enterprise_import_template", "signed_in_reminder"]
