from __future__ import annotations


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from core.protected_files import serve_protected
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.audit import audit_trail
from accounts.roles import Role
from accounts.selectors import has_role, organizations_of

from . import selectors, services, signing
from .forms import ReasonForm, StateChangeForm, UploadForm, VerifyCodeForm, VerifyNameNumberForm
from .models import Certificate, CertificateBatch, CertificateReview, LiveStatus, RosterCheck
from .verification import allow, log_verification, masked_query

# ---------------------------------------------------------------------------------------------
# Public verification
# ---------------------------------------------------------------------------------------------


def _limited(request, channel: str, query: str):
    log_verification(request=request, channel=channel, query=query, rate_limited=True)
    response = render(request, "certificates/verify.html", {
        "code_form": VerifyCodeForm(), "name_form": VerifyNameNumberForm(), "limited": True}, status=429)
    response["Retry-After"] = "60"
    return response


@never_cache
def verify(request):
    code_form = VerifyCodeForm(prefix="c")
    name_form = VerifyNameNumberForm(prefix="n")
    context = {"code_form": code_form, "name_form": name_form}
    if request.method == "POST":
        mode = request.POST.get("mode")
        if mode == "code":
            code_form = VerifyCodeForm(request.POST, prefix="c")
            if code_form.is_valid():
                return _lookup_code(request, code_form.cleaned_data["code"], payload="", channel="code")
        else:
            name_form = VerifyNameNumberForm(request.POST, prefix="n")
            if name_form.is_valid():
                name, number = name_form.cleaned_data["name"], name_form.cleaned_data["number"]
                query = masked_query(name=name, number=number)
                if not allow(request):
                    return _limited(request, "name_number", query)
                certificate = selectors.certificate_by_name_and_number(name, number)
                card = selectors.card_of(certificate) if certificate is not None else None
                return _result(request, card, channel="name_number", query=query)
        context.update(code_form=code_form, name_form=name_form, mode=mode)
    return render(request, "certificates/verify.html", context)


@never_cache
def verify_code(request, code: str):
    """The page behind every certificate's QR code (``?p=`` carries the signed payload)."""
    payload = request.GET.get("p", "")
    return _lookup_code(request, code, payload=payload, channel="qr" if payload else "code")


def _lookup_code(request, code: str, *, payload: str, channel: str):
    query = masked_query(code=code)
    if not allow(request):
        return _limited(request, channel, query)
    card = selectors.public_card(code)
    check = None
    if payload:
        check = signing.check_against_card(payload, code=card["code"] if card else code, card=card)
        if check is None:  # the payload names another code: the database tells unknown from altered
            check = signing.verify_payload(payload)
            if check.outcome == signing.VALID:
                check = signing.PayloadCheck(signing.ALTERED, check.fields, None, _("二维码内容与查验码不一致。"))
    return _result(request, card, channel=channel, query=query, check=check)


def _result(request, card: dict | None, *, channel: str, query: str, check=None):
    """Log the lookup and show the result: the public card (masked data only), its live status
    and the signature check; 404 when nothing was found. A QR payload that is altered, or signed
    but not on record, is the headline ("二维码无效"): the record behind the code is then shown only
    for comparison, its status never as a valid badge."""
    now = timezone.localtime()
    status = selectors.card_status(card, now.date()) if card is not None else ""
    log_verification(request=request, channel=channel, query=query, certificate_id=card["id"] if card else None,
                     signature=check.outcome if check else "", status=status)
    found = card is not None or check is not None
    why = card.get("why") if card is not None else ""
    return render(request, "certificates/verify_result.html", {
        "card": card, "check": check, "status": status, "checked_at": now,
        "status_label": LiveStatus(status).label if status else "",
        "bad": status not in (LiveStatus.VALID, LiveStatus.REVIEW_DUE),
        "qr_invalid": check is not None and check.outcome != signing.VALID,
        "why_label": dict(Certificate.StateCategory.choices).get(why, "") if why else "",
    }, status=200 if found else 404)


def public_key(request):
    response = HttpResponse(signing.public_key_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'inline; filename="anxun-certificates-ed25519.pem"'
    return response


# ---------------------------------------------------------------------------------------------
# Holders and enterprises
# ---------------------------------------------------------------------------------------------


@login_required
def my_certificates(request):
    certificates = list(selectors.my_certificates(request.user).prefetch_related("reviews"))
    return render(request, "certificates/mine.html", {"certificates": certificates, "today": timezone.localdate()})


def _filter(request, qs):
    q = (request.GET.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(holder_name__contains=q) | Q(number=q.upper()) | Q(operation_item__name__contains=q))
    status = request.GET.get("status", "")
    certificates = list(qs[:2000])
    if status:
        certificates = [c for c in certificates if c.status == status]
    return certificates, q, status


@login_required
def people_certificates(request):
    user = request.user
    if not (user.is_superuser or has_role(user, Role.ENT_ADMIN, Role.SAFETY_MANAGER, Role.PRINCIPAL,
                                           Role.BUREAU_ANALYST, Role.BUREAU_EDITOR, Role.BUREAU_PUBLISHER)):
        raise Http404
    certificates, q, status = _filter(request, selectors.people_certificates(user))
    page = Paginator(certificates, 50).get_page(request.GET.get("page"))
    return render(request, "certificates/people.html", {
        "page": page, "q": q, "status": status, "statuses": LiveStatus.choices})


@login_required
def certificate_detail(request, pk: int):
    certificate = selectors.certificates_visible_to(request.user).filter(pk=pk).first()
    if certificate is None:
        raise Http404
    can_manage = selectors.can_manage_certificate(request.user, certificate)
    return render(request, "certificates/detail.html", {
        "c": certificate, "can_manage": can_manage, "reason_form": StateChangeForm(),
        "reviews": certificate.reviews.select_related("decided_by"),
        "trail": audit_trail(certificate)[:50] if can_manage else [],
        "is_holder": certificate.holder_id == request.user.pk,
        "review_checks": services.review_checks(certificate)[0] if certificate.holder_id == request.user.pk and certificate.kind.review_interval_months else [],
    })


@login_required
def certificate_pdf(request, pk: int):
    certificate = selectors.certificates_visible_to(request.user).filter(pk=pk).first()
    if certificate is None:
        raise Http404
    from . import pdf

    if not certificate.pdf or certificate.pdf_revision != certificate.revision or pdf.pdf_follows_request():
        pdf.store_certificate_pdf(certificate, base_url=pdf.public_base_url(request))
    return serve_protected(request, certificate.pdf, filename=f"{certificate.number}.pdf",
                           content_type="application/pdf")


@login_required
@require_POST
def review_apply(request, pk: int):
    certificate = get_object_or_404(selectors.my_certificates(request.user), pk=pk)
    try:
        services.review_apply(holder=request.user, certificate=certificate)
        messages.success(request, _("复审申请已提交，等待发证机关审核。"))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("certificates:detail", pk=pk)


# ---------------------------------------------------------------------------------------------
# Certificate officer
# ---------------------------------------------------------------------------------------------


def _officer(request):
    if not selectors.is_certificate_officer(request.user):
        raise Http404


@login_required
def manage(request):
    _officer(request)
    certificates, q, status = _filter(request, selectors.certificates_managed_by(request.user))
    page = Paginator(certificates, 50).get_page(request.GET.get("page"))
    return render(request, "certificates/manage.html", {
        "page": page, "q": q, "status": status, "statuses": LiveStatus.choices,
        "pending_reviews": selectors.reviews_to_decide(request.user).count(),
        "batches": selectors.batches_of(request.user)[:5],
        "exams_available": services.exams_available(),
    })


@login_required
@require_POST
def certificate_action(request, pk: int):
    _officer(request)
    certificate = get_object_or_404(selectors.certificates_managed_by(request.user), pk=pk)
    action = request.POST.get("action")
    if action == "render":
        from .tasks import render_certificate_pdf

        render_certificate_pdf.delay(certificate.pk, True)
        messages.success(request, _("证书PDF已重新生成。"))
        return redirect("certificates:detail", pk=pk)
    form = StateChangeForm(request.POST)
    functions = {"suspend": services.certificate_suspend, "reinstate": services.certificate_reinstate,
                 "revoke": services.certificate_revoke}
    if action not in functions or not form.is_valid():
        messages.error(request, _("请选择操作并填写原因。"))
        return redirect("certificates:detail", pk=pk)
    extra = {"category": form.cleaned_data["category"]} if action in ("suspend", "revoke") else {}
    try:
        functions[action](actor=request.user, certificate=certificate, reason=form.cleaned_data["reason"],
                          request=request, **extra)
        messages.success(request, _("证书状态已更新。"))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("certificates:detail", pk=pk)


@login_required
def reviews(request):
    _officer(request)
    pending = selectors.reviews_to_decide(request.user)
    return render(request, "certificates/reviews.html", {"reviews": pending, "reason_form": ReasonForm()})


@login_required
@require_POST
def review_decide(request, pk: int):
    _officer(request)
    review = get_object_or_404(selectors.reviews_to_decide(request.user), pk=pk)
    try:
        if request.POST.get("decision") == "approve":
            services.review_approve(officer=request.user, review=review, request=request)
            messages.success(request, _("复审已通过，应复审日期已顺延。"))
        else:
            services.review_reject(officer=request.user, review=review, reason=request.POST.get("reason", ""), request=request)
            messages.success(request, _("已记录复审不通过。"))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("certificates:reviews")


@login_required
def import_certificates(request):
    _officer(request)
    from .imports import COLUMN_ALIASES, REQUIRED, TEMPLATE_HEADER, certificate_import
    from core.tables import read_table

    report = None
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            rows = read_table(form.cleaned_data["file"], COLUMN_ALIASES, REQUIRED)
            report = certificate_import(officer=request.user, rows=rows)
        except ValidationError as exc:
            form.add_error("file", exc.messages[0])
        if report is not None and report.ok:
            batch = services.batch_create(user=request.user, action=CertificateBatch.Action.RENDER,
                                          item_ids=[c.pk for c in report.certificates])
            messages.success(request, _("已导入 %(n)d 张证书，正在生成PDF。") % {"n": len(report.certificates)})
            return redirect("certificates:batch", pk=batch.pk)
    return render(request, "certificates/import.html", {"form": form, "report": report, "header": TEMPLATE_HEADER})


@login_required
@require_POST
def batch_render(request):
    _officer(request)
    ids = list(selectors.certificates_managed_by(request.user).filter(
        pk__in=[int(i) for i in request.POST.getlist("ids") if i.isdigit()]).values_list("pk", flat=True))
    if not ids:
        ids = list(selectors.certificates_managed_by(request.user).values_list("pk", flat=True)[:2000])
    batch = services.batch_create(user=request.user, action=CertificateBatch.Action.RENDER, item_ids=ids)
    return redirect("certificates:batch", pk=batch.pk)


@login_required
def batch_detail(request, pk: int):
    batch = get_object_or_404(selectors.batches_of(request.user), pk=pk)
    template = "certificates/_batch_progress.html" if request.htmx else "certificates/batch.html"
    return render(request, template, {"batch": batch})


# ---------------------------------------------------------------------------------------------
# Roster check
# ---------------------------------------------------------------------------------------------


def _roster_user(request):
    if not selectors.can_check_rosters(request.user):
        raise Http404


@login_required
def roster(request):
    _roster_user(request)
    from .roster import COLUMN_ALIASES
    from core.tables import read_table

    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = read_table(upload, COLUMN_ALIASES, ("name", "id_number", "operation"))
            orgs = organizations_of(request.user, Role.ENT_ADMIN, Role.SAFETY_MANAGER)
            check = services.roster_check_run(user=request.user, rows=rows, source_name=upload.name,
                                              organization=orgs[0] if orgs else None)
            return redirect("certificates:roster_result", pk=check.pk)
        except ValidationError as exc:
            form.add_error("file", exc.messages[0])
    return render(request, "certificates/roster.html", {
        "form": form, "checks": selectors.roster_checks_of(request.user)[:20]})


def _status_filter(results, status):
    return [r for r in results if r["status"] == status] if status else results


@login_required
def roster_result(request, pk: int):
    _roster_user(request)
    from .roster import STATUSES

    check = get_object_or_404(RosterCheck.objects.filter(created_by=request.user), pk=pk)
    status = request.GET.get("status", "")
    rows = _status_filter(check.results, status)
    page = Paginator(rows, 200).get_page(request.GET.get("page"))
    summary = [(key, STATUSES[key], check.summary["by_status"].get(key, 0)) for key in STATUSES]
    return render(request, "certificates/roster_result.html", {
        "check": check, "page": page, "summary": summary, "status": status})


@login_required
def roster_download(request, pk: int):
    _roster_user(request)
    from core.exports import table_xlsx

    check = get_object_or_404(RosterCheck.objects.filter(created_by=request.user), pk=pk)
    header = ["行号", "姓名", "身份证号（已脱敏）", "操作项目", "核查结果", "结果代码", "说明",
              "证书编号", "证书操作项目", "有效期至", "应复审日期", "证书状态"]
    rows = []
    for r in check.results:
        c = r.get("certificate") or {}
        rows.append([r["row"], r["name"], r["id_number"], r["operation"], r["status_label"], r["status"], r["message"],
                     c.get("number", ""), c.get("operation", "") or c.get("kind", ""), c.get("valid_until", ""),
                     c.get("next_review_due") or "", c.get("status_label", "")])
    data = table_xlsx(header, rows, title="持证核查")
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="roster-check-{check.pk}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


def redirect_to(name: str, **kwargs):
    return redirect(reverse(name, kwargs=kwargs))


__all__ = ["CertificateReview", "Certificate"]


@login_required
def issue_list(request):
    _officer(request)
    registrations = list(selectors.registrations_to_issue(request.user)[:500])
    duplicates = selectors.duplicates_for_registrations(registrations)
    for r in registrations:
        r.duplicate = duplicates.get(r.pk, "")
    return render(request, "certificates/issue.html", {"registrations": registrations})


@login_required
@require_POST
def issue_one(request, registration_id: int):
    _officer(request)
    registration = selectors.registrations_to_issue(request.user).filter(pk=registration_id).first()
    if registration is None:
        from exams.models import Registration

        existing = Certificate.objects.filter(registration_id=registration_id).first()
        if existing is not None and selectors.can_manage_certificate(request.user, existing):
            messages.info(request, _("该成绩已发证。"))
            return redirect("certificates:detail", pk=existing.pk)
        if not Registration.objects.filter(pk=registration_id).exists():
            raise Http404
    try:
        certificate = services.certificate_issue_from_registration_id(
            officer=request.user, registration_id=registration_id)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("certificates:issue")
    messages.success(request, _("证书 %(n)s 已签发。") % {"n": certificate.number})
    return redirect("certificates:detail", pk=certificate.pk)


@login_required
@require_POST
def issue_batch(request):
    _officer(request)
    wanted = {int(i) for i in request.POST.getlist("ids") if i.isdigit()}
    qs = selectors.registrations_to_issue(request.user)
    ids = [r.pk for r in qs if not wanted or r.pk in wanted]
    if not ids:
        messages.error(request, _("没有待发证的合格成绩。"))
        return redirect("certificates:issue")
    batch = services.batch_create(user=request.user, action=CertificateBatch.Action.ISSUE, item_ids=ids)
    return redirect("certificates:batch", pk=batch.pk)
