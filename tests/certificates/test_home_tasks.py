"""The signed-in home page lists what the person should do, from the same selectors as the pages it links."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.roles import Role
from certificates.selectors import people_certificates
from core.todo import tasks_for
from courses.models import Enrolment
from tests.courses.factories import CourseFactory
from tests.factories import id_number_for

pytestmark = pytest.mark.django_db


def _titles(user):
    return [t.title for t in tasks_for(user)]


def test_an_overdue_review_is_an_urgent_task_for_the_holder(issue, welder):
    issue(welder, valid_from=dt.date(2020, 1, 1))
    tasks = tasks_for(welder)
    cert_tasks = [t for t in tasks if "复审" in t.title]
    assert len(cert_tasks) == 1 and cert_tasks[0].urgent
    assert cert_tasks[0].url == reverse("certificates:mine")


def test_the_enterprise_count_is_what_the_linked_list_shows(issue, welder, ent_admin, make_member, enterprise,
                                                           client):
    issue(welder, valid_from=dt.date(2020, 1, 1))  # review long overdue
    other = make_member(Role.WORKER, org=enterprise, id_number=id_number_for(77))
    issue(other, item_code="weld-fusion", valid_from=dt.date.today() - dt.timedelta(days=30))  # fine
    task = next(t for t in tasks_for(ent_admin) if t.url == reverse("certificates:people"))
    assert task.count == 1
    client.force_login(ent_admin)
    listed = [c for c in people_certificates(ent_admin) if c.status in {"expired", "review_overdue", "suspended",
                                                                      "revoked"}]
    assert len(listed) == task.count


def test_course_due_dates_and_overdue_first(welder):
    late = CourseFactory(title="逾期的课程")
    later = CourseFactory(title="还有时间的课程")
    today = dt.date.today()
    Enrolment.objects.create(user=welder, course=later, due_date=today + dt.timedelta(days=20))
    Enrolment.objects.create(user=welder, course=late, due_date=today - dt.timedelta(days=1))
    titles = _titles(welder)
    assert titles.index("完成课程：逾期的课程") < titles.index("完成课程：还有时间的课程")
    assert next(t for t in tasks_for(welder) if "逾期的课程" in t.title).urgent


def test_home_page_shows_tasks_with_few_queries(client, welder, issue, django_assert_max_num_queries):
    issue(welder, valid_from=dt.date(2020, 1, 1))
    client.force_login(welder)
    with django_assert_max_num_queries(25):
        body = client.get("/").content.decode()
    assert "待办事项" in body and "办理证书复审或换证" in body


def test_nothing_to_do_says_so(client, make_member):
    client.force_login(make_member(Role.WORKER, identity_verified=True))
    assert "暂无待办事项" in client.get("/").content.decode()
