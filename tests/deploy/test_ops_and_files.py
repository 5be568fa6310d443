"""Staff round trip endpoint, restricted-media serving (X-Accel-Redirect / streaming) and the API schema."""

import json

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.urls import reverse

from core.protected_files import serve_protected
from core.schema import only_product_api
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_ping_queues_a_task_for_staff_and_reports_it_done(client, django_capture_on_commit_callbacks):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        resp = client.post(reverse("ops:ping"))
    assert len(callbacks) == 1
    assert resp.status_code == 202
    token = resp.json()["token"]
    # Tests run tasks eagerly: the task has written its mark into the cache by now.
    assert cache.get(f"anxun:ping:{token}")
    status = client.get(reverse("ops:ping-status", args=[token])).json()
    assert status["status"] == "done" and status["done_at"]
    assert client.get(reverse("ops:ping-status", args=["f" * 32])).json()["status"] == "pending"


def test_ping_is_staff_only_and_post_only(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert client.post(reverse("ops:ping")).status_code == 403
        client.force_login(UserFactory())
        resp = client.post(reverse("ops:ping"))
    assert resp.status_code == 403 and "运维" in resp.json()["detail"]
    assert callbacks == []  # nothing was queued
    assert client.get(reverse("ops:ping-status", args=["abc"])).status_code == 403
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("ops:ping")).status_code == 405


def _stored_file(settings, tmp_path):
    """A restricted file kept in plain form (a lesson's own video file)."""
    from courses.models import Lesson
    from tests.courses.factories import LessonFactory

    settings.MEDIA_ROOT = str(tmp_path)
    lesson = LessonFactory()
    lesson.video.save("第一课.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42 video bytes"), save=True)
    return Lesson.objects.get(pk=lesson.pk).video


def _stored_photo(settings, tmp_path):
    """An identity photo: encrypted at rest."""
    from accounts.models import User

    settings.MEDIA_ROOT = str(tmp_path)
    user = UserFactory()
    user.photo.save("证件照.jpg", ContentFile(b"\xff\xd8\xff photo bytes"), save=True)
    return User.objects.get(pk=user.pk).photo


def test_restricted_file_goes_through_nginx_when_x_accel_is_on(rf, settings, tmp_path):
    video = _stored_file(settings, tmp_path)
    settings.X_ACCEL_REDIRECT = True
    resp = serve_protected(rf.get("/"), video, filename="第一课.mp4", content_type="video/mp4")
    assert resp["X-Accel-Redirect"].startswith("/protected/lessons/")
    assert resp["X-Accel-Redirect"].endswith(".mp4")
    assert resp.content == b"" and resp["Cache-Control"] == "private, no-store"
    assert "filename*=UTF-8''%E7%AC%AC" in resp["Content-Disposition"]


def test_encrypted_photo_never_goes_through_nginx(rf, settings, tmp_path):
    """nginx would hand out the ciphertext: an encrypted photo is always decrypted and streamed."""
    photo = _stored_photo(settings, tmp_path)
    settings.X_ACCEL_REDIRECT = True
    resp = serve_protected(rf.get("/"), photo, filename="证件照.jpg", content_type="image/jpeg")
    assert "X-Accel-Redirect" not in resp
    assert b"".join(resp.streaming_content) == b"\xff\xd8\xff photo bytes"
    assert resp["Cache-Control"] == "private, no-store"


def test_restricted_file_is_streamed_by_django_without_x_accel(rf, settings, tmp_path):
    photo = _stored_photo(settings, tmp_path)
    settings.X_ACCEL_REDIRECT = False
    resp = serve_protected(rf.get("/"), photo, filename="证件照.jpg", content_type="image/jpeg", attachment=True)
    assert "X-Accel-Redirect" not in resp
    assert b"".join(resp.streaming_content) == b"\xff\xd8\xff photo bytes"
    assert resp["Content-Disposition"].startswith("attachment")


def test_wagtail_documents_use_x_accel_redirect(client, settings, tmp_path):
    from wagtail.documents.models import Document

    settings.MEDIA_ROOT = str(tmp_path)
    settings.SENDFILE_BACKEND = "core.protected_files"
    settings.X_ACCEL_REDIRECT = True
    doc = Document.objects.create(title="事故警示", file=ContentFile(b"%PDF-1.7 case", name="case.pdf"))
    resp = client.get(doc.url)
    assert resp.status_code == 200
    assert resp["X-Accel-Redirect"] == "/protected/" + doc.file.name
    assert resp.content == b""


def test_schema_hook_keeps_only_the_product_api():
    endpoints = [("/api/v1/people/", "^api/v1/people/$", "GET", None),
                 ("/admin/api/main/pages/", "^admin/api/main/pages/$", "GET", None)]
    assert [e[0] for e in only_product_api(endpoints)] == ["/api/v1/people/"]


def test_api_schema_has_no_wagtail_admin_api(client):
    resp = client.get("/api/schema/", {"format": "json"})
    assert resp.status_code == 200
    paths = json.loads(resp.content)["paths"]
    assert not [p for p in paths if p.startswith("/admin/")]
