"""考场签到 pages of the proctor console: one candidate's check-in step and its photos, and the stills
the exam page kept with an attempt (``ExamSession.exam_stills``).

Proctors of the session only (404 for everyone else). The photos go through
``core.protected_files.serve_protected``, and every view of one is audited."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.roles import Role
from accounts.selectors import verified_portrait_file
from core.audit import audit_record
from core.protected_files import serve_protected

from . import selectors
from .manage_views import _session, exam_staff_required
from .models import CheckInSource, Registration
from .services import checkin


def _registration(request, pk: int, reg_id: int):
    session = _session(request, pk, Role.PROCTOR)
    reg = (Registration.objects.filter(pk=reg_id, session=session, status=Registration.Status.REGISTERED)
           .select_related("candidate", "check_in_by", "session__centre").first())
    if reg is None:
        raise Http404
    return session, reg


@exam_staff_required(Role.PROCTOR)
def checkin_page(request, pk: int, reg_id: int):
    session, reg = _registration(request, pk, reg_id)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "still":
                checkin.checkin_still(actor=request.user, registration=reg, upload=request.FILES.get("still"),
                                      source=request.POST.get("source") or CheckInSource.CAMERA)
                messages.info(request, checkin.match_label(reg.check_in_match))
            else:
                admit = request.POST.get("decision") == "admit"
                checkin.checkin_decide(actor=request.user, registration=reg, admit=admit,
                                       note=request.POST.get("note", ""))
                messages.success(request, (_("已签到：%(n)s。") if admit else _("已拒绝入场：%(n)s。"))
                                 % {"n": reg.candidate.display_name})
                return redirect("exams:manage_console", pk=session.pk)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        return redirect("exams:manage_checkin", pk=session.pk, reg_id=reg.pk)
    return render(request, "exams/manage/checkin.html", {
        "session": session, "reg": reg,
        "has_portrait": verified_portrait_file(reg.candidate) is not None,
        "has_id_photo": checkin.id_card_photo(reg.candidate) is not None,
        "match_label": checkin.match_label(reg.check_in_match),
        "sources": CheckInSource.choices,
    })


@exam_staff_required(Role.PROCTOR)
def checkin_photo(request, pk: int, reg_id: int, which: str):
    session, reg = _registration(request, pk, reg_id)
    if which == "portrait":
        photo = verified_portrait_file(reg.candidate)
    elif which == "id":
        photo = checkin.id_card_photo(reg.candidate)
    elif which == "still":
        photo = reg.check_in_still or None
    else:
        raise Http404
    if not photo:
        raise Http404
    audit_record(actor=request.user, action="identity_photo.view", target=reg,
                 after={"photo": which, "person": reg.candidate_id}, request=request)
    return serve_protected(request, photo, filename=f"{which}-{reg.pk}.jpg",
                           content_type=mimetypes.guess_type(photo.name)[0] or "image/jpeg")


@exam_staff_required(Role.PROCTOR)
def attempt_stills(request, pk: int, attempt_id: int):
    """The stills kept with one attempt (and the notes where the camera could not be used)."""
    session = _session(request, pk, Role.PROCTOR)
    attempt, stills = selectors.exam_stills_of_attempt(request.user, session, attempt_id)
    if attempt is None:
        raise Http404
    for s in stills:
        s.match_label = checkin.match_label(s.match)
    return render(request, "exams/manage/attempt_stills.html", {
        "session": session, "attempt": attempt, "stills": stills,
        "has_portrait": verified_portrait_file(attempt.user) is not None,
        "mismatch_outcomes": selectors.MISMATCH_OUTCOMES,
    })


@exam_staff_required(Role.PROCTOR)
def attempt_still_photo(request, pk: int, still_id: int):
    session = _session(request, pk, Role.PROCTOR)
    still = selectors.exam_still_visible_to(request.user, still_id)
    if still is None or still.attempt.registration.session_id != session.pk or not still.still:
        raise Http404  # not theirs, a note without a photo, or deleted when its retention ended
    audit_record(actor=request.user, action="identity_photo.view", target=still.attempt,
                 after={"photo": "exam_still", "still": still.pk, "person": still.attempt.user_id}, request=request)
    return serve_protected(request, still.still, filename=f"exam-still-{still.pk}.jpg",
                           content_type=mimetypes.guess_type(still.still.name)[0] or "image/jpeg")
