"""The study trail: every credited and uncredited stretch is kept with its reason; the day's cap and
the length of one 学时 come from the catalogue's study rule for the person's region and population."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Role
from catalogue.models import Population, StudyRule
from courses import services
from courses.models import LessonProgress, StudyInterval
from tests.courses.helpers import at, enrolled_course, enterprise
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def beat(user, lesson, token, t, **kw):
    return services.study_heartbeat(user=user, lesson=lesson, token=token, now=at(t), **kw)


def test_contiguous_beats_are_one_row_and_idle_time_is_kept_with_its_reason():
    user = UserFactory()
    _, (lesson, _l2), _ = enrolled_course(user, lessons=(30, 10))
    beat(user, lesson, "a", 0, ip="10.0.0.8", user_agent="Mozilla/5.0 test")
    for t in (30, 60, 90):
        beat(user, lesson, "a", t, ip="10.0.0.8", user_agent="Mozilla/5.0 test")
    beat(user, lesson, "a", 120, visible=False)
    beat(user, lesson, "a", 150)
    rows = list(StudyInterval.objects.filter(user=user).order_by("started_at", "id"))
    assert [(r.seconds, r.credited, r.reason) for r in rows] == [
        (90, True, ""), (30, False, "inactive"), (30, True, "")]
    assert rows[0].ip == "10.0.0.8" and rows[0].user_agent == "Mozilla/5.0 test"
    assert rows[0].started_at == at(0) and rows[0].ended_at == at(90)
    credited = sum(r.seconds for r in rows if r.credited)
    assert LessonProgress.objects.get(user=user, lesson=lesson).seconds == credited == 120


def test_time_beyond_the_daily_cap_is_not_credited_and_says_why():
    StudyRule.objects.create(region_prefix="", population="", minutes_per_hour=45,
                             daily_cap_hours=Decimal("0.1"), effective_from=dt.date(2024, 1, 1))  # 270 s
    user = UserFactory()
    _, (lesson, _l2), _ = enrolled_course(user, lessons=(60, 10))
    beat(user, lesson, "a", 0)
    results = [beat(user, lesson, "a", 30 * i) for i in range(1, 12)]  # 330 s measured
    assert sum(b.credited for b in results) == 270
    assert results[-1].credited == 0 and results[-1].reason == "daily_cap"
    assert results[-1].reason_label == "超出当日上限"
    capped = StudyInterval.objects.get(user=user, credited=False)
    assert (capped.reason, capped.seconds) == ("daily_cap", 60)
    # the next day counts again
    next_day = 24 * 3600
    beat(user, lesson, "b", next_day)
    assert beat(user, lesson, "b", next_day + 30).credited == 30


def test_the_rule_of_the_longest_region_prefix_and_the_population_wins():
    StudyRule.objects.create(region_prefix="4407", population="", minutes_per_hour=50, effective_from=dt.date(2023, 1, 1))
    StudyRule.objects.create(region_prefix="4407", population=Population.MANAGER, minutes_per_hour=40,
                             effective_from=dt.date(2023, 1, 1))
    StudyRule.objects.create(region_prefix="4407", population="", minutes_per_hour=55,
                             effective_from=dt.date(2030, 1, 1))  # not yet in force
    on = dt.date(2026, 12, 1)
    assert StudyRule.for_person(region_code="440704", population=Population.WORKER, on=on).minutes_per_hour == 50
    assert StudyRule.for_person(region_code="440704", population=Population.MANAGER, on=on).minutes_per_hour == 40
    assert StudyRule.for_person(region_code="440106", population=Population.WORKER, on=on).minutes_per_hour == 45  # 44 row
    assert StudyRule.for_person(region_code="110105", population=Population.WORKER, on=on).basis.startswith("全国默认")
    guangdong = StudyRule.for_person(region_code="440106", population=Population.SPECIAL_OPERATOR, on=on)
    assert guangdong.retention_years_special == 6


def test_the_learner_and_their_enterprise_see_the_trail_others_do_not(client, django_assert_max_num_queries):
    org = enterprise()
    learner = UserFactory(real_name="学员甲")
    MembershipFactory(user=learner, organization=org, role=Role.WORKER)
    manager = UserFactory()
    MembershipFactory(user=manager, organization=org, role=Role.ENT_ADMIN)
    stranger = UserFactory()
    MembershipFactory(user=stranger, organization=enterprise(), role=Role.ENT_ADMIN)
    _, (lesson, _l2), _ = enrolled_course(learner, lessons=(30, 10))
    beat(learner, lesson, "a", 0)
    for t in range(30, 30 * 40, 30):
        beat(learner, lesson, "a", t, visible=(t // 30) % 3 != 0)  # alternate rows
    client.force_login(learner)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("courses:my_trail"))
    assert "我的学习记录" in page.content.decode() and "页面不可见或无操作" in page.content.decode()
    client.force_login(manager)
    assert "学员甲 的学习记录" in client.get(reverse("courses:person_trail", args=[learner.pk])).content.decode()
    client.force_login(stranger)
    assert client.get(reverse("courses:person_trail", args=[learner.pk])).status_code == 404


def test_the_heartbeat_answer_names_the_reason(client):
    StudyRule.objects.create(region_prefix="", population="", minutes_per_hour=45,
                             daily_cap_hours=Decimal("0"), effective_from=dt.date(2024, 1, 1))
    user = UserFactory()
    _, (lesson, _l2), _ = enrolled_course(user, lessons=(30, 10))
    client.force_login(user)
    url = reverse("courses:heartbeat", args=[lesson.pk])
    client.post(url, {"token": "t"})
    StudyInterval.objects.all().delete()
    from courses.models import StudyLease

    StudyLease.objects.filter(user=user).update(last_beat_at=StudyLease.objects.get(user=user).last_beat_at
                                                - dt.timedelta(seconds=30))
    data = client.post(url, {"token": "t"}, HTTP_USER_AGENT="UA-1").json()
    assert data["credited"] == 0 and data["reason"] == "daily_cap" and data["reason_label"] == "超出当日上限"
    assert StudyInterval.objects.get(user=user).user_agent == "UA-1"
