"""考场签到: the proctor checks a candidate in at the console (portrait and ID photo beside a still,
the match result, a decision with their name); a candidate not checked in cannot start."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core import faces
from core.models import AuditLog
from exams import services
from exams.models import Attempt, CheckIn, ExamSession
from tests.courses.test_study_checks import _photo, _same_person, _someone_else

pytestmark = pytest.mark.django_db
@pytest.fixture
def matcher():
    """The face matcher (`make setup-dev` installs it): a run without it must say so, not pass."""
    if not faces.available():
        pytest.fail("face matcher not installed: run `make setup-dev` (requirements-faces.txt)")


@pytest.fixture
def strict(session):
    ExamSession.objects.filter(pk=session.pk).update(require_check_in=True)
    session.refresh_from_db()
    return session


def _upload(data: bytes, name="still.png"):
    return SimpleUploadedFile(name, data, content_type="image/png")


def _blank() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(out, "PNG")
    return out.getvalue()


def _start(client, reg):
    return client.post(reverse("exams:start", kwargs={"registration_id": reg.pk}))


def test_new_sessions_require_check_in_and_existing_flag_off_lets_start(session, registration):
    assert ExamSession._meta.get_field("require_check_in").default is True
    assert session.require_check_in is False  # the shared fixture turns it off
    attempt = services.attempt_start(user=registration.candidate, registration=registration)
    assert attempt.status == Attempt.Status.IN_PROGRESS


def test_a_candidate_not_checked_in_cannot_start(client, strict, registration, candidate):
    client.force_login(candidate)
    r = _start(client, registration)
    assert r.status_code == 302 and r.url == reverse("exams:my_exams")
    page = client.get(r.url).content.decode()
    assert "请先在考场由监考人员核验身份（签到）后再开始考试。" in page
    assert not Attempt.objects.filter(registration=registration).exists()


def test_refused_candidate_is_told_and_cannot_start(strict, registration, examiner):
    services.checkin_still(actor=examiner, registration=registration, upload=_upload(_blank()))
    services.checkin_decide(actor=examiner, registration=registration, admit=False, note="证件与本人不符")
    registration.refresh_from_db()
    with pytest.raises(services.ExamError, match="未准予您入场"):
        services.attempt_start(user=registration.candidate, registration=registration)


def test_check_in_rules_need_a_still_and_a_reason(strict, registration, examiner):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="请先拍摄或上传现场照片"):
        services.checkin_decide(actor=examiner, registration=registration, admit=True)
    with pytest.raises(ValidationError, match="拒绝入场须填写原因"):
        services.checkin_decide(actor=examiner, registration=registration, admit=False)
    with pytest.raises(ValidationError, match="无法识别的照片"):
        services.checkin_still(actor=examiner, registration=registration, upload=_upload(b"not an image"))
    # no verified portrait: the proctor compares with the ID card and must say so
    services.checkin_still(actor=examiner, registration=registration, upload=_upload(_blank()), source="reader")
    registration.refresh_from_db()
    assert registration.check_in_match == "no_portrait" and registration.check_in_source == "reader"
    with pytest.raises(ValidationError, match="须填写核验说明"):
        services.checkin_decide(actor=examiner, registration=registration, admit=True)
    registration.refresh_from_db()
    assert registration.check_in_status == ""


def test_proctor_checks_in_at_the_console_and_the_candidate_starts(client, strict, registration, candidate, examiner,
                                                                   matcher):
    candidate.photo.save("portrait.png", ContentFile(_photo("Tom_Hanks_54745.png")), save=True)
    client.force_login(examiner)
    console = client.get(reverse("exams:manage_console", kwargs={"pk": strict.pk})).content.decode()
    url = reverse("exams:manage_checkin", kwargs={"pk": strict.pk, "reg_id": registration.pk})
    assert url in console and "未签到" in console
    page = client.get(url).content.decode()
    assert reverse("exams:manage_checkin_photo", kwargs={"pk": strict.pk, "reg_id": registration.pk,
                                                         "which": "portrait"}) in page

    # another person in front of the camera: no match, shown to the proctor
    r = client.post(url, {"action": "still", "source": "camera", "still": _upload(_someone_else())})
    assert r.status_code == 302
    registration.refresh_from_db()
    assert registration.check_in_match == faces.NO_MATCH
    assert "人脸比对不一致" in client.get(url).content.decode()

    # the right person: match, then checked in with the proctor's name and time
    client.post(url, {"action": "still", "source": "camera", "still": _upload(_same_person())})
    registration.refresh_from_db()
    assert registration.check_in_match == faces.MATCH and registration.check_in_distance < 0.6
    r = client.post(url, {"action": "decide", "decision": "admit"})
    assert r.status_code == 302
    registration.refresh_from_db()
    assert registration.check_in_status == CheckIn.CHECKED_IN
    assert registration.check_in_by == examiner and registration.check_in_at is not None
    assert AuditLog.objects.filter(action="exam_registration.check_in", actor=examiner).exists()
    console = client.get(reverse("exams:manage_console", kwargs={"pk": strict.pk})).content.decode()
    assert "已签到" in console

    # every view of a photo is audited
    photo = reverse("exams:manage_checkin_photo", kwargs={"pk": strict.pk, "reg_id": registration.pk, "which": "still"})
    assert client.get(photo).status_code == 200
    assert AuditLog.objects.filter(action="identity_photo.view", actor=examiner, after__photo="still").count() == 1

    client.force_login(candidate)
    r = _start(client, registration)
    assert r.status_code == 302 and "/attempts/" in r.url
    # once started, the check-in cannot be changed
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.checkin_decide(actor=examiner, registration=registration, admit=False, note="x")


def test_photos_are_for_the_session_proctors_only(client, strict, registration, make_member, examiner, candidate):
    from accounts.roles import Role

    services.checkin_still(actor=examiner, registration=registration, upload=_upload(_blank()))
    photo = reverse("exams:manage_checkin_photo", kwargs={"pk": strict.pk, "reg_id": registration.pk, "which": "still"})
    page = reverse("exams:manage_checkin", kwargs={"pk": strict.pk, "reg_id": registration.pk})
    for user in (candidate, make_member(Role.BUREAU_ANALYST)):
        client.force_login(user)
        assert client.get(photo).status_code == 404
        assert client.get(page).status_code == 404
    assert not AuditLog.objects.filter(action="identity_photo.view").exists()
    client.force_login(examiner)
    assert client.get(photo).status_code == 200
    assert client.get(page.replace(str(registration.pk), "999999")).status_code == 404
