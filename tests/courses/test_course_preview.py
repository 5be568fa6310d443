"""Preview: an institution's instructors see their course and lesson pages the way learners will,
published or not — with a banner, and without any enrolment, lease, heartbeat, credited time or
camera. Everyone else gets 404 on the preview of an unpublished course."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from courses.models import (
    Course,
    Enrolment,
    LessonProgress,
    StudyCheck,
    StudyInterval,
    StudyLease,
)
from tests.courses.factories import CourseFactory, LessonFactory
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

BANNER = "预览：学员看到的页面（未发布）"


@pytest.fixture
def institution():
    from accounts.roles import OrgKind

    return OrganizationFactory(kind=OrgKind.TRAINING, name="预览测试培训学校", credit_code=None)


@pytest.fixture
def instructor(make_member, institution):
    return make_member(Role.INSTRUCTOR, org=institution)


@pytest.fixture
def draft(institution):
    """An unpublished course of the institution with two lessons."""
    course = CourseFactory(code="draft-course", title="未发布的机构课程", provider=institution, is_published=False)
    LessonFactory(course=course, title="第一课 危险源辨识", sort_order=1, body="<p>第一课正文内容</p>")
    LessonFactory(course=course, title="第二课 应急处置", sort_order=2)
    return course


def _urls(course):
    first, second = course.lessons.order_by("sort_order")[:2]
    return (reverse("courses:institution_course_preview", args=[course.code]),
            reverse("courses:institution_lesson_preview", args=[course.code, first.pk]),
            reverse("courses:institution_lesson_preview", args=[course.code, second.pk]))


def _study_rows() -> tuple[int, ...]:
    return (Enrolment.objects.count(), StudyLease.objects.count(), StudyInterval.objects.count(),
            LessonProgress.objects.count(), StudyCheck.objects.count())


def test_instructor_previews_unpublished_course_and_lessons(client, instructor, draft):
    client.force_login(instructor)
    course_url, lesson_url, second_url = _urls(draft)
    first, second = draft.lessons.order_by("sort_order")

    r = client.get(course_url)
    html = r.content.decode()
    assert r.status_code == 200
    assert "courses/course_detail.html" in [t.name for t in r.templates]  # the learner's template
    assert BANNER in html and "预览不计学时" in html
    assert reverse("courses:institution_course", args=[draft.code]) in html  # back to editing
    assert "未发布的机构课程" in html and "第一课 危险源辨识" in html and "第二课 应急处置" in html
    assert lesson_url in html and second_url in html
    # the learner's enrol button is shown, but acts on nothing
    assert reverse("courses:enrol", args=[draft.code]) not in html
    assert reverse("courses:finish", args=[draft.code]) not in html
    assert "参加学习" in html and "disabled" in html

    r = client.get(lesson_url)
    html = r.content.decode()
    assert r.status_code == 200
    assert "courses/lesson.html" in [t.name for t in r.templates]
    assert BANNER in html and "预览不计学时" in html and "第一课正文内容" in html
    assert reverse("courses:institution_course", args=[draft.code]) in html
    assert second_url in html  # the next lesson stays inside the preview
    assert reverse("courses:lesson", args=[draft.code, second.pk]) not in html
    assert reverse("courses:lesson", args=[draft.code, first.pk]) not in html


def test_preview_has_no_heartbeat_or_camera_hooks(client, instructor, draft):
    client.force_login(instructor)
    _course_url, lesson_url, _second = _urls(draft)
    lesson = draft.lessons.order_by("sort_order").first()
    html = client.get(lesson_url).content.decode()
    for hook in ('id="study"', "data-token", "data-url", reverse("courses:heartbeat", args=[lesson.pk]),
                 'id="face-check"', 'id="face-video"', 'id="face-consent"', "face-take",
                 reverse("courses:study_check", args=[lesson.pk]), reverse("courses:camera_consent"),
                 "study.js"):
        assert hook not in html, hook


def test_learner_lesson_page_keeps_its_hooks(client, make_member):
    """The flag switches the hooks off only in preview: the learner's page still beats."""
    learner = make_member(Role.WORKER)
    course = CourseFactory(is_published=True)
    lesson = LessonFactory(course=course)
    Enrolment.objects.create(user=learner, course=course)
    client.force_login(learner)
    html = client.get(reverse("courses:lesson", args=[course.code, lesson.pk])).content.decode()
    assert 'id="study"' in html and reverse("courses:heartbeat", args=[lesson.pk]) in html
    assert 'id="face-check"' in html and "study.js" in html
    assert "预览" not in html


def test_previewing_creates_no_study_rows(client, instructor, draft):
    client.force_login(instructor)
    before = _study_rows()
    for url in _urls(draft):
        assert client.get(url).status_code == 200
    assert _study_rows() == before == (0, 0, 0, 0, 0)
    assert not Enrolment.objects.filter(user=instructor).exists()
    draft.refresh_from_db()
    assert draft.is_published is False  # previewing publishes nothing


def test_preview_of_a_published_course_says_published(client, instructor, draft):
    Course.objects.filter(pk=draft.pk).update(is_published=True)
    client.force_login(instructor)
    html = client.get(_urls(draft)[0]).content.decode()
    assert "预览：学员看到的页面（已发布）" in html and BANNER not in html
    assert _study_rows() == (0, 0, 0, 0, 0)


def test_others_get_404_on_preview(client, make_member, draft):
    from accounts.roles import OrgKind

    other_instructor = make_member(Role.INSTRUCTOR, org=OrganizationFactory(kind=OrgKind.TRAINING, credit_code=None))
    learner = make_member(Role.WORKER)
    Enrolment.objects.create(user=learner, course=draft)  # even an enrolled learner
    urls = _urls(draft)
    for user in (other_instructor, learner):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
    client.logout()
    for url in urls:
        r = client.get(url)
        assert r.status_code == 302 and "login" in r["Location"]
    assert StudyLease.objects.count() == 0 and LessonProgress.objects.count() == 0


def test_preview_of_another_courses_lesson_is_404(client, instructor, institution, draft):
    """A lesson id of another course under this course's code is not found."""
    other = CourseFactory(provider=institution)
    foreign = LessonFactory(course=other)
    client.force_login(instructor)
    assert client.get(reverse("courses:institution_lesson_preview", args=[draft.code, foreign.pk])).status_code == 404


def test_learner_page_of_unpublished_course_stays_404(client, make_member, instructor, draft):
    learner = make_member(Role.WORKER)
    lesson = draft.lessons.first()
    for user in (learner, instructor):
        client.force_login(user)
        assert client.get(reverse("courses:course", args=[draft.code])).status_code == 404
        assert client.get(reverse("courses:lesson", args=[draft.code, lesson.pk])).status_code == 404
    client.force_login(learner)
    assert client.post(reverse("courses:enrol", args=[draft.code])).status_code == 404
    assert Enrolment.objects.count() == 0


def test_preview_video_for_instructor_only(client, settings, tmp_path, make_member, instructor, draft):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = str(tmp_path)
    lesson = draft.lessons.order_by("sort_order").first()
    lesson.video.save("clip.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42"))
    url = reverse("courses:institution_lesson_preview_video", args=[draft.code, lesson.pk])
    client.force_login(instructor)
    html = client.get(_urls(draft)[1]).content.decode()
    assert f'src="{url}"' in html and "/media/" not in html
    resp = client.get(url)
    assert resp.status_code == 200 and "no-store" in resp["Cache-Control"]
    client.force_login(make_member(Role.WORKER))
    assert client.get(url).status_code == 404


def test_preview_links_on_edit_page_and_course_list(client, instructor, institution, draft, django_assert_max_num_queries):
    CourseFactory(provider=institution, is_published=True)
    client.force_login(instructor)
    course_url, lesson_url, second_url = _urls(draft)
    html = client.get(reverse("courses:institution_course", args=[draft.code])).content.decode()
    assert course_url in html and lesson_url in html and second_url in html
    with django_assert_max_num_queries(10):
        html = client.get(reverse("courses:institution")).content.decode()
    assert course_url in html
    assert html.count("/preview/") == 2  # one per course


def test_preview_page_queries_are_bounded(client, instructor, draft, django_assert_max_num_queries):
    for i in range(8):
        LessonFactory(course=draft, sort_order=10 + i)
    client.force_login(instructor)
    url = _urls(draft)[0]
    with django_assert_max_num_queries(12):  # 10 lessons: the same count as with 2
        assert client.get(url).status_code == 200
