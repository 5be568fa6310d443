"""Identity and face photos are encrypted at rest (core/storage.py): the bytes on disk are not the
image, opening gives the original back, files from before encryption still open and are sealed in
place by an idempotent command, and every reader (face matcher, protected views, certificate PDF)
keeps working."""

import importlib.util
import io
import os
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.management import call_command
from django.test import RequestFactory
from PIL import Image, UnidentifiedImageError

from accounts.models import IdentitySubmission, User
from accounts.selectors import verified_portrait_bytes
from core import faces, storage as vault
from core.protected_files import serve_protected
from courses.models import StudyCheck
from exams.models import AttemptStill, PracticalEvidence, Registration
from tests.courses.helpers import enrolled_course
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _jpeg(size=(320, 400), colour=(200, 120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def _on_disk(media: Path, fieldfile) -> bytes:
    return (media / fieldfile.name).read_bytes()


def test_every_identity_and_face_photo_field_is_encrypted():
    fields = {(m._meta.label, f.name) for m, f in vault.encrypted_fields()}
    assert {("accounts.User", "photo"), ("accounts.IdentitySubmission", "id_front"),
            ("accounts.IdentitySubmission", "id_back"), ("accounts.IdentitySubmission", "portrait"),
            ("courses.StudyCheck", "still"), ("exams.Registration", "check_in_still"),
            ("exams.PracticalEvidence", "file"), ("exams.AttemptStill", "still")} <= fields
    for model, name in ((User, "photo"), (IdentitySubmission, "portrait"), (StudyCheck, "still"),
                        (Registration, "check_in_still"), (PracticalEvidence, "file"), (AttemptStill, "still")):
        assert vault.is_encrypted_storage(model._meta.get_field(name).storage)


def test_bytes_on_disk_are_not_the_image_and_open_gives_it_back(media):
    original = _jpeg()
    user = UserFactory()
    user.photo.save("me.jpg", ContentFile(original), save=True)
    stored = _on_disk(media, user.photo)
    assert user.photo.name.startswith("photos/") and user.photo.name.endswith(".jpg")  # names unchanged
    assert stored.startswith(vault.MAGIC) and not stored.startswith(b"\xff\xd8")
    assert original[100:140] not in stored
    with pytest.raises(UnidentifiedImageError):
        Image.open(io.BytesIO(stored))
    fresh = User.objects.get(pk=user.pk)
    with fresh.photo.open("rb") as fh:
        assert fh.read() == original
    assert fresh.photo.size == len(original)
    with fresh.photo.open("rb") as fh, Image.open(fh) as img:
        assert img.size == (320, 400)


def test_large_files_are_sealed_in_chunks_and_read_anywhere(media):
    """A practical-exam video (many chunks), uploaded through a temporary file (no move of the plain file)."""
    data = os.urandom(3 * vault.CHUNK + 123)
    upload = TemporaryUploadedFile("clip.mp4", "video/mp4", len(data), None)
    upload.write(data)
    upload.seek(0)
    storage = PracticalEvidence._meta.get_field("file").storage
    name = storage.save("exams/practical/2026/12/clip.mp4", upload)
    upload.close()
    raw = (media / name).read_bytes()
    assert raw.startswith(vault.MAGIC) and data[:64] not in raw
    assert len(raw) == vault.HEADER_BYTES + len(data) + 4 * vault.TAG
    assert storage.size(name) == len(data)
    with storage.open(name) as fh:
        assert fh.read() == data
        fh.seek(vault.CHUNK - 10)
        assert fh.read(30) == data[vault.CHUNK - 10:vault.CHUNK + 20]
        fh.seek(-5, io.SEEK_END)
        assert fh.read() == data[-5:]
    empty = storage.save("exams/practical/2026/12/empty.mp4", ContentFile(b""))
    with storage.open(empty) as fh:
        assert fh.read() == b""


@pytest.mark.parametrize("damage", ["flip", "truncate", "drop_last_chunk"])
def test_a_damaged_file_is_an_error_not_garbage(media, damage):
    storage = PracticalEvidence._meta.get_field("file").storage
    data = os.urandom(2 * vault.CHUNK + 7)
    name = storage.save("exams/practical/x.bin", ContentFile(data))
    path = media / name
    raw = bytearray(path.read_bytes())
    if damage == "flip":
        raw[vault.HEADER_BYTES + 5] ^= 1
    elif damage == "truncate":
        raw = raw[:-1]
    else:
        raw = raw[:vault.HEADER_BYTES + 2 * (vault.CHUNK + vault.TAG)]
    path.write_bytes(bytes(raw))
    with pytest.raises(vault.EncryptedFileError), storage.open(name) as fh:  # an OSError: callers handle it
        fh.read()


def test_a_plain_file_from_before_still_opens_and_the_command_seals_it_once(media, settings):
    original = _jpeg(colour=(10, 200, 10))
    user = UserFactory(identity_verified=True)
    (media / "photos/2025").mkdir(parents=True)
    (media / "photos/2025/legacy.jpg").write_bytes(original)
    User.objects.filter(pk=user.pk).update(photo="photos/2025/legacy.jpg")
    check_user = UserFactory()
    (media / "study_checks/2025/01").mkdir(parents=True)
    (media / "study_checks/2025/01/s.jpg").write_bytes(b"plain-still")
    user.refresh_from_db()
    assert verified_portrait_bytes(user) == original  # no header: read as plain

    _c, (lesson, _l), _e = enrolled_course(check_user, lessons=(30, 10))
    StudyCheck.objects.create(user=check_user, lesson=lesson, token="t", taken_at="2025-01-02T10:00:00+08:00",
                              still="study_checks/2025/01/s.jpg", outcome="match", status="passed")

    out = io.StringIO()
    call_command("encrypt_media", stdout=out)
    assert "sealed 2," in out.getvalue()
    sealed = (media / "photos/2025/legacy.jpg").read_bytes()
    assert sealed.startswith(vault.MAGIC) and original[200:240] not in sealed
    assert verified_portrait_bytes(User.objects.get(pk=user.pk)) == original
    with StudyCheck.objects.get().still.open() as fh:
        assert fh.read() == b"plain-still"

    out = io.StringIO()
    call_command("encrypt_media", stdout=out)  # idempotent: nothing sealed twice
    assert "sealed 0, already encrypted 2" in out.getvalue()
    assert (media / "photos/2025/legacy.jpg").read_bytes() == sealed
    assert not [p for p in media.rglob(".sealing-*")]


def test_a_new_key_keeps_old_files_readable_and_the_command_reseals_them(media, settings):
    settings.ANXUN_MEDIA_ENCRYPTION_KEY = "media-key-one"
    user = UserFactory()
    original = _jpeg()
    user.photo.save("k.jpg", ContentFile(original), save=True)
    first = _on_disk(media, user.photo)

    settings.ANXUN_MEDIA_ENCRYPTION_KEY = "media-key-two"
    with pytest.raises(vault.EncryptedFileError):  # the new key alone cannot open it
        user.photo.storage.open(user.photo.name).read()
    settings.ANXUN_MEDIA_ENCRYPTION_OLD_KEYS = ["media-key-one"]
    with user.photo.storage.open(user.photo.name) as fh:
        assert fh.read() == original
    assert vault.encrypt_existing()["sealed"] == 1
    assert _on_disk(media, user.photo) != first
    settings.ANXUN_MEDIA_ENCRYPTION_OLD_KEYS = []
    with user.photo.storage.open(user.photo.name) as fh:
        assert fh.read() == original


def test_no_url_and_the_protected_view_streams_the_original(media, settings):
    settings.X_ACCEL_REDIRECT = True  # nginx would send the ciphertext: encrypted photos never go that way
    original = _jpeg()
    user = UserFactory()
    user.photo.save("u.jpg", ContentFile(original), save=True)
    with pytest.raises(AttributeError):
        user.photo.url  # noqa: B018
    response = serve_protected(RequestFactory().get("/"), user.photo, filename="u.jpg", content_type="image/jpeg")
    assert "X-Accel-Redirect" not in response
    assert b"".join(response.streaming_content) == original
    assert int(response["Content-Length"]) == len(original)
    assert response["Cache-Control"] == "private, no-store"


def test_the_certificate_pdf_embeds_the_decrypted_portrait(media):
    from certificates.pdf import _photo_data_uri

    user = UserFactory()
    user.photo.save("cert.jpg", ContentFile(_jpeg()), save=True)
    assert _photo_data_uri(user).startswith("data:image/jpeg;base64,")


def test_the_matcher_still_matches_an_encrypted_portrait(media):
    if not faces.available():  # `make setup-dev` installs it; a run without it must say so, not pass
        pytest.fail("face matcher not installed: run `make setup-dev` (requirements-faces.txt)")
    spec = importlib.util.find_spec("insightface")
    if spec is None:
        pytest.fail("test photos missing: `make setup-dev` installs requirements-photos.txt")
    portrait = (Path(spec.origin).parent / "data" / "images" / "Tom_Hanks_54745.png").read_bytes()
    user = UserFactory(identity_verified=True)
    user.photo.save("p.png", ContentFile(portrait), save=True)
    assert not _on_disk(media, user.photo).startswith(b"\x89PNG")
    read_back = verified_portrait_bytes(User.objects.get(pk=user.pk))
    assert read_back == portrait
    with Image.open(io.BytesIO(portrait)) as image:
        still = io.BytesIO()
        image.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(still, "PNG")
    assert faces.compare(read_back, still.getvalue()).outcome == faces.MATCH


def test_the_admin_user_form_shows_the_photo_without_a_link(client, media):
    admin = UserFactory(is_staff=True, is_superuser=True)
    user = UserFactory()
    user.photo.save("a.jpg", ContentFile(_jpeg()), save=True)
    client.force_login(admin)
    page = client.get(f"/django-admin/accounts/user/{user.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="photo"' in text and user.photo.name not in text and "/media/" not in text


def test_retention_still_deletes_the_encrypted_still(media):
    import datetime as dt

    import time_machine

    from catalogue.models import StudyRule
    from courses.privacy import delete_expired_stills

    StudyRule.objects.create(region_prefix="", population="", effective_from=dt.date(2020, 1, 1),
                             retention_years=3, retention_years_special=6)
    person = UserFactory()
    _c, (lesson, _l), _e = enrolled_course(person, lessons=(30, 10))
    check = StudyCheck(user=person, lesson=lesson, token="t", taken_at=dt.datetime(2022, 3, 1, 2, tzinfo=dt.UTC),
                       outcome="match", status="passed")
    check.still.save("s.jpg", ContentFile(_jpeg()), save=False)
    check.save()
    path = media / check.still.name
    assert path.read_bytes().startswith(vault.MAGIC)
    with time_machine.travel(dt.datetime(2025, 3, 2, 12, tzinfo=dt.UTC), tick=False):
        assert delete_expired_stills() == 1
    check.refresh_from_db()
    assert not check.still and not path.exists()


def test_any_media_backend_gets_the_encryption(settings):
    """Object storage (S3-compatible) is another backend: the same mixin, and sealing in place overwrites
    the object under its name (InMemoryStorage stands in for the bucket; no network)."""
    from django.core.files.storage import InMemoryStorage

    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    store = vault.encrypted_storage()
    assert isinstance(store, InMemoryStorage) and vault.is_encrypted_storage(store)
    assert issubclass(vault._storage_class("storages.backends.s3.S3Storage"), vault.EncryptedStorageMixin)
    original = _jpeg()
    name = store.save("photos/2026/b.jpg", ContentFile(original))
    with InMemoryStorage._open(store, name, "rb") as raw:  # what the bucket holds
        assert raw.read().startswith(vault.MAGIC)
    with store.open(name) as fh:
        assert fh.read() == original
    InMemoryStorage.delete(store, name)
    InMemoryStorage._save(store, name, ContentFile(original))  # a plain object from before
    with store.open(name) as fh:
        assert fh.read() == original
    assert store.seal_in_place(name) is True and store.seal_in_place(name) is False
    assert store.is_encrypted(name)
    with store.open(name) as fh:
        assert fh.read() == original
