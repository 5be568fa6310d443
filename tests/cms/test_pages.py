"""Page types, parent/child rules, the site tree and clause URLs."""

import pytest
from django.urls import reverse
from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase

from cms import models as m


class PageTreeRulesTests(WagtailPageTestCase):
    def test_root_only_under_wagtail_root_and_sections_only_under_root(self):
        self.assertCanCreateAt(Page, m.ContentRootPage)
        for index in (m.StandardIndexPage, m.GuideIndexPage, m.WarningCaseIndexPage, m.EnforcementCaseIndexPage, m.NoticeIndexPage):
            self.assertCanCreateAt(m.ContentRootPage, index)
            self.assertCanNotCreateAt(Page, index)
            self.assertCanNotCreateAt(m.StandardIndexPage, index)

    def test_each_leaf_type_only_under_its_own_index(self):
        pairs = {
            m.StandardIndexPage: m.StandardPage, m.GuideIndexPage: m.HazardGuidePage,
            m.WarningCaseIndexPage: m.WarningCasePage, m.EnforcementCaseIndexPage: m.EnforcementCasePage,
            m.NoticeIndexPage: m.NoticePage,
        }
        for index, leaf in pairs.items():
            self.assertAllowedSubpageTypes(index, {leaf})
            self.assertCanNotCreateAt(m.ContentRootPage, leaf)
            for other_index, other_leaf in pairs.items():
                if other_index is not index:
                    self.assertCanNotCreateAt(other_index, leaf)
            self.assertAllowedSubpageTypes(leaf, set())


def test_site_tree_exists_and_default_site_serves_it(sections):
    root = m.ContentRootPage.objects.get()
    assert Site.objects.get(is_default_site=True).root_page_id == root.pk
    assert sections["standards"].url == "/standards/"
    assert sections["cases"].url == "/cases/"
    assert sections["notices"].url == "/notices/"


def test_site_tree_ensure_is_idempotent(sections):
    from cms.services import site_tree_ensure

    before = Page.objects.count()
    site_tree_ensure()
    site_tree_ensure()
    assert Page.objects.count() == before


def test_section_pages_render(client, sections):
    for name in ("standards", "guides", "cases", "enforcement", "notices"):
        r = client.get(sections[name].url)
        assert r.status_code == 200, name
        assert sections[name].title in r.content.decode()
    assert client.get(reverse("cms:standards")).status_code == 200
    assert reverse("cms:cases") == "/cases/"


def test_clause_has_stable_url_and_page(client, make_standard, make_clause):
    std = make_standard()
    clause = make_clause(std, "gm2023-11-2", 11, 2, title="除尘系统混用", text="不同类别的可燃性粉尘共用一套除尘系统", interpretation="<p>连锁爆炸</p>")
    assert clause.get_absolute_url() == "/clauses/gm2023-11-2/"
    r = client.get("/clauses/gm2023-11-2/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "除尘系统混用" in body and "连锁爆炸" in body and "第11条第（2）项" in body
    # Case-insensitive codes redirect to the canonical URL.
    r = client.get("/clauses/GM2023-11-2/")
    assert r.status_code == 301 and r["Location"] == "/clauses/gm2023-11-2/"
    assert client.get("/clauses/gm2023-99-9/").status_code == 404


def test_clause_of_unpublished_standard_is_hidden(client, make_standard, make_clause):
    std = make_standard(slug="draft-std", live=False)
    make_clause(std, "draft-1-1", 1, 1)
    assert client.get("/clauses/draft-1-1/").status_code == 404


def test_clause_numbers_unique_per_standard(make_standard, make_clause):
    from django.db import IntegrityError, transaction

    std = make_standard()
    make_clause(std, "x-3-1", 3, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_clause(std, "x-3-1b", 3, 1)


def test_standard_page_lists_clauses_by_article(client, make_standard, make_clause):
    std = make_standard()
    make_clause(std, "gm2023-3-2", 3, 2, title="特种作业人员无证上岗")
    make_clause(std, "gm2023-13-2", 13, 2, title="有限空间作业未审批")
    body = client.get(std.url).content.decode()
    assert body.index("特种作业人员无证上岗") < body.index("有限空间作业未审批")
    assert 'href="/clauses/gm2023-13-2/"' in body
