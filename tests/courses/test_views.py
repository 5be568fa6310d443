"""Dashboards: figures agree across learner, enterprise and bureau; coverage matches hand counts;
scoping; bounded queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Industry
from accounts.roles import Role
from courses.models import Enrolment, LessonProgress
from courses.selectors import enrolment_figures
from reports.coverage import coverage
from tests.courses.factories import CourseFactory, LessonFactory
from tests.courses.helpers import bureau, enterprise

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_member):
    """Two enterprises in Jiangmen, one in Dongguan. A mandatory course assigned to 5 people there."""
    machinery = Industry.objects.get(code="machinery")
    nonferrous = Industry.objects.get(code="nonferrous")
    a = enterprise("440704", tags=["dust-explosion"], industry=machinery, name="甲机械（测试）")
    b = enterprise("440781", tags=["dust-explosion", "metal-smelting"], industry=nonferrous, name="乙铝业（测试）")
    far = enterprise("441900", tags=["dust-explosion"], industry=machinery, name="丙远方（测试）")
    course = CourseFactory(code="cov", is_mandatory=True, required_hours=Decimal("2"))
    lessons = [LessonFactory(course=course, min_minutes=45), LessonFactory(course=course, min_minutes=45)]
    people = {
        "a1": make_member(Role.PRINCIPAL, a), "a2": make_member(Role.WORKER, a), "a3": make_member(Role.WORKER, a),
        "b1": make_member(Role.PRINCIPAL, b), "b2": make_member(Role.WORKER, b), "f1": make_member(Role.PRINCIPAL, far),
    }
    past = dt.date(2020, 1, 1)
    spec = {"a1": ("completed", None), "a2": ("active", past), "a3": None, "b1": ("completed", None),
            "b2": ("active", dt.date(2099, 1, 1)), "f1": ("completed", None)}
    for key, s in spec.items():
        if s:
            Enrolment.objects.create(user=people[key], course=course, status=s[0], due_date=s[1])
    LessonProgress.objects.create(user=people["a2"], lesson=lessons[0], seconds=45 * 60)
    LessonProgress.objects.create(user=people["a2"], lesson=lessons[1], seconds=9 * 60)
    officer = make_member(Role.BUREAU_ANALYST, bureau("440700"))
    return {"a": a, "b": b, "far": far, "course": course, "officer": officer, "lessons": lessons, **people}


def rows_by_label(data):
    return {r.label: (r.target, r.completed, r.overdue, r.rate) for r in data["rows"]}


def test_coverage_matches_hand_counts(world):
    officer = world["officer"]
    by_industry = coverage(officer, dimension="industry")
    # Dongguan's enterprise is outside the bureau's region; a3 has no enrolment (not in the target)
    assert by_industry["total"].target == 4 and by_industry["total"].completed == 2
    assert rows_by_label(by_industry) == {"机械": (2, 1, 1, Decimal("50.0")), "有色": (2, 1, 0, Decimal("50.0"))}
    by_hazard = rows_by_label(coverage(officer, dimension="hazard"))
    assert by_hazard == {"粉尘涉爆": (4, 2, 1, Decimal("50.0")), "金属冶炼": (2, 1, 0, Decimal("50.0"))}
    by_role = rows_by_label(coverage(officer, dimension="role"))
    assert by_role == {"主要负责人": (2, 2, 0, Decimal("100.0")), "从业人员": (2, 0, 1, Decimal("0.0"))}
    by_region = rows_by_label(coverage(officer, dimension="region"))
    assert by_region == {"江海区": (2, 1, 1, Decimal("50.0")), "台山市": (2, 1, 0, Decimal("50.0"))}


def test_coverage_page_chart_and_drill_down(world, client):
    client.force_login(world["officer"])
    r = client.get(reverse("reports:coverage"), {"dimension": "hazard"})
    html = r.content.decode()
    assert r.status_code == 200 and "<svg" in html and "粉尘涉爆" in html and "50.0%" in html
    tag = world["b"].hazard_tags.get(code="metal-smelting")
    r = client.get(reverse("reports:coverage"), {"dimension": "enterprise", "group": f"h{tag.pk}"})
    html = r.content.decode()
    assert "乙铝业（测试）" in html and "甲机械（测试）" not in html and "丙远方" not in html
    # drill further: the bureau sees the enterprise's people
    r = client.get(reverse("courses:enterprise"), {"org": world["b"].pk})
    assert r.status_code == 200
    assert client.get(reverse("courses:enterprise"), {"org": world["far"].pk}).status_code == 404


def test_hours_agree_for_learner_enterprise_and_bureau(world, client):
    e = Enrolment.objects.get(user=world["a2"])
    (f,) = enrolment_figures([Enrolment.objects.select_related("course").get(pk=e.pk)])
    assert f.hours == Decimal("1.2") and f.percent == 60  # 54 of 90 minutes, 45 min per 学时
    client.force_login(world["a2"])
    assert "1.2 / 2.0" in client.get(reverse("courses:my_courses")).content.decode()
    client.force_login(world["a1"])  # the principal manages the enterprise
    html = client.get(reverse("courses:enterprise")).content.decode()
    assert "1.2 / 2.0" in html and "已逾期" in html
    client.force_login(world["officer"])
    html = client.get(reverse("courses:enterprise"), {"org": world["a"].pk}).content.decode()
    assert "1.2 / 2.0" in html


def test_enterprise_export_and_overdue_filter(world, client):
    client.force_login(world["a1"])
    r = client.get(reverse("courses:enterprise_export"), {"overdue": "1"})
    ws = load_workbook(__import__("io").BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "姓名" and len(rows) == 2 and rows[1][-1] == "已逾期"
    assert rows[1][5] == 1.2


def test_scoping(world, client, make_member):
    # a worker sees neither the enterprise view nor coverage
    client.force_login(world["a2"])
    assert client.get(reverse("courses:enterprise")).status_code == 404
    assert client.get(reverse("reports:coverage")).status_code == 404
    # another enterprise's admin cannot open this one
    other_admin = make_member(Role.ENT_ADMIN, world["b"])
    client.force_login(other_admin)
    assert client.get(reverse("courses:enterprise"), {"org": world["a"].pk}).status_code == 404
    html = client.get(reverse("courses:enterprise")).content.decode()
    assert world["b1"].display_name in html and world["a1"].display_name not in html
    # a bureau of another region sees nothing of Jiangmen
    dg = make_member(Role.BUREAU_ANALYST, bureau("441900"))
    data = coverage(dg, dimension="industry")
    assert data["total"].target == 1 and rows_by_label(data) == {"机械": (1, 1, 0, Decimal("100.0"))}


def test_nav_entries_by_role(world, client, make_member):
    from core.navigation import items_for
    from accounts.selectors import roles_of

    def labels(user):
        return {i["label"] for i in items_for(user, roles_of(user))}

    assert "我的课程" in labels(world["a2"]) and "培训覆盖" not in labels(world["a2"])
    assert "培训进度" in labels(world["a1"])
    assert "培训覆盖" in labels(world["officer"])
    assert "线下培训" in labels(make_member(Role.INSTRUCTOR))


def _grow(world, make_member, n):
    for _ in range(n):
        for org in (world["a"], world["b"]):
            u = make_member(Role.WORKER, org)
            Enrolment.objects.create(user=u, course=world["course"], due_date=dt.date(2020, 1, 1))
            LessonProgress.objects.create(user=u, lesson=world["lessons"][0], seconds=100)


@pytest.mark.parametrize("who,url,params", [
    ("a1", "courses:enterprise", {}),
    ("a1", "courses:enterprise", {"overdue": "1"}),
    ("a1", "courses:enterprise_export", {}),
    ("officer", "reports:coverage", {"dimension": "industry"}),
    ("officer", "reports:coverage", {"dimension": "hazard"}),
    ("officer", "reports:coverage", {"dimension": "enterprise", "group": "r440704"}),
    ("a2", "courses:my_courses", {}),
    ("officer", "courses:rules", {}),
])
def test_list_pages_have_a_query_budget(world, client, make_member, django_assert_max_num_queries, who, url, params):
    client.force_login(world[who])
    _grow(world, make_member, 2)
    client.get(reverse(url), params)  # warm caches (session, content types)
    with django_assert_max_num_queries(20) as small:
        assert client.get(reverse(url), params).status_code == 200
    _grow(world, make_member, 15)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse(url), params).status_code == 200
