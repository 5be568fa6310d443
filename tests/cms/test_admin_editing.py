"""What an editor meets in the page editor: tick boxes for tags, short ASCII slugs for Chinese titles."""

import re

import pytest
from django.urls import reverse

from accounts.roles import Role
from cms.models import WarningCasePage
from cms.slugs import ascii_slug

from .test_editorial import _case_form, bureau  # noqa: F401  (fixture)


def test_ascii_slug_is_short_pinyin():
    assert ascii_slug("粉尘爆炸事故（演示）") == "fen-chen-bao-zha-shi-gu-yan-shi"
    assert ascii_slug("GB 15577-2018 粉尘防爆") == "gb-15577-2018-fen-chen-fang-bao"
    long = ascii_slug("江门市某金属制品厂“8·2”粉尘爆炸较大事故调查报告及整改情况通报" * 3)
    assert len(long) <= 50 and long.isascii() and not long.endswith("-")
    assert ascii_slug("") == ""


@pytest.mark.django_db
def test_editor_sees_tick_boxes_not_a_ctrl_click_list(client, make_member, bureau, sections):  # noqa: F811
    client.force_login(make_member(Role.BUREAU_EDITOR, bureau))
    html = client.get(reverse("wagtailadmin_pages:add", args=["cms", "warningcasepage", sections["cases"].pk])).content.decode()
    for name in ("hazard_tags", "process_tags"):
        assert re.search(rf'<input type="checkbox" name="{name}"', html), name
    for name in ("hazard_tags", "process_tags", "clauses"):
        assert not re.search(rf'<select name="{name}"[^>]*multiple', html), name


@pytest.mark.django_db
def test_chinese_title_gets_a_short_ascii_slug_through_the_editor(client, make_member, bureau, sections):  # noqa: F811
    client.force_login(make_member(Role.BUREAU_EDITOR, bureau))
    add_url = reverse("wagtailadmin_pages:add", args=["cms", "warningcasepage", sections["cases"].pk])
    title = "某公司“7·22”有限空间中毒较大事故（演示案例）"
    # the editor's browser fills the slug from the title as typed (a Chinese slug)
    for _i in range(2):
        r = client.post(add_url, _case_form(title=title, slug="某公司722有限空间中毒较大事故演示案例"))
        assert r.status_code == 302, r.content.decode()[:2000]
    slugs = sorted(WarningCasePage.objects.filter(title=title).values_list("slug", flat=True))
    assert slugs == ["mou-gong-si-7-22-you-xian-kong-jian-zhong-du-jiao", "mou-gong-si-7-22-you-xian-kong-jian-zhong-du-jiao-2"]
    page = WarningCasePage.objects.get(slug=slugs[0])
    assert "%" not in page.url and page.url.isascii()


@pytest.mark.django_db
def test_ascii_slug_typed_by_the_editor_is_kept(sections):
    page = WarningCasePage(title="有限空间中毒事故", slug="confined-2026", occurred_on="2026-01-01", place="某地",
                           summary="简介", direct_causes="<p>原因</p>", lessons="<p>教训</p>")
    sections["cases"].add_child(instance=page)
    assert page.slug == "confined-2026"
    other = WarningCasePage(title="有限空间中毒事故", slug="", occurred_on="2026-01-01", place="某地", summary="简介",
                            direct_causes="<p>原因</p>", lessons="<p>教训</p>")
    sections["cases"].add_child(instance=other)
    assert other.slug == "you-xian-kong-jian-zhong-du-shi-gu"
