"""Identity checks during online study, in the browser, with Chromium's fake camera: a video file
(written here from a real photo that a package ships) is fed to the page as the camera, so the lesson
page's consent, camera, "拍照核验" and heartbeats run as they do for a learner.

- the learner's face matches the verified portrait → the study after the check is credited;
- another face → the time since the last good check is taken back, with the reason shown;
- the daily cap of the study rule holds across two lessons.
"""

import datetime as dt
import importlib.util
import io
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

BEAT_SECONDS = 2  # the lesson page's heartbeat interval in these tests (30 s in the product)


# --------------------------------------------------------------------------- the fake camera

def _photos() -> Path:
    spec = importlib.util.find_spec("insightface")
    if spec is None:
        pytest.fail("test photos not installed: run `make setup-dev` (requirements-photos.txt)")
    return Path(spec.origin).parent / "data" / "images"


def _scene(face: Image.Image) -> Image.Image:
    """A 640×480 camera picture: the face, enlarged to fill most of it, on a grey wall."""
    face = face.convert("RGB")
    k = min(600 / face.width, 460 / face.height)
    face = face.resize((int(face.width * k), int(face.height * k)), Image.Resampling.BICUBIC)
    canvas = Image.new("RGB", (640, 480), (128, 128, 128))
    canvas.paste(face, ((640 - face.width) // 2, (480 - face.height) // 2))
    return canvas


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def portrait_png() -> bytes:
    with Image.open(_photos() / "Tom_Hanks_54745.png") as image:  # 112 px; identity review wants ≥ 200
        return _png(image.convert("RGB").resize((256, 256), Image.Resampling.BICUBIC))


def same_person_scene() -> Image.Image:
    with Image.open(_photos() / "Tom_Hanks_54745.png") as image:
        return _scene(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT))  # a camera mirrors


def someone_else_scene() -> Image.Image:
    from core import faces

    with Image.open(_photos() / "t1.jpg") as group:
        width = group.width // 6
        for i in range(6):
            scene = _scene(group.crop((i * width, 0, (i + 1) * width, group.height)))
            if len(faces.descriptors(_png(scene))) == 1:
                return scene
    pytest.fail("no single face found in the group photo: the detector or the photo changed")


# --------------------------------------------------------------------------- people and rules

@pytest.fixture
def study_world(transactional_db, settings, tmp_path, monkeypatch):
    """A worker of a Jiangmen enterprise whose portrait was confirmed in the identity review, enrolled
    in a published course of two lessons; the page beats every 2 s."""
    from accounts import identity
    from accounts.models import Region
    from accounts.roles import OrgKind, Role
    from courses import services
    from courses.models import Enrolment
    from tests.courses.factories import CourseFactory, LessonFactory
    from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, id_number_for

    settings.MEDIA_ROOT = str(tmp_path / "media")
    monkeypatch.setattr(services, "HEARTBEAT_INTERVAL", BEAT_SECONDS)

    enterprise = OrganizationFactory(kind=OrgKind.ENTERPRISE, region=Region.objects.get(code="440704"))
    learner = UserFactory(username="learner", real_name="学员甲", id_number=id_number_for(501))
    learner.set_password("pw-Anxun-2026")
    learner.save()
    MembershipFactory(user=learner, organization=enterprise, role=Role.WORKER)
    centre = OrganizationFactory(kind=OrgKind.EXAM_CENTRE, credit_code=None, region=Region.objects.get(code="440703"))
    proctor = UserFactory(real_name="监考甲")
    MembershipFactory(user=proctor, organization=centre, role=Role.PROCTOR)

    def upload(name, data):
        return SimpleUploadedFile(name, data, content_type="image/png")

    plain = _png(Image.new("RGB", (320, 400), (200, 190, 180)))
    submission = identity.identity_submit(
        actor=learner, person=learner, consent_given=True, consent_version=identity.CONSENT_VERSION,
        files={"id_front": upload("front.png", plain), "id_back": upload("back.png", plain),
               "portrait": upload("portrait.png", portrait_png())})
    identity.identity_confirm(reviewer=proctor, submission=submission)
    learner.refresh_from_db()
    assert learner.identity_verified and learner.photo

    course = CourseFactory(is_published=True, title="有限空间作业安全")
    lesson_a = LessonFactory(course=course, title="第一课 危险辨识", min_minutes=10, sort_order=1)
    lesson_b = LessonFactory(course=course, title="第二课 通风检测", min_minutes=10, sort_order=2)
    Enrolment.objects.create(user=learner, course=course)
    return {"learner": learner, "course": course, "a": lesson_a, "b": lesson_b}


def study_rule(**values):
    """The study rule in force for Jiangmen (catalogue data; longer prefix than the shipped 44 row)."""
    from catalogue.models import StudyRule

    return StudyRule.objects.create(region_prefix="4407", population="", effective_from=dt.date(2024, 1, 1),
                                    basis="浏览器测试", **values)


def lesson_url(base, world, lesson) -> str:
    return f"{base}/courses/c/{world['course'].code}/lesson/{lesson.pk}/"


def credited_seconds(user, lesson=None) -> int:
    from courses.models import StudyInterval

    qs = StudyInterval.objects.filter(user=user, credited=True)
    if lesson is not None:
        qs = qs.filter(lesson=lesson)
    return qs.aggregate(s=Sum("seconds"))["s"] or 0


def take_still(page):
    """Agree to the camera use (first time), wait for the picture, press 拍照核验."""
    page.wait_for_selector("#face-check:not([hidden])")
    if page.locator("#face-consent-ok").count():
        page.click("#face-consent-ok")
    assert wait_until(lambda: page.evaluate("document.getElementById('face-video').videoWidth") > 0, timeout=20)
    page.click("#face-take")
    expect(page.locator("#face-msg")).not_to_have_text(re.compile(r"^(|正在核验…)$"), timeout=30000)
    return page.text_content("#face-msg")


def wait_until(predicate, timeout: float, step: float = 0.5):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# --------------------------------------------------------------------------- tests

def test_matching_stills_are_credited(study_world, camera_page, live_server, shot):
    from courses.models import LessonProgress, StudyCheck, StudyInterval

    study_rule(check_at_start=True, check_interval_minutes=10)
    learner, lesson = study_world["learner"], study_world["a"]
    page = camera_page(same_person_scene())
    login(page, live_server.url, "learner", "pw-Anxun-2026")
    page.goto(lesson_url(live_server.url, study_world, lesson))
    page.wait_for_selector("#face-check:not([hidden])")  # the rule asks for a check at the start
    assert "摄像头使用说明" in page.text_content("#face-check")
    expect(page.locator("#study-note")).to_contain_text("等待人脸核验")  # until the check passes, nothing counts
    shot(page, "camera-study-consent")

    message = take_still(page)
    assert "核验通过" in message
    shot(page, "camera-study-passed")
    check = StudyCheck.objects.get(user=learner)
    assert check.status == StudyCheck.Status.PASSED and check.distance < 0.5 and check.still

    assert wait_until(lambda: credited_seconds(learner, lesson) >= 3 * BEAT_SECONDS, timeout=30)
    expect(page.locator("#study-note")).to_have_text("正在计时")
    assert page.is_hidden("#face-check")  # closed after the pass
    progress = LessonProgress.objects.get(user=learner, lesson=lesson)
    assert progress.seconds >= 3 * BEAT_SECONDS
    # nothing counted before the check; everything after it did
    assert not StudyInterval.objects.filter(user=learner, credited=False).exclude(reason="identity_due").exists()
    assert StudyInterval.objects.filter(user=learner, credited=True, started_at__lt=check.taken_at
                                        - dt.timedelta(seconds=BEAT_SECONDS + 1)).count() == 0
    shown = float(page.text_content("#study-label").split("/")[0])
    assert shown > 0
    shot(page, "camera-study-credited")

    page.goto(f"{live_server.url}/courses/trail/")
    rows = page.locator("table.table").last.locator("tbody tr")
    assert "已计入" in rows.first.text_content()  # the newest stretch, after the check
    assert "未计入：等待人脸核验" in page.content()  # the seconds before it
    shot(page, "camera-study-trail")


def test_a_still_of_someone_else_takes_the_interval_back(study_world, camera_page, live_server, shot):
    from courses.models import LessonProgress, StudyCheck, StudyInterval

    study_rule(check_at_start=False, check_interval_minutes=1)  # a check after every minute of study
    learner, lesson = study_world["learner"], study_world["a"]
    page = camera_page(someone_else_scene())
    login(page, live_server.url, "learner", "pw-Anxun-2026")
    page.goto(lesson_url(live_server.url, study_world, lesson))
    expect(page.locator("#study-note")).to_have_text("正在计时")
    assert page.is_hidden("#face-check")
    # the first minute counts; then the check is due and the camera opens
    page.wait_for_selector("#face-check:not([hidden])", timeout=90000)
    before = credited_seconds(learner, lesson)
    assert before >= 40
    message = take_still(page)
    assert "人脸核验未通过" in message
    shot(page, "camera-study-failed")

    check = StudyCheck.objects.get(user=learner)
    assert check.status == StudyCheck.Status.FAILED and check.outcome == "no_match"
    assert credited_seconds(learner) == 0
    assert LessonProgress.objects.get(user=learner, lesson=lesson).seconds == 0
    taken_back = StudyInterval.objects.filter(user=learner, reason="identity_failed").aggregate(s=Sum("seconds"))["s"]
    assert taken_back == before
    # the page's counter follows on the next beat, and time does not count until a check passes
    expect(page.locator("#study-label")).to_have_text(re.compile(r"^0\.0 /"))
    expect(page.locator("#study-note")).to_contain_text("等待人脸核验")
    assert not page.is_hidden("#face-check")  # stays open for another try
    shot(page, "camera-study-failed-after")

    page.goto(f"{live_server.url}/courses/trail/")
    assert "人脸核验未通过" in page.content()
    shot(page, "camera-study-failed-trail")


def test_the_daily_cap_holds_across_two_lessons(study_world, camera_page, live_server, shot):
    from courses import services
    from courses.models import LessonProgress, StudyInterval

    # 0.1 学时 of 20 minutes a day = 120 s; the learner already studied 110 s of it today (through the
    # product's own heartbeat and check, on another page two minutes ago)
    study_rule(check_at_start=True, check_interval_minutes=10, minutes_per_hour=20, daily_cap_hours=Decimal("0.1"))
    learner, lesson_a, lesson_b = study_world["learner"], study_world["a"], study_world["b"]
    now = timezone.now()
    if timezone.localdate(now - dt.timedelta(seconds=130)) != timezone.localdate(now):  # just after midnight
        time.sleep(135)
        now = timezone.now()
    from courses import checks

    services.study_heartbeat(user=learner, lesson=lesson_a, token="earlier", now=now - dt.timedelta(seconds=120))
    from courses.privacy import give_camera_consent

    give_camera_consent(user=learner)
    with Image.open(_photos() / "Tom_Hanks_54745.png") as image:
        still = _png(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize((224, 224)))
    assert checks.check_submit(user=learner, lesson=lesson_a, token="earlier", now=now - dt.timedelta(seconds=118),
                               upload=SimpleUploadedFile("still.png", still, content_type="image/png")).status == "passed"
    for back in (80, 40, 10):
        services.study_heartbeat(user=learner, lesson=lesson_a, token="earlier", now=now - dt.timedelta(seconds=back))
    assert credited_seconds(learner) == 110

    page = camera_page(same_person_scene())
    login(page, live_server.url, "learner", "pw-Anxun-2026")
    page.goto(lesson_url(live_server.url, study_world, lesson_a))
    # the check passed two minutes ago is still good: no camera; the last 10 s of the day count
    expect(page.locator("#study-note")).to_contain_text("超出当日上限", timeout=60000)
    assert page.is_hidden("#face-check")
    assert credited_seconds(learner) == 120
    shot(page, "camera-study-cap-lesson-a")

    page.goto(lesson_url(live_server.url, study_world, lesson_b))
    expect(page.locator("#study-note")).to_contain_text("超出当日上限")
    assert wait_until(lambda: StudyInterval.objects.filter(user=learner, lesson=lesson_b, credited=False,
                                                           reason="daily_cap", seconds__gte=2 * BEAT_SECONDS).exists(),
                      timeout=30)
    assert credited_seconds(learner) == 120
    assert credited_seconds(learner, lesson_b) == 0
    assert LessonProgress.objects.get(user=learner, lesson=lesson_b).seconds == 0
    assert page.text_content("#study-label").startswith("0.0 /")
    shot(page, "camera-study-cap-lesson-b")
