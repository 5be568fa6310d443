"""Anomalies in online study for the bureau: two devices, unbroken hours, failed checks, lessons
finished faster than their content; per training institution and per enterprise."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import OrgKind
from accounts.roles import Role
from courses.anomalies import flags_for, record_month
from courses.models import LessonProgress, StudyAnomalyMonth, StudyCheck, StudyInterval
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


def _record(world) -> int:
    return record_month(timezone.localdate(world["t0"]).replace(day=1))


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
    page = client.get(reverse("courses:anomalies"), {"month": month}).content.decode()
    assert "可疑人" not in page and "尚未统计" in page  # the page reads what the daily job recorded
    _record(world)
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
    _record(world)
    page = client.get(reverse("courses:evidence"), {"month": month}).content.decode()
    assert "某培训机构" in page and 'data-inspect="1"' not in page  # no thresholds: nothing marked
    # learners 2, credited hours (50+20+20+10+240 minutes at 45) = 7.6, 1 of 1 check failed, 50% flagged
    assert "7.6" in page and "1 / 1" in page and "50.0%" in page
    InspectionThreshold.objects.create(effective_from=world["t0"].date().replace(day=1) - dt.timedelta(days=40),
                                       max_anomaly_rate=Decimal("60"), max_check_failure_rate=Decimal("20"))
    with django_assert_max_num_queries(15):  # independent of the number of institutions
        page = client.get(reverse("courses:evidence"), {"month": month}).content.decode()
    assert 'data-inspect="1"' in page and "人脸核验未通过比例超过上限" in page
    assert "异常学员比例超过上限" not in page  # 50% is within 60%
    other = (world["t0"] - dt.timedelta(days=62)).strftime("%Y-%m")
    assert "本月没有在线学习记录" in client.get(reverse("courses:evidence"), {"month": other}).content.decode()


def test_the_daily_job_records_each_learner_once_and_follows_the_trail(world):
    first = timezone.localdate(world["t0"]).replace(day=1)
    assert _record(world) == 2
    rows = {r.user_id: r for r in StudyAnomalyMonth.objects.filter(month=first)}
    cheat, honest = rows[world["cheat"].pk], rows[world["honest"].pk]
    assert (cheat.two_devices, cheat.uninterrupted, cheat.failed_checks, cheat.too_fast) == (1, 1, 1, 1)
    assert honest.total == 0 and honest.providers == [world["provider"].pk]
    before = list(StudyAnomalyMonth.objects.order_by("user_id").values("user_id", "two_devices", "uninterrupted",
                                                                        "failed_checks", "too_fast", "providers"))
    assert _record(world) == 2  # idempotent: the same rows, not new ones
    assert list(StudyAnomalyMonth.objects.order_by("user_id").values(
        "user_id", "two_devices", "uninterrupted", "failed_checks", "too_fast", "providers")) == before
    # the trail changes (a review reverses the failed check; the honest person's study is removed): rows follow
    StudyCheck.objects.filter(user=world["cheat"]).update(status="accepted")
    StudyInterval.objects.filter(user=world["honest"]).delete()
    assert _record(world) == 1
    assert not StudyAnomalyMonth.objects.filter(user=world["honest"]).exists()
    assert StudyAnomalyMonth.objects.get(user=world["cheat"]).failed_checks == 0


def test_the_beat_job_records_this_month_and_on_the_first_also_last_month(world):
    import time_machine

    from config.celery import collect_beat_schedule
    from courses.tasks import record_study_anomalies

    assert any(e["task"] == "courses.tasks.record_study_anomalies" for e in collect_beat_schedule().values())
    first = timezone.localdate(world["t0"]).replace(day=1)
    next_first = (first + dt.timedelta(days=32)).replace(day=1)
    tz = timezone.get_default_timezone()
    with time_machine.travel(dt.datetime.combine(next_first + dt.timedelta(days=1), dt.time(3, 10), tz), tick=False):
        record_study_anomalies()  # the 2nd of the next month: last month is final already, not recomputed
    assert not StudyAnomalyMonth.objects.filter(month=first).exists()
    with time_machine.travel(dt.datetime.combine(next_first, dt.time(3, 10), tz), tick=False):
        assert record_study_anomalies() == 2  # the 1st: last month's last day gets counted
    assert StudyAnomalyMonth.objects.filter(month=first).count() == 2


def test_the_bureau_page_reads_rows_whatever_the_number_of_learners(client, world, django_assert_max_num_queries):
    staff = UserFactory()
    MembershipFactory(user=staff, organization=bureau(), role=Role.BUREAU_ANALYST)
    lesson = StudyInterval.objects.filter(user=world["cheat"]).first().lesson
    for i in range(12):
        person = UserFactory(real_name=f"学员{i}")
        MembershipFactory(user=person, organization=world["org"], role=Role.WORKER)
        _iv(person, lesson, f"p{i}", world["t0"] + dt.timedelta(minutes=i), 200)  # over three hours
    _record(world)
    client.force_login(staff)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("courses:anomalies"), {"month": world["t0"].strftime("%Y-%m")}).content.decode()
    assert "学员11" in page and "93%" in page  # 13 of 14 learners flagged


def test_the_command_recomputes_a_past_month(world):
    from django.core.management import call_command

    first = timezone.localdate(world["t0"]).replace(day=1)
    call_command("record_study_anomalies", "--month", first.strftime("%Y-%m"), stdout=open("/dev/null", "w"))
    assert StudyAnomalyMonth.objects.filter(month=first).count() == 2
