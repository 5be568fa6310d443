"""The new-session form picks the required course from the list the courses app gives (exams
stores the code), and no select of the back-office forms shows an English or dashed empty label."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from exams.models import ExamSession
from tests.courses.factories import CourseFactory

ENGLISH_EMPTY = re.compile(r"<option value=\"\"[^>]*>\s*([^<]*)</option>")


def _empty_labels(html: str) -> list[str]:
    return [label.strip() for label in ENGLISH_EMPTY.findall(html)]


def _assert_chinese_empty_labels(html: str):
    assert "---------" not in html and "Select" not in html
    for label in _empty_labels(html):
        assert re.search(r"[\u4e00-\u9fff]", label), label


def _times():
    now = timezone.localtime() + dt.timedelta(days=1)
    return {"starts_at": now.strftime("%Y-%m-%dT%H:%M"), "ends_at": (now + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}


def test_session_form_lists_courses_and_stores_the_code(client, examiner, blueprint):
    CourseFactory(code="gm-2023", title="重大事故隐患判定标准解读")
    CourseFactory(code="draft-1", title="未发布课程", is_published=False)
    client.force_login(examiner)
    url = reverse("exams:manage_session_create")
    html = client.get(url).content.decode()
    assert '<option value="gm-2023">重大事故隐患判定标准解读（gm-2023）</option>' in html
    assert "draft-1" not in html
    assert 'name="required_course_code"' in html and "<select" in html.split('name="required_course_code"')[0][-200:]
    _assert_chinese_empty_labels(html)
    assert "不要求完成课程" in html and "请选择组卷策略" in html

    bad = client.post(url, {"name": "场次甲", "blueprint": blueprint.pk, "seats": 5, "required_course_code": "no-such",
                            **_times()})
    assert bad.status_code == 200 and "请从列表中选择课程" in bad.content.decode()
    assert not ExamSession.objects.filter(name="场次甲").exists()
    ok = client.post(url, {"name": "场次甲", "blueprint": blueprint.pk, "seats": 5, "required_course_code": "gm-2023",
                           **_times()})
    assert ok.status_code == 302
    assert ExamSession.objects.get(name="场次甲").required_course_code == "gm-2023"


def test_session_form_without_a_course_provider(client, examiner, blueprint, monkeypatch):
    from exams import eligibility

    monkeypatch.setattr(eligibility, "_course_choices", None)
    client.force_login(examiner)
    html = client.get(reverse("exams:manage_session_create")).content.decode()
    assert "课程列表暂不可用" in html and "不要求完成课程" in html


@pytest.mark.parametrize("name,kwargs", [
    ("exams:manage_session_create", {}),
    ("exams:manage_blueprint_add", {}),
    ("exams:manage_question_add", {"code": "t-test"}),
])
def test_back_office_selects_have_chinese_labels(client, examiner, blueprint, session, name, kwargs):
    client.force_login(examiner)
    html = client.get(reverse(name, kwargs=kwargs)).content.decode()
    assert "<select" in html
    _assert_chinese_empty_labels(html)
    html = client.get(reverse("exams:manage_session", kwargs={"pk": session.pk})).content.decode()
    _assert_chinese_empty_labels(html)
