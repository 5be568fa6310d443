from __future__ import annotations


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Organization
from accounts.roles import BUREAU_ROLES, OrgKind, Role
from accounts.selectors import has_role, organizations_of
from core.audit import client_ip
from core.protected_files import serve_protected

from . import selectors, services
from .forms import AssignmentRuleForm, AttendanceImportForm, OfflineSessionForm
from .imports import parse_attendance, template_workbook
from .models import Course, Enrolment, Lesson, LessonProgress


# ---------------------------------------------------------------- learner

@login_required
def my_courses(request):
    enrolments = list(selectors.my_enrolments(request.user))
    figures = selectors.enrolment_figures(enrolments)
    active = [f for f in figures if f.enrolment.status == Enrolment.Status.ACTIVE]
    done = [f for f in figures if f.enrolment.status == Enrolment.Status.COMPLETED]
    records = list(selectors.training_records_of(request.user)[:50])
    next_up = next((f for f in sorted(active, key=lambda f: (f.enrolment.due_date is None, f.enrolment.due_date))), None)
    open_courses = list(selectors.courses_open_to(request.user).filter(is_mandatory=False)[:12])
    return render(request, "courses/my_courses.html", {
        "active": active, "done": done, "records": records, "next_up": next_up, "open_courses": open_courses,
        "total_hours": sum((r.hours for r in records), start=0),
    })


def _enrolment_or_none(user, course):
    return (
        Enrolment.objects.filter(user=user, course=course).exclude(status=Enrolment.Status.WITHDRAWN)
        .select_related("course").order_by("status", "-enrolled_at").first()
    )


@login_required
def course_detail(request, code: str):
    course = get_object_or_404(Course.objects.prefetch_related("industries", "hazard_tags", "prerequisites"),
                               code=code, is_published=True)
    return render_course_page(request, course)


def render_course_page(request, course: Course, *, preview: bool = False):
    """The learner's course page. ``preview``: the instructor's look at it (published or not) — no
    enrolment of the viewer is read, and nothing on the page enrols, finishes or practises."""
    enrolment = None if preview else _enrolment_or_none(request.user, course)
    figures = selectors.enrolment_status(enrolment) if enrolment else None
    lessons = list(course.lessons.all())
    if figures:
        for lesson in lessons:
            lesson.credited = figures.lesson_seconds.get(lesson.pk, 0)
            lesson.percent = min(100, int(lesson.credited * 100 / lesson.min_seconds)) if lesson.min_seconds else 0
    banks = list(selectors.practice_banks_of(course))
    return render(request, "courses/course_detail.html", {
        "course": course, "enrolment": enrolment, "figures": figures, "lessons": lessons, "banks": banks,
        "missing": [] if preview else selectors.prerequisites_missing(request.user, course),
        "record": getattr(enrolment, "record", None) if enrolment else None, "preview": preview,
    })


@login_required
@require_POST
def course_enrol(request, code: str):
    course = get_object_or_404(Course, code=code, is_published=True)
    services.enrol_self(user=request.user, course=course)
    messages.success(request, _("已加入课程。"))
    return redirect(course.get_absolute_url())


@login_required
@require_POST
def course_finish(request, code: str):
    course = get_object_or_404(Course, code=code, is_published=True)
    enrolment = _enrolment_or_none(request.user, course)
    if enrolment is None:
        raise Http404
    record = services.enrolment_try_complete(enrolment=enrolment)
    if record:
        messages.success(request, _("恭喜，课程已完成，培训记录已生成。"))
    else:
        messages.warning(request, _("尚未满足结业条件：请完成全部课时的学习时长和练习要求。"))
    return redirect(course.get_absolute_url())


@login_required
def lesson_view(request, code: str, pk: int):
    lesson = get_object_or_404(Lesson.objects.select_related("course"), pk=pk, course__code=code,
                               course__is_published=True)
    course = lesson.course
    enrolment = _enrolment_or_none(request.user, course)
    if enrolment is None:
        messages.info(request, _("请先加入课程。"))
        return redirect(course.get_absolute_url())
    missing = selectors.prerequisites_missing(request.user, course)
    if missing:
        messages.warning(request, _("请先完成先修课程：%(c)s") % {"c": "、".join(c.title for c in missing)})
        return redirect(course.get_absolute_url())
    progress = LessonProgress.objects.filter(user=request.user, lesson=lesson).first()
    return render_lesson_page(request, lesson, enrolment=enrolment, seconds=progress.seconds if progress else 0)


def render_lesson_page(request, lesson: Lesson, *, enrolment=None, seconds: int = 0, preview: bool = False):
    """The learner's lesson page. ``preview``: the instructor's look at it — no study token, no
    heartbeat or camera hooks on the page (the template leaves them out), nothing credited."""
    course = lesson.course
    lessons = list(course.lessons.all())
    idx = next(i for i, item in enumerate(lessons) if item.pk == lesson.pk)
    clauses = list(lesson.clauses.select_related("standard").order_by("article", "item"))
    pages = list(lesson.pages.live().specific())
    for page in pages:
        page.kind_label = page._meta.verbose_name
    study = {"preview": True} if preview else {
        "token": services.new_study_token(), "interval": services.HEARTBEAT_INTERVAL, "idle": services.IDLE_SECONDS,
        **_camera_consent_context(request.user)}
    return render(request, "courses/lesson.html", {
        "course": course, "lesson": lesson, "enrolment": enrolment, "seconds": seconds,
        "prev": lessons[idx - 1] if idx > 0 else None,
        "next": lessons[idx + 1] if idx + 1 < len(lessons) else None, "position": idx + 1, "count": len(lessons),
        "clauses": clauses, "pages": pages, **study,
    })


def _camera_consent_context(user) -> dict:
    from .privacy import consent_text, has_camera_consent

    consented = has_camera_consent(user)
    return {"camera_consent": consented, "camera_consent_text": "" if consented else consent_text(user)}


@login_required
@require_POST
def camera_consent(request):
    """The learner agrees to the study camera (purpose and retention shown on the lesson page)."""
    from .privacy import give_camera_consent

    give_camera_consent(user=request.user, ip=client_ip(request))
    return JsonResponse({"status": "ok"})


@login_required
def lesson_video(request, code: str, pk: int):
    """A lesson's uploaded video, for the learners enrolled in its course (never a public media URL)."""
    import mimetypes

    lesson = get_object_or_404(Lesson.objects.select_related("course"), pk=pk, course__code=code)
    if not request.user.is_superuser and (
            not lesson.course.is_published or _enrolment_or_none(request.user, lesson.course) is None):
        raise Http404
    name = lesson.video.name.rsplit("/", 1)[-1]
    return serve_protected(request, lesson.video, filename=name,
                           content_type=mimetypes.guess_type(name)[0] or "video/mp4")


@login_required
@require_POST
def heartbeat(request, pk: int):
    """Study heartbeat. Only the page token and the visible/active flags are read; any duration the
    client sends is ignored — the server measures time itself."""
    # Only the columns the beat needs: it arrives every few seconds from every open lesson page.
    lesson = get_object_or_404(Lesson.objects.only("pk", "course_id", "min_minutes", "cap_minutes"), pk=pk)
    try:
        beat = services.study_heartbeat(
            user=request.user, lesson=lesson, token=request.POST.get("token", ""),
            visible=request.POST.get("visible", "1") == "1", active=request.POST.get("active", "1") == "1",
            ip=client_ip(request), user_agent=request.headers.get("User-Agent", ""),
        )
    except PermissionDenied as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    except ValidationError as exc:
        return JsonResponse({"error": exc.messages[0]}, status=400)
    return JsonResponse({
        "status": beat.status, "credited": beat.credited, "seconds": beat.seconds, "min_seconds": beat.min_seconds,
        "lesson_done": beat.lesson_done, "course_done": beat.course_done,
        "reason": beat.reason, "reason_label": beat.reason_label, "check_due": beat.check_due,
    })


# ---------------------------------------------------------------- study trail

def _trail_page(request, person, *, own: bool):
    from django.core.paginator import Paginator

    page = Paginator(selectors.study_trail(person), 50).get_page(request.GET.get("page"))
    return render(request, "courses/trail.html", {
        "person": person, "own": own, "page": page, "days": selectors.study_days(person, limit=14)})


@login_required
def my_trail(request):
    return _trail_page(request, request.user, own=True)


@login_required
def person_trail(request, pk: int):
    from accounts.selectors import people_visible_to

    person = people_visible_to(request.user).filter(pk=pk).first()
    if person is None or person.pk == request.user.pk and not request.user.is_superuser:
        raise Http404
    return _trail_page(request, person, own=False)


# ---------------------------------------------------------------- enterprise

def _chosen_enterprise(request):
    orgs = selectors.managed_enterprises(request.user)
    if not orgs:
        raise Http404
    org_id = request.GET.get("org")
    org = None
    if org_id and org_id.isdigit():
        org = next((o for o in orgs if o.pk == int(org_id)), None)
        if org is None:
            raise Http404
    return orgs, org or orgs[0]


def _enterprise_rows(request, org):
    course = None
    code = request.GET.get("course")
    if code:
        course = Course.objects.filter(code=code).first()
    overdue = request.GET.get("overdue") == "1"
    enrolments = list(selectors.enterprise_enrolments(org, course=course, overdue_only=overdue)[:2000])
    figures = selectors.enrolment_figures(enrolments)
    roles = selectors.roles_in(org, {e.user_id for e in enrolments})
    return course, overdue, figures, roles


@login_required
def enterprise_progress(request):
    orgs, org = _chosen_enterprise(request)
    course, overdue, figures, roles = _enterprise_rows(request, org)
    for f in figures:
        f.role_labels = roles.get(f.enrolment.user_id, [])
    all_figures = figures
    summary = {
        "people": len({f.enrolment.user_id for f in all_figures}),
        "enrolments": len(all_figures),
        "completed": sum(1 for f in all_figures if f.enrolment.status == Enrolment.Status.COMPLETED),
        "overdue": sum(1 for f in all_figures if f.overdue),
    }
    courses = Course.objects.filter(enrolments__user__memberships__organization=org).distinct().order_by("code")
    return render(request, "courses/enterprise.html", {
        "orgs": orgs, "org": org, "figures": figures, "roles": roles, "course": course, "overdue": overdue,
        "summary": summary, "courses": courses, "records": selectors.enterprise_records(org, course=course), "is_bureau": request.user.is_superuser or has_role(request.user, *BUREAU_ROLES),
    })


@login_required
def enterprise_export(request):
    from core.exports import workbook, xlsx_bytes

    orgs, org = _chosen_enterprise(request)
    course, overdue, figures, roles = _enterprise_rows(request, org)
    wb = workbook()
    ws = wb.active
    ws.title = "培训进度"
    ws.append(["姓名", "角色", "课程", "课程代码", "进度(%)", "已学学时", "完成期限", "状态"])
    today = timezone.localdate()
    for f in figures:
        e = f.enrolment
        state = e.get_status_display()
        if e.is_overdue(today):
            state = "已逾期"
        ws.append([e.user.display_name, "、".join(roles.get(e.user_id, [])), e.course.title, e.course.code,
                   f.percent, float(f.hours), e.due_date.isoformat() if e.due_date else "", state])
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["C"].width = 40
    resp = HttpResponse(xlsx_bytes(wb),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="training-progress-{org.pk}-{today:%Y%m%d}.xlsx"'
    return resp


# ---------------------------------------------------------------- assignment rules

def _rule_issuers(user):
    from accounts.roles import ENTERPRISE_MANAGERS

    if user.is_superuser:
        return list(Organization.objects.filter(kind__in=[OrgKind.BUREAU, OrgKind.ENTERPRISE]).order_by("kind", "name"))
    return organizations_of(user, *(BUREAU_ROLES | ENTERPRISE_MANAGERS))


@login_required
def rules(request):
    issuers = _rule_issuers(request.user)
    if not issuers:
        raise Http404
    form = AssignmentRuleForm(request.POST or None, issuers=issuers)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            services.rule_create(
                actor=request.user, issuer=cd["issuer"], course=cd["course"], name=cd["name"], roles=cd["roles"],
                industries=cd["industries"], hazard_tags=cd["hazard_tags"], region_prefix_value=cd["region_prefix"],
                due_date=cd["due_date"], due_in_days=cd["due_in_days"], joined_since=cd["joined_since"],
            )
        except ValidationError as exc:
            for fieldname, errs in exc.message_dict.items():
                form.add_error(fieldname if fieldname in form.fields else None, errs)
        else:
            messages.success(request, _("指派规则已发布，符合条件的人员已加入课程。"))
            return redirect("courses:rules")
    rule_list = list(selectors.visible_rules(request.user).prefetch_related("industries", "hazard_tags")[:200])
    counts = _rule_counts(rule_list)
    for r in rule_list:
        r.enrolled = counts.get(r.pk, {}).get("n", 0)
        r.done = counts.get(r.pk, {}).get("done", 0)
    return render(request, "courses/rules.html", {"form": form, "rules": rule_list})


def _rule_counts(rule_list):
    from django.db.models import Count, Q

    rows = (
        Enrolment.objects.filter(rule__in=rule_list).values("rule_id")
        .annotate(n=Count("pk"), done=Count("pk", filter=Q(status=Enrolment.Status.COMPLETED)))
    )
    return {r["rule_id"]: r for r in rows}


@login_required
@require_POST
def rule_deactivate(request, pk: int):
    rule = get_object_or_404(selectors.visible_rules(request.user), pk=pk)
    services.rule_deactivate(actor=request.user, rule=rule)
    messages.success(request, _("规则已停用；已生成的选课保留。"))
    return redirect("courses:rules")


# ---------------------------------------------------------------- offline training

def _instructor_orgs(user):
    if user.is_superuser:
        return list(Organization.objects.filter(kind=OrgKind.TRAINING))
    return organizations_of(user, Role.INSTRUCTOR)


@login_required
def offline_sessions(request):
    providers = _instructor_orgs(request.user)
    if not providers:
        raise Http404
    form = OfflineSessionForm(request.POST or None, providers=providers)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            session = services.offline_session_create(
                actor=request.user, provider=cd["provider"], course=cd["course"], title=cd["title"],
                location=cd["location"], start_date=cd["start_date"], end_date=cd["end_date"], hours=cd["hours"],
            )
        except ValidationError as exc:
            for fieldname, errs in exc.message_dict.items():
                form.add_error(fieldname if fieldname in form.fields else None, errs)
        else:
            messages.success(request, _("线下培训已登记，请导入签到表。"))
            return redirect(session.get_absolute_url())
    from django.db.models import Count, Q

    sessions = selectors.visible_offline_sessions(request.user).annotate(
        present=Count("attendance", filter=Q(attendance__present=True)))[:200]
    return render(request, "courses/offline_sessions.html", {"form": form, "sessions": sessions})


@login_required
def offline_session_detail(request, pk: int):
    session = get_object_or_404(selectors.visible_offline_sessions(request.user), pk=pk)
    form = AttendanceImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = parse_attendance(form.cleaned_data["file"], session_hours=session.hours)
        if result.ok:
            n = services.offline_attendance_record(actor=request.user, session=session, rows=result.rows)
            messages.success(request, _("签到表已导入：%(rows)d行，出勤%(n)d人，培训记录已生成。") % {
                "rows": len(result.rows), "n": n})
            return redirect(session.get_absolute_url())
    attendance = session.attendance.select_related("person").order_by("-present", "person__real_name")
    return render(request, "courses/offline_session.html", {
        "session": session, "form": form, "result": result, "attendance": attendance,
    })


@login_required
def attendance_template(request):
    if not _instructor_orgs(request.user):
        raise Http404
    from core.exports import xlsx_bytes

    resp = HttpResponse(xlsx_bytes(template_workbook()),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = 'attachment; filename="attendance-template.xlsx"'
    return resp



# ---------------------------------------------------------------- identity checks during study

@login_required
@require_POST
def study_check(request, pk: int):
    from .checks import check_submit
    from .models import StudyCheck

    lesson = get_object_or_404(Lesson, pk=pk)
    upload = request.FILES.get("still")
    if upload is None:
        return JsonResponse({"error": _("缺少照片。")}, status=400)
    try:
        check = check_submit(user=request.user, lesson=lesson, token=request.POST.get("token", ""), upload=upload,
                             ip=client_ip(request))
    except PermissionDenied as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    except ValidationError as exc:
        return JsonResponse({"error": exc.messages[0]}, status=400)
    messages_by_status = {
        StudyCheck.Status.PASSED: _("核验通过，继续计时。"),
        StudyCheck.Status.FAILED: _("人脸核验未通过：自上次核验通过以来的学习时间不计入学时。请本人正对摄像头重新核验。"),
        StudyCheck.Status.PENDING: _("照片已提交人工审核；审核通过前的学习时间暂不计入。"),
    }
    return JsonResponse({"status": check.status, "message": messages_by_status[check.status]})


@login_required
def study_checks(request):
    from .models import StudyCheck

    queue = selectors.study_checks_to_review(request.user)
    if not (request.user.is_superuser or has_role(request.user, *BUREAU_ROLES)):
        raise Http404
    return render(request, "courses/study_checks.html", {"checks": list(queue[:100]), "reasons": StudyCheck})


@login_required
@require_POST
def study_check_decide(request, pk: int):
    from .checks import check_review

    check = selectors.study_checks_to_review(request.user).filter(pk=pk).first()
    if check is None:
        raise Http404
    try:
        check_review(reviewer=request.user, check=check, accept=request.POST.get("decision") == "accept",
                     reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("已处理。"))
    return redirect("courses:study_checks")


@login_required
def study_check_photo(request, pk: int, which: str):
    import mimetypes

    from accounts.selectors import verified_portrait_file

    from .privacy import audit_photo_view

    check = selectors.study_check_visible_to(request.user, pk)
    if check is None:
        raise Http404
    if which == "still" and not check.still:
        raise Http404  # deleted when its retention ended
    audit_photo_view(viewer=request.user, target=check, photo="study_still" if which == "still" else "portrait",
                     person_id=check.user_id, request=request)
    if which == "still":
        return serve_protected(request, check.still, filename=f"check-{check.pk}.jpg", content_type="image/jpeg")
    portrait = verified_portrait_file(check.user)
    if portrait is None:
        raise Http404
    return serve_protected(request, portrait, filename=f"portrait-{check.user_id}.jpg",
                           content_type=mimetypes.guess_type(portrait.name)[0] or "image/jpeg")
