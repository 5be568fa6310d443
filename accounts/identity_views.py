"""Pages for identity review: upload (self or for one's people), the reviewers' queue, one review, the photos.

Thin: the rules are in accounts/identity.py."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET

from core.audit import audit_record
from core.protected_files import serve_protected

from . import identity
from .models import IdentitySubmission, User
from .selectors import may_see_full_id, people_visible_to

_IMAGE_ATTRS = {"accept": "image/jpeg,image/png"}


class UploadForm(forms.Form):
    consent = forms.BooleanField(label=_lazy("我已阅读并同意上述个人信息处理说明"), required=True,
                                 error_messages={"required": _lazy("请先阅读并同意个人信息处理说明。")})
    consent_version = forms.CharField(widget=forms.HiddenInput)
    id_front = forms.FileField(label=_lazy("身份证人像面"), widget=forms.FileInput(attrs=_IMAGE_ATTRS),
                               help_text=_lazy("JPG 或 PNG，不超过 5 MB，四角完整、文字清晰。"),
                               error_messages={"required": _lazy("请上传身份证人像面。")})
    id_back = forms.FileField(label=_lazy("身份证国徽面"), widget=forms.FileInput(attrs=_IMAGE_ATTRS),
                              error_messages={"required": _lazy("请上传身份证国徽面。")})
    portrait = forms.FileField(label=_lazy("近期免冠照片"),
                               widget=forms.FileInput(attrs={**_IMAGE_ATTRS, "capture": "user"}),
                               help_text=_lazy("近六个月内正面免冠照片，背景简洁，面部清晰。"),
                               error_messages={"required": _lazy("请上传近期免冠照片。")})


class ConfirmForm(forms.Form):
    corrected_id_number = forms.CharField(
        label=_lazy("更正身份证号（与证件不符时填写）"), max_length=18, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "placeholder": _lazy("留空表示无需更正")}))


class RejectForm(forms.Form):
    reason = forms.CharField(label=_lazy("退回原因"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3, "placeholder": _lazy("例如：身份证照片模糊，无法辨认号码")}),
                             error_messages={"required": _lazy("请填写退回原因。")})


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _upload(request, person: User):
    if not identity.may_upload_for(request.user, person):
        raise Http404
    on_behalf = person.pk != request.user.pk
    back = redirect("accounts:person", pk=person.pk) if on_behalf else redirect("accounts:me")
    pending = identity.pending_submission(person)
    form = UploadForm(request.POST or None, request.FILES or None,
                      initial={"consent_version": identity.CONSENT_VERSION})
    if request.method == "POST" and pending is None and form.is_valid():
        try:
            identity.identity_submit(
                actor=request.user, person=person, request=request,
                files={part: form.cleaned_data[part] for part in identity.FILE_PARTS},
                consent_given=form.cleaned_data["consent"], consent_version=form.cleaned_data["consent_version"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("材料已提交，考试中心或监管部门工作人员核验后会通知您。"))
            return back
    return render(request, "accounts/identity/upload.html", {
        "form": form, "person": person, "on_behalf": on_behalf, "pending": pending,
        "consent_text": identity.consent_text(on_behalf=on_behalf), "consent_version": identity.CONSENT_VERSION,
        "latest": identity.latest_submission(person),
    })


@login_required
def upload_mine(request):
    return _upload(request, request.user)


@login_required
def upload_for(request, pk: int):
    person = people_visible_to(request.user).filter(pk=pk).first()
    if person is None:
        raise Http404
    return _upload(request, person)


@login_required
def queue(request):
    if not identity.is_identity_reviewer(request.user):
        raise Http404
    rows = list(identity.identity_review_queue(request.user)[:200])
    return render(request, "accounts/identity/queue.html", {"rows": rows})


@login_required
def review(request, pk: int):
    if not identity.is_identity_reviewer(request.user):
        raise Http404
    sub = identity.submissions_reviewable_by(request.user).select_related(
        "person", "submitted_by", "reviewer", "consent").filter(pk=pk).first()
    if sub is None:
        raise Http404
    person = sub.person
    confirm_form = ConfirmForm(request.POST if request.POST.get("action") == "confirm" else None)
    reject_form = RejectForm(request.POST if request.POST.get("action") == "reject" else None)
    if request.method == "POST" and sub.status == IdentitySubmission.Status.PENDING:
        action = request.POST.get("action")
        form = confirm_form if action == "confirm" else reject_form if action == "reject" else None
        if form is not None and form.is_valid():
            try:
                if action == "confirm":
                    identity.identity_confirm(reviewer=request.user, submission=sub, request=request,
                                              corrected_id_number=form.cleaned_data["corrected_id_number"])
                    messages.success(request, _("已确认 %(name)s 的身份。") % {"name": person.display_name})
                else:
                    identity.identity_reject(reviewer=request.user, submission=sub, request=request,
                                             reason=form.cleaned_data["reason"])
                    messages.success(request, _("已退回，并通知本人重新上传。"))
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                return redirect("accounts:identity_queue")
    number = person.id_number
    return render(request, "accounts/identity/review.html", {
        "sub": sub, "person": person, "full_id": may_see_full_id(request.user, person),
        "birth_date": person.birth_date, "gender": {"M": _("男"), "F": _("女")}.get(person.gender, ""),
        "has_id": bool(number), "confirm_form": confirm_form, "reject_form": reject_form,
        "consent_text": identity.consent_text(sub.consent.text_version, on_behalf=sub.consent.on_behalf),
    })


@require_GET
@login_required
def photo(request, pk: int, part: str):
    if part not in identity.FILE_PARTS:
        raise Http404
    sub = IdentitySubmission.objects.select_related("person").filter(pk=pk).first()
    if sub is None or not identity.may_see_identity_files(request.user, sub):
        raise Http404
    fieldfile = getattr(sub, part)
    if not fieldfile:
        raise Http404
    # every view of an identity photo is on record (个人信息保护法)
    audit_record(actor=request.user, action="identity_photo.view", target=sub,
                 after={"photo": part, "person": sub.person_id}, request=request)
    ext = "png" if fieldfile.name.lower().endswith(".png") else "jpg"
    response = serve_protected(request, fieldfile, filename=f"{part}-{sub.pk}.{ext}",
                               content_type=identity.content_type_of(fieldfile))
    response["X-Content-Type-Options"] = "nosniff"
    return response
