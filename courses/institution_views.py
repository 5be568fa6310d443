"""Pages of training institutions (instructors) and the enterprise's choice of institution.

Everything an instructor reaches is the institution's own: another institution's course or class,
or anyone else's bank, is a 404. Rules live in ``courses.institutions``."""

from __future__ import annotations

import datetime as dt
import mimetypes
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from core.protected_files import serve_protected

from . import institutions as inst
from .institution_forms import (
    CourseForm,
    EnrolForm,
    LessonForm,
    ProviderChooseForm,
    TrainingBankForm,
    TrainingClassForm,
)
from .models import Course, Lesson, TrainingClass, TrainingProvider
from .views import render_course_page, render_lesson_page

CANDIDATES_PER_PAGE = 50


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        for e in exc.messages:
            form.add_error(None, e)


def _institution(request):
    """The institution the page is about: the user's only one, or ``?org=`` among theirs."""
    orgs = inst.institutions_of(request.user)
    if not orgs:
        raise Http404
    org_id = request.GET.get("org") or request.POST.get("org")
    if org_id:
        chosen = next((o for o in orgs if str(o.pk) == str(org_id)), None)
        if chosen is None:
            raise Http404
        return orgs, chosen
    return orgs, orgs[0]


def _own_course(request, code: str) -> Course:
    course = inst.course_managed_by(request.user, code)
    if course is None:
        raise Http404
    return course


def _own_class(request, pk: int) -> TrainingClass:
    cls = TrainingClass.objects.select_related("institution", "course").filter(pk=pk).first()
    if cls is None or not inst.is_instructor_of(request.user, cls.institution):
        raise Http404
    return cls


# ---------------------------------------------------------------- institution dashboard

@login_required
def dashboard(request):
    orgs, org = _institution(request)
    return render(request, "courses/institution/dashboard.html", {
        "orgs": orgs, "org": org,
        "banks": list(inst.institution_banks(org)),
        "courses": list(inst.institution_courses(org)),
        "classes": list(inst.institution_classes(org)[:100]),
        "clients": list(inst.client_links(org)),
    })


@login_required
def bank_create(request):
    orgs, org = _institution(request)
    form = TrainingBankForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bank = inst.training_bank_create(actor=request.user, institution=org, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("培训练习题库已创建，可以添加或导入试题。"))
            return redirect("exams:manage_bank", code=bank.code)
    return render(request, "courses/institution/form.html", {
        "org": org, "orgs": orgs, "form": form, "title": _("新建培训题库"), "submit": _("创建题库"),
        "note": _("培训机构只能建立培训练习题库，考试题库由考试中心管理（考培分离）。")})


# ---------------------------------------------------------------- courses and lessons

@login_required
def course_create(request):
    orgs, org = _institution(request)
    form = CourseForm(request.POST or None, initial={"minutes_per_hour": 45, "kind": "topic"},
                      banks=inst.institution_banks(org).filter(is_active=True))
    if request.method == "POST" and form.is_valid():
        cd = dict(form.cleaned_data)
        try:
            course = inst.course_save(actor=request.user, institution=org, code=cd.pop("code"), **cd)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("课程已创建（未发布），请添加课时。"))
            return redirect("courses:institution_course", code=course.code)
    return render(request, "courses/institution/form.html", {
        "org": org, "orgs": orgs, "form": form, "title": _("新建课程"), "submit": _("创建课程")})


@login_required
def course_edit(request, code: str):
    course = _own_course(request, code)
    form = CourseForm(request.POST or None, initial=CourseForm.initial_for(course), editing=course,
                      banks=inst.institution_banks(course.provider).filter(is_active=True))
    if request.method == "POST" and form.is_valid():
        cd = dict(form.cleaned_data)
        cd.pop("code", None)
        try:
            inst.course_save(actor=request.user, institution=course.provider, course=course, **cd)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("课程已保存。"))
            return redirect("courses:institution_course", code=course.code)
    return render(request, "courses/institution/course.html", {
        "course": course, "form": form, "lessons": list(course.lessons.order_by("sort_order", "pk"))})


@login_required
@require_POST
def course_publish(request, code: str):
    course = _own_course(request, code)
    publish = request.POST.get("publish") == "1"
    try:
        inst.course_set_published(actor=request.user, course=course, published=publish)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("课程已发布，学员可以看到。") if publish else _("课程已取消发布。"))
    return redirect("courses:institution_course", code=course.code)


@login_required
def lesson_edit(request, code: str, pk: int | None = None):
    course = _own_course(request, code)
    lesson = None
    if pk is not None:
        lesson = Lesson.objects.filter(course=course, pk=pk).first()
        if lesson is None:
            raise Http404
    initial = {"min_minutes": 45}
    if lesson is not None:
        initial = {"title": lesson.title, "body_text": inst.html_to_text(lesson.body),
                   "min_minutes": lesson.min_minutes, "video_url": lesson.video_url}
    form = LessonForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            inst.lesson_save(actor=request.user, course=course, lesson=lesson, title=cd["title"],
                             body_text=cd["body_text"], min_minutes=cd["min_minutes"], video_url=cd["video_url"],
                             video=cd["video"] or None)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("课时已保存。"))
            return redirect("courses:institution_course", code=course.code)
    return render(request, "courses/institution/form.html", {
        "form": form, "course": course, "multipart": True,
        "title": _("编辑课时") if lesson else _("添加课时"), "submit": _("保存课时")})


@login_required
@require_POST
def lesson_move(request, code: str, pk: int):
    course = _own_course(request, code)
    lesson = get_object_or_404(Lesson, course=course, pk=pk)
    inst.lesson_move(actor=request.user, lesson=lesson, up=request.POST.get("dir") == "up")
    return redirect("courses:institution_course", code=course.code)


# ---------------------------------------------------------------- preview (the learner's pages, nothing credited)

@login_required
def course_preview(request, code: str):
    """The course page as learners see it, published or not, for the course's own instructors. Reads
    only: no enrolment, no study lease, no heartbeat, no camera."""
    course = _own_course(request, code)
    return render_course_page(request, course, preview=True)


def _own_lesson(request, code: str, pk: int) -> Lesson:
    course = _own_course(request, code)
    lesson = Lesson.objects.filter(course=course, pk=pk).first()
    if lesson is None:
        raise Http404
    lesson.course = course
    return lesson


@login_required
def lesson_preview(request, code: str, pk: int):
    return render_lesson_page(request, _own_lesson(request, code, pk), preview=True)


@login_required
def lesson_preview_video(request, code: str, pk: int):
    """A lesson's uploaded video for the preview (the learners' video view needs an enrolment)."""
    lesson = _own_lesson(request, code, pk)
    name = lesson.video.name.rsplit("/", 1)[-1]
    return serve_protected(request, lesson.video, filename=name,
                           content_type=mimetypes.guess_type(name)[0] or "video/mp4")


# ---------------------------------------------------------------- classes

@login_required
def class_create(request):
    orgs, org = _institution(request)
    form = TrainingClassForm(request.POST or None, courses=Course.objects.filter(provider=org).order_by("code"))
    if request.method == "POST" and form.is_valid():
        try:
            cls = inst.class_create(actor=request.user, institution=org, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("培训班已创建，请报名学员。"))
            return redirect(cls.get_absolute_url())
    return render(request, "courses/institution/form.html", {
        "org": org, "orgs": orgs, "form": form, "title": _("新建培训班"), "submit": _("创建培训班")})


def _attendance_day(cls: TrainingClass, value: str | None) -> dt.date:
    if value:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            day = None
        if day is not None and cls.start_date <= day <= cls.end_date:
            return day
    today = timezone.localdate()
    return today if cls.start_date <= today <= cls.end_date else cls.start_date


@login_required
def class_detail(request, pk: int):
    cls = _own_class(request, pk)
    form = EnrolForm(request.POST or None)
    report = None
    if request.method == "POST" and form.is_valid():
        picked = [int(v) for v in request.POST.getlist("person") if v.isdigit()]
        people = list(User.objects.filter(pk__in=picked))
        lines = form.cleaned_data["identifiers"].splitlines()
        if not people and not any(line.strip() for line in lines):
            form.add_error(None, _("请勾选人员或填写账号、手机号、身份证号。"))
        else:
            try:
                report = inst.class_enrol(actor=request.user, training_class=cls, people=people, identifiers=lines)
            except PermissionDenied:
                raise Http404 from None
            if report.ok:
                messages.success(request, _("已报名 %(n)d 人，学员可在“我的课程”中学习。") % {"n": len(report.enrolled)})
                return redirect(cls.get_absolute_url())
    day = _attendance_day(cls, request.GET.get("date"))
    trainees, marks = inst.class_sheet(cls)
    days_present: dict[int, int] = {}
    for (pid, _day), present in marks.items():
        days_present[pid] = days_present.get(pid, 0) + int(present)
    for t in trainees:
        t.present_today = marks.get((t.person_id, day))
        t.days_present = days_present.get(t.person_id, 0)
    enterprises = list(inst.class_enterprises(cls))
    chosen = request.GET.get("ent", "")
    chosen_id = int(chosen) if chosen.isdigit() and int(chosen) in {e.pk for e in enterprises} else None
    query = request.GET.get("q", "").strip()[:64]
    candidates = Paginator(inst.class_candidates(cls, enterprise_id=chosen_id, query=query),
                           CANDIDATES_PER_PAGE).get_page(request.GET.get("page"))
    filters = {k: v for k, v in (("date", request.GET.get("date", "")), ("ent", chosen_id or ""), ("q", query)) if v}
    return render(request, "courses/institution/class.html", {
        "cls": cls, "form": form, "report": report, "trainees": trainees, "day": day, "days": cls.days(),
        "recorded": any((t.person_id, day) in marks for t in trainees),
        "candidates": candidates, "page_obj": candidates, "filter_query": urlencode(filters),
        "enterprises": enterprises, "chosen_ent": chosen_id, "q": query,
    })


@login_required
@require_POST
def class_attendance(request, pk: int):
    cls = _own_class(request, pk)
    day = _attendance_day(cls, request.POST.get("date"))
    if request.POST.get("date") != day.isoformat():
        messages.error(request, _("考勤日期须在开班日期与结业日期之间。"))
        return redirect(cls.get_absolute_url())
    present = [v for v in request.POST.getlist("present") if v.isdigit()]
    try:
        n = inst.attendance_record(actor=request.user, training_class=cls, date=day, present_ids=present)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("%(d)s 考勤已保存：出勤 %(n)d 人。") % {"d": day.isoformat(), "n": n})
    return redirect(f"{cls.get_absolute_url()}?date={day.isoformat()}")


# ---------------------------------------------------------------- enterprise side

def _enterprise(request):
    orgs = inst.enterprises_viewable_by(request.user)
    if not orgs:
        raise Http404
    org_id = request.GET.get("org") or request.POST.get("org")
    if org_id:
        org = next((o for o in orgs if str(o.pk) == str(org_id)), None)
        if org is None:
            raise Http404
        return orgs, org
    return orgs, orgs[0]


@login_required
def enterprise_institutions(request):
    """选择培训机构: the enterprise's institutions (current and past) and the classes its people are in."""
    orgs, org = _enterprise(request)
    may_choose = any(o.pk == org.pk for o in inst.enterprises_choosing_for(request.user))
    form = ProviderChooseForm(request.POST or None, institutions=inst.available_institutions())
    if request.method == "POST":
        if not may_choose:
            raise Http404
        if form.is_valid():
            try:
                inst.provider_choose(actor=request.user, enterprise=org, institution=form.cleaned_data["institution"])
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("已选择培训机构“%(n)s”。") % {"n": form.cleaned_data["institution"].name})
                return redirect(f"{request.path}?org={org.pk}")
    today = timezone.localdate()
    links = list(inst.provider_links(org))
    for link in links:
        link.current = link.is_current(today)
    return render(request, "courses/institution/enterprise.html", {
        "orgs": orgs, "org": org, "links": links, "form": form, "may_choose": may_choose,
        "rows": list(inst.enterprise_class_rows(org)[:500]),
    })


@login_required
@require_POST
def enterprise_institution_end(request, pk: int):
    link = TrainingProvider.objects.select_related("enterprise").filter(pk=pk).first()
    if link is None or not any(o.pk == link.enterprise_id for o in inst.enterprises_choosing_for(request.user)):
        raise Http404
    inst.provider_end(actor=request.user, link=link)
    messages.success(request, _("已终止与该培训机构的委托；已报名的培训班不受影响。"))
    return redirect(f"{_enterprise_url()}?org={link.enterprise_id}")


def _enterprise_url() -> str:
    from django.urls import reverse

    return reverse("courses:enterprise_institutions")
