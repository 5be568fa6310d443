"""The daily roll-up: the bureau pages read it, its figures equal the live figures on the same data,
each viewer sees only the cells of their region, the page says how fresh it is, and bureau staff can
rebuild it."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Region
from accounts.roles import OrgKind, Role
from reports import dashboards
from reports.models import RollupBuild, RollupCell
from reports.metrics import compute
from reports.rollup import COUNT_KEYS, load, rollup_build
from reports.scope import build_scope
from tests.factories import OrganizationFactory

from .test_dashboard import figure_values


def year_params(today):
    return {"start": today.replace(month=1, day=1).isoformat(), "end": today.isoformat()}


def test_rolled_up_figures_equal_the_live_figures(activity, warnings_data, world):
    """The same dashboard computed both ways — from the roll-up and counted now — is the same."""
    today = timezone.localdate()
    build = rollup_build()
    live_scope, _form = build_scope(world["analyst"], year_params(today))
    rolled_scope, _form = build_scope(world["analyst"], year_params(today))
    rolled_scope.rollup = load(rolled_scope, build, "year")
    live = compute(live_scope, COUNT_KEYS)
    rolled = rolled_scope.rollup.values(COUNT_KEYS)
    assert rolled == live
    assert live["ent_total"] == 3 and live["people_total"] > 0  # the check compares real figures
    assert any(live[k] for k in ("exam_sat", "notif_sent", "people_trained"))
    # every panel (figures, charts, tables) is the same
    assert dashboards.bureau_dashboard(rolled_scope) == dashboards.bureau_dashboard(live_scope)


def test_the_page_reads_the_rollup_and_says_how_fresh_it_is(activity, world, client):
    build = rollup_build()
    client.force_login(world["analyst"])
    html = client.get(reverse("reports:bureau")).content.decode()
    local = timezone.localtime(build.built_at)
    assert f"数据截至 {local:%Y-%m-%d %H:%M}" in html
    assert figure_values(html)["ent_total"].startswith("3")
    # new data is not on the page until the roll-up is built again …
    OrganizationFactory(name="新登记企业", region=Region.objects.get(code="440704"), industry=world["machinery"])
    assert figure_values(client.get(reverse("reports:bureau")).content.decode())["ent_total"].startswith("3")
    # … which bureau staff ask for with “刷新数据” (run at once without a broker)
    resp = client.post(reverse("reports:rollup_refresh"), {"next": reverse("reports:bureau")})
    assert resp.status_code == 302 and resp["Location"] == reverse("reports:bureau")


@pytest.mark.django_db(transaction=True)
def test_refresh_rebuilds_on_commit(world, client):
    client.force_login(world["analyst"])
    client.get(reverse("reports:bureau"))  # a fresh install: the first view builds the roll-up
    first = RollupBuild.objects.get()
    html = client.get(reverse("reports:bureau")).content.decode()
    assert figure_values(html)["ent_total"].startswith("3")
    OrganizationFactory(name="新登记企业", region=Region.objects.get(code="440704"), industry=world["machinery"])
    assert figure_values(client.get(reverse("reports:bureau")).content.decode())["ent_total"].startswith("3")
    client.post(reverse("reports:rollup_refresh"), {"next": "https://evil.example/"})
    again = RollupBuild.objects.get()  # the same day: replaced, not added
    assert again.built_at > first.built_at
    assert figure_values(client.get(reverse("reports:bureau")).content.decode())["ent_total"].startswith("4")


def test_refresh_is_for_bureau_staff_only(world, client):
    client.force_login(world["ent_admin"])
    assert client.post(reverse("reports:rollup_refresh")).status_code == 403
    client.force_login(world["analyst"])
    assert client.get(reverse("reports:rollup_refresh")).status_code == 405


def test_a_county_analyst_never_sees_another_countys_cells(activity, world, make_member, client):
    county = OrganizationFactory(kind=OrgKind.BUREAU, name="蓬江区应急管理局", region=Region.objects.get(code="440703"),
                                 credit_code=None)
    other = OrganizationFactory(kind=OrgKind.BUREAU, name="江海区应急管理局", region=Region.objects.get(code="440704"),
                                credit_code=None)
    nobody = make_member(Role.BUREAU_ANALYST, county)
    analyst = make_member(Role.BUREAU_ANALYST, other)
    build = rollup_build()
    # the cells hold every region; a viewer adds up only their own
    assert RollupCell.objects.filter(build=build, region_id="440781").exists()
    for user, expected in ((nobody, 0), (analyst, 1)):
        scope, _f = build_scope(user, year_params(timezone.localdate()))
        rolled = load(scope, build, "year")
        assert rolled.values(["ent_total"])["ent_total"] == expected
        assert set(rolled.by_region) <= ({"440704"} if expected else set())
        client.force_login(user)
        html = client.get(reverse("reports:bureau")).content.decode()
        assert "乙有色" not in html and "丙机械" not in html
        assert figure_values(html)["ent_total"].startswith(str(expected))
    # the coverage page too
    client.force_login(analyst)
    html = client.get(reverse("reports:coverage"), {"dimension": "region"}).content.decode()
    assert "新会区" not in html and "开平市" not in html


def test_bureau_and_coverage_pages_stay_within_15_queries(activity, warnings_data, world, client,
                                                           django_assert_max_num_queries):
    rollup_build()
    client.force_login(world["analyst"])
    for path, params in ((reverse("reports:bureau"), {}),
                         (reverse("reports:bureau"), {"hazard": world["dust"].code}),
                         (reverse("reports:coverage"), {}),
                         (reverse("reports:coverage"), {"dimension": "role"}),
                         (reverse("reports:coverage"), {"dimension": "enterprise", "group": f"i{world['machinery'].pk}"}),
                         (reverse("reports:drill", args=["people_principal"]), {})):
        with django_assert_max_num_queries(15):
            resp = client.get(path, params)
        assert resp.status_code == 200, path


def test_coverage_rows_from_the_rollup_equal_the_live_rows(activity, world):
    from reports import coverage as live
    from reports.rollup import coverage_rows, register_of

    from courses.models import Course

    course = Course.objects.get(code="rep-c2")  # the one with enrolments
    course.is_mandatory = True
    course.save(update_fields=["is_mandatory"])
    build = rollup_build()
    as_tuples = lambda rows: sorted((r.key, r.label, r.target, r.completed, r.overdue) for r in rows)  # noqa: E731
    for dimension in ("industry", "hazard", "region", "role"):
        for one in (None, course):
            rolled = coverage_rows(world["analyst"], build, course_id=one.pk if one else None, dimension=dimension)
            counted = live.coverage(world["analyst"], dimension=dimension, course=one)
            assert as_tuples(rolled["rows"]) == as_tuples(counted["rows"]), dimension
            assert counted["total"].target > 0
            assert (rolled["total"].target, rolled["total"].completed) == \
                   (counted["total"].target, counted["total"].completed)
    reg = register_of(world["analyst"], build)
    counted = live.register_coverage(world["analyst"])
    assert [(t.role, t.target, t.covered, t.no_account) for t in reg["totals"]] == \
           [(t.role, t.target, t.covered, t.no_account) for t in counted["totals"]]
    assert counted["total"].target > 0


def test_rollup_is_idempotent_and_keeps_a_week(world):
    first = rollup_build()
    again = rollup_build()
    assert RollupBuild.objects.count() == 1 and again.pk != first.pk
    old = rollup_build(day=timezone.localdate() - dt.timedelta(days=9))
    rollup_build()
    assert not RollupBuild.objects.filter(pk=old.pk).exists()


def test_another_period_is_counted_live_and_says_so(activity, world, client):
    rollup_build()
    client.force_login(world["analyst"])
    html = client.get(reverse("reports:bureau"), {"start": "2026-06-01", "end": "2026-06-30"}).content.decode()
    assert "实时统计" in html
    assert re.search(r"统计期间：2026-06-01 至 2026-06-30", html)
