"""Dashboards: scoping, figures against hand counts, drill-down lists that agree, query budgets."""

import re

import pytest
from django.urls import reverse

from accounts.roles import Role
from reports.metrics import compute, metric_rows
from reports.scope import ReportKind, build_scope


def figure_values(html: str) -> dict[str, str]:
    """data-metric → the number shown in the figure tile."""
    out = {}
    for key, num in re.findall(r'data-metric="([a-z_0-9]+)"[^>]*>\s*<span class="num">([^<]*)', html):
        out[key] = num.strip()
    return out


def test_bureau_sees_its_region_only(world, client):
    scope, _ = build_scope(world["analyst"])
    values = compute(scope, ["ent_total", "people_total", "people_principal", "people_worker",
                             "people_safety_manager", "ent_high_risk"])
    # 3 enterprises in 4407; the Dongguan one is outside. People: e1 4 + ent_admin 1, e2 2, e3 1.
    assert values == {"ent_total": 3, "people_total": 8, "people_principal": 3, "people_worker": 3,
                      "people_safety_manager": 1, "ent_high_risk": 1}
    names = set(metric_rows(scope, "ent_total").values_list("name", flat=True))
    assert names == {"甲机械", "乙有色", "丙机械"}


def test_filters_narrow_the_scope(world):
    scope, form = build_scope(world["analyst"], {"industry": world["machinery"].pk})
    assert form.is_valid()
    assert compute(scope, ["ent_total"])["ent_total"] == 2
    scope, _ = build_scope(world["analyst"], {"hazard": "dust-explosion"})
    assert set(metric_rows(scope, "ent_total").values_list("name", flat=True)) == {"甲机械", "乙有色"}
    scope, _ = build_scope(world["analyst"], {"region": "440781"})
    assert compute(scope, ["ent_total", "people_total"]) == {"ent_total": 1, "people_total": 2}


def test_region_filter_cannot_leave_the_bureau_region(world):
    scope, form = build_scope(world["analyst"], {"region": "441900"})
    assert not form.is_valid() and "region" in form.errors
    assert compute(scope, ["ent_total"])["ent_total"] == 3  # falls back to the bureau's region


def test_bad_period_is_reported_and_ignored(world, client):
    client.force_login(world["analyst"])
    resp = client.get(reverse("reports:bureau"), {"start": "2026-05-01", "end": "2026-04-01"})
    assert resp.status_code == 200
    assert "开始日期不能晚于结束日期" in resp.content.decode()


def test_enterprise_scope_is_itself(world):
    scope, _ = build_scope(world["ent_admin"], kind=ReportKind.ENTERPRISE, enterprise=world["e1"])
    assert compute(scope, ["ent_total", "people_total", "people_worker"]) == {
        "ent_total": 1, "people_total": 5, "people_worker": 2}


def test_bureau_dashboard_page_numbers_agree_with_lists(world, client):
    client.force_login(world["analyst"])
    resp = client.get(reverse("reports:bureau"))
    assert resp.status_code == 200
    html = resp.content.decode()
    shown = figure_values(html)
    assert shown["ent_total"].startswith("3") and shown["people_principal"].startswith("3")
    # every figure links to a list whose total equals the figure
    links = re.findall(r'href="(/reports/dashboard/list/[^"]+)" data-metric="([a-z_0-9]+)"', html)
    assert len(links) >= 5
    for url, key in links:
        page = client.get(url.replace("&amp;", "&"))
        assert page.status_code == 200
        total = re.search(r"data-total>(\d+)", page.content.decode()).group(1)
        assert shown[key].startswith(total), (key, shown[key], total)


def test_chart_marks_link_to_matching_lists(world, client):
    client.force_login(world["analyst"])
    html = client.get(reverse("reports:bureau")).content.decode()
    assert "<svg" in html and "企业行业分布" in html
    url = re.search(r'<a href="(/reports/dashboard/list/ent_total/\?[^"]*industry_id=\d+[^"]*)" aria-label="机械 2家"', html)
    assert url, "the 机械 bar links to its list"
    page = client.get(url.group(1).replace("&amp;", "&")).content.decode()
    assert "data-total>2" in page and "甲机械" in page and "丙机械" in page and "乙有色" not in page


def test_enterprise_manager_cannot_open_bureau_dashboard_or_other_enterprise(world, client):
    client.force_login(world["ent_admin"])
    assert client.get(reverse("reports:bureau")).status_code == 403
    assert client.get(reverse("reports:index")).url == reverse("reports:enterprise")
    assert client.get(reverse("reports:enterprise")).status_code == 200
    assert client.get(reverse("reports:enterprise"), {"org": world["e2"].pk}).status_code == 404
    resp = client.get(reverse("reports:drill", args=["people_total"]),
                      {"view": "enterprise", "org": world["e2"].pk})
    assert resp.status_code == 404
    resp = client.get(reverse("reports:drill", args=["people_total"]), {"view": "enterprise"})
    assert "data-total>5" in resp.content.decode()


def test_worker_gets_no_dashboard(world, client):
    worker = world["people"][world["e1"].pk][2]
    client.force_login(worker)
    assert client.get(reverse("reports:index")).status_code == 403
    assert client.get(reverse("reports:drill", args=["ent_total"])).status_code == 403


def test_unknown_metric_is_404(world, client):
    client.force_login(world["analyst"])
    assert client.get(reverse("reports:drill", args=["nope"])).status_code == 404


def test_nav_entries(world, client):
    client.force_login(world["analyst"])
    html = client.get("/").content.decode()
    assert "统计看板" in html
    client.force_login(world["ent_admin"])
    html = client.get("/").content.decode()
    assert "统计看板" in html and "调度表" not in html


@pytest.fixture
def big_world(world):
    """Many enterprises and people in the region, made with bulk_create."""
    from accounts.models import Membership, Organization, Region, User
    from accounts.validators import make_credit_code
    from tests.factories import _org_part

    region = Region.objects.get(code="440705")
    orgs = Organization.objects.bulk_create([
        Organization(kind="enterprise", name=f"批量企业{i}", region=region, industry=world["machinery"],
                     credit_code=make_credit_code("91", "440705", _org_part(50000 + i)))
        for i in range(300)
    ])
    users = User.objects.bulk_create([User(username=f"bulk{i}", real_name=f"批量{i}") for i in range(1200)])
    Membership.objects.bulk_create([
        Membership(user=u, organization=orgs[i % 300], role=(Role.PRINCIPAL if i < 300 else Role.WORKER))
        for i, u in enumerate(users)
    ])
    return world


def test_dashboard_query_budget_with_large_data(big_world, client, django_assert_max_num_queries):
    from reports.rollup import rollup_build

    rollup_build()  # the daily roll-up (beat, seed_demo, or the first view of a fresh install)
    client.force_login(big_world["analyst"])
    with django_assert_max_num_queries(15):
        resp = client.get(reverse("reports:bureau"))
    assert resp.status_code == 200
    assert figure_values(resp.content.decode())["ent_total"].startswith("303")


def test_drill_list_is_paginated_by_keyset_with_bounded_queries(big_world, client, django_assert_max_num_queries):
    from reports.rollup import rollup_build

    rollup_build()
    client.force_login(big_world["analyst"])
    url = reverse("reports:drill", args=["people_worker"])
    seen: list[str] = []
    after, pages = "", 0
    while True:
        with django_assert_max_num_queries(15):
            resp = client.get(url, {"after": after} if after else {})
        html = resp.content.decode()
        assert "data-total>903人<" in html  # 900 bulk workers + 3 in the small world: the roll-up's figure
        assert "OFFSET" not in html
        pages += 1
        seen += re.findall(r'data-person="(\d+)"', html)
        found = re.search(r'href="\?[^"]*after=([A-Za-z0-9_-]+)" rel="next"', html)
        if not found:
            break
        after = found.group(1)
    assert pages == 19
    assert len(seen) == len(set(seen)) == 903  # every row once, in order, no page skipped or repeated
    with django_assert_max_num_queries(15):
        resp = client.get(reverse("reports:drill", args=["ent_total"]), {"after": "garbage"})
    assert resp.status_code == 200


def test_only_the_current_nav_entry_is_active(world, client):
    client.force_login(world["analyst"])
    html = client.get(reverse("reports:progress")).content.decode()
    assert re.search(r'class="active"[^>]*>调度表', html)
    assert not re.search(r'class="active"[^>]*>统计看板', html)
    html = client.get(reverse("reports:bureau")).content.decode()
    assert re.search(r'class="active"[^>]*>统计看板', html)
