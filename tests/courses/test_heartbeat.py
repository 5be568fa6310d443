"""Study time is measured on the server; idle, hidden and parallel pages and forged durations never count."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses import services
from courses.models import Enrolment, LessonProgress, TrainingRecord
from tests.courses.factories import LessonFactory
from tests.courses.helpers import at, enrolled_course
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def beat(user, lesson, token, t, **kw):
    return services.study_heartbeat(user=user, lesson=lesson, token=token, now=at(t), **kw)


def seconds(user, lesson):
    p = LessonProgress.objects.filter(user=user, lesson=lesson).first()
    return p.seconds if p else 0


def test_visible_active_page_accrues_elapsed_time_between_beats():
    user = UserFactory()
    _, (lesson, _l2), _ = enrolled_course(user, lessons=(10, 10))
    assert beat(user, lesson, "tab-a", 0).status == "started"
    assert beat(user, lesson, "tab-a", 30).credited == 30
    assert beat(user, lesson, "tab-a", 58).credited == 28
    assert seconds(user, lesson) == 58


def test_idle_or_hidden_gap_counts_nothing():
    user = UserFactory()
    _, (lesson, _l2), _ = enrolled_course(user, lessons=(10, 10))
    beat(user, lesson, "a", 0)
    beat(user, lesson, "a", 30)
    # the tab was hidden / the user idle: the script stopped beating for ten minutes
    b = beat(user, lesson, "a", 630)
    assert (b.status, b.credited) == ("gap", 0)
    # and it resumes counting from the beat after the gap only
    assert beat(user, lesson, "a", 660).credited == 30
    assert seconds(user, lesson) == 60


def test_page_reporting_hidden_or_idle_gets_no_credit():
    user = UserFactory()
    _, (lesson, _l2), _ = enrolled_course(user, lessons=(10, 10))
    beat(user, lesson, "a", 0)
    assert beat(user, lesson, "a", 30, visible=False).credited == 0
    assert beat(user, lesson, "a", 60, active=False).credited == 0
    assert seconds(user, lesson) == 0


def test_one_interval_is_capped():
    user = UserFactory()
    _, (lesson, _l2), _ = enrolled_course(user, lessons=(10, 10))
    beat(user, lesson, "a", 0)
    b = beat(user, lesson, "a", 60)  # late beat inside the gap limit
    assert b.credited == services.HEARTBEAT_CAP < 60


def test_parallel_tabs_never_count_twice():
    user = UserFactory()
    _, (l1, l2), _ = enrolled_course(user, lessons=(10, 10))
    # two tabs (same lesson and another lesson) beating alternately for ten minutes
    t = 0
    while t < 600:
        beat(user, l1, "tab-1", t)
        beat(user, l2, "tab-2", t + 1)
        t += 30
    assert seconds(user, l1) + seconds(user, l2) == 0
    # one tab alone for the same ten minutes accrues real time
    for t in range(1000, 1600 + 1, 30):
        beat(user, l1, "tab-1", t)
    assert seconds(user, l1) == 600


def test_forged_duration_is_ignored_by_the_endpoint(client):
    user = UserFactory()
    course, (lesson, _l2), _ = enrolled_course(user, lessons=(10, 10))
    client.force_login(user)
    url = reverse("courses:heartbeat", args=[lesson.pk])
    r = client.post(url, {"token": "x", "seconds": "3600", "duration": "3600", "elapsed": "3600"})
    assert r.status_code == 200 and r.json()["credited"] == 0
    r = client.post(url, {"token": "x", "seconds": "3600", "duration": "3600"})
    assert r.json()["credited"] <= 1  # only the (tiny) real time since the first beat
    assert seconds(user, lesson) <= 1


def test_endpoint_requires_enrolment_and_a_token(client):
    user = UserFactory()
    lesson = LessonFactory()
    client.force_login(user)
    url = reverse("courses:heartbeat", args=[lesson.pk])
    assert client.post(url, {"token": "x"}).status_code == 403
    enrolled = UserFactory()
    _c, (l2, _), _e = enrolled_course(enrolled)
    client.force_login(enrolled)
    assert client.post(reverse("courses:heartbeat", args=[l2.pk]), {}).status_code == 400
    assert client.get(reverse("courses:heartbeat", args=[l2.pk])).status_code == 405
    with pytest.raises(PermissionDenied):
        services.study_heartbeat(user=user, lesson=lesson, token="t", now=at(0))


def test_lesson_time_is_capped_and_completes_the_course():
    user = UserFactory()
    course, (l1, l2), enrolment = enrolled_course(user, lessons=(1, 1))
    for t in range(0, 300, 30):
        beat(user, l1, "a", t)
    assert seconds(user, l1) == l1.cap_seconds == 60
    assert not TrainingRecord.objects.filter(person=user).exists()
    for t in range(1000, 1100, 30):
        last = beat(user, l2, "b", t)
    assert last.lesson_done and last.course_done
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.COMPLETED
    record = TrainingRecord.objects.get(person=user, course=course)
    assert record.source == "online" and record.hours == course.required_hours and record.enrolment == enrolment


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 120), st.sampled_from(["a", "b", "c"]), st.integers(0, 1),
                          st.booleans()), min_size=1, max_size=25))
def test_credited_time_never_exceeds_wall_clock(django_db_blocker, beats):
    """Whatever the pages send (any tabs, lessons, gaps), the total never exceeds the time that passed."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        user = UserFactory()
        _c, lessons, _e = enrolled_course(user, lessons=(60, 60))
        t = 0
        for delta, token, lesson_idx, visible in beats:
            t += delta
            beat(user, lessons[lesson_idx], token, t, visible=visible)
        total = sum(seconds(user, lesson) for lesson in lessons)
        assert total <= t
        transaction.set_rollback(True)


def test_a_beat_is_a_handful_of_queries_and_writes_progress_only_when_it_credits(
        django_assert_max_num_queries):
    """Every open lesson page beats every few seconds: the beat's work is bounded and small —
    lesson, enrolment, the locked lease, progress, the trail row and the lease written back."""
    user = UserFactory()
    _, (lesson, _l2), _ = enrolled_course(user, lessons=(10, 10))
    assert beat(user, lesson, "tab-a", 0).status == "started"
    progress = LessonProgress.objects.get(user=user, lesson=lesson)
    stamp = progress.updated_at
    with django_assert_max_num_queries(9):  # (+ savepoint/BEGIN, SET LOCAL and COMMIT on PostgreSQL)
        assert beat(user, lesson, "tab-a", 30).credited == 30
    progress.refresh_from_db()
    assert progress.seconds == 30 and progress.updated_at > stamp
    stamp = progress.updated_at
    # a hidden page's beat credits nothing and leaves progress untouched
    assert beat(user, lesson, "tab-a", 40, visible=False).credited == 0
    progress.refresh_from_db()
    assert progress.seconds == 30 and progress.updated_at == stamp
