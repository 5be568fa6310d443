"""Training and exam figures against hand counts (see the ``activity`` fixture), drill-down agreement."""

import re

from django.urls import reverse

from reports.metrics import compute, metric_rows
from reports.scope import ReportKind, build_scope

from .conftest import JUNE
from .test_dashboard import figure_values

TRAINING = {
    "people_trained": 3, "managers_trained": 2, "managers_untrained": 2, "people_overdue": 1,
    "pop_principal_trained": 2, "pop_principal_untrained": 1, "pop_safety_manager_trained": 0,
    "pop_safety_manager_untrained": 1, "pop_worker_trained": 1, "pop_worker_untrained": 2,
    "ent_trained": 2, "records_in_period": 4, "enrol_overdue": 1,
}
EXAMS = {"exam_registered": 5, "exam_sat": 4, "exam_passed": 2, "exam_failed": 2, "exam_sessions_held": 2}


def test_training_figures(activity, world):
    scope, form = build_scope(world["analyst"], JUNE)
    assert form.is_valid()
    assert compute(scope, TRAINING) == TRAINING
    for key, expected in TRAINING.items():
        assert metric_rows(scope, key).count() == expected, key


def test_exam_figures(activity, world):
    scope, _ = build_scope(world["analyst"], JUNE)
    assert compute(scope, EXAMS) == EXAMS
    passed = {r.candidate_id for r in metric_rows(scope, "exam_passed")}
    people = world["people"]
    assert passed == {people[world["e1"].pk][2].pk, people[world["e1"].pk][0].pk}


def test_enterprise_figures(activity, world):
    scope, _ = build_scope(world["ent_admin"], JUNE, kind=ReportKind.ENTERPRISE, enterprise=world["e1"])
    assert compute(scope, ["people_trained", "managers_untrained", "exam_sat", "exam_passed", "enrol_overdue"]) == {
        "people_trained": 2, "managers_untrained": 1, "exam_sat": 3, "exam_passed": 2, "enrol_overdue": 1}


def test_every_figure_and_chart_link_agrees_with_its_list(activity, world, client):
    client.force_login(world["analyst"])
    html = client.get(reverse("reports:bureau"), JUNE).content.decode()
    shown = figure_values(html)
    for key, expected in {**TRAINING, **EXAMS}.items():
        if key in shown:
            assert shown[key].startswith(str(expected)), key
    links = set(re.findall(r'href="(/reports/dashboard/list/[^"]+)"', html))
    assert len(links) > 30
    checked = 0
    for url in links:
        url = url.replace("&amp;", "&")
        page = client.get(url)
        assert page.status_code == 200, url
        total = int(re.search(r"data-total>(\d+)", page.content.decode()).group(1))
        # the number written next to the mark or in the tile
        label = re.search(rf'href="{re.escape(url).replace("&", "&amp;")}" aria-label="[^"]*?(\d+)[^"\d]*"', html)
        if label:
            checked += 1
            assert int(label.group(1)) == total, url
    assert checked > 20  # chart marks carry their number in the link label


def test_exam_chart_by_operation_item(activity, world, client):
    client.force_login(world["analyst"])
    html = client.get(reverse("reports:bureau"), JUNE).content.decode()
    assert "各操作项目考试结果" in html
    assert "低压电工作业：合格 1人次，未合格 2人次，合计 3人次" in html
    assert "未指定操作项目：合格 1人次，未合格 0人次，合计 1人次" in html


def test_dashboards_query_budget_with_activity(activity, world, client, django_assert_max_num_queries):
    client.force_login(world["analyst"])
    with django_assert_max_num_queries(40):
        assert client.get(reverse("reports:bureau"), JUNE).status_code == 200
    client.force_login(world["ent_admin"])
    with django_assert_max_num_queries(30):
        assert client.get(reverse("reports:enterprise"), JUNE).status_code == 200


WARNINGS = {"warnings_published": 1, "notif_sent": 3, "notif_read": 2, "notif_unread": 1, "notif_unread_all": 2,
            "enforcement_published": 2, "enforcement_dangerous_work": 1}


def test_warning_figures(warnings_data, world):
    scope, _ = build_scope(world["analyst"], JUNE)
    assert compute(scope, WARNINGS) == WARNINGS
    for key, expected in WARNINGS.items():
        assert metric_rows(scope, key).count() == expected, key


def test_warning_panel_per_enterprise(warnings_data, world, client, django_assert_max_num_queries):
    client.force_login(world["analyst"])
    with django_assert_max_num_queries(40):
        html = client.get(reverse("reports:bureau"), JUNE).content.decode()
    assert "警示通知阅读情况：已读 2份（67%）；未读 1份（33%）；推送 3份。" in html
    table = html[html.index("各企业阅读情况"):]
    assert table.index("甲机械") < table.index("乙有色")  # the one with unread first
    assert "50.0%" in table and "100.0%" in table
    client.force_login(world["ent_admin"])
    html = client.get(reverse("reports:enterprise"), JUNE).content.decode()
    assert figure_values(html)["notif_unread_all"].startswith("1")
    resp = client.get(reverse("reports:drill", args=["notif_unread_all"]), {"view": "enterprise", **JUNE})
    body = resp.content.decode()
    assert "data-total>1" in body and "警示案例rep-a" in body and "未读" in body


def test_enterprises_with_most_problems(activity, warnings_data, world, client, django_assert_max_num_queries):
    from reports.problems import enterprises_with_most_problems

    scope, _ = build_scope(world["analyst"], JUNE)
    problems, rows = enterprises_with_most_problems(scope)
    assert [p.key for p in problems] == ["overdue", "untrained", "unread", "certs", "unlicensed"]
    # e1: p3 overdue, p1 untrained (safety manager), p1 unread → 3; e3: r0 untrained, r0 unread → 2; e2: 0
    # (no certificates or roster checks in this data)
    assert [(r["name"], [c["n"] for c in r["cells"]], r["total"]) for r in rows] == [
        ("甲机械", [1, 1, 1, 0, 0], 3), ("丙机械", [0, 1, 1, 0, 0], 2)]
    client.force_login(world["analyst"])
    for r in rows:
        for c in r["cells"]:
            if c["url"]:
                body = client.get(c["url"]).content.decode()
                assert f"data-total>{c['n']}" in body, c["url"]
    with django_assert_max_num_queries(45):
        html = client.get(reverse("reports:bureau"), JUNE).content.decode()
    assert "问题较多的企业" in html and "甲机械" in html


def test_enterprise_fix_first(activity, warnings_data, world, client):
    client.force_login(world["ent_admin"])
    html = client.get(reverse("reports:enterprise"), JUNE).content.decode()
    first = html.index("须优先处理")
    assert first < html.index("本单位人员")
    shown = figure_values(html)
    assert shown["people_overdue"].startswith("1") and shown["notif_unread_all"].startswith("1")
