"""Identity checks during online study: a still compared with the verified portrait; failed checks
take back the time since the last good check, undecided ones hold time until a person decides."""

import datetime as dt
import importlib.util
import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.roles import Role
from catalogue.models import StudyRule
from core import faces
from courses import checks, services
from courses.models import LessonProgress, StudyCheck, StudyInterval
from tests.courses.helpers import at, bureau, enrolled_course, enterprise
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def needs_matcher(test):
    """The matcher is installed by `make setup-dev`; without it these tests fail with the reason."""
    def run(*args, **kwargs):
        if not faces.available():
            pytest.fail("face matcher not installed: run `make setup-dev` (requirements-faces.txt)")
        return test(*args, **kwargs)
    import functools
    return functools.wraps(test)(run)


def _photo(name: str) -> bytes:
    spec = importlib.util.find_spec("insightface")
    if spec is None:
        pytest.fail("test photos not installed: run `make setup-dev` (requirements-photos.txt)")
    return (Path(spec.origin).parent / "data" / "images" / name).read_bytes()


def _png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _same_person() -> bytes:
    with Image.open(io.BytesIO(_photo("Tom_Hanks_54745.png"))) as image:
        return _png(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize((224, 224)))


def _someone_else() -> bytes:
    with Image.open(io.BytesIO(_photo("t1.jpg"))) as image:
        width = image.width // 6
        for i in range(6):
            crop = _png(image.crop((i * width, 0, (i + 1) * width, image.height)))
            if len(faces.descriptors(crop)) == 1:
                return crop
    pytest.fail("no single face found in the group photo: the detector or the photo changed")


@pytest.fixture
def rule(db):
    return StudyRule.objects.create(region_prefix="4407", population="", check_at_start=True, check_interval_minutes=10,
                                    effective_from=dt.date(2024, 1, 1))


@pytest.fixture
def learner(rule):
    org = enterprise()
    user = UserFactory(real_name="学员乙", identity_verified=True)
    MembershipFactory(user=user, organization=org, role=Role.WORKER)
    from courses.privacy import give_camera_consent

    give_camera_consent(user=user)
    return user


def _with_portrait(user):
    user.photo.save("portrait.png", ContentFile(_photo("Tom_Hanks_54745.png")), save=True)
    return user


def beat(user, lesson, t, **kw):
    return services.study_heartbeat(user=user, lesson=lesson, token="page", now=at(t), **kw)


def submit(user, lesson, data, t):
    return checks.check_submit(user=user, lesson=lesson, token="page", now=at(t),
                               upload=SimpleUploadedFile("still.png", data, content_type="image/png"))


def progress(user, lesson):
    return LessonProgress.objects.get(user=user, lesson=lesson).seconds


@needs_matcher
def test_no_time_counts_until_the_start_check_passes_and_again_when_the_interval_is_up(learner):
    _with_portrait(learner)
    _, (lesson, _l2), _ = enrolled_course(learner, lessons=(60, 10))
    assert beat(learner, lesson, 0).check_due
    held = beat(learner, lesson, 30)
    assert (held.credited, held.reason, held.check_due) == (0, "identity_due", True)
    assert submit(learner, lesson, _same_person(), 40).status == StudyCheck.Status.PASSED
    assert beat(learner, lesson, 60).credited == 30
    for t in range(90, 660, 30):
        beat(learner, lesson, t)
    due = beat(learner, lesson, 660)  # ten minutes after the check
    assert due.check_due and due.credited == 0
    assert StudyInterval.objects.filter(user=learner, reason="identity_due").exists()


@needs_matcher
def test_a_failed_check_takes_back_the_time_since_the_last_good_one(learner):
    _with_portrait(learner)
    _, (lesson, _l2), _ = enrolled_course(learner, lessons=(60, 10))
    beat(learner, lesson, 0)
    submit(learner, lesson, _same_person(), 5)
    for t in range(30, 330, 30):
        beat(learner, lesson, t)
    assert progress(learner, lesson) == 300
    failed = submit(learner, lesson, _someone_else(), 400)
    assert failed.status == StudyCheck.Status.FAILED and failed.outcome == faces.NO_MATCH
    assert progress(learner, lesson) == 0
    assert set(StudyInterval.objects.filter(user=learner).values_list("reason", flat=True)) == {"identity_failed"}
    assert beat(learner, lesson, 420).check_due  # a new check at once


def test_without_a_portrait_the_still_waits_for_review_and_time_is_held(learner, client):
    _, (lesson, _l2), _ = enrolled_course(learner, lessons=(60, 10))
    beat(learner, lesson, 0)
    png = _png(Image.new("RGB", (64, 64), "gray"))
    pending = submit(learner, lesson, png, 5)
    assert pending.status == StudyCheck.Status.PENDING and pending.outcome == faces.UNAVAILABLE
    for t in range(30, 150, 30):
        assert beat(learner, lesson, t).reason == "identity_pending"
    assert progress(learner, lesson) == 0

    reviewer = UserFactory()
    MembershipFactory(user=reviewer, organization=bureau("440700"), role=Role.BUREAU_ANALYST)
    elsewhere = UserFactory()
    MembershipFactory(user=elsewhere, organization=bureau("441900"), role=Role.BUREAU_ANALYST)
    client.force_login(elsewhere)
    assert "学员乙" not in client.get(reverse("courses:study_checks")).content.decode()
    assert client.get(reverse("courses:study_check_photo", args=[pending.pk, "still"])).status_code == 404
    client.force_login(reviewer)
    assert "学员乙" in client.get(reverse("courses:study_checks")).content.decode()
    assert client.get(reverse("courses:study_check_photo", args=[pending.pk, "still"])).status_code == 200
    refused = client.post(reverse("courses:study_check_decide", args=[pending.pk]), {"decision": "reject"})
    assert refused.status_code == 302 and StudyCheck.objects.get(pk=pending.pk).status == StudyCheck.Status.PENDING
    client.post(reverse("courses:study_check_decide", args=[pending.pk]), {"decision": "accept"})
    assert StudyCheck.objects.get(pk=pending.pk).status == StudyCheck.Status.ACCEPTED
    assert progress(learner, lesson) == 120
    assert beat(learner, lesson, 150).credited == 30


def test_a_rejected_still_takes_back_and_keeps_the_held_time_out(learner, rule):
    rule.check_at_start, rule.check_interval_minutes = False, 0
    rule.save()
    _, (lesson, _l2), _ = enrolled_course(learner, lessons=(60, 10))
    beat(learner, lesson, 0)
    for t in range(30, 630, 30):
        beat(learner, lesson, t)
    assert progress(learner, lesson) == 600
    pending = submit(learner, lesson, _png(Image.new("RGB", (64, 64), "gray")), 610)
    beat(learner, lesson, 640)
    reviewer = UserFactory(is_superuser=True)
    checks.check_review(reviewer=reviewer, check=pending, accept=False, reason="照片不是本人")
    assert progress(learner, lesson) == 0
    assert not StudyInterval.objects.filter(user=learner, credited=True).exists()


def test_a_check_from_another_page_is_refused(learner, client):
    _, (lesson, _l2), _ = enrolled_course(learner, lessons=(60, 10))
    client.force_login(learner)
    client.post(reverse("courses:heartbeat", args=[lesson.pk]), {"token": "page-a"})
    answer = client.post(reverse("courses:study_check", args=[lesson.pk]),
                         {"token": "page-b", "still": SimpleUploadedFile("s.png", _png(Image.new("RGB", (8, 8))))})
    assert answer.status_code == 409 and not StudyCheck.objects.exists()
    junk = client.post(reverse("courses:study_check", args=[lesson.pk]),
                       {"token": "page-a", "still": SimpleUploadedFile("s.png", b"not an image")})
    assert junk.status_code == 400 and "照片" in junk.json()["error"]
