"""Completion needs every lesson's time and the practice threshold; practice only from training banks;
offline attendance imports are all-or-nothing and count like online training."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from openpyxl import Workbook

from accounts.roles import OrgKind, Role
from courses import services
from courses.models import Enrolment, LessonProgress, OfflineAttendance, OfflineSession, TrainingRecord
from courses.selectors import enrolment_status, has_completed_course, refresher_hours
from exams.models import PracticeRecord, QuestionBank
from tests.courses.factories import CourseFactory
from tests.courses.helpers import enrolled_course, enterprise
from tests.exams.conftest import add_questions
from tests.factories import OrganizationFactory, UserFactory, id_number_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def banks(db):
    training_org = OrganizationFactory(kind=OrgKind.TRAINING, credit_code=None)
    centre = OrganizationFactory(kind=OrgKind.EXAM_CENTRE, credit_code=None)
    training = QuestionBank.objects.create(code="c-train", name="练习", kind="training", owner=training_org)
    testing = QuestionBank.objects.create(code="c-test", name="考试", kind="testing", owner=centre)
    add_questions(training, 10)
    add_questions(testing, 10)
    return training, testing


def test_testing_bank_can_never_be_a_practice_bank(banks):
    training, testing = banks
    course = CourseFactory()
    course.practice_banks.add(training)
    other = CourseFactory()
    with pytest.raises(ValidationError), transaction.atomic():
        course.practice_banks.add(testing)
    with pytest.raises(ValidationError), transaction.atomic():
        testing.courses.add(other)
    assert not other.practice_banks.exists()
    assert list(course.practice_banks.all()) == [training]


def test_testing_bank_never_shown_even_if_it_slipped_in(banks, client):
    training, testing = banks
    user = UserFactory()
    course, _ls, _e = enrolled_course(user)
    course.practice_banks.through.objects.create(course=course, questionbank=testing)  # bypasses the guard
    client.force_login(user)
    html = client.get(course.get_absolute_url()).content.decode()
    assert reverse("exams:practice_bank", kwargs={"code": "c-test"}) not in html


def test_completion_waits_for_the_practice_threshold(banks, client):
    training, _testing = banks
    user = UserFactory()
    course, lessons, enrolment = enrolled_course(user, lessons=(1, 1), practice_min_answered=5,
                                                 practice_min_rate=Decimal("60"))
    course.practice_banks.add(training)
    for lesson in lessons:
        LessonProgress.objects.create(user=user, lesson=lesson, seconds=lesson.min_seconds)
    status = enrolment_status(enrolment)
    assert status.time_met and not status.practice_ok and not status.complete
    assert services.enrolment_try_complete(enrolment=enrolment) is None
    client.force_login(user)
    html = client.get(course.get_absolute_url()).content.decode()
    assert reverse("exams:practice_bank", kwargs={"code": "c-train"}) in html
    questions = list(training.questions.all()[:5])
    for i, q in enumerate(questions):  # 4 of 5 right = 80 %
        PracticeRecord.objects.create(user=user, question=q, bank=training, last_correct=i != 0, times=1)
    status = enrolment_status(enrolment)
    assert status.practice == {"answered": 5, "correct": 4, "rate": Decimal("80.0"), "ok": True}
    r = client.post(reverse("courses:finish", args=[course.code]))
    assert r.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.COMPLETED
    assert has_completed_course(user, course.code)


def test_lesson_time_alone_is_not_enough_when_a_lesson_is_missing():
    user = UserFactory()
    course, (l1, _l2), enrolment = enrolled_course(user, lessons=(1, 1))
    LessonProgress.objects.create(user=user, lesson=l1, seconds=10_000)
    status = enrolment_status(enrolment)
    assert status.lessons_done == 1 and not status.complete and status.next_lesson == _l2
    assert status.percent == 50


# ---------------------------------------------------------------- offline training

def xlsx(rows, header=("姓名", "身份证号", "出勤", "学时", "备注")):
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "签到表.xlsx"
    return buf


@pytest.fixture
def offline(make_member):
    provider = OrganizationFactory(kind=OrgKind.TRAINING, credit_code=None)
    trainer = make_member(Role.INSTRUCTOR, provider)
    org = enterprise()
    a = make_member(Role.WORKER, org, real_name="张三", id_number=id_number_for(11))
    b = make_member(Role.WORKER, org, real_name="李四", id_number=id_number_for(12))
    course = CourseFactory(code="weld-refresh")
    Enrolment.objects.create(user=a, course=course)
    session = services.offline_session_create(
        actor=trainer, provider=provider, course=course, title="复审班", location="教室",
        start_date=dt.date(2026, 9, 14), end_date=dt.date(2026, 9, 15), hours=Decimal("8"))
    return {"trainer": trainer, "a": a, "b": b, "session": session, "course": course}


def test_attendance_import_all_or_nothing(offline, client):
    client.force_login(offline["trainer"])
    url = reverse("courses:offline_session", args=[offline["session"].pk])
    bad = xlsx([
        ("张三", id_number_for(11), "是", 8, ""),
        ("王五", "110101198503071234", "是", 8, ""),  # bad check digit
        ("李四", id_number_for(12), "也许", 9, ""),    # bad flag, too many hours
        ("张三", id_number_for(11), "是", 8, ""),      # duplicate
    ])
    r = client.post(url, {"file": bad})
    assert r.status_code == 200
    html = r.content.decode()
    assert "未导入任何数据" in html and "身份证号码校验位错误" in html and "与第2行重复" in html and "出勤应填" in html
    assert OfflineAttendance.objects.count() == 0 and TrainingRecord.objects.count() == 0

    good = xlsx([("张三", id_number_for(11), "是", None, ""), ("李四", id_number_for(12), "否", None, "病假")])
    r = client.post(url, {"file": good})
    assert r.status_code == 302
    assert OfflineAttendance.objects.filter(session=offline["session"]).count() == 2
    rec = TrainingRecord.objects.get()
    assert (rec.person, rec.hours, rec.source) == (offline["a"], Decimal("8.0"), "offline")
    # counted the same way as online training
    assert has_completed_course(offline["a"], "weld-refresh") and not has_completed_course(offline["b"], "weld-refresh")
    assert refresher_hours(offline["a"], dt.date(2026, 1, 1)) == Decimal("8")
    assert Enrolment.objects.get(user=offline["a"]).status == Enrolment.Status.COMPLETED
    # importing the same sheet again changes nothing
    client.post(url, {"file": xlsx([("张三", id_number_for(11), "是", None, "")])})
    assert TrainingRecord.objects.count() == 1


def test_import_rejects_wrong_name_unknown_person_and_bad_files(offline, client):
    client.force_login(offline["trainer"])
    url = reverse("courses:offline_session", args=[offline["session"].pk])
    html = client.post(url, {"file": xlsx([("李四", id_number_for(11), "是", 8, ""),
                                           ("赵六", id_number_for(99), "是", 8, "")])}).content.decode()
    assert "姓名与身份证号不符" in html and "平台上没有该身份证号的人员" in html
    html = client.post(url, {"file": xlsx([("x", "y")], header=("甲", "乙"))}).content.decode()
    assert "表头应为" in html
    garbage = io.BytesIO(b"not a workbook")
    garbage.name = "x.xlsx"
    assert "不是有效的 Excel" in client.post(url, {"file": garbage}).content.decode()
    assert OfflineAttendance.objects.count() == 0


def test_only_instructors_of_the_provider_record_offline_training(offline, make_member, client):
    outsider = make_member(Role.INSTRUCTOR)
    client.force_login(outsider)
    assert client.get(reverse("courses:offline_session", args=[offline["session"].pk])).status_code == 404
    with pytest.raises(Exception):
        services.offline_session_create(actor=outsider, provider=offline["session"].provider,
                                        course=offline["course"], title="x", location="", start_date=dt.date(2026, 1, 1),
                                        end_date=dt.date(2026, 1, 1), hours=Decimal("1"))
    assert OfflineSession.objects.count() == 1


def test_back_office_offers_only_training_banks(banks, client):
    training, testing = banks
    admin = UserFactory(is_superuser=True, is_staff=True)
    course = CourseFactory()
    client.force_login(admin)
    html = client.get(f"/admin/snippets/courses/course/edit/{course.pk}/").content.decode()
    assert "c-train" in html and "c-test" not in html
