"""Nothing executable reaches a published page; uploaded HTML/SVG documents are downloads."""

from django.core.files.base import ContentFile
from django.urls import reverse
from wagtail.documents import get_document_model

from cms.sanitize import clean_html, safe_url

EVIL = (
    '<p onclick="alert(1)">正文<script>alert(2)</script>'
    '<a href="javascript:alert(3)">链接</a><a href=" JaVaScRiPt:alert(4)">二</a>'
    '<img src=x onerror="alert(5)"><iframe src="https://evil.example"></iframe>'
    '<a href="/clauses/gm2023-11-2/" onmouseover="x()">条款</a><svg onload="alert(6)"></svg></p>'
)


def _assert_clean(html: str):
    low = html.lower()
    for needle in ("<script", "javascript:", "onclick", "onerror", "onmouseover", "onload", "<iframe", "<svg", "alert(2)"):
        assert needle not in low, needle


def test_clean_html_keeps_text_and_safe_links():
    out = clean_html(EVIL)
    _assert_clean(out)
    assert "正文" in out and 'href="/clauses/gm2023-11-2/"' in out and ">链接</a>" in out
    assert clean_html('<a href="https://www.mem.gov.cn/">应急管理部</a>') == '<a href="https://www.mem.gov.cn/">应急管理部</a>'
    assert clean_html('<a linktype="page" id="3">内链</a>') == '<a id="3" linktype="page">内链</a>'
    assert not safe_url("java\nscript:alert(1)") and not safe_url("data:text/html,x")


def test_rich_text_and_stream_fields_are_cleaned_before_a_page_goes_live(client, make_case):
    case = make_case(
        "安全测试案例", hazards=["dust-explosion"], direct_causes=EVIL, lessons=EVIL, summary="<script>alert(7)</script>摘要",
        what_happened=[("paragraph", EVIL), ("callout", {"kind": "warn", "title": "<b onclick=x>标题</b>", "text": EVIL})],
    )
    r = client.get(case.url)
    assert r.status_code == 200
    body = r.content.decode()
    main = body[body.index('id="main"'):]
    _assert_clean(main.replace("&lt;script&gt;", ""))
    assert "正文" in main and "摘要" in main


def test_clause_interpretation_is_cleaned(client, make_standard, make_clause):
    clause = make_clause(make_standard(), "sec-1-1", 1, 1, interpretation=EVIL, text="<script>alert(8)</script>条文")
    body = client.get(clause.get_absolute_url()).content.decode()
    main = body[body.index('id="main"'):]
    _assert_clean(main.replace("&lt;script&gt;", ""))


def test_uploaded_html_and_svg_documents_are_not_served_inline(client, make_member, settings):

    Document = get_document_model()
    for name, payload in (("x.html", b"<script>alert(1)</script>"), ("x.svg", b'<svg onload="alert(1)"></svg>')):
        doc = Document(title=name)
        doc.file.save(name, ContentFile(payload), save=True)
        r = client.get(reverse("wagtaildocs_serve", args=[doc.pk, doc.filename]))
        assert r.status_code == 200
        assert r["Content-Disposition"].startswith("attachment"), name
        assert "default-src 'none'" in r.get("Content-Security-Policy", "")
