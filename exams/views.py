"""Candidate pages: my exams, the exam itself (question, autosave, flag, overview, submit, result)
and practice on training banks. Thin: everything goes through services and selectors."""

from __future__ import annotations

import random

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.audit import client_ip
from core.protected_files import serve_protected

from . import selectors, services
from .models import Attempt, PracticeRecord, Question, QuestionBank


NO_STORE = {"Cache-Control": "no-store, private"}


def _attempt_or_404(request, pk: int) -> Attempt:
    attempt = selectors.candidate_attempt(request.user, pk)
    if attempt is None:
        raise Http404
    return attempt


def _guard_open(request, attempt: Attempt):
    """Auto-submit when the deadline has passed; refuse clients outside the allowed IP ranges."""
    attempt = services.autosubmit_if_due(attempt)
    if attempt.status != Attempt.Status.IN_PROGRESS:
        return attempt, redirect("exams:result", pk=attempt.pk)
    if attempt.registration_id and not attempt.registration.session.ip_allowed(client_ip(request)):
        messages.error(request, _("请在指定考场的电脑上参加考试（当前 IP 不在允许范围内）。"))
        return attempt, redirect("exams:my_exams")
    return attempt, None


@login_required
def exams_home(request):
    """/exams/: exam-centre staff go to the back office, everyone else to their exams."""
    return redirect("exams:manage" if selectors.is_exam_staff(request.user) and not selectors.my_registrations(request.user).exists()
                    else "exams:my_exams")


@login_required
def my_exams(request):
    registrations = list(selectors.my_registrations(request.user))
    attempts = list(selectors.my_attempts(request.user))
    by_reg: dict[int, list[Attempt]] = {}
    for a in attempts:
        if a.registration_id:
            by_reg.setdefault(a.registration_id, []).append(a)
    now = timezone.now()
    rows = []
    for reg in registrations:
        regs_attempts = by_reg.get(reg.pk, [])
        open_attempt = next((a for a in regs_attempts if a.status == Attempt.Status.IN_PROGRESS), None)
        rows.append({"reg": reg, "session": reg.session, "open_attempt": open_attempt, "attempts": regs_attempts,
                     "is_open": reg.session.is_open(now), "upcoming": reg.session.starts_at > now})
    return render(request, "exams/my_exams.html", {"rows": rows, "attempts": attempts, "now": now})


@login_required
@require_POST
def start(request, registration_id: int):
    # Lean: one query, with only what starting reads (session, blueprint), no ORDER BY.
    reg = next(iter(selectors.my_registrations(request.user).filter(pk=registration_id)
                    .select_related(None).select_related("session__blueprint").order_by()[:1]), None)
    if reg is None:
        raise Http404
    try:
        attempt = services.attempt_start(user=request.user, registration=reg, ip=client_ip(request))
    except services.ExamError as exc:
        messages.error(request, exc.message)
        return redirect("exams:my_exams")
    return redirect("exams:attempt", pk=attempt.pk)


@never_cache
@login_required
def attempt_home(request, pk: int):
    attempt = _attempt_or_404(request, pk)
    attempt, redirect_to = _guard_open(request, attempt)
    if redirect_to:
        return redirect_to
    nav = selectors.paper_nav(attempt)
    first_open = next((n["position"] for n in nav if not n["answered"]), 1)
    return redirect("exams:question", pk=attempt.pk, position=first_open)


@never_cache
@login_required
def question(request, pk: int, position: int):
    """The exam page. It carries the whole frozen paper with question ``position`` shown; in the
    browser the candidate moves between questions without a page load (exams/paper.js) and every
    click autosaves. Without scripts each question is its own page through the same URL."""
    attempt = _attempt_or_404(request, pk)
    attempt, redirect_to = _guard_open(request, attempt)
    if redirect_to:
        return redirect_to
    items = selectors.candidate_paper_view(attempt)
    if not 0 < position <= len(items) or items[position - 1]["position"] != position:
        raise Http404
    item = items[position - 1]
    total = len(items)
    question_prefix = reverse("exams:question", kwargs={"pk": attempt.pk, "position": 1})[:-len("1/")]
    save_prefix = reverse("exams:autosave", kwargs={"pk": attempt.pk, "item_id": 1})[:-len("1/save/")]
    return render(request, "exams/question.html", {
        "attempt": attempt, "item": item, "items": items, "nav": items, "total": total,
        "answered": sum(1 for i in items if i["answered"]), "current": position,
        "question_prefix": question_prefix, "save_prefix": save_prefix,
        "prev": position - 1 if position > 1 else None, "next": position + 1 if position < total else None,
        "seconds_left": attempt.seconds_left(), "still_due_in": services.still_due_in(attempt),
    })


@login_required
@require_POST
def attempt_still(request, pk: int):
    """A camera still from the exam page (or ``camera=refused``): kept with the candidate's own open
    attempt when the session asks for stills. Answers never wait for it."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.http import JsonResponse

    attempt = _attempt_or_404(request, pk)
    if attempt.registration_id and not attempt.registration.session.ip_allowed(client_ip(request)):
        return JsonResponse({"error": _("请在指定考场的电脑上参加考试（当前 IP 不在允许范围内）。")}, status=403)
    try:
        services.attempt_still_record(user=request.user, attempt=attempt, upload=request.FILES.get("still"),
                                      camera_refused=request.POST.get("camera") == "refused", ip=client_ip(request))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        return JsonResponse({"error": exc.messages[0]}, status=400, headers=NO_STORE)
    attempt.refresh_from_db(fields=["status"])
    return JsonResponse({"status": "ok", "next_in": services.still_due_in(attempt)}, headers=NO_STORE)


@require_POST
def autosave(request, pk: int, item_id: int):
    """Save one answer (htmx on every click): the candidate's item looked up, then
    ``services.answer_record``, which holds every rule of a save. Its replies are never stored by
    caches (``no-store`` on each). A click whose sign-in has ended saves nothing and says so."""
    if not request.user.is_authenticated:
        return _signed_out_reply(request, pk)
    post = request.POST
    target = selectors.save_target(request.user, attempt_id=pk, item_id=item_id)
    if target is None:
        raise Http404
    response = text = flagged = None
    if "flag" in post:
        flagged = post.get("flag") in ("1", "true", "on")
    # Whatever the form sent goes to the one save rule, which refuses what does not fit the item
    # (text for a choice question, a choice that is not one of the paper's tokens).
    if "text" in post:
        text = post.get("text", "")
    if "choice" in post or (post.get("clear") and target.qtype != Question.Type.ESSAY):
        response = post.getlist("choice")
    try:
        saved = services.answer_record(target=target, response=response, text=text, flagged=flagged,
                                       ip=client_ip(request))
    except services.LateSave as exc:
        services.autosubmit_if_due(Attempt.objects.get(pk=pk))
        return _save_reply(request, pk, exc.message, status=409, late=True)
    except services.ExamError as exc:
        return _save_reply(request, pk, exc.message, status=403 if exc.code == "ip" else 400)
    if request.htmx:
        return _badge(request, {"saved_at": saved["saved_at"]})
    nxt = post.get("go")
    if nxt and nxt.isdigit():
        reply = redirect("exams:question", pk=pk, position=int(nxt))
    elif nxt == "overview":
        reply = redirect("exams:overview", pk=pk)
    else:
        reply = redirect("exams:question", pk=pk, position=target.position)
    reply["Cache-Control"] = NO_STORE["Cache-Control"]
    return reply


def _signed_out_reply(request, attempt_id: int):
    """A save from a browser whose sign-in has ended (signed out in another tab, expired, the
    password changed): nothing was saved. The badge says so and leads to the sign-in, which comes
    back to the paper; without scripts the sign-in page itself."""
    back = redirect_to_login(reverse("exams:attempt", kwargs={"pk": attempt_id}))
    back["Cache-Control"] = NO_STORE["Cache-Control"]
    if not request.htmx:
        return back
    return _badge(request, {"signed_out": True, "login_url": back.url}, status=401)


def _badge(request, context: dict, status: int | None = None):
    """The save status badge htmx swaps in (200, so htmx swaps it; a refusal's status code is in
    the X-Anxun-Status header for scripts)."""
    response = render(request, "exams/_save_status.html", context)
    response["Cache-Control"] = NO_STORE["Cache-Control"]
    if status is not None:
        response["X-Anxun-Status"] = str(status)
    return response


def _save_reply(request, attempt_id: int, message: str, status: int, late: bool = False):
    if request.htmx:
        return _badge(request, {"error": message, "late": late, "attempt_id": attempt_id}, status=status)
    if not late:
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8", headers=NO_STORE)
    messages.error(request, message)
    response = redirect("exams:result", pk=attempt_id)
    response["Cache-Control"] = NO_STORE["Cache-Control"]
    return response


@never_cache
@login_required
def overview(request, pk: int):
    attempt = _attempt_or_404(request, pk)
    attempt, redirect_to = _guard_open(request, attempt)
    if redirect_to:
        return redirect_to
    nav = selectors.paper_nav(attempt)
    unanswered = [n for n in nav if not n["answered"]]
    flagged = [n for n in nav if n["flagged"]]
    return render(request, "exams/overview.html", {
        "attempt": attempt, "nav": nav, "unanswered": unanswered, "flagged": flagged,
        "answered": len(nav) - len(unanswered), "total": len(nav), "seconds_left": attempt.seconds_left(),
    })


@login_required
@require_POST
def submit(request, pk: int):
    attempt = _attempt_or_404(request, pk)
    if attempt.status == Attempt.Status.IN_PROGRESS and request.POST.get("confirm") != "yes":
        messages.warning(request, _("请勾选确认后再交卷。"))
        return redirect("exams:overview", pk=attempt.pk)
    by = Attempt.SubmittedBy.DEADLINE if attempt.is_past_deadline() else Attempt.SubmittedBy.CANDIDATE
    services.attempt_submit(attempt=attempt, by=by)
    return redirect("exams:result", pk=attempt.pk)


@never_cache
@login_required
def result(request, pk: int):
    attempt = _attempt_or_404(request, pk)
    attempt = services.autosubmit_if_due(attempt)
    if attempt.status == Attempt.Status.IN_PROGRESS:
        return redirect("exams:attempt", pk=attempt.pk)
    allowed = selectors.review_allowed(attempt)
    full = allowed and selectors.full_review_allowed(attempt)
    return render(request, "exams/result.html", {
        "attempt": attempt, "review_allowed": allowed, "full": full,
        "rows": selectors.attempt_review(attempt) if full else [],
        "points": selectors.attempt_point_counts(attempt) if allowed and not full else [],
        "message": (attempt.blueprint.success_text if attempt.passed else attempt.blueprint.fail_text)
        if attempt.passed is not None else "",
    })


# --------------------------------------------------------------------------- practice

@login_required
def practice(request):
    banks = list(selectors.practice_banks(request.user).annotate(
        n=Count("questions", filter=Q(questions__is_current=True, questions__retired_at__isnull=True)
                & ~Q(questions__type="essay"))))
    stats = {
        row["bank_id"]: row
        for row in PracticeRecord.objects.filter(user=request.user, bank__kind=QuestionBank.Kind.TRAINING)
        .values("bank_id").annotate(answered=Count("id"), correct=Count("id", filter=Q(last_correct=True)),
                                     wrong=Count("id", filter=Q(in_notebook=True)))
    }
    rows = [{"bank": b, "total": b.n, **stats.get(b.pk, {"answered": 0, "correct": 0, "wrong": 0})} for b in banks]
    for r in rows:
        r["percent"] = round(100 * r["answered"] / r["total"]) if r["total"] else 0
    return render(request, "exams/practice.html", {
        "rows": rows, "mocks": list(selectors.mock_blueprints(request.user)),
    })


def _practice_bank(request, code: str) -> QuestionBank:
    bank = selectors.practice_banks(request.user).filter(code=code).first()
    if bank is None:
        raise Http404
    return bank


@never_cache
@login_required
def practice_bank(request, code: str):
    bank = _practice_bank(request, code)
    questions = selectors.practice_questions(request.user, bank)
    feedback = None
    if request.method == "POST":
        q = questions.filter(pk=request.POST.get("question")).first()
        if q is None:
            raise Http404
        try:
            record = services.practice_answer(user=request.user, question=q, response="".join(request.POST.getlist("choice")))
        except services.ExamError as exc:
            messages.error(request, exc.message)
            return redirect("exams:practice_bank", code=bank.code)
        feedback = {"correct": record.last_correct, "response": record.last_response, "key": q.answer,
                    "explanation": q.explanation, "clauses": _clauses_of(q)}
        current = q
    else:
        mode = request.GET.get("mode", "new")
        current = None
        if request.GET.get("q"):
            current = questions.filter(pk=request.GET["q"]).first()
        if current is None and mode == "wrong":
            current = _pick(questions.filter(practice_records__user=request.user, practice_records__in_notebook=True))
        if current is None:
            current = _pick(questions.exclude(practice_records__user=request.user)) or _pick(questions)
    summary = selectors.practice_summary(request.user, [bank.pk])
    total = questions.count()
    return render(request, "exams/practice_bank.html", {
        "bank": bank, "q": current, "feedback": feedback, "summary": summary, "total": total,
        "options": _practice_options(current, feedback),
    })


def _pick(qs) -> Question | None:
    """A random question without ORDER BY RANDOM() over the whole bank: ids first, then one row."""
    ids = list(qs.values_list("id", flat=True))
    return Question.objects.filter(pk=random.choice(ids)).first() if ids else None


def _practice_options(q: Question | None, feedback: dict | None) -> list[dict]:
    if q is None:
        return []
    opts = q.options if q.type != Question.Type.TRUEFALSE else [{"key": "T", "text": "正确"}, {"key": "F", "text": "错误"}]
    out = []
    for o in opts:
        row = {"key": o["key"], "text": o["text"], "label": o["key"] if q.type != Question.Type.TRUEFALSE else (
            "√" if o["key"] == "T" else "×")}
        if feedback:
            row["chosen"] = o["key"] in feedback["response"]
            row["is_key"] = o["key"] in feedback["key"]
        out.append(row)
    return out


def _clauses_of(q: Question) -> list[dict]:
    clauses = getattr(q, "clauses", None)
    if clauses is None:
        return []
    return [{"title": str(c), "url": c.get_absolute_url()} for c in clauses.all()]


@login_required
def notebook(request):
    records = list(selectors.notebook(request.user)[:300])
    return render(request, "exams/notebook.html", {"records": records})


@login_required
@require_POST
def notebook_remove(request, question_id: int):
    services.notebook_remove(user=request.user, question_id=question_id)
    messages.success(request, _("已从错题本移除。"))
    return redirect("exams:notebook")


@login_required
@require_POST
def mock_start(request, blueprint_id: int):
    bp = selectors.mock_blueprints(request.user).filter(pk=blueprint_id).first()
    if bp is None:
        raise Http404
    try:
        attempt = services.mock_start(user=request.user, blueprint=bp)
    except services.ExamError as exc:
        messages.error(request, exc.message)
        return redirect("exams:practice")
    return redirect("exams:attempt", pk=attempt.pk)


@login_required
def my_ticket(request, registration_id: int):
    """The candidate's own admission ticket (准考证) as PDF."""
    from .tickets import tickets_pdf

    reg = selectors.my_registrations(request.user).filter(pk=registration_id).select_related("session__centre").first()
    if reg is None:
        raise Http404
    resp = HttpResponse(tickets_pdf(reg.session, [reg], viewer=request.user), content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="admission-ticket-{reg.ticket_number}.pdf"'
    return resp


@login_required
def question_image(request, pk: int):
    """A question's stem image, for the candidate whose paper holds it, its bank's staff and, for
    training banks, those who practise them (exams.selectors.question_with_image_for)."""
    import mimetypes

    question = selectors.question_with_image_for(request.user, pk)
    if question is None:
        raise Http404
    name = question.image.name.rsplit("/", 1)[-1]
    return serve_protected(request, question.image, filename=name,
                           content_type=mimetypes.guess_type(name)[0] or "application/octet-stream")
