"""Chinese editors get Wagtail's admin in Chinese, including the strings Wagtail's own zh_Hans
catalogue leaves untranslated (supplied by locale/zh_Hans/wagtail.tsv into the project catalogue)."""

import pytest
from django.urls import reverse

from accounts.roles import Role

from .test_editorial import bureau  # noqa: F401  (fixture)

ENGLISH = ["created in", "Pages <span", "Images <span", "Search all pages", "Search all pages\\u2026", "Exploring",
           "editor guide", "Password*"]


@pytest.mark.django_db
def test_chinese_editor_sees_the_wagtail_dashboard_in_chinese(client, make_member, bureau, sections):  # noqa: F811
    editor = make_member(Role.BUREAU_EDITOR, bureau)
    client.force_login(editor)
    for url in ("/admin/", reverse("wagtailadmin_explore", args=[sections["cases"].pk]), "/admin/account/"):
        html = client.get(url).content.decode()
        assert '<html lang="zh-hans"' in html, url
        found = [s for s in ENGLISH if s in html]
        assert not found, (url, found)
    home = client.get("/admin/").content.decode()
    assert "个页面" in home and "创建于" in home and 'placeholder="搜索全部页面…"' in home
    explorer = client.get(reverse("wagtailadmin_explore", args=[sections["cases"].pk])).content.decode()
    assert "<title>正在浏览: " in explorer


@pytest.mark.django_db
def test_every_supplied_wagtail_string_keeps_its_placeholders():
    import re
    from pathlib import Path

    from django.conf import settings

    rows = (Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "wagtail.tsv").read_text(encoding="utf-8").splitlines()
    rows = [r.split("\t") for r in rows if r and not r.startswith("#")]
    assert len(rows) > 300
    names = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
    for domain, _ctx, msgid, plural, msgstr in rows:
        assert domain in ("django", "djangojs")
        assert set(names.findall(msgstr)) <= set(names.findall(plural or msgid)) | set(names.findall(msgid)), msgid
        assert msgstr and (msgstr != msgid or msgid.startswith("Wagtail API")), msgid


@pytest.mark.django_db
def test_wagtail_sign_in_page_is_chinese(client):
    html = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert '<html lang="zh-hans"' in html
    assert ">Password<" not in html and "Password*" not in html
    assert "密码" in html
