"""Exam applications (报名): the candidate's 报名考试 page, an enterprise's or training institution's
batch application, the applicant's list and detail, and the exam centre's review queue. Thin:
the rules are in ``exams.services.applications``, the scoped reads in ``exams.selectors``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from accounts.models import Organization, User
from accounts.roles import ENTERPRISE_MANAGERS, OrgKind, Role
from accounts.selectors import org_ids_with_role, people_visible_to
from catalogue.models import EducationLevel

from . import selectors
from .manage_views import exam_staff_required
from .models import ExamApplication, ExamSession
from .services import applications as svc

EDUCATION_CHOICES = [("", _lazy("请选择文化程度"))] + list(EducationLevel.choices)


def session_label(session: ExamSession) -> str:
    start = timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M")
    subject = session.operation_item.name if session.operation_item_id else session.certificate_kind.name
    left = session.seats - getattr(session, "n_registered", 0)
    return _("%(subject)s · %(start)s · %(centre)s · %(name)s（余 %(left)d 座）") % {
        "subject": subject, "start": start, "centre": session.centre.name, "name": session.name, "left": left}


class SessionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return session_label(obj)


class DeclarationForm(forms.Form):
    """The session and what the applicant declares (education, health)."""

    session = SessionChoiceField(label=_lazy("考试场次"), queryset=ExamSession.objects.none(),
                                 empty_label=_lazy("请选择考试场次（只列出尚有空座的场次）"))
    education = forms.ChoiceField(label=_lazy("文化程度"), choices=EDUCATION_CHOICES, required=False)
    health_declared = forms.BooleanField(
        label=_lazy("本人声明：经体检合格，无妨碍从事该作业的器质性心脏病、癫痫病、美尼尔氏症、眩晕症、癔病、震颤麻痹症、"
                    "精神病、痴呆症以及其他疾病和生理缺陷"), required=False)
    health_declared_on = forms.DateField(label=_lazy("体检日期"), required=False,
                                         widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, sessions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions if sessions is not None else selectors.sessions_open_for_application()


class BatchForm(DeclarationForm):
    field_order = ["people", "session", "education", "health_declared", "health_declared_on"]
    people = forms.ModelMultipleChoiceField(label=_lazy("报名人员"), queryset=User.objects.none(),
                                            widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = people if people is not None else User.objects.none()
        self.fields["people"].label_from_instance = lambda u: u.display_name
        self.fields["health_declared"].label = _(
            "本单位声明：所选人员均经体检合格，无妨碍从事该作业的疾病和生理缺陷；所选文化程度为所选人员的最低文化程度")


class ApproveForm(forms.Form):
    session = SessionChoiceField(label=_lazy("安排场次"), queryset=ExamSession.objects.none(),
                                 empty_label=_lazy("请选择场次"))
    override_reason = forms.CharField(
        label=_lazy("资格待定时的破格理由"), required=False, max_length=200,
        help_text=_lazy("身份或培训尚未完成时须填写；年龄、证书状态、文化程度和身体条件不能破格。"))

    def __init__(self, *args, sessions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_lazy("退回原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_lazy("申请人会收到短信和站内通知，可按原因修改后重新提交。"))


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for e in errors:
                form.add_error(field if field in form.fields else None, e)
    else:
        for e in exc.messages:
            form.add_error(None, e)


def _declaration(d: dict) -> dict:
    return {"education": d.get("education") or "", "health_declared": bool(d.get("health_declared")),
            "health_declared_on": d.get("health_declared_on")}


# ----------------------------------------------------------------------------- applicants

@login_required
def my_applications(request):
    """报名考试: the applications the user follows (their own and those they submitted)."""
    applications = list(selectors.applications_made_by(request.user)[:200])
    return render(request, "exams/applications/list.html", {"applications": applications})


@login_required
def apply(request):
    """The candidate applies for themself: choose a session, declare, see the eligibility, submit."""
    initial = {}
    if request.GET.get("session", "").isdigit():
        initial["session"] = request.GET["session"]
    form = DeclarationForm(request.POST or None, initial=initial)
    items = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if request.POST.get("action") == "submit":
            try:
                application = svc.application_submit(actor=request.user, person=request.user, session=d["session"],
                                                     channel=svc.Channel.SELF, **_declaration(d))
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("报名申请已提交，请等待考试中心审核。"))
                return redirect("exams:application", pk=application.pk)
        items = svc.application_eligibility(session=d["session"], person=request.user,
                                            education=d["education"], health_declared=d["health_declared"])
    elif request.method == "GET" and initial:
        session = selectors.sessions_open_for_application().filter(pk=initial["session"]).first()
        if session is not None:
            items = svc.application_eligibility(session=session, person=request.user)
    return render(request, "exams/applications/apply.html", {
        "form": form, "items": items, "blocked": bool(items and svc.blocking_problems(items))})


def _application_for_applicant(request, pk: int) -> ExamApplication:
    application = selectors.applications_made_by(request.user).filter(pk=pk).first()
    if application is None:
        raise Http404
    return application


@login_required
def application_detail(request, pk: int):
    """One application as its applicant sees it; a returned one can be corrected and resubmitted."""
    application = _application_for_applicant(request, pk)
    may_change = application.open_for_change and svc.may_change(request.user, application)
    form = None
    if may_change:
        form = DeclarationForm(request.POST or None, initial={
            "session": application.session_id, "education": application.declared_education,
            "health_declared": application.health_declared, "health_declared_on": application.health_declared_on},
            sessions=selectors.sessions_open_for_application())
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                svc.application_resubmit(actor=request.user, application=application, session=d["session"],
                                         **_declaration(d))
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("报名申请已重新提交。"))
                return redirect("exams:application", pk=application.pk)
    return render(request, "exams/applications/detail.html", {
        "application": application, "form": form, "may_change": may_change,
        "is_person": application.person_id == request.user.pk})


@login_required
@require_POST
def application_withdraw(request, pk: int):
    application = _application_for_applicant(request, pk)
    try:
        svc.application_withdraw(actor=request.user, application=application)
    except ValidationError as exc:
        for e in exc.messages:
            messages.error(request, e)
    else:
        messages.success(request, _("报名申请已撤回。"))
    return redirect("exams:application", pk=application.pk)


def _batch_organizations(user) -> list[Organization]:
    ids = org_ids_with_role(user, *ENTERPRISE_MANAGERS) | org_ids_with_role(user, Role.INSTRUCTOR)
    qs = Organization.objects.filter(is_active=True)
    if not user.is_superuser:
        qs = qs.filter(pk__in=ids)
    return list(qs.filter(kind__in=(OrgKind.ENTERPRISE, OrgKind.TRAINING)).order_by("kind", "name"))


def _batch_people(user, organization: Organization):
    """The people an organisation may apply for: an enterprise's own people (from the people the
    user may see), a training institution's trainees."""
    if organization.kind == OrgKind.ENTERPRISE:
        return people_visible_to(user).filter(
            memberships__organization=organization, memberships__is_active=True).distinct().order_by("real_name", "pk")
    return User.objects.filter(pk__in=svc.trainee_ids({organization.pk}), is_active=True).order_by("real_name", "pk")


@login_required
def batch_apply(request):
    """An enterprise applies for several of its people, a training institution for its trainees."""
    organizations = _batch_organizations(request.user)
    if not organizations:
        raise Http404
    chosen = request.POST.get("organization") or request.GET.get("organization")
    organization = next((o for o in organizations if str(o.pk) == chosen), organizations[0])
    people = _batch_people(request.user, organization)
    form = BatchForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            created = svc.applications_submit_batch(actor=request.user, organization=organization,
                                                    people=d["people"], session=d["session"], **_declaration(d))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已为 %(n)d 人提交报名申请，请等待考试中心审核。") % {"n": len(created)})
            return redirect("exams:my_applications")
    return render(request, "exams/applications/batch.html", {
        "form": form, "organizations": organizations, "organization": organization})


# ----------------------------------------------------------------------------- exam centre

STATUS_FILTERS = [("submitted", _lazy("待审核")), ("returned", _lazy("已退回")), ("approved", _lazy("已通过")),
                  ("withdrawn", _lazy("已撤回")), ("all", _lazy("全部"))]


@exam_staff_required()
def manage_applications(request):
    """The review queue of the user's exam centres, with filters (status, session, name)."""
    status = request.GET.get("status") or "submitted"
    qs = selectors.applications_for_centre(request.user)
    if status != "all":
        qs = qs.filter(status=status)
    session_id = request.GET.get("session", "")
    if session_id.isdigit():
        qs = qs.filter(session_id=int(session_id))
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(person__real_name__icontains=q) | Q(person__username__iexact=q))
    qs = qs.order_by("submitted_at", "pk") if status == "submitted" else qs.order_by("-submitted_at", "-pk")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    sessions = selectors.sessions_manageable_by(request.user).filter(ends_at__gt=timezone.now()).order_by("starts_at")
    return render(request, "exams/applications/queue.html", {
        "page": page, "status": status, "statuses": STATUS_FILTERS, "sessions": sessions,
        "session_id": session_id, "q": q})


def _centre_application(request, pk: int) -> ExamApplication:
    application = selectors.applications_for_centre(request.user).filter(pk=pk).first()
    if application is None:
        raise Http404
    return application


def _target_sessions(application: ExamApplication):
    """Sessions of the same centre and subject that have not started and have a free seat."""
    return selectors.sessions_open_for_application().filter(
        centre_id=application.centre_id, certificate_kind_id=application.certificate_kind_id,
        operation_item_id=application.operation_item_id)


@exam_staff_required()
def manage_application(request, pk: int):
    """One application: the eligibility as it is now, approve into a session or return with a reason."""
    application = _centre_application(request, pk)
    items = svc.application_eligibility(session=application.session, person=application.person,
                                        education=application.declared_education,
                                        health_declared=application.health_declared)
    approve_form = ApproveForm(initial={"session": application.session_id}, sessions=_target_sessions(application))
    return_form = ReturnForm()
    if request.method == "POST" and application.status == ExamApplication.Status.SUBMITTED:
        if request.POST.get("action") == "approve":
            approve_form = ApproveForm(request.POST, sessions=_target_sessions(application))
            if approve_form.is_valid():
                try:
                    svc.application_approve(actor=request.user, application=application,
                                            session=approve_form.cleaned_data["session"],
                                            override_reason=approve_form.cleaned_data["override_reason"])
                except ValidationError as exc:
                    _add_errors(approve_form, exc)
                else:
                    messages.success(request, _("已通过，考生已安排座位并收到通知。"))
                    return redirect("exams:manage_application", pk=application.pk)
        elif request.POST.get("action") == "return":
            return_form = ReturnForm(request.POST)
            if return_form.is_valid():
                try:
                    svc.application_return(actor=request.user, application=application,
                                           reason=return_form.cleaned_data["reason"])
                except ValidationError as exc:
                    _add_errors(return_form, exc)
                else:
                    messages.success(request, _("已退回，申请人已收到通知。"))
                    return redirect("exams:manage_applications")
    return render(request, "exams/applications/review.html", {
        "application": application, "items": items, "approve_form": approve_form, "return_form": return_form})
