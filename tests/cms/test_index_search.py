"""Index pages (filters, pagination, query budget), Chinese search, feeds."""

import datetime as dt

import pytest
from django.urls import reverse

from cms.services import search_rebuild


def test_case_index_filters_by_industry_hazard_and_year(client, make_case, sections):
    make_case("抛光粉尘爆炸", industry="machinery", hazards=["dust-explosion"], occurred_on=dt.date(2025, 8, 1))
    make_case("液氨泄漏", industry="commerce-trade", hazards=["ammonia-refrigeration"], occurred_on=dt.date(2024, 6, 1))
    make_case("污水池中毒", hazards=["confined-space"], occurred_on=dt.date(2024, 7, 1))
    url = sections["cases"].url

    def titles(**params):
        r = client.get(url, params)
        assert r.status_code == 200
        return [p.title for p in r.context["items"]]

    assert titles() == ["抛光粉尘爆炸", "污水池中毒", "液氨泄漏"]
    assert titles(industry="machinery") == ["抛光粉尘爆炸"]
    assert titles(hazard="confined-space") == ["污水池中毒"]
    assert titles(year="2024") == ["污水池中毒", "液氨泄漏"]
    assert titles(year="2024", hazard="ammonia-refrigeration") == ["液氨泄漏"]
    assert titles(year="abcd", page="999") == ["抛光粉尘爆炸", "污水池中毒", "液氨泄漏"]


def test_drafts_do_not_appear_in_indexes(client, make_case, sections):
    make_case("草稿", hazards=["dust-explosion"], publish=False)
    assert list(client.get(sections["cases"].url).context["items"]) == []


@pytest.mark.parametrize("count", [3, 30])
def test_case_index_query_budget_does_not_grow(client, make_case, sections, count, django_assert_max_num_queries):
    for i in range(count):
        make_case(f"案例{i}", industry="machinery", hazards=["dust-explosion", "hot-work"], slug=f"c{i}")
    with django_assert_max_num_queries(14):
        r = client.get(sections["cases"].url, {"hazard": "dust-explosion"})
    assert r.status_code == 200
    assert len(r.context["items"]) == min(count, 12)
    if count > 12:
        assert r.context["page_obj"].has_next()
        r2 = client.get(sections["cases"].url, {"hazard": "dust-explosion", "page": 3})
        assert len(r2.context["items"]) == count - 24
        assert "?hazard=dust-explosion&page=2" in r2.content.decode()


def test_standard_index_query_budget(client, make_standard, sections, django_assert_max_num_queries):
    for i in range(15):
        make_standard(slug=f"s{i}", title=f"标准{i}")
    with django_assert_max_num_queries(12):
        r = client.get(sections["standards"].url)
    assert len(r.context["items"]) == 12


@pytest.fixture
def content(make_standard, make_clause, make_case):
    std = make_standard()
    make_clause(std, "gm2023-11-2", 11, 2, title="除尘系统混用", text="不同类别的可燃性粉尘共用一套除尘系统", hazards=["dust-explosion"])
    make_clause(std, "gm2023-11-10", 11, 10, title="积尘严重", text="未落实粉尘清理制度，作业现场积尘严重")
    make_clause(std, "gm2023-12-2", 12, 2, title="速冻装置", text="快速冻结装置作业间内作业人员超过9人，液氨泄漏风险")
    make_clause(std, "gm2023-13-2", 13, 2, title="有限空间作业", text="未执行先通风、再检测、后作业；动火作业未审批")
    make_case("抛光车间粉尘爆炸事故", hazards=["dust-explosion"], summary="铝粉尘在除尘器内爆炸")
    make_case("冷库液氨泄漏", hazards=["ammonia-refrigeration"], summary="速冻间液氨泄漏")
    search_rebuild()


def _titles(client, q):
    r = client.get(reverse("cms:search"), {"q": q})
    assert r.status_code == 200
    return [x["doc"].title for x in r.context["results"]]


def test_chinese_search_finds_dust_explosion_clauses_and_cases(client, content):
    found = _titles(client, "粉尘")
    assert any("除尘系统混用" in t for t in found)
    assert any("积尘严重" in t for t in found)
    assert "抛光车间粉尘爆炸事故" in found
    assert not any("速冻装置" in t for t in found)
    assert found[0] == "抛光车间粉尘爆炸事故", "a title hit ranks first"


def test_chinese_search_other_terms(client, content):
    assert any("速冻装置" in t for t in _titles(client, "液氨"))
    assert "冷库液氨泄漏" in _titles(client, "液氨")
    assert any("有限空间作业" in t for t in _titles(client, "有限空间"))
    assert any("有限空间作业" in t for t in _titles(client, "动火"))
    assert _titles(client, "液氨 速冻")  # every term must match
    assert _titles(client, "液氨 抛光") == []
    assert _titles(client, "") == []


def test_search_index_follows_publish_and_unpublish(client, make_case, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case("高处坠落事故", hazards=["hot-work"])
    assert _titles(client, "坠落") == ["高处坠落事故"]
    case.unpublish()
    assert _titles(client, "坠落") == []


def test_feeds(client, make_case):
    make_case("抛光车间粉尘爆炸事故", hazards=["dust-explosion"])
    r = client.get(reverse("cms:feed_cases"))
    assert r.status_code == 200 and "抛光车间粉尘爆炸事故" in r.content.decode()
    assert client.get(reverse("cms:feed_notices_atom")).status_code == 200


def test_search_excerpt_marks_terms_and_escapes_text(client, make_standard, make_clause):
    make_clause(make_standard(), "x-1-1", 1, 1, title="测试", text="<b>粗体</b> 有限空间作业前先通风")
    from cms.services import search_rebuild

    search_rebuild()
    r = client.get(reverse("cms:search"), {"q": "有限空间"})
    body = r.content.decode()
    assert "<mark>有限空间</mark>" in body
    assert "&lt;b&gt;粗体" in body or "<b>粗体" not in body


def test_superseded_standard_links_both_ways(client, make_standard):
    from cms.models import StandardPage

    old = make_standard(slug="gm-2017", title="2017版判定标准", status=StandardPage.Status.SUPERSEDED)
    new = make_standard(slug="gm-2023", title="2023版判定标准", supersedes=old)
    assert old.superseded_by == new
    body = client.get(old.url).content.decode()
    assert "已被替代" in body and 'href="/standards/gm-2023/"' in body
    assert 'href="/standards/gm-2017/"' in client.get(new.url).content.decode()
