"""Training institutions (培训机构): their training banks, courses and lessons, the enterprises that
chose them, their classes and attendance. Reads and writes in one place; the pages in
``courses.institution_views`` stay thin.

Rules:

* only instructors of the institution (and the superuser) manage its banks, courses and classes;
* an institution only ever creates **training** banks; testing material stays with exam centres
  (the bank pages themselves are exams' and scoped by ``exams.selectors.banks_manageable_by``);
* an institution's new course starts unpublished; learners see published courses only;
* an instructor enrols trainees only from enterprises whose current choice names the institution;
  the class enrolment makes the person's normal course enrolment, so study hours are credited the
  usual way (server-measured lesson time, completion, training record).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.html import escape, strip_tags
from django.utils.translation import gettext as _

from accounts.models import Membership, Organization, User
from accounts.roles import ENTERPRISE_MANAGERS, OrgKind, Role
from accounts.selectors import has_role, organizations_of
from core.audit import audit_record
from exams.models import QuestionBank

from .models import (
    ClassAttendance,
    ClassEnrolment,
    Course,
    Enrolment,
    Lesson,
    TrainingClass,
    TrainingProvider,
)

# ---------------------------------------------------------------- who

def institutions_of(user) -> list[Organization]:
    """Training institutions whose work the user manages (instructors; the superuser: all)."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return list(Organization.objects.filter(kind=OrgKind.TRAINING, is_active=True).order_by("name"))
    return [o for o in organizations_of(user, Role.INSTRUCTOR) if o.kind == OrgKind.TRAINING]


def is_instructor_of(user, institution: Organization) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or has_role(user, Role.INSTRUCTOR, organization=institution)


def course_managed_by(user, code: str) -> Course | None:
    """The institution course with this code if ``user`` teaches for the institution that owns it
    (the superuser: any institution's course), else None — published or not. The one rule for the
    course's edit pages, its lessons and its preview."""
    course = Course.objects.select_related("provider").filter(code=code, provider__isnull=False).first()
    if course is None or not is_instructor_of(user, course.provider):
        return None
    return course


def _require_instructor(actor, institution: Organization) -> None:
    if institution.kind != OrgKind.TRAINING or not is_instructor_of(actor, institution):
        raise PermissionDenied(_("只有本机构的培训讲师可以进行此操作。"))


def enterprises_choosing_for(user) -> list[Organization]:
    """Enterprises whose training institutions the user may choose (enterprise admin, principal)."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return list(Organization.objects.filter(kind=OrgKind.ENTERPRISE, is_active=True).order_by("name"))
    return [o for o in organizations_of(user, Role.ENT_ADMIN, Role.PRINCIPAL) if o.kind == OrgKind.ENTERPRISE]


def enterprises_viewable_by(user) -> list[Organization]:
    """Enterprises whose institutions and classes the user may see (their managers)."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return enterprises_choosing_for(user)
    return [o for o in organizations_of(user, *ENTERPRISE_MANAGERS) if o.kind == OrgKind.ENTERPRISE]


# ---------------------------------------------------------------- reads

def current_q(today: dt.date | None = None, prefix: str = "") -> Q:
    today = today or timezone.localdate()
    return Q(**{f"{prefix}since__lte": today}) & (Q(**{f"{prefix}until__isnull": True})
                                                  | Q(**{f"{prefix}until__gte": today}))


def institution_banks(institution: Organization) -> QuerySet[QuestionBank]:
    return QuestionBank.objects.filter(owner=institution, kind=QuestionBank.Kind.TRAINING).annotate(
        n=Count("questions", filter=Q(questions__is_current=True, questions__retired_at__isnull=True))
    ).order_by("code")


def institution_courses(institution: Organization) -> QuerySet[Course]:
    return Course.objects.filter(provider=institution).annotate(n_lessons=Count("lessons", distinct=True)) \
        .order_by("code")


def institution_classes(institution: Organization) -> QuerySet[TrainingClass]:
    return TrainingClass.objects.filter(institution=institution).select_related("course").annotate(
        n_trainees=Count("class_enrolments", distinct=True))


def client_links(institution: Organization) -> QuerySet[TrainingProvider]:
    """The enterprises that currently chose the institution."""
    return TrainingProvider.objects.filter(current_q(), institution=institution).select_related("enterprise") \
        .order_by("enterprise__name")


def provider_links(enterprise: Organization) -> QuerySet[TrainingProvider]:
    """Every choice the enterprise made (current first)."""
    return TrainingProvider.objects.filter(enterprise=enterprise).select_related("institution") \
        .order_by("until", "-since", "-pk")


def has_chosen(enterprise: Organization | int, institution: Organization | int) -> bool:
    return TrainingProvider.objects.filter(
        current_q(), enterprise_id=getattr(enterprise, "pk", enterprise),
        institution_id=getattr(institution, "pk", institution)).exists()


def available_institutions() -> QuerySet[Organization]:
    return Organization.objects.filter(kind=OrgKind.TRAINING, is_active=True).order_by("name")


def enterprise_class_rows(enterprise: Organization) -> QuerySet[ClassEnrolment]:
    """The classes the enterprise's people are in (sent by this enterprise, or current members)."""
    members = Membership.objects.filter(organization=enterprise, is_active=True).values("user_id")
    return (ClassEnrolment.objects.filter(Q(enterprise=enterprise) | Q(person_id__in=members))
            .select_related("person", "training_class__course", "training_class__institution")
            .order_by("-training_class__start_date", "training_class_id", "person__real_name"))


def class_enterprises(training_class: TrainingClass) -> QuerySet[Organization]:
    """The enterprises whose current choice names the class's institution (the filter of the
    candidate list)."""
    enterprise_ids = TrainingProvider.objects.filter(current_q(), institution=training_class.institution_id) \
        .values("enterprise_id")
    return Organization.objects.filter(pk__in=enterprise_ids, is_active=True).order_by("name", "pk")


def class_candidates(training_class: TrainingClass, *, enterprise_id: int | None = None,
                     query: str = "") -> QuerySet[User]:
    """People of the enterprises that chose the class's institution, not yet in the class, each once
    (``enterprise_name``: their first such enterprise by name), by enterprise and name. Narrowed to
    one of those enterprises and by a name part, an account or a phone number; the page pages it (an
    institution chosen by a city's enterprises has thousands of candidates)."""
    enterprises = class_enterprises(training_class)
    if enterprise_id is not None:
        enterprises = enterprises.filter(pk=enterprise_id)
    member = Membership.objects.filter(organization__in=enterprises.values("pk"), is_active=True)
    enrolled = ClassEnrolment.objects.filter(training_class=training_class).values("person_id")
    first_name = (member.filter(user=OuterRef("pk")).order_by("organization__name", "organization_id")
                  .values("organization__name")[:1])
    people = (User.objects.filter(is_active=True, pk__in=member.values("user_id"))
              .exclude(pk__in=enrolled).annotate(enterprise_name=Subquery(first_name)))
    query = (query or "").strip()
    if query:
        people = people.filter(Q(real_name__contains=query) | Q(username=query) | Q(phone=query))
    return people.order_by("enterprise_name", "real_name", "pk")


def class_sheet(training_class: TrainingClass) -> tuple[list[ClassEnrolment], dict]:
    """Trainees of the class and their attendance: ``{(person id, date): present}``. Two queries."""
    trainees = list(training_class.class_enrolments.select_related("person", "enterprise", "enrolment")
                    .order_by("enterprise__name", "person__real_name", "pk"))
    marks = {(a.person_id, a.date): a.present
             for a in ClassAttendance.objects.filter(training_class=training_class)}
    return trainees, marks


# ---------------------------------------------------------------- training banks

BANK_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}$")


@transaction.atomic
def training_bank_create(*, actor, institution: Organization, code: str, name: str, description: str = "",
                         operation_item=None) -> QuestionBank:
    """A new training (practice) bank owned by the institution. Institutions never own testing banks."""
    _require_instructor(actor, institution)
    code = (code or "").strip().lower()
    errors = {}
    if not BANK_CODE.match(code):
        errors["code"] = _("题库代码只能用小写字母、数字和连字符，2至39个字符。")
    elif QuestionBank.objects.filter(code=code).exists():
        errors["code"] = _("题库代码“%(c)s”已被使用。") % {"c": code}
    if not (name or "").strip():
        errors["name"] = _("请填写题库名称。")
    if errors:
        raise ValidationError(errors)
    bank = QuestionBank.objects.create(code=code, name=name.strip(), kind=QuestionBank.Kind.TRAINING,
                                       owner=institution, description=description or "",
                                       operation_item=operation_item)
    audit_record(actor=actor, action="training_bank.create", target=bank,
                 after={"code": code, "owner": institution.pk, "kind": "training"})
    return bank


# ---------------------------------------------------------------- courses and lessons

COURSE_FIELDS = ("title", "summary", "kind", "audience", "required_hours", "minutes_per_hour", "renewal_months")


@transaction.atomic
def course_save(*, actor, institution: Organization, course: Course | None = None, code: str = "",
                practice_banks=None, **values) -> Course:
    """Create (unpublished) or edit one of the institution's courses. Practice banks: the
    institution's own training banks only."""
    _require_instructor(actor, institution)
    if practice_banks is not None and any(
            b.kind != QuestionBank.Kind.TRAINING or b.owner_id != institution.pk for b in practice_banks):
        raise ValidationError({"practice_banks": _("只能选择本机构的培训练习题库。")})
    if course is not None and course.provider_id != institution.pk:
        raise PermissionDenied(_("只能修改本机构的课程。"))
    before = {f: getattr(course, f) for f in COURSE_FIELDS} if course else None
    if course is None:
        code = (code or "").strip().lower()
        if Course.objects.filter(code=code).exists():
            raise ValidationError({"code": _("课程代码“%(c)s”已被使用。") % {"c": code}})
        course = Course(code=code, provider=institution, is_published=False)
    for f in COURSE_FIELDS:
        if f in values:
            setattr(course, f, values[f])
    course.full_clean()
    course.save()
    if practice_banks is not None:  # banks of others (linked by the platform) stay as they are
        others = list(course.practice_banks.exclude(owner=institution))
        course.practice_banks.set([*others, *practice_banks])
    audit_record(actor=actor, action="course.save", target=course, before=before,
                 after={f: getattr(course, f) for f in COURSE_FIELDS} | {"code": course.code})
    return course


@transaction.atomic
def course_set_published(*, actor, course: Course, published: bool) -> Course:
    if course.provider is None:
        raise PermissionDenied(_("只能修改本机构的课程。"))
    _require_instructor(actor, course.provider)
    if published and not course.lessons.exists():
        raise ValidationError(_("课程还没有课时，不能发布。"))
    if course.is_published != published:
        course.is_published = published
        course.save(update_fields=["is_published"])
        audit_record(actor=actor, action="course.publish" if published else "course.unpublish", target=course,
                     before={"is_published": not published}, after={"is_published": published})
    return course


def text_to_html(text: str) -> str:
    """Plain text typed by an instructor → paragraphs (escaped)."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n")) if p.strip()]
    return "".join("<p>{}</p>".format(escape(p).replace("\n", "<br>")) for p in paragraphs)


def html_to_text(html: str) -> str:
    text = re.sub(r"<br\s*/?>", "\n", html or "")
    text = re.sub(r"</p>\s*", "\n\n", text)
    return strip_tags(text).strip()


VIDEO_EXTENSIONS = (".mp4", ".webm", ".m4v")
VIDEO_MAX_BYTES = 500 * 1024 * 1024


@transaction.atomic
def lesson_save(*, actor, course: Course, lesson: Lesson | None = None, title: str, body_text: str = "",
                min_minutes: int, video_url: str = "", video=None) -> Lesson:
    if course.provider is None:
        raise PermissionDenied(_("只能修改本机构的课程。"))
    _require_instructor(actor, course.provider)
    if lesson is not None and lesson.course_id != course.pk:
        raise PermissionDenied(_("只能修改本课程的课时。"))
    if video is not None:
        if not video.name.lower().endswith(VIDEO_EXTENSIONS):
            raise ValidationError({"video": _("视频文件须为 mp4、webm 或 m4v 格式。")})
        if video.size > VIDEO_MAX_BYTES:
            raise ValidationError({"video": _("视频文件不能超过500MB。")})
    before = {"title": lesson.title, "min_minutes": lesson.min_minutes} if lesson else None
    if lesson is None:
        last = course.lessons.aggregate(m=Max("sort_order"))["m"]
        lesson = Lesson(course=course, sort_order=(last or 0) + 1)
    lesson.title = title
    lesson.body = text_to_html(body_text)
    lesson.min_minutes = min_minutes
    lesson.video_url = video_url or ""
    if video is not None:
        lesson.video = video
    lesson.full_clean(exclude=["course"])
    lesson.save()
    audit_record(actor=actor, action="lesson.save", target=lesson, before=before,
                 after={"course": course.code, "title": title, "min_minutes": min_minutes})
    return lesson


@transaction.atomic
def lesson_move(*, actor, lesson: Lesson, up: bool) -> None:
    """Swap a lesson with its neighbour (renumbering the course's lessons 1, 2, 3 …)."""
    course = lesson.course
    if course.provider is None:
        raise PermissionDenied(_("只能修改本机构的课程。"))
    _require_instructor(actor, course.provider)
    lessons = list(course.lessons.order_by("sort_order", "pk"))
    i = next(i for i, item in enumerate(lessons) if item.pk == lesson.pk)
    j = i - 1 if up else i + 1
    if 0 <= j < len(lessons):
        lessons[i], lessons[j] = lessons[j], lessons[i]
    for n, item in enumerate(lessons, start=1):
        if item.sort_order != n:
            item.sort_order = n
            item.save(update_fields=["sort_order"])
    audit_record(actor=actor, action="lesson.move", target=lesson, after={"order": [item.pk for item in lessons]})


# ---------------------------------------------------------------- enterprise ↔ institution

@transaction.atomic
def provider_choose(*, actor, enterprise: Organization, institution: Organization) -> TrainingProvider:
    if enterprise.kind != OrgKind.ENTERPRISE or not (
            actor.is_superuser or has_role(actor, Role.ENT_ADMIN, Role.PRINCIPAL, organization=enterprise)):
        raise PermissionDenied(_("只有本企业的企业管理员或主要负责人可以选择培训机构。"))
    if institution.kind != OrgKind.TRAINING or not institution.is_active:
        raise ValidationError({"institution": _("请选择一家在册的培训机构。")})
    existing = TrainingProvider.objects.filter(enterprise=enterprise, institution=institution,
                                               until__isnull=True).first()
    if existing is not None:
        raise ValidationError({"institution": _("已选择该培训机构。")})
    link = TrainingProvider.objects.create(enterprise=enterprise, institution=institution, chosen_by=actor)
    audit_record(actor=actor, action="training_provider.choose", target=link,
                 after={"enterprise": enterprise.pk, "institution": institution.pk})
    return link


@transaction.atomic
def provider_end(*, actor, link: TrainingProvider) -> TrainingProvider:
    """End a choice today. People already in classes stay in them; no new enrolments."""
    if not (actor.is_superuser or has_role(actor, Role.ENT_ADMIN, Role.PRINCIPAL, organization=link.enterprise_id)):
        raise PermissionDenied(_("只有本企业的企业管理员或主要负责人可以选择培训机构。"))
    if link.until is None:
        today = timezone.localdate()
        link.until = max(today, link.since)
        link.save(update_fields=["until"])
        audit_record(actor=actor, action="training_provider.end", target=link, after={"until": link.until})
    return link


# ---------------------------------------------------------------- classes

@transaction.atomic
def class_create(*, actor, institution: Organization, course: Course, name: str, start_date: dt.date,
                 end_date: dt.date, location: str = "") -> TrainingClass:
    _require_instructor(actor, institution)
    if course.provider_id != institution.pk:
        raise ValidationError({"course": _("只能为本机构的课程开班。")})
    cls = TrainingClass(institution=institution, course=course, name=name, location=location,
                        start_date=start_date, end_date=end_date, created_by=actor)
    if start_date and end_date and end_date < start_date:
        raise ValidationError({"end_date": _("结业日期不能早于开班日期。")})
    cls.full_clean()
    cls.save()
    audit_record(actor=actor, action="training_class.create", target=cls,
                 after={"course": course.code, "start": start_date, "end": end_date})
    return cls


@dataclass
class EnrolReport:
    enrolled: list[ClassEnrolment] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _person_by_identifier(value: str) -> User | None:
    value = value.strip()
    if not value:
        return None
    qs = User.objects.filter(is_active=True)
    person = qs.filter(username=value).first()
    if person is None and len(value) == 18:
        person = User.objects.by_id_number(value.upper()).filter(is_active=True).first()
    if person is None and value.isdigit():
        person = qs.filter(phone=value).first()
    return person


def _employer_choosing(person: User, institution: Organization) -> Organization | None:
    """The person's enterprise that currently chose the institution, if any."""
    enterprise_ids = TrainingProvider.objects.filter(current_q(), institution=institution).values("enterprise_id")
    m = (Membership.objects.filter(user=person, is_active=True, organization__is_active=True,
                                   organization_id__in=enterprise_ids)
         .select_related("organization").order_by("organization__name").first())
    return m.organization if m else None


@transaction.atomic
def class_enrol(*, actor, training_class: TrainingClass, people: list[User] = (),
                identifiers: list[str] = ()) -> EnrolReport:
    """Enrol trainees, all or nothing: each must belong to an enterprise that currently chose the
    institution. Each gets (or keeps) the normal course enrolment, due on the class's last day."""
    from .services import _cycle_for

    _require_instructor(actor, training_class.institution)
    report = EnrolReport()
    wanted: list[tuple[str, User]] = [(p.display_name, p) for p in people]
    for line in identifiers:
        if not line.strip():
            continue
        person = _person_by_identifier(line)
        if person is None:
            report.errors.append(_("“%(v)s”：找不到该账号、手机号或身份证号对应的人员。") % {"v": line.strip()})
        else:
            wanted.append((line.strip(), person))
    already = set(ClassEnrolment.objects.filter(training_class=training_class).values_list("person_id", flat=True))
    resolved: list[tuple[User, Organization]] = []
    seen: set[int] = set()
    for label, person in wanted:
        if person.pk in already or person.pk in seen:
            continue
        enterprise = _employer_choosing(person, training_class.institution)
        if enterprise is None:
            report.errors.append(_("%(p)s：所在企业未选择本机构为培训机构，不能报名。") % {"p": person.display_name})
            continue
        seen.add(person.pk)
        resolved.append((person, enterprise))
    if report.errors:
        return report
    course = training_class.course
    cycle = _cycle_for(course, training_class.end_date)
    for person, enterprise in resolved:
        enrolment, created = Enrolment.objects.get_or_create(
            user=person, course=course, cycle=cycle, defaults={"due_date": training_class.end_date})
        if not created and enrolment.status == Enrolment.Status.WITHDRAWN:
            enrolment.status = Enrolment.Status.ACTIVE
            enrolment.due_date = training_class.end_date
            enrolment.save(update_fields=["status", "due_date"])
        report.enrolled.append(ClassEnrolment.objects.create(
            training_class=training_class, person=person, enterprise=enterprise, enrolment=enrolment,
            enrolled_by=actor))
    if report.enrolled:
        audit_record(actor=actor, action="training_class.enrol", target=training_class,
                     after={"people": [ce.person_id for ce in report.enrolled]})
    return report


@transaction.atomic
def attendance_record(*, actor, training_class: TrainingClass, date: dt.date, present_ids) -> int:
    """The attendance of one class day for every trainee: present if listed, absent otherwise."""
    _require_instructor(actor, training_class.institution)
    if not (training_class.start_date <= date <= training_class.end_date):
        raise ValidationError(_("考勤日期须在开班日期与结业日期之间。"))
    present_ids = {int(p) for p in present_ids}
    trainee_ids = list(training_class.class_enrolments.values_list("person_id", flat=True))
    unknown = present_ids - set(trainee_ids)
    if unknown:
        raise ValidationError(_("考勤名单中有不属于本班的人员。"))
    n = 0
    for pid in trainee_ids:
        present = pid in present_ids
        ClassAttendance.objects.update_or_create(
            training_class=training_class, person_id=pid, date=date,
            defaults={"present": present, "recorded_by": actor})
        n += present
    audit_record(actor=actor, action="training_class.attendance", target=training_class,
                 after={"date": date, "present": n, "trainees": len(trainee_ids)})
    return n


__all__ = [
    "institutions_of", "is_instructor_of", "enterprises_choosing_for", "enterprises_viewable_by",
    "institution_banks", "institution_courses", "institution_classes", "client_links", "provider_links",
    "has_chosen", "available_institutions", "enterprise_class_rows", "class_enterprises", "class_candidates", "class_sheet",
    "training_bank_create", "course_save", "course_set_published", "lesson_save", "lesson_move",
    "provider_choose", "provider_end", "class_create", "class_enrol", "attendance_record",
    "EnrolReport",
]
