"""Training file (培训档案) downloads and their public verification page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from .pdf import pdf_follows_request, public_base_url
from .training_file import check_training_file, issue_training_file
from .verification import allow

MAX_UPLOAD = 20 * 1024 * 1024


def _download(request, person):
    base = public_base_url(request) if pdf_follows_request() else None
    record, pdf = issue_training_file(actor=request.user, person=person, base_url=base, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="training-file-{record.code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def my_training_file(request):
    return _download(request, request.user)


@login_required
def person_training_file(request, pk: int):
    """For the person's enterprise managers and bureau staff in scope (``people_visible_to``)."""
    from accounts.selectors import people_visible_to

    person = people_visible_to(request.user).filter(pk=pk).first()
    if person is None:
        raise Http404
    return _download(request, person)


@csrf_exempt  # a read-only check of an uploaded copy: nothing changes, no cookie for a visitor
@never_cache
def verify_training_file(request, code: str):
    """Behind the file's QR code: the signed summary and the signed digest; an uploaded copy is
    compared with the digest."""
    if not allow(request):
        return render(request, "certificates/verify_training_file.html", {"limited": True, "code": code}, status=429)
    upload = None
    if request.method == "POST" and request.FILES.get("file"):
        upload = request.FILES["file"].read(MAX_UPLOAD + 1)
        if len(upload) > MAX_UPLOAD:
            upload = b""
    check = check_training_file(code, payload=request.GET.get("p", ""), upload_bytes=upload)
    status = 404 if check.record is None else 200
    return render(request, "certificates/verify_training_file.html", {"check": check, "code": code}, status=status)
