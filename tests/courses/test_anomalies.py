"""Anomalies in online study for the bureau: two devices, unbroken hours, failed checks, lessons
finished faster than their content; per training institution and per enterprise."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import OrgKind
from accounts.roles import Role
from courses.anomalies import flags_for
from courses.models import LessonProgress, StudyCheck, StudyInterval
from tests.courses.helpers import bureau, enrolled_course, enterprise
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _iv(user, lesson, token, start, minutes, ua="UA-1", ip="10.0.0.1", credited=True):
    return StudyInterval.objects.create(user=user, lesson=lesson, token=token, day=timezone.localdate(start),
                                        started_at=start, ended_at=start + dt.timedelta(minutes=minutes),
                                        seconds=minutes * 60, credited=credited, ip=ip, user_agent=ua)


@pytest.fixture
def world():
    t0 = timezone.now().replace(day=2, hour=1, minute=0, second=0, microsecond=0)
    org = enterprise()
    provider = OrganizationFactory(kind=OrgKind.TRAINING, credit_code=None, name="某培训机构")
    honest, cheat = UserFactory(real_name="老实人"), UserFactory(real_name="可疑人")
    for u in (honest, cheat):
        MembershipFactory(user=u, organization=org, role=Role.WORKER)
    _c, (lesson, second), _e = enrolled_course(cheat, lessons=(60, 30), provider=provider)
    from courses.models import Enrolment

    Enrolment.objects.create(user=honest, course=lesson.course)
    _iv(honest, lesson, "h1", t0, 50)
    _iv(honest, lesson, "h2", t0 + dt.timedelta(hours=5), 20, ua="UA-2")  # another device, hours later: fine
    _iv(cheat, lesson, "c1", t0, 20)
    _iv(cheat, lesson, "c2", t0 + dt.timedelta(minutes=21), 10, ua="UA-phone", ip="10.9.9.9")  # taken over
    _iv(cheat, second, "c3", t0 + dt.timedelta(hours=1), 240)  # four hours without a pause
    LessonProgress.objects.create(user=cheat, lesson=lesson, seconds=3600,
                                  completed_at=t0 + dt.timedelta(minutes=31))  # 60 minutes in 31
    StudyCheck.objects.create(user=cheat, lesson=lesson, token="c1", taken_at=t0 + dt.timedelta(minutes=5),
                              still="x.jpg", outcome="no_match", status="failed")
    return {"t0": t0, "org": org, "provider": provider, "honest": honest, "cheat": cheat}


def test_flags(world):
    t0 = world["t0"]
    flags = flags_for([world["honest"].pk, world["cheat"].pk], since=t0 - dt.timedelta(days=1),
                      until=t0 + dt.timedelta(days=1))
    assert dict(flags[world["cheat"].pk].flags) == {"two_devices": 1, "uninterrupted": 1, "too_fast": 1,
                                                   "failed_checks": 1}
    assert flags[world["honest"].pk].total == 0
    assert flags[world["cheat"].pk].providers == {world["provider"].pk}


def test_bureau_page_per_institution_and_enterprise(client, world, django_assert_max_num_queries):
    staff = UserFactory()
    MembershipFactory(user=staff, organization=bureau(), role=Role.BUREAU_ANALYST)
    client.force_login(staff)
    month = world["t0"].strftime("%Y-%m")
    with django_assert_max_num_queries(20):
        page = client.get(reverse("courses:anomalies"), {"month": month}).content.decode()
    assert "某培训机构" in page and world["org"].name in page
    assert "可疑人" in page and "老实人" not in page  # only flagged people are listed
    assert reverse("courses:person_trail", args=[world["cheat"].pk]) in page
    assert "50%" in page  # one of two learners flagged
    client.force_login(world["honest"])
    assert client.get(reverse("courses:anomalies")).status_code == 404


def test_evidence_marks_an_institution_for_inspection_by_the_thresholds(client, world, django_assert_max_num_queries):
    from decimal import Decimal

    from courses.models import InspectionThreshold

    staff = UserFactory()
    MembershipFactory(user=staff, organization=bureau(), role=Role.BUREAU_ANALYST)
    client.force_login(staff)
    month = world["t0"].strftime("%Y-%m")
    page = client.get(reverse("courses:evidence"), {"month": month}).content.decode()
    assert "某培训机构" in page and 'data-inspect="1"' not in page  # no thresholds: nothing marked
    # learners 2, credited hours (50+20+20+10+240 minutes at 45) = 7.6, 1 of 1 check failed, 50% flagged
    assert "7.6" in page and "1 / 1" in page and "50.0%" in page
    InspectionThreshold.objects.create(effective_from=world["t0"].date().replace(day=1) - dt.timedelta(days=40),
                                       max_anomaly_rate=Decimal("60"), max_check_failure_rate=Decimal("20"))
    with django_assert_max_num_queries(30):
        page = client.get(reverse("courses:evidence"), {"month": month}).content.decode()
    assert 'data-inspect="1"' in page and "人脸核验未通过比例超过上限" in page
    assert "异常学员比例超过上限" not in page  # 50% is within 60%
    other = (world["t0"] - dt.timedelta(days=62)).strftime("%Y-%m")
    assert "本月没有在线学习记录" in client.get(reverse("courses:evidence"), {"month": other}).content.decode()
