import datetime as dt

from django.utils import timezone

from accounts.models import HazardTag, Organization, Region
from accounts.roles import OrgKind
from courses.models import Enrolment
from tests.courses.factories import CourseFactory, LessonFactory
from tests.factories import OrganizationFactory

T0 = timezone.make_aware(dt.datetime(2026, 11, 23, 9, 0, 0))


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def enterprise(region="440704", tags=(), industry=None, **kw) -> Organization:
    org = OrganizationFactory(kind=OrgKind.ENTERPRISE, region=Region.objects.get(code=region), industry=industry, **kw)
    if tags:
        org.hazard_tags.set(HazardTag.objects.filter(code__in=tags))
    return org


def bureau(region="440700") -> Organization:
    return OrganizationFactory(kind=OrgKind.BUREAU, region=Region.objects.get(code=region), credit_code=None)


def enrolled_course(user, lessons=(2, 3), **course_kw):
    course = CourseFactory(**course_kw)
    ls = [LessonFactory(course=course, min_minutes=m, sort_order=i) for i, m in enumerate(lessons)]
    enrolment = Enrolment.objects.create(user=user, course=course)
    return course, ls, enrolment
