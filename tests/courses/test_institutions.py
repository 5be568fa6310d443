"""Training institutions: their training banks, courses and lessons, the enterprises that chose them,
classes with enrolment and attendance — and never any testing material."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.roles import OrgKind, Role
from core.models import AuditLog
from courses import institutions as inst
from courses import selectors
from courses.models import (
    ClassAttendance,
    ClassEnrolment,
    Course,
    Enrolment,
    TrainingClass,
    TrainingProvider,
)
from exams.models import QuestionBank
from tests.courses.factories import CourseFactory, LessonFactory
from tests.factories import MembershipFactory, OrganizationFactory, id_number_for

TODAY = dt.date.today()


@pytest.fixture
def institution(db):
    return OrganizationFactory(kind=OrgKind.TRAINING, name="测试安全培训学校", credit_code=None)


@pytest.fixture
def instructor(make_member, institution):
    return make_member(Role.INSTRUCTOR, org=institution)


@pytest.fixture
def enterprise(db):
    return OrganizationFactory(name="测试委托企业有限公司")


@pytest.fixture
def ent_admin(make_member, enterprise):
    return make_member(Role.ENT_ADMIN, org=enterprise)


@pytest.fixture
def worker(make_member, enterprise):
    return make_member(Role.WORKER, org=enterprise, real_name="张工人", username="zhang-worker",
                       id_number=id_number_for(77))


@pytest.fixture
def outsider(make_member):
    """A worker of an enterprise that never chose the institution."""
    return make_member(Role.WORKER, org=OrganizationFactory(name="未委托企业有限公司"), real_name="李外人",
                       username="li-outsider")


@pytest.fixture
def course(institution):
    c = CourseFactory(code="inst-course", title="机构安全培训课程", provider=institution, is_published=True)
    LessonFactory(course=c, title="第一课")
    return c


@pytest.fixture
def chosen(enterprise, institution, ent_admin):
    return inst.provider_choose(actor=ent_admin, enterprise=enterprise, institution=institution)


@pytest.fixture
def klass(instructor, institution, course):
    return inst.class_create(actor=instructor, institution=institution, course=course, name="第一期培训班",
                             start_date=TODAY, end_date=TODAY + dt.timedelta(days=2), location="一号教室")


# ---------------------------------------------------------------- training banks

def test_instructor_creates_training_bank_and_opens_it(client, instructor, institution):
    client.force_login(instructor)
    r = client.post(reverse("courses:institution_bank_create"),
                    {"code": "inst-practice", "name": "机构练习题库", "description": ""})
    assert r.status_code == 302
    bank = QuestionBank.objects.get(code="inst-practice")
    assert bank.kind == QuestionBank.Kind.TRAINING and bank.owner == institution
    assert r["Location"] == reverse("exams:manage_bank", kwargs={"code": "inst-practice"})
    assert client.get(r["Location"]).status_code == 200
    assert AuditLog.objects.filter(action="training_bank.create").exists()
    page = client.get(reverse("courses:institution")).content.decode()
    assert "机构练习题库" in page


def test_bank_create_refuses_bad_or_taken_code(client, instructor, institution):
    client.force_login(instructor)
    r = client.post(reverse("courses:institution_bank_create"), {"code": "Bad Code!", "name": "题库"})
    assert r.status_code == 200 and "题库代码只能用小写字母" in r.content.decode()
    inst.training_bank_create(actor=instructor, institution=institution, code="taken", name="甲")
    r = client.post(reverse("courses:institution_bank_create"), {"code": "taken", "name": "乙"})
    assert "已被使用" in r.content.decode()
    assert QuestionBank.objects.filter(code="taken").count() == 1


def test_other_institution_bank_is_404(client, make_member, institution, instructor):
    bank = inst.training_bank_create(actor=instructor, institution=institution, code="mine", name="本机构题库")
    stranger = make_member(Role.INSTRUCTOR)
    client.force_login(stranger)
    assert client.get(reverse("exams:manage_bank", kwargs={"code": bank.code})).status_code == 404
    with pytest.raises(PermissionDenied):
        inst.training_bank_create(actor=stranger, institution=institution, code="x-bank", name="越权")


def test_non_instructors_get_no_institution_pages(client, make_member, worker, course):
    for user in (worker, make_member(Role.ITEM_WRITER), make_member(Role.ENT_ADMIN)):
        client.force_login(user)
        for url in (reverse("courses:institution"), reverse("courses:institution_bank_create"),
                    reverse("courses:institution_course_create"), reverse("courses:institution_class_create"),
                    reverse("courses:institution_course", kwargs={"code": course.code})):
            assert client.get(url).status_code == 404, (user, url)


# ---------------------------------------------------------------- courses and lessons

def test_course_create_lessons_publish_and_learner_visibility(client, instructor, institution, worker):
    client.force_login(instructor)
    r = client.post(reverse("courses:institution_course_create"), {
        "code": "new-course", "title": "有限空间作业培训", "kind": "topic", "audience": ["worker"],
        "required_hours": "2", "minutes_per_hour": "45", "summary": "简介"})
    assert r.status_code == 302
    course = Course.objects.get(code="new-course")
    assert course.provider == institution and not course.is_published and course.audience == ["worker"]

    # unpublished: invisible to learners
    client.force_login(worker)
    assert client.get(reverse("courses:course", kwargs={"code": "new-course"})).status_code == 404
    assert course not in selectors.courses_open_to(worker)

    client.force_login(instructor)
    publish = reverse("courses:institution_course_publish", kwargs={"code": "new-course"})
    r = client.post(publish, {"publish": "1"}, follow=True)
    assert "还没有课时" in r.content.decode()
    course.refresh_from_db()
    assert not course.is_published

    add = reverse("courses:institution_lesson_add", kwargs={"code": "new-course"})
    for title in ("第一课 辨识", "第二课 审批"):
        r = client.post(add, {"title": title, "body_text": "第一段<b>\n\n第二段", "min_minutes": "30"})
        assert r.status_code == 302
    lessons = list(course.lessons.order_by("sort_order"))
    assert [lesson.title for lesson in lessons] == ["第一课 辨识", "第二课 审批"]
    assert lessons[0].body == "<p>第一段&lt;b&gt;</p><p>第二段</p>"
    client.post(reverse("courses:institution_lesson_move", kwargs={"code": "new-course", "pk": lessons[1].pk}),
                {"dir": "up"})
    assert [lesson.title for lesson in course.lessons.order_by("sort_order")] == ["第二课 审批", "第一课 辨识"]
    r = client.post(reverse("courses:institution_lesson", kwargs={"code": "new-course", "pk": lessons[0].pk}),
                    {"title": "第一课 有限空间辨识", "body_text": "改过", "min_minutes": "40"})
    assert r.status_code == 302
    lessons[0].refresh_from_db()
    assert lessons[0].title == "第一课 有限空间辨识" and lessons[0].min_minutes == 40

    r = client.post(reverse("courses:institution_course", kwargs={"code": "new-course"}), {
        "code": "ignored", "title": "有限空间作业安全培训", "kind": "topic", "required_hours": "3",
        "minutes_per_hour": "45"})
    assert r.status_code == 302
    course.refresh_from_db()
    assert course.title == "有限空间作业安全培训" and course.required_hours == Decimal("3")
    assert course.code == "new-course"

    client.post(publish, {"publish": "1"})
    course.refresh_from_db()
    assert course.is_published
    client.force_login(worker)
    assert client.get(reverse("courses:course", kwargs={"code": "new-course"})).status_code == 200

    client.force_login(instructor)
    client.post(publish, {"publish": "0"})
    client.force_login(worker)
    assert client.get(reverse("courses:course", kwargs={"code": "new-course"})).status_code == 404


def test_course_create_refuses_taken_code(client, instructor, course):
    client.force_login(instructor)
    r = client.post(reverse("courses:institution_course_create"), {
        "code": course.code, "title": "重复", "kind": "topic", "required_hours": "2", "minutes_per_hour": "45"})
    assert r.status_code == 200 and "已被使用" in r.content.decode()


def test_other_institution_cannot_touch_course(client, make_member, course):
    stranger = make_member(Role.INSTRUCTOR)
    client.force_login(stranger)
    lesson = course.lessons.first()
    assert client.get(reverse("courses:institution_course", kwargs={"code": course.code})).status_code == 404
    assert client.post(reverse("courses:institution_course_publish", kwargs={"code": course.code}),
                       {"publish": "0"}).status_code == 404
    assert client.get(reverse("courses:institution_lesson",
                              kwargs={"code": course.code, "pk": lesson.pk})).status_code == 404
    course.refresh_from_db()
    assert course.is_published
    # a platform course without an institution is no instructor's to edit
    platform = CourseFactory(code="platform-course")
    assert client.get(reverse("courses:institution_course", kwargs={"code": platform.code})).status_code == 404


# ---------------------------------------------------------------- enterprise ↔ institution

def test_enterprise_chooses_institution_and_institution_sees_it(client, ent_admin, enterprise, institution,
                                                               instructor):
    client.force_login(ent_admin)
    url = reverse("courses:enterprise_institutions")
    page = client.get(url).content.decode()
    assert "选择培训机构" in page and institution.name in page
    r = client.post(url, {"org": enterprise.pk, "institution": institution.pk})
    assert r.status_code == 302
    link = TrainingProvider.objects.get(enterprise=enterprise, institution=institution)
    assert link.until is None and inst.has_chosen(enterprise, institution)
    again = client.post(url, {"org": enterprise.pk, "institution": institution.pk})
    assert "已选择该培训机构" in again.content.decode()
    bogus = client.post(url, {"org": enterprise.pk, "institution": enterprise.pk})
    assert "请选择一家在册的培训机构" in bogus.content.decode()

    client.force_login(instructor)
    assert enterprise.name in client.get(reverse("courses:institution")).content.decode()

    client.force_login(ent_admin)
    client.post(reverse("courses:enterprise_institution_end", kwargs={"pk": link.pk}))
    link.refresh_from_db()
    assert link.until == TODAY
    assert TrainingProvider.objects.filter(enterprise=enterprise).count() == 1


def test_only_enterprise_choosers_may_choose(client, make_member, enterprise, institution, worker):
    manager = make_member(Role.SAFETY_MANAGER, org=enterprise)
    client.force_login(manager)
    url = reverse("courses:enterprise_institutions")
    assert client.get(url).status_code == 200  # sees, may not choose
    assert client.post(url, {"org": enterprise.pk, "institution": institution.pk}).status_code == 404
    client.force_login(worker)
    assert client.get(url).status_code == 404
    other_admin = make_member(Role.ENT_ADMIN)
    with pytest.raises(PermissionDenied):
        inst.provider_choose(actor=other_admin, enterprise=enterprise, institution=institution)
    assert not TrainingProvider.objects.exists()


# ---------------------------------------------------------------- classes

def test_enrolment_refused_for_enterprise_that_did_not_choose(client, instructor, klass, worker, outsider):
    client.force_login(instructor)
    url = klass.get_absolute_url()
    r = client.post(url, {"identifiers": "zhang-worker"})
    body = r.content.decode()
    assert r.status_code == 200 and "所在企业未选择本机构为培训机构，不能报名" in body
    assert not ClassEnrolment.objects.exists() and not Enrolment.objects.exists()
    r = client.post(url, {"person": [outsider.pk]})
    assert "李外人" in r.content.decode() and "不能报名" in r.content.decode()
    assert not ClassEnrolment.objects.exists()
    r = client.post(url, {"identifiers": "nobody-here"})
    assert "找不到" in r.content.decode()


def test_enrolment_after_choice_creates_course_enrolment(client, instructor, klass, worker, outsider, chosen,
                                                         enterprise):
    client.force_login(instructor)
    page = client.get(klass.get_absolute_url()).content.decode()
    assert "张工人" in page and "李外人" not in page  # only people of enterprises that chose the institution
    # all or nothing: one refused person means nobody is enrolled
    r = client.post(klass.get_absolute_url(), {"person": [worker.pk, outsider.pk]})
    assert "李外人" in r.content.decode() and not ClassEnrolment.objects.exists()
    r = client.post(klass.get_absolute_url(), {"identifiers": id_number_for(77)})
    assert r.status_code == 302
    ce = ClassEnrolment.objects.get(training_class=klass, person=worker)
    assert ce.enterprise == enterprise
    enrolment = Enrolment.objects.get(user=worker, course=klass.course)
    assert ce.enrolment == enrolment and enrolment.due_date == klass.end_date
    assert enrolment in selectors.my_enrolments(worker)  # the learner studies it the usual way
    # enrolling again changes nothing
    client.post(klass.get_absolute_url(), {"person": [worker.pk]})
    assert ClassEnrolment.objects.filter(person=worker).count() == 1


def test_enrolment_refused_once_the_choice_ended(instructor, klass, worker, chosen, ent_admin):
    inst.provider_end(actor=ent_admin, link=chosen)
    TrainingProvider.objects.filter(pk=chosen.pk).update(until=TODAY - dt.timedelta(days=1),
                                                         since=TODAY - dt.timedelta(days=5))
    report = inst.class_enrol(actor=instructor, training_class=klass, people=[worker])
    assert not report.ok and not ClassEnrolment.objects.exists()


def test_class_only_for_own_courses(instructor, institution):
    foreign = CourseFactory(code="foreign", provider=OrganizationFactory(kind=OrgKind.TRAINING, credit_code=None))
    with pytest.raises(ValidationError):
        inst.class_create(actor=instructor, institution=institution, course=foreign, name="越权班",
                          start_date=TODAY, end_date=TODAY)
    assert not TrainingClass.objects.exists()


def test_attendance_recorded(client, instructor, klass, worker, chosen, make_member, enterprise):
    second = make_member(Role.WORKER, org=enterprise, real_name="王学员")
    inst.class_enrol(actor=instructor, training_class=klass, people=[worker, second])
    client.force_login(instructor)
    url = reverse("courses:institution_class_attendance", kwargs={"pk": klass.pk})
    r = client.post(url, {"date": TODAY.isoformat(), "present": [worker.pk]})
    assert r.status_code == 302
    marks = dict(ClassAttendance.objects.filter(training_class=klass, date=TODAY).values_list("person_id", "present"))
    assert marks == {worker.pk: True, second.pk: False}
    # corrected the same day: still one row per person and day
    client.post(url, {"date": TODAY.isoformat(), "present": [worker.pk, second.pk]})
    assert ClassAttendance.objects.filter(training_class=klass, date=TODAY, present=True).count() == 2
    assert ClassAttendance.objects.count() == 2
    # outside the class dates: refused, nothing stored
    client.post(url, {"date": (TODAY + dt.timedelta(days=10)).isoformat(), "present": [worker.pk]})
    assert ClassAttendance.objects.count() == 2
    with pytest.raises(ValidationError):
        inst.attendance_record(actor=instructor, training_class=klass, date=TODAY, present_ids=[instructor.pk])
    page = client.get(klass.get_absolute_url() + f"?date={TODAY.isoformat()}").content.decode()
    assert "本日考勤已登记" in page


def test_stranger_cannot_open_or_record_class(client, make_member, klass):
    stranger = make_member(Role.INSTRUCTOR)
    client.force_login(stranger)
    assert client.get(klass.get_absolute_url()).status_code == 404
    assert client.post(reverse("courses:institution_class_attendance", kwargs={"pk": klass.pk}),
                       {"date": TODAY.isoformat()}).status_code == 404


def test_enterprise_sees_its_institution_and_classes(client, ent_admin, instructor, klass, worker, chosen,
                                                     institution):
    inst.class_enrol(actor=instructor, training_class=klass, people=[worker])
    client.force_login(ent_admin)
    page = client.get(reverse("courses:enterprise_institutions")).content.decode()
    assert institution.name in page and "委托中" in page
    assert "第一期培训班" in page and "张工人" in page


# ---------------------------------------------------------------- query counts

def test_list_pages_have_bounded_queries(client, django_assert_max_num_queries, instructor, institution, course,
                                         chosen, enterprise, ent_admin, make_member):
    people = [make_member(Role.WORKER, org=enterprise) for _ in range(6)]
    for i in range(3):
        CourseFactory(provider=institution)
        inst.training_bank_create(actor=instructor, institution=institution, code=f"bank-{i}", name=f"题库{i}")
        cls = inst.class_create(actor=instructor, institution=institution, course=course, name=f"第{i}期",
                                start_date=TODAY, end_date=TODAY + dt.timedelta(days=1))
        inst.class_enrol(actor=instructor, training_class=cls, people=people[i * 2:i * 2 + 2])
        inst.attendance_record(actor=instructor, training_class=cls, date=TODAY,
                               present_ids=[p.pk for p in people[i * 2:i * 2 + 1]])
    for _ in range(3):
        other = OrganizationFactory(kind=OrgKind.ENTERPRISE)
        MembershipFactory(organization=other, role=Role.ENT_ADMIN)
        TrainingProvider.objects.create(enterprise=other, institution=institution)
    client.force_login(instructor)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("courses:institution")).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(cls.get_absolute_url()).status_code == 200
    client.force_login(ent_admin)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("courses:enterprise_institutions")).status_code == 200


def test_navigation_entries(instructor, ent_admin, worker):
    from accounts.selectors import roles_of
    from core.navigation import items_for

    def labels(user):
        return {i["label"] for i in items_for(user, roles_of(user))}

    assert "培训机构管理" in labels(instructor) and "培训机构" not in labels(instructor)
    assert "培训机构" in labels(ent_admin) and "培训机构管理" not in labels(ent_admin)
    assert not {"培训机构", "培训机构管理"} & labels(worker)


def test_course_practice_banks_are_the_institutions_own_training_banks(client, instructor, institution, course):
    own = inst.training_bank_create(actor=instructor, institution=institution, code="own-bank", name="本机构题库")
    foreign = QuestionBank.objects.create(code="foreign-bank", name="别家题库", kind="training",
                                          owner=OrganizationFactory(kind=OrgKind.TRAINING, credit_code=None))
    testing = QuestionBank.objects.create(code="testing-bank", name="考试题库", kind="testing",
                                          owner=OrganizationFactory(kind=OrgKind.EXAM_CENTRE, credit_code=None))
    client.force_login(instructor)
    page = client.get(reverse("courses:institution_course", kwargs={"code": course.code})).content.decode()
    assert "本机构题库" in page and "别家题库" not in page and "考试题库" not in page
    data = {"title": course.title, "kind": "topic", "required_hours": "2", "minutes_per_hour": "45"}
    r = client.post(reverse("courses:institution_course", kwargs={"code": course.code}),
                    {**data, "practice_banks": [testing.pk]})
    assert r.status_code == 200 and "只能选择本机构的培训练习题库" in r.content.decode()
    assert client.post(reverse("courses:institution_course", kwargs={"code": course.code}),
                       {**data, "practice_banks": [own.pk]}).status_code == 302
    assert list(course.practice_banks.all()) == [own]
    with pytest.raises(ValidationError):
        inst.course_save(actor=instructor, institution=institution, course=course, practice_banks=[foreign])


def test_candidate_list_pages_filters_and_searches(client, django_assert_max_num_queries, instructor, klass,
                                                   chosen, enterprise, worker, make_member, institution):
    from courses.institution_views import CANDIDATES_PER_PAGE

    second = OrganizationFactory(kind=OrgKind.ENTERPRISE, name="乙化工演示公司")
    MembershipFactory(organization=second, role=Role.ENT_ADMIN)
    TrainingProvider.objects.create(enterprise=second, institution=institution)
    crowd = [make_member(Role.WORKER, org=second, real_name=f"乙工{i:03d}") for i in range(CANDIDATES_PER_PAGE + 5)]
    # a person with two roles in the enterprise is listed once
    MembershipFactory(user=crowd[0], organization=second, role=Role.SAFETY_MANAGER)
    inst.class_enrol(actor=instructor, training_class=klass, people=[crowd[1]])
    total = inst.class_candidates(klass).count()
    names = list(inst.class_candidates(klass).values_list("real_name", flat=True))
    assert len(names) == len(set(names)) == total
    assert "乙工001" not in names and "乙工000" in names and worker.real_name in names
    client.force_login(instructor)
    with django_assert_max_num_queries(16):
        page = client.get(klass.get_absolute_url()).content.decode()
    assert page.count('name="person"') == CANDIDATES_PER_PAGE and f"可报名 {total} 人" in page
    assert "第 1 / 2 页" in page
    second_page = client.get(klass.get_absolute_url() + "?page=2").content.decode()
    assert second_page.count('name="person"') == total - CANDIDATES_PER_PAGE
    # narrowed to one enterprise, then by a part of a name
    only_first = client.get(klass.get_absolute_url() + f"?ent={enterprise.pk}").content.decode()
    assert worker.real_name in only_first and "乙工000" not in only_first
    found = client.get(klass.get_absolute_url() + "?q=乙工04").content.decode()
    assert found.count('name="person"') == 10 and worker.real_name not in found
    # an enterprise that did not choose the institution is ignored as a filter, not trusted
    stranger = OrganizationFactory(kind=OrgKind.ENTERPRISE)
    MembershipFactory(organization=stranger, role=Role.WORKER)
    ignored = client.get(klass.get_absolute_url() + f"?ent={stranger.pk}").content.decode()
    assert ignored.count('name="person"') == CANDIDATES_PER_PAGE
    empty = client.get(klass.get_absolute_url() + "?q=无此人").content.decode()
    assert "没有符合筛选条件的可报名人员" in empty
