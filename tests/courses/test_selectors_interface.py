import datetime as dt
from decimal import Decimal

import pytest

from catalogue.models import RuleVersion, StudyHourRequirement
from courses.models import TrainingRecord
from courses.selectors import has_completed_course, refresher_hours
from tests.courses.factories import CourseFactory, TrainingRecordFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_has_completed_course_by_code_only_for_that_person():
    course = CourseFactory(code="dust-major-hazard")
    person, other = UserFactory(), UserFactory()
    assert has_completed_course(person, "dust-major-hazard") is False
    TrainingRecordFactory(person=person, course=course)
    assert has_completed_course(person, "dust-major-hazard") is True
    assert has_completed_course(other, "dust-major-hazard") is False
    assert has_completed_course(person, "no-such-course") is False


def test_refresher_hours_sums_online_and_offline_since_date():
    person = UserFactory()
    TrainingRecordFactory(person=person, hours=Decimal("4"), start_date=dt.date(2025, 1, 1),
                          end_date=dt.date(2025, 1, 2))
    TrainingRecordFactory(person=person, hours=Decimal("6"), end_date=dt.date(2026, 3, 2))
    TrainingRecordFactory(person=person, hours=Decimal("2.5"), source=TrainingRecord.Source.OFFLINE,
                          start_date=dt.date(2026, 5, 1), end_date=dt.date(2026, 5, 1))
    TrainingRecordFactory(hours=Decimal("40"))  # someone else
    assert refresher_hours(person, dt.date(2026, 1, 1)) == Decimal("8.5")
    assert refresher_hours(person, dt.date(2024, 1, 1)) == Decimal("12.5")
    assert refresher_hours(person, dt.date(2027, 1, 1)) == Decimal("0")


def test_default_requirements_are_versioned_data():
    first = StudyHourRequirement.in_force(population="manager", kind="initial", high_risk=False,
                                          on=dt.date(2026, 1, 1))
    assert first.hours == Decimal("32") and first.minutes_per_hour == 45
    # the free-text version of the 2015 rules became a training rule version of its own
    assert first.rule_version.scope == RuleVersion.Scope.TRAINING
    assert first.rule_version.name == "生产经营单位安全培训规定（2015修正）"
    assert first.rule_version.effective_from == dt.date(2015, 7, 1)
    # ... which the special-operation catalogue never takes for the version in force
    assert RuleVersion.in_force(dt.date(2026, 1, 1)).code == "2010"
    assert StudyHourRequirement.in_force(population="manager", kind="refresher", high_risk=True,
                                         on=dt.date(2026, 1, 1)).hours == Decimal("16")
    assert StudyHourRequirement.in_force(population="new_worker", kind="initial", high_risk=True,
                                         on=dt.date(2026, 1, 1)).hours == Decimal("72")
    # a newer version takes over from its effective date, the old row stays for old records
    new_rules = RuleVersion.objects.create(scope=RuleVersion.Scope.TRAINING, code="training-2027", name="新规（示例）",
                                           effective_from=dt.date(2027, 1, 1))
    StudyHourRequirement.objects.create(rule_version=new_rules, population="manager", kind="initial", high_risk=False,
                                        hours=Decimal("40"), effective_from=dt.date(2027, 1, 1))
    assert StudyHourRequirement.in_force(population="manager", kind="initial", high_risk=False,
                                         on=dt.date(2026, 12, 31)).hours == Decimal("32")
    assert StudyHourRequirement.in_force(population="manager", kind="initial", high_risk=False,
                                         on=dt.date(2027, 1, 1)).hours == Decimal("40")
