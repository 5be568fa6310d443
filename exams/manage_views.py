"""Exam-centre back office under /exams/manage/ (exam-centre roles only; everyone else gets 404).

Banks, questions, import, blueprints, sessions, registrations, admission tickets, proctor console,
practical scores, essay marking and item statistics. Testing material is read through the scoped
selectors only."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, F, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import EXAM_CENTRE_ROLES, OrgKind, Role
from accounts.selectors import has_role, organizations_of
from core.protected_files import serve_protected

from . import eligibility, selectors, services, stats
from .eligibility import override_role
from .forms import (
    BlueprintForm,
    ExtendForm,
    ImportForm,
    MarkForm,
    QuestionForm,
    ReasonForm,
    RegistrationAddForm,
    RetrainingCompleteForm,
    SectionFormSet,
    SessionForm,
    VenueForm,
)
from .importer import MAX_FILE_BYTES, ImportFileError, import_questions, template_workbook
from .models import Answer, Attempt, Equipment, PracticalTask, Question, QuestionBank

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def exam_staff_required(*roles: str):
    """Only exam-centre staff (optionally with one of ``roles``); everyone else gets a 404."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not selectors.is_exam_staff(user):
                raise Http404
            if roles and not user.is_superuser and not has_role(user, *roles):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def bank_writer_required(view):
    """The bank and question pages: item writers and instructors (see ``selectors.may_write_questions``);
    the bank itself is then looked up among ``banks_manageable_by`` (404 otherwise)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not selectors.may_write_questions(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _bank(request, code: str):
    bank = selectors.banks_manageable_by(request.user).filter(code=code).first()
    if bank is None:
        raise Http404
    return bank


def _session(request, pk: int, *roles: str):
    qs = selectors.sessions_for_role(request.user, *roles) if roles else selectors.sessions_manageable_by(request.user)
    session = qs.filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


def _errors(exc: ValidationError) -> list[str]:
    return list(exc.messages)


def _add_errors(form, exc: ValidationError) -> None:
    """A service's refusal on the form: at the field it names, else above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        for e in exc.messages:
            form.add_error(None, e)


@exam_staff_required()
def dashboard(request):
    user = request.user
    now = timezone.now()
    sessions = list(selectors.sessions_manageable_by(user).annotate(
        n_reg=Count("registrations", filter=Q(registrations__status="registered"), distinct=True))[:20])
    return render(request, "exams/manage/dashboard.html", {
        "banks": selectors.banks_manageable_by(user).annotate(
            n=Count("questions", filter=Q(questions__is_current=True, questions__retired_at__isnull=True))
        ).order_by("kind", "code"),
        "sessions": sessions, "now": now,
        "marking": selectors.marking_queue(user).count(),
        "blueprints": selectors.blueprints_manageable_by(user).order_by("code"),
    })


# --------------------------------------------------------------------------- banks & questions

@bank_writer_required
def bank_detail(request, code: str):
    bank = _bank(request, code)
    qs = Question.objects.filter(bank=bank, is_current=True).prefetch_related("tags").order_by("id")
    qtype = request.GET.get("type", "")
    if qtype in Question.Type.values:
        qs = qs.filter(type=qtype)
    status = request.GET.get("status", "")
    if status == "retired":
        qs = qs.filter(retired_at__isnull=False)
    elif status == "active":
        qs = qs.filter(retired_at__isnull=True)
    text = request.GET.get("q", "").strip()
    if text:
        qs = qs.filter(stem__icontains=text)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "exams/manage/bank.html", {"bank": bank, "page": page, "types": Question.Type.choices,
                                                      "qtype": qtype, "status": status, "text": text,
                                                      "exam_staff": selectors.is_exam_staff(request.user)})


@bank_writer_required
def question_edit(request, code: str, pk: int | None = None):
    bank = _bank(request, code)
    question = None
    if pk is not None:
        question = Question.objects.filter(bank=bank, pk=pk, is_current=True).first()
        if question is None:
            raise Http404
    form = QuestionForm(request.POST or None, initial=QuestionForm.initial_for(question) if question else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if question is None:
                q = services.question_create(actor=request.user, bank=bank, qtype=d["type"], stem=d["stem"],
                                             options=form.options(), answer=d["answer"], explanation=d["explanation"],
                                             difficulty=d["difficulty"], tags=list(d["tags"]))
                messages.success(request, _("试题已添加。"))
            else:
                q = services.question_update(actor=request.user, question=question, tags=list(d["tags"]), type=d["type"],
                                             stem=d["stem"], options=form.options(), answer=d["answer"],
                                             explanation=d["explanation"], difficulty=d["difficulty"])
                messages.success(request, _("已保存为第 %(v)d 版。") % {"v": q.version} if q.pk != question.pk else _("试题已保存。"))
            return redirect("exams:manage_bank", code=bank.code)
        except ValidationError as exc:
            for e in _errors(exc):
                form.add_error(None, e)
    versions = list(Question.objects.filter(lineage=question.lineage).order_by("-version")) if question else []
    return render(request, "exams/manage/question_form.html", {"bank": bank, "form": form, "question": question,
                                                               "versions": versions})


@bank_writer_required
@require_POST
def question_retire(request, code: str, pk: int):
    bank = _bank(request, code)
    q = Question.objects.filter(bank=bank, pk=pk).first()
    if q is None:
        raise Http404
    if request.POST.get("restore"):
        services.question_restore(actor=request.user, question=q, reason=request.POST.get("reason", ""))
        messages.success(request, _("试题已恢复使用。"))
    else:
        services.question_retire(actor=request.user, question=q, reason=request.POST.get("reason", ""))
        messages.success(request, _("试题已停用，今后不再抽取。"))
    return redirect("exams:manage_bank", code=bank.code)


@bank_writer_required
def bank_import(request, code: str):
    bank = _bank(request, code)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    file_error = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            # read at most one byte past the limit: a huge upload is refused without loading it whole
            report = import_questions(actor=request.user, bank=bank, data=upload.read(MAX_FILE_BYTES + 1),
                                      filename=upload.name,
                                      dry_run=form.cleaned_data["dry_run"])
        except ImportFileError as exc:
            file_error = str(exc)
        else:
            if report.ok and not form.cleaned_data["dry_run"]:
                messages.success(request, _("已导入 %(n)d 道试题。") % {"n": report.created})
                return redirect("exams:manage_bank", code=bank.code)
    return render(request, "exams/manage/import.html", {"bank": bank, "form": form, "report": report,
                                                        "file_error": file_error})


@bank_writer_required
def import_template(request):
    chinese = request.GET.get("lang") == "zh"
    resp = HttpResponse(template_workbook(chinese=chinese), content_type=XLSX)
    resp["Content-Disposition"] = 'attachment; filename="question-import-template.xlsx"'
    return resp


@exam_staff_required()
def blueprint_list(request):
    bps = selectors.blueprints_manageable_by(request.user).prefetch_related("sections__tags").order_by("code")
    return render(request, "exams/manage/blueprints.html", {
        "blueprints": bps, "can_edit": request.user.is_superuser or has_role(request.user, Role.ITEM_WRITER)})


@exam_staff_required(Role.ITEM_WRITER)
def blueprint_edit(request, code: str | None = None):
    """Create or edit a blueprint with its sections. A blueprint candidates have already sat is
    kept as it was (their papers refer to it); it can be copied under a new code instead."""
    blueprint = None
    if code is not None:
        blueprint = selectors.blueprints_manageable_by(request.user).filter(code=code).first()
        if blueprint is None:
            raise Http404
    in_use = blueprint is not None and services.blueprint_in_use(blueprint)
    testing = selectors.banks_manageable_by(request.user).filter(kind=QuestionBank.Kind.TESTING, is_active=True)
    training = selectors.banks_visible_to(request.user).filter(kind=QuestionBank.Kind.TRAINING)
    initial, section_initial = {}, []
    if blueprint is not None:
        initial = {f: getattr(blueprint, f) for f in (
            "code", "name", "bank", "training_bank", "certificate_kind", "pass_mark", "duration_minutes",
            "shuffle_questions", "shuffle_options", "review_policy", "review_when")}
        if in_use:
            initial["code"] = f"{blueprint.code}-2"[:40]
        section_initial = [{"title": s.title, "question_type": s.question_type, "count": s.count, "points": s.points,
                            "difficulty_min": s.difficulty_min, "difficulty_max": s.difficulty_max,
                            "tags": list(s.tags.all()), "partial_credit": s.partial_credit}
                           for s in blueprint.sections.prefetch_related("tags")]
    post = request.POST if request.method == "POST" else None
    form = BlueprintForm(post, initial=initial, testing_banks=testing, training_banks=training)
    sections = SectionFormSet(post, initial=section_initial or None, prefix="s")
    if post is not None and form.is_valid() and sections.is_valid():
        d = form.cleaned_data
        specs = [services.SectionSpec(
            s["title"], s["question_type"], s["count"], s["points"], tags=tuple(t.code for t in s["tags"]),
            difficulty_min=s["difficulty_min"], difficulty_max=s["difficulty_max"], partial_credit=s["partial_credit"])
            for s in sections.cleaned_data if s and not s.get("DELETE")]
        try:
            saved = services.blueprint_save(
                actor=request.user, owner=d["bank"].owner, code=d["code"], name=d["name"], bank=d["bank"],
                sections=specs, training_bank=d["training_bank"], certificate_kind=d["certificate_kind"],
                pass_mark=d["pass_mark"], duration_minutes=d["duration_minutes"],
                shuffle_questions=d["shuffle_questions"], shuffle_options=d["shuffle_options"],
                review_policy=d["review_policy"], review_when=d["review_when"],
                editing=blueprint, new=blueprint is None,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("组卷策略“%(name)s”已保存。") % {"name": saved.name})
            return redirect("exams:manage_blueprints")
    return render(request, "exams/manage/blueprint_form.html", {
        "form": form, "sections": sections, "blueprint": blueprint, "in_use": in_use})


# --------------------------------------------------------------------------- sessions & registrations

@exam_staff_required()
def session_list(request):
    sessions = selectors.sessions_manageable_by(request.user).annotate(
        n_reg=Count("registrations", filter=Q(registrations__status="registered"), distinct=True))
    return render(request, "exams/manage/sessions.html", {"sessions": sessions, "now": timezone.now()})


@exam_staff_required()
def session_create(request):
    blueprints = selectors.blueprints_manageable_by(request.user).filter(is_active=True)
    form = SessionForm(request.POST or None, blueprints=blueprints,
                       venues=selectors.venues_manageable_by(request.user).filter(is_active=True))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        bp = d["blueprint"]
        try:
            session = services.session_create(
                actor=request.user, centre=bp.owner, name=d["name"], blueprint=bp,
                certificate_kind=bp.certificate_kind, operation_item=d["operation_item"] or bp.bank.operation_item,
                starts_at=d["starts_at"], ends_at=d["ends_at"], room=d["room"], seats=d["seats"], venue=d["venue"],
                allowed_ip_ranges=d["allowed_ip_ranges"], required_course_code=d["required_course_code"],
                require_check_in=d["require_check_in"], exam_stills=d["exam_stills"],
                exam_still_minutes=d["exam_still_minutes"], proctors=[request.user] if has_role(request.user, Role.PROCTOR) else [],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("考试场次已创建。"))
            return redirect("exams:manage_session", pk=session.pk)
    return render(request, "exams/manage/session_form.html", {"form": form})


@exam_staff_required()
def session_detail(request, pk: int):
    session = _session(request, pk)
    can_override = bool(override_role(request.user, session))
    form = RegistrationAddForm(request.POST or None, can_override=can_override)
    if request.method == "POST" and form.is_valid():
        try:
            registration = services.registration_create_for(
                actor=request.user, session=session, who=form.cleaned_data["who"],
                override_reason=form.cleaned_data.get("override_reason", ""))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已为 %(n)s 报名。") % {"n": registration.candidate.display_name})
            for warning in eligibility.warnings(session=session, candidate=registration.candidate):
                messages.warning(request, warning)
            return redirect("exams:manage_session", pk=session.pk)
    regs = list(session.registrations.select_related("candidate", "practical_result", "session__certificate_kind",
                                                     "override_by")
                .prefetch_related("attempts").order_by("seat"))
    warnings = eligibility.warnings_for(session=session, candidates=[r.candidate for r in regs
                                                                     if r.status == "registered"])
    for r in regs:
        r.warnings = warnings.get(r.candidate_id, [])
    return render(request, "exams/manage/session.html", {
        "session": session, "registrations": regs, "form": form, "prepared": _prepared_papers(session),
        "can_override": can_override,
        "now": timezone.now(), "registered": sum(1 for r in regs if r.status == "registered"),
        "can_proctor": request.user.is_superuser or has_role(request.user, Role.PROCTOR),
        "can_practical": session.operation_item_id and (request.user.is_superuser or has_role(request.user, Role.PRACTICAL_EXAMINER)),
    })


def _prepared_papers(session) -> dict:
    """Papers prepared ahead of time for the session's registrations: ready to claim, and stale
    (the bank changed since; those are drawn afresh at start). One query."""
    counts = Attempt.all_objects.filter(
        registration__session=session, registration__status="registered", status=Attempt.Status.PREPARED,
    ).aggregate(total=Count("pk"), ready=Count("pk", filter=Q(pool_token=F("bank__pool_token"))))
    return {"ready": counts["ready"], "stale": counts["total"] - counts["ready"]}


@exam_staff_required()
@require_POST
def session_prepare_papers(request, pk: int):
    """提前组卷: queue the preparation of the session's papers (the beat job does the same before
    the session opens)."""
    from .tasks import prepare_session_papers

    session = _session(request, pk)
    if timezone.now() >= session.ends_at:
        messages.error(request, _("本场考试已结束，无需组卷。"))
        return redirect("exams:manage_session", pk=session.pk)
    actor_id = request.user.pk
    transaction.on_commit(lambda: prepare_session_papers.delay(session.pk, actor_id))
    messages.success(request, _("已开始提前组卷；完成后本页显示已备卷数。"))
    return redirect("exams:manage_session", pk=session.pk)


@exam_staff_required()
@require_POST
def registration_cancel(request, pk: int):
    reg = selectors.registrations_manageable_by(request.user).filter(pk=pk).first()
    if reg is None:
        raise Http404
    services.registration_cancel(actor=request.user, registration=reg, reason=request.POST.get("reason", ""))
    messages.success(request, _("已取消报名。"))
    return redirect("exams:manage_session", pk=reg.session_id)


@exam_staff_required()
def session_tickets(request, pk: int):
    from .tickets import tickets_pdf

    session = _session(request, pk)
    regs = list(session.registrations.filter(status="registered").select_related("candidate").order_by("seat"))
    resp = HttpResponse(tickets_pdf(session, regs, viewer=request.user), content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="admission-tickets-{session.pk}.pdf"'
    return resp


# --------------------------------------------------------------------------- proctor console

@exam_staff_required(Role.PROCTOR)
def console(request, pk: int):
    """The live list of every registered candidate of the session with their attempt, absent ones
    included. Only reads: an attempt past its deadline shows as such and is submitted by the beat
    job (every 30 s) or the candidate's next request."""
    session = _session(request, pk, Role.PROCTOR)
    rows = selectors.console_rows(request.user, session)
    now = timezone.now()
    stills = selectors.exam_still_counts(session)  # no query when the session takes no stills
    for row in rows:
        a = row["attempt"]
        if a is not None:
            a.left = a.seconds_left(now) if a.status == "in_progress" else None
            a.still_counts = stills.get(a.pk, {"photos": 0, "no_camera": False})
    template = "exams/manage/_console_rows.html" if request.htmx else "exams/manage/console.html"
    return render(request, template, {
        "session": session, "rows": rows, "extend_form": ExtendForm(), "reason_form": ReasonForm(), "now": now,
        "absent": sum(1 for r in rows if r["attempt"] is None), "session_over": now >= session.ends_at})


def _console_attempt(request, pk: int, attempt_id: int):
    session = _session(request, pk, Role.PROCTOR)
    attempt = Attempt.objects.filter(pk=attempt_id, registration__session=session).first()
    if attempt is None:
        raise Http404
    return session, attempt


@exam_staff_required(Role.PROCTOR)
@require_POST
def console_extend(request, pk: int, attempt_id: int):
    session, attempt = _console_attempt(request, pk, attempt_id)
    form = ExtendForm(request.POST)
    if form.is_valid():
        try:
            services.attempt_extend(actor=request.user, attempt=attempt, minutes=form.cleaned_data["minutes"],
                                    reason=form.cleaned_data["reason"])
            messages.success(request, _("已为 %(n)s 延长 %(m)d 分钟。") % {"n": attempt.user.display_name,
                                                                    "m": form.cleaned_data["minutes"]})
        except ValidationError as exc:
            messages.error(request, "；".join(_errors(exc)))
    else:
        messages.error(request, _("延长时间须填写分钟数和原因。"))
    return redirect("exams:manage_console", pk=session.pk)


@exam_staff_required(Role.PROCTOR)
@require_POST
def console_force_submit(request, pk: int, attempt_id: int):
    session, attempt = _console_attempt(request, pk, attempt_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        services.attempt_force_submit(actor=request.user, attempt=attempt, reason=form.cleaned_data["reason"])
        messages.success(request, _("已强制交卷：%(n)s。") % {"n": attempt.user.display_name})
    else:
        messages.error(request, _("强制交卷须填写原因。"))
    return redirect("exams:manage_console", pk=session.pk)


# --------------------------------------------------------------------------- practical scores & marking

def _practical_registration(request, pk: int):
    reg = selectors.registrations_manageable_by(request.user).filter(
        pk=pk, session__in=selectors.sessions_for_role(request.user, Role.PRACTICAL_EXAMINER)
    ).select_related("session__certificate_kind", "session__operation_item", "session__venue").first()
    if reg is None or reg.session.operation_item_id is None:
        raise Http404
    return reg


def _practical_post(post, tasks, subjects) -> tuple[dict, dict, dict]:
    scores = {t.pk: post.get(f"task_{t.pk}", "") for t in tasks}
    equipment = {t.pk: post.get(f"equipment_{t.pk}", "") for t in tasks}
    vetoes: dict[str, list[str]] = {}
    for subject in subjects:
        chosen = set(post.getlist(f"veto_{subject.pk}"))
        items = [text for n, text in enumerate(subject.veto_list) if str(n) in chosen]
        if items:
            vetoes[subject.code] = items
    return scores, equipment, vetoes


@exam_staff_required(Role.PRACTICAL_EXAMINER)
def practical_entry(request, pk: int):
    """Enter, correct or confirm a practical exam (K1–K4, veto items, equipment per task, evidence)."""
    reg = _practical_registration(request, pk)
    item = reg.session.operation_item
    tasks, subjects = services.practical_sheet(item.pk)
    existing = reg.practical_result_or_none
    errors: list[str] = []
    if request.method == "POST":
        scores, equipment, vetoes = _practical_post(request.POST, tasks, subjects)
        try:
            result = services.practical_result_record(
                examiner=request.user, registration=reg, scores=scores, equipment=equipment, vetoes=vetoes,
                notes=request.POST.get("notes", ""), reason=request.POST.get("reason", ""))
        except (ValidationError, PermissionDenied) as exc:
            errors = _errors(exc) if isinstance(exc, ValidationError) else [str(exc)]
        else:
            if result.is_confirmed:
                messages.success(request, _("两位考评员录入的成绩一致，实操成绩已确认。"))
            else:
                messages.success(request, _("实操成绩已登记，待另一位考评员确认。"))
            return redirect("exams:manage_practical", pk=reg.pk)
    values = existing.scores if existing else {}
    used = existing.equipment if existing else {}
    # a second examiner enters on an empty sheet: both enter and must agree
    blind = existing is not None and not existing.is_confirmed and existing.examiner_id != request.user.pk
    if blind:
        values, used = {}, {}
    posted = request.method == "POST"
    occurred = {(v["subject"], v["item"]) for v in (existing.vetoes if existing and not blind else [])}
    by_subject: dict = {}
    for t in tasks:
        by_subject.setdefault(t.subject_id, []).append({
            "task": t,
            "value": request.POST.get(f"task_{t.pk}", "") if posted else values.get(str(t.pk), ""),
            "equipment": (request.POST.get(f"equipment_{t.pk}", "") if posted else used.get(str(t.pk), ""))
            or Equipment.REAL,
        })
    groups = []
    for subject in subjects:
        chosen = set(request.POST.getlist(f"veto_{subject.pk}")) if posted else {
            str(n) for n, text in enumerate(subject.veto_list) if (subject.code, text) in occurred}
        groups.append({"subject": subject, "rows": by_subject.pop(subject.pk, []),
                       "vetoes": [{"index": n, "text": text, "checked": str(n) in chosen}
                                  for n, text in enumerate(subject.veto_list)]})
    if by_subject.get(None):
        groups.append({"subject": None, "rows": by_subject.pop(None), "vetoes": []})
    evidence = list(existing.evidence.select_related("task")) if existing else []
    labels = dict(Equipment.choices)
    summary = [{"task": t, "score": existing.scores.get(str(t.pk), "—"),
                "equipment": labels.get(existing.equipment.get(str(t.pk), ""), "—")} for t in tasks] if existing else []
    return render(request, "exams/manage/practical.html", {
        "reg": reg, "item": item, "groups": groups, "existing": existing, "errors": errors, "blind": blind,
        "can_confirm": existing is not None and not existing.is_confirmed and existing.examiner_id != request.user.pk,
        "evidence": evidence, "tasks": tasks, "equipment_choices": Equipment.choices, "summary": summary,
        "simulator_allowed": not item.real_equipment_required,
    })


@exam_staff_required(Role.PRACTICAL_EXAMINER)
@require_POST
def practical_confirm(request, pk: int):
    reg = _practical_registration(request, pk)
    try:
        services.practical_result_confirm(examiner=request.user, registration=reg)
    except ValidationError as exc:
        for e in _errors(exc):
            messages.error(request, e)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("实操成绩已确认。"))
    return redirect("exams:manage_practical", pk=reg.pk)


@exam_staff_required(Role.PRACTICAL_EXAMINER)
@require_POST
def practical_evidence_upload(request, pk: int):
    reg = _practical_registration(request, pk)
    task = PracticalTask.objects.filter(pk=request.POST.get("task") or 0,
                                        operation_item_id=reg.session.operation_item_id).first()
    upload = request.FILES.get("file")
    if task is None or upload is None:
        messages.error(request, _("请选择考试项目和文件。"))
        return redirect("exams:manage_practical", pk=reg.pk)
    try:
        services.practical_evidence_add(examiner=request.user, registration=reg, task=task, upload=upload)
    except ValidationError as exc:
        for e in _errors(exc):
            messages.error(request, e)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("影像资料已上传。"))
    return redirect("exams:manage_practical", pk=reg.pk)


@exam_staff_required()
def practical_evidence_file(request, pk: int):
    evidence = selectors.practical_evidence_for(request.user, pk)
    if evidence is None:
        raise Http404
    return serve_protected(request, evidence.file, filename=evidence.original_name or evidence.file.name.rsplit("/", 1)[-1],
                           content_type=evidence.content_type or "application/octet-stream")


# --------------------------------------------------------------------------- venues

@exam_staff_required()
def venues(request):
    """The exam centre's venues (考培分离: sessions are held only at the centre's own venues)."""
    centres = [o for o in organizations_of(request.user, *EXAM_CENTRE_ROLES) if o.kind == OrgKind.EXAM_CENTRE]
    form = VenueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not centres:
            form.add_error(None, _("您不属于任何考试中心，不能登记考试场地。"))
        else:
            try:
                services.venue_create(actor=request.user, owner=centres[0], name=form.cleaned_data["name"],
                                      address=form.cleaned_data["address"])
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("考试场地已登记。"))
                return redirect("exams:manage_venues")
    listed = list(selectors.venues_manageable_by(request.user).order_by("owner__name", "name"))
    return render(request, "exams/manage/venues.html", {"venues": listed, "form": form})


@exam_staff_required(Role.ITEM_WRITER, Role.PRACTICAL_EXAMINER)
def marking(request):
    queue = list(selectors.marking_queue(request.user)[:100])
    return render(request, "exams/manage/marking.html", {"queue": queue})


@exam_staff_required(Role.ITEM_WRITER, Role.PRACTICAL_EXAMINER)
def mark_answer(request, answer_id: int):
    answer = selectors.marking_queue(request.user).filter(pk=answer_id).first()
    if answer is None:
        # marked already: allow re-marking within the examiner's sessions
        answer = Answer.objects.filter(
            pk=answer_id, attempt__registration__session__in=selectors.sessions_manageable_by(request.user),
            item__question__type="essay",
        ).select_related("item__question", "attempt").first()
    if answer is None:
        raise Http404
    form = MarkForm(request.POST or None, initial={"score": answer.score, "comment": answer.marker_comment})
    if request.method == "POST" and form.is_valid():
        try:
            services.essay_mark(actor=request.user, answer=answer, score=form.cleaned_data["score"],
                                comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            for e in _errors(exc):
                form.add_error("score", e)
        else:
            messages.success(request, _("已评分。"))
            return redirect("exams:manage_marking")
    return render(request, "exams/manage/mark.html", {"answer": answer, "form": form})


# --------------------------------------------------------------------------- item statistics

@exam_staff_required(Role.ITEM_WRITER)
def session_stats(request, pk: int):
    session = _session(request, pk, Role.ITEM_WRITER)
    result = stats.item_statistics(session)
    if request.GET.get("format") == "xlsx":
        resp = HttpResponse(stats.statistics_workbook(session, result), content_type=XLSX)
        resp["Content-Disposition"] = f'attachment; filename="item-statistics-{session.pk}.xlsx"'
        return resp
    return render(request, "exams/manage/stats.html", {"session": session, "result": result})


# --------------------------------------------------------------------------- retraining after a failed make-up

@exam_staff_required()
def retraining(request):
    """重新培训: people who failed their make-up in one of the user's centres must train again before
    a new registration; staff record the date the training was completed (audited)."""
    status = request.GET.get("status", "open")
    if status not in ("open", "done", "all"):
        status = "open"
    page = Paginator(selectors.retraining_requirements_for(request.user, status=status), 50).get_page(
        request.GET.get("page"))
    return render(request, "exams/manage/retraining.html", {
        "page": page, "status": status, "form": RetrainingCompleteForm(initial={"completed_on": timezone.localdate()}),
        "today": timezone.localdate(),
    })


@exam_staff_required()
@require_POST
def retraining_complete(request, pk: int):
    requirement = selectors.retraining_requirements_for(request.user, status="all").filter(pk=pk).first()
    if requirement is None:
        raise Http404
    form = RetrainingCompleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写有效的完成日期。"))
    elif form.cleaned_data["completed_on"] > timezone.localdate():
        messages.error(request, _("完成日期不能晚于今天。"))
    else:
        try:
            services.retraining_complete(actor=request.user, requirement=requirement,
                                         completed_on=form.cleaned_data["completed_on"])
        except ValidationError as exc:
            for e in _errors(exc):
                messages.error(request, e)
        else:
            messages.success(request, _("已登记 %(n)s 完成重新培训，可以重新报名。")
                             % {"n": requirement.candidate.display_name})
    return redirect("exams:manage_retraining")
