"""What courses answers for exams: the eligibility checks (required course, study hours before the
exam) and the list of courses a session may require. Exams imports nothing from courses."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from catalogue.models import CertificateKind, OperationItem, Population, RuleVersion, StudyHourRequirement, TrainingKind
from courses import selectors
from exams import eligibility
from tests.courses.factories import CourseFactory, TrainingRecordFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _session(family, item=None, starts=None):
    return SimpleNamespace(certificate_kind=SimpleNamespace(family=family), operation_item_id=getattr(item, "pk", None),
                           operation_item=item, starts_at=starts or timezone.now(), required_course_code="",
                           require_identity_verified=False)


def test_courses_registers_its_answers_with_exams():
    assert eligibility._CHECKS[eligibility.REQUIRED_COURSE] is selectors.required_course_problems
    assert eligibility._CHECKS[eligibility.STUDY_HOURS] is selectors.study_hours_problems
    CourseFactory(code="b-course", title="乙课程")
    CourseFactory(code="a-course", title="甲课程")
    CourseFactory(code="hidden", title="未发布", is_published=False)
    assert eligibility.course_choices() == [("a-course", "甲课程（a-course）"), ("b-course", "乙课程（b-course）")]


def test_no_hours_check_for_a_training_certificate_or_without_a_figure():
    person = UserFactory()
    assert selectors.study_hours_problems(_session(CertificateKind.Family.TRAINING), person) == []
    # no initial figure for special operators is shipped
    assert selectors.exam_training_requirement(_session(CertificateKind.Family.SPECIAL_OPERATION), person) is None
    assert selectors.study_hours_problems(_session(CertificateKind.Family.SPECIAL_OPERATION), person) == []


def test_credited_hours_count_the_matching_training_until_the_exam_day():
    person = UserFactory()
    manager = StudyHourRequirement.in_force(population=Population.MANAGER, kind=TrainingKind.INITIAL, high_risk=False)
    refresher = StudyHourRequirement.in_force(population=Population.MANAGER, kind=TrainingKind.REFRESHER,
                                              high_risk=False)
    TrainingRecordFactory(person=person, course=CourseFactory(requirement=manager), hours=Decimal("20"))
    TrainingRecordFactory(person=person, course=CourseFactory(), requirement=manager, hours=Decimal("10"))
    TrainingRecordFactory(person=person, course=CourseFactory(requirement=refresher), hours=Decimal("12"))  # other kind
    TrainingRecordFactory(person=person, course=CourseFactory(), hours=Decimal("5"))  # no requirement
    TrainingRecordFactory(person=person, course=CourseFactory(requirement=manager), hours=Decimal("9"),
                          start_date=dt.date(2026, 6, 1), end_date=dt.date(2026, 6, 2))
    TrainingRecordFactory(course=CourseFactory(requirement=manager), hours=Decimal("40"))  # someone else
    assert selectors.credited_hours_for(person, manager, until=dt.date(2026, 5, 1)) == Decimal("30")
    assert selectors.credited_hours_for(person, manager, until=dt.date(2026, 6, 2)) == Decimal("39")

    session = _session(CertificateKind.Family.MANAGEMENT, starts=timezone.make_aware(dt.datetime(2026, 5, 1, 9)))
    problems = selectors.study_hours_problems(session, person)
    assert len(problems) == 1 and "32" in problems[0] and "已完成 30 学时" in problems[0]
    later = _session(CertificateKind.Family.MANAGEMENT, starts=timezone.make_aware(dt.datetime(2026, 6, 3, 9)))
    assert selectors.study_hours_problems(later, person) == []


def test_item_row_wins_over_the_general_row():
    version = RuleVersion.objects.get(code="training-2015")
    item = OperationItem.objects.get(code="elec-lv")
    general = StudyHourRequirement.objects.create(rule_version=version, population=Population.SPECIAL_OPERATOR,
                                                  kind=TrainingKind.INITIAL, hours=Decimal("30"),
                                                  effective_from=dt.date(2020, 1, 1))
    for_item = StudyHourRequirement.objects.create(rule_version=version, population=Population.SPECIAL_OPERATOR,
                                                   kind=TrainingKind.INITIAL, hours=Decimal("12"),
                                                   effective_from=dt.date(2020, 1, 1), operation_item=item)
    person = UserFactory()
    assert selectors.exam_training_requirement(_session(CertificateKind.Family.SPECIAL_OPERATION, item), person) == for_item
    assert selectors.exam_training_requirement(_session(CertificateKind.Family.SPECIAL_OPERATION), person) == general
