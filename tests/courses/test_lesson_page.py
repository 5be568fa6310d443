"""The lesson page: content, the study box, and links to the cited clauses and published cases."""

import pytest
from django.urls import reverse

from tests.cms.conftest import make_case, make_clause, make_standard, root, sections  # noqa: F401
from tests.courses.helpers import enrolled_course
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_lesson_links_clauses_and_live_pages_only(client, make_standard, make_clause, make_case):
    user = UserFactory()
    course, (lesson, _l2), _e = enrolled_course(user)
    standard = make_standard()
    clause = make_clause(standard, "gm2023-11-2", 11, 2, title="除尘系统混用")
    live_case = make_case(title="抛光车间粉尘爆炸（测试）")
    draft_case = make_case(title="未发布案例（测试）", publish=False)
    lesson.clauses.add(clause)
    lesson.pages.add(live_case, draft_case)
    client.force_login(user)
    r = client.get(reverse("courses:lesson", args=[course.code, lesson.pk]))
    html = r.content.decode()
    assert r.status_code == 200
    assert clause.get_absolute_url() in html and "第11条第2项" in html
    assert "抛光车间粉尘爆炸（测试）" in html and "未发布案例（测试）" not in html
    assert 'id="study"' in html and reverse("courses:heartbeat", args=[lesson.pk]) in html


def test_lesson_requires_enrolment_and_prerequisites(client):
    user = UserFactory()
    course, (lesson, _l2), _e = enrolled_course(user)
    outsider = UserFactory()
    client.force_login(outsider)
    r = client.get(reverse("courses:lesson", args=[course.code, lesson.pk]))
    assert r.status_code == 302 and r["Location"] == course.get_absolute_url()
    pre, _ls, _e2 = enrolled_course(UserFactory())
    course.prerequisites.add(pre)
    course.save()  # a parental relation is stored when the course is saved
    client.force_login(user)
    r = client.get(reverse("courses:lesson", args=[course.code, lesson.pk]))
    assert r.status_code == 302
    from tests.courses.factories import TrainingRecordFactory

    TrainingRecordFactory(person=user, course=pre)
    assert client.get(reverse("courses:lesson", args=[course.code, lesson.pk])).status_code == 200


def test_lesson_video_only_for_enrolled_learners(client, settings, tmp_path):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = str(tmp_path)
    user = UserFactory()
    course, (lesson, _l2), _e = enrolled_course(user)
    lesson.video.save("clip.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42"))
    url = reverse("courses:lesson_video", args=[course.code, lesson.pk])
    client.force_login(user)
    html = client.get(reverse("courses:lesson", args=[course.code, lesson.pk])).content.decode()
    assert f'src="{url}"' in html and "/media/" not in html
    resp = client.get(url)
    assert resp.status_code == 200 and resp["Content-Type"] == "video/mp4"
    assert "no-store" in resp["Cache-Control"]
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
