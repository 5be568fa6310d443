"""No public media URL: even under DEBUG only Wagtail's image renditions are served as files."""

import importlib
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import clear_url_caches


@pytest.fixture
def debug_urls(settings, tmp_path):
    import config.urls

    settings.MEDIA_ROOT = str(tmp_path)
    for rel in ("certificates/2026/T110101198503071235.pdf", "reports/progress/2026-11.xlsx",
                "exams/questions/2026/stem.png", "photos/2026/me.jpg", "images/banner.width-800.png"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"secret")
    with override_settings(DEBUG=True):
        importlib.reload(config.urls)
        clear_url_caches()
        yield
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.mark.django_db
def test_debug_serves_no_user_file_from_media(client, debug_urls):
    for rel in ("certificates/2026/T110101198503071235.pdf", "reports/progress/2026-11.xlsx",
                "exams/questions/2026/stem.png", "photos/2026/me.jpg"):
        resp = client.get(f"/media/{rel}")
        assert resp.status_code == 404, rel
    assert client.get("/media/images/banner.width-800.png").status_code == 200


def test_no_template_links_a_raw_media_url():
    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = []
    for p in root.rglob("*.html"):
        # a CMS video block's file is a Wagtail document: its .url is Wagtail's document view
        text = p.read_text(encoding="utf-8").replace("value.video.url", "")
        if any(s in text for s in (".image.url", ".video.url", ".pdf.url", ".file.url", ".photo.url", "MEDIA_URL")):
            offenders.append(str(p))
    assert not offenders


@pytest.mark.django_db
def test_cms_documents_are_served_by_the_document_view(settings, tmp_path):
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document

    settings.MEDIA_ROOT = str(tmp_path)
    doc = Document.objects.create(title="v", file=ContentFile(b"x", name="clip.mp4"))
    assert doc.url.startswith("/documents/") and "/media/" not in doc.url
