import datetime as dt
from decimal import Decimal

import factory

from courses.models import Course, Lesson, TrainingRecord
from tests.factories import UserFactory


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"测试课程{n}")
    required_hours = Decimal("2")


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"第{n}课")
    sort_order = factory.Sequence(lambda n: n)
    min_minutes = 2


class TrainingRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingRecord

    person = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    hours = Decimal("8")
    start_date = dt.date(2026, 3, 1)
    end_date = dt.date(2026, 3, 2)
    source = TrainingRecord.Source.ONLINE
