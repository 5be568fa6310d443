"""Optional stills during the theory exam: a session option (off by default) makes the exam page take a
camera still at the start and every N minutes; they are kept with the attempt, shown to the proctors
of the exam centre only (every view audited), and deleted when their retention ends. A refused camera
is noted for the proctor and never stops the candidate from answering."""

import datetime as dt
import io
import os
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.roles import OrgKind, Role
from catalogue.models import StudyRule
from core.models import AuditLog
from exams import services
from exams.models import Attempt, AttemptStill, ExamSession
from exams.services import stills
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _jpeg(colour=(180, 170, 160)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, "JPEG")
    return out.getvalue()


def _upload(data=None):
    return SimpleUploadedFile("still.jpg", data or _jpeg(), content_type="image/jpeg")


@pytest.fixture
def with_stills(session):
    ExamSession.objects.filter(pk=session.pk).update(exam_stills=True, exam_still_minutes=5)
    session.refresh_from_db()
    return session


@pytest.fixture
def attempt(registration):
    return services.attempt_start(user=registration.candidate, registration=registration)


def _still_url(attempt):
    return reverse("exams:attempt_still", kwargs={"pk": attempt.pk})


def test_the_option_is_off_by_default_and_then_nothing_is_taken_or_accepted(client, session, attempt, candidate):
    assert ExamSession._meta.get_field("exam_stills").default is False and session.exam_stills is False
    client.force_login(candidate)
    page = client.get(reverse("exams:question", kwargs={"pk": attempt.pk, "position": 1})).content.decode()
    assert 'id="exam-camera"' not in page and "stills.js" not in page
    with pytest.raises(ValidationError, match="本场考试未开启考试中拍照"):
        services.attempt_still_record(user=candidate, attempt=attempt, upload=_upload())
    r = client.post(_still_url(attempt), {"still": _upload()})
    assert r.status_code == 400 and "未开启" in r.json()["error"]
    assert not AttemptStill.objects.exists()


def test_stills_are_kept_with_the_attempt_at_the_start_and_every_n_minutes(client, with_stills, attempt, candidate):
    client.force_login(candidate)
    page = client.get(reverse("exams:question", kwargs={"pk": attempt.pk, "position": 1})).content.decode()
    assert 'id="exam-camera"' in page and 'data-due="0"' in page and "每 5 分钟拍照一次" in page
    r = client.post(_still_url(attempt), {"still": _upload()})
    assert r.status_code == 200 and 295 <= r.json()["next_in"] <= 300
    still = AttemptStill.objects.get(attempt=attempt)
    assert still.kind == AttemptStill.Kind.PHOTO and still.still.name.startswith("exam_stills/")
    # protected media: no public URL serves it
    assert client.get(f"/media/{still.still.name}").status_code == 404
    # at once again: refused; the page is told the next one is due later
    r = client.post(_still_url(attempt), {"still": _upload()})
    assert r.status_code == 400 and AttemptStill.objects.count() == 1
    page = client.get(reverse("exams:question", kwargs={"pk": attempt.pk, "position": 1})).content.decode()
    assert 'data-due="0"' not in page and 'id="exam-camera"' in page
    later = timezone.now() + dt.timedelta(minutes=5, seconds=1)
    assert stills.still_due_in(attempt, now=later) == 0
    services.attempt_still_record(user=candidate, attempt=attempt, upload=_upload(), now=later)
    assert AttemptStill.objects.filter(attempt=attempt, kind="photo").count() == 2
    with pytest.raises(ValidationError, match="无法识别的照片"):
        services.attempt_still_record(user=candidate, attempt=attempt, upload=_upload(b"not a photo"),
                                      now=later + dt.timedelta(minutes=1))


def test_only_at_the_start_when_the_interval_is_zero(with_stills, attempt, candidate):
    ExamSession.objects.filter(pk=with_stills.pk).update(exam_still_minutes=0)
    attempt = Attempt.objects.select_related("registration__session").get(pk=attempt.pk)
    assert stills.still_due_in(attempt) == 0
    services.attempt_still_record(user=candidate, attempt=attempt, upload=_upload())
    assert stills.still_due_in(attempt) is None


def test_only_the_candidates_own_open_attempt(client, with_stills, attempt, candidate, make_member):
    other = make_member(Role.WORKER, identity_verified=True)
    client.force_login(other)
    assert client.post(_still_url(attempt), {"still": _upload()}).status_code == 404
    services.attempt_submit(attempt=attempt, by=Attempt.SubmittedBy.CANDIDATE)
    with pytest.raises(ValidationError, match="考试已结束"):
        services.attempt_still_record(user=candidate, attempt=attempt, upload=_upload())
    assert not AttemptStill.objects.exists()


def test_a_refused_camera_is_noted_for_the_proctor_and_answers_still_save(client, with_stills, attempt, candidate,
                                                                         examiner):
    client.force_login(candidate)
    r = client.post(_still_url(attempt), {"camera": "refused"})
    assert r.status_code == 200
    assert client.post(_still_url(attempt), {"camera": "refused"}).status_code == 400  # at once again: too soon
    note = AttemptStill.objects.get(attempt=attempt)
    assert note.kind == AttemptStill.Kind.NO_CAMERA and not note.still
    assert AuditLog.objects.filter(action="exam_still.no_camera").count() == 1
    # answering goes on as usual (the first question's first option, as the page offers it)
    item = attempt.items.order_by("position").first()
    page = client.get(reverse("exams:question", kwargs={"pk": attempt.pk, "position": 1})).content.decode()
    value = re.search(r'name="choice" value="([^"]+)"', page).group(1)
    saved = client.post(reverse("exams:autosave", kwargs={"pk": attempt.pk, "item_id": item.pk}), {"choice": value},
                        HTTP_HX_REQUEST="true")
    assert saved.status_code == 200 and "X-Anxun-Status" not in saved
    assert attempt.answers.exclude(response="").count() == 1

    client.force_login(examiner)
    console = client.get(reverse("exams:manage_console", kwargs={"pk": with_stills.pk})).content.decode()
    assert "摄像头不可用" in console and "考试照片 0 张" in console
    page = client.get(reverse("exams:manage_attempt_stills", kwargs={"pk": with_stills.pk, "attempt_id": attempt.pk}))
    assert "考生未能拍照，已继续作答。" in page.content.decode()


def test_proctors_of_the_centre_see_the_stills_every_view_audited(client, with_stills, attempt, candidate, examiner,
                                                                  make_member, centre):
    services.attempt_still_record(user=candidate, attempt=attempt, upload=_upload())
    still = AttemptStill.objects.get()
    list_url = reverse("exams:manage_attempt_stills", kwargs={"pk": with_stills.pk, "attempt_id": attempt.pk})
    photo_url = reverse("exams:manage_attempt_still_photo", kwargs={"pk": with_stills.pk, "still_id": still.pk})

    client.force_login(examiner)  # a proctor of the centre
    console = client.get(reverse("exams:manage_console", kwargs={"pk": with_stills.pk})).content.decode()
    assert "考试照片 1 张" in console and list_url in console
    page = client.get(list_url).content.decode()
    assert photo_url in page
    r = client.get(photo_url)
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg" and b"".join(r) == still.still.open("rb").read()
    entry = AuditLog.objects.filter(action="identity_photo.view").latest("pk")
    assert entry.actor_id == examiner.pk and entry.after["photo"] == "exam_still" and entry.after["person"] == candidate.pk
    client.get(photo_url)
    assert AuditLog.objects.filter(action="identity_photo.view", actor=examiner).count() == 2

    views_before = AuditLog.objects.filter(action="identity_photo.view").count()
    writer = make_member(Role.ITEM_WRITER, org=centre)  # centre staff who do not proctor
    far_centre = OrganizationFactory(kind=OrgKind.EXAM_CENTRE, credit_code=None)
    far_proctor = make_member(Role.PROCTOR, org=far_centre)
    for outsider in (writer, far_proctor, candidate):
        client.force_login(outsider)
        assert client.get(list_url).status_code == 404
        assert client.get(photo_url).status_code == 404
    assert AuditLog.objects.filter(action="identity_photo.view").count() == views_before


def test_the_console_runs_a_bounded_number_of_queries_with_stills(client, with_stills, examiner, make_member,
                                                                  django_assert_max_num_queries):
    for i in range(6):
        person = make_member(Role.WORKER, identity_verified=True)
        reg = services.registration_create(actor=examiner, session=with_stills, candidate=person)
        a = services.attempt_start(user=person, registration=reg)
        services.attempt_still_record(user=person, attempt=a, upload=_upload())
        if i % 2:
            services.attempt_still_record(user=person, attempt=a, camera_refused=True,
                                          now=timezone.now() + dt.timedelta(minutes=1))
    client.force_login(examiner)
    client.get(reverse("exams:manage_console", kwargs={"pk": with_stills.pk}))
    with django_assert_max_num_queries(14):
        page = client.get(reverse("exams:manage_console", kwargs={"pk": with_stills.pk})).content.decode()
    assert page.count("考试照片 1 张") == 6 and page.count("摄像头不可用") == 3


def test_stills_are_deleted_when_the_retention_of_the_study_rule_ends(with_stills, attempt, candidate, centre):
    # the session is a special-operation exam: special operators' years apply
    StudyRule.objects.create(region_prefix=centre.region_id[:4], population="", retention_years=3,
                             retention_years_special=5, effective_from=dt.date(2020, 1, 1))
    assert stills.retention_years_for_session(with_stills) == 5
    services.attempt_still_record(user=candidate, attempt=attempt, upload=_upload())
    still = AttemptStill.objects.get()
    path = still.still.path
    taken = still.taken_at
    assert stills.delete_expired_exam_stills(now=taken + dt.timedelta(days=4 * 365)) == 0
    still.refresh_from_db()
    assert still.still
    assert services.delete_expired_exam_stills(now=taken + dt.timedelta(days=5 * 365 + 2)) == 1
    still.refresh_from_db()
    assert not still.still and still.kind == "photo"  # the row stays
    assert not os.path.exists(path)
    assert AuditLog.objects.filter(action="exam_still.expired").exists()


def test_the_session_form_sets_the_option(client, examiner, blueprint):
    client.force_login(examiner)
    now = timezone.localtime()
    data = {"name": "拍照场次", "blueprint": blueprint.pk, "starts_at": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + dt.timedelta(days=1, hours=2)).strftime("%Y-%m-%dT%H:%M"), "seats": 30,
            "exam_stills": "on", "exam_still_minutes": 15}
    r = client.post(reverse("exams:manage_session_create"), data)
    assert r.status_code == 302, r.content.decode()[:2000]
    session = ExamSession.objects.get(name="拍照场次")
    assert session.exam_stills is True and session.exam_still_minutes == 15
    detail = client.get(reverse("exams:manage_session", kwargs={"pk": session.pk})).content.decode()
    assert "开考时及每 15 分钟" in detail
    data.update(name="不拍照场次")
    del data["exam_stills"], data["exam_still_minutes"]
    assert client.post(reverse("exams:manage_session_create"), data).status_code == 302
    plain = ExamSession.objects.get(name="不拍照场次")
    assert plain.exam_stills is False and plain.exam_still_minutes == 10
    assert "不拍照" in client.get(reverse("exams:manage_session", kwargs={"pk": plain.pk})).content.decode()


def test_each_still_is_compared_with_the_verified_portrait_and_the_console_flags_a_stranger(
        client, with_stills, attempt, candidate, examiner, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile

    from core import faces
    from exams.selectors import exam_still_counts
    from tests.courses.test_study_checks import _photo, _same_person, _someone_else

    if not faces.available():  # `make setup-dev` installs it; without it this test must say so, not pass
        pytest.fail("face matcher not installed: run `make setup-dev` (requirements-faces.txt)")
    candidate.photo.save("portrait.png", ContentFile(_photo("Tom_Hanks_54745.png")), save=True)
    t0 = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        own = services.attempt_still_record(user=candidate, attempt=attempt, upload=_upload(_same_person()), now=t0)
    with django_capture_on_commit_callbacks(execute=True):
        stranger = services.attempt_still_record(user=candidate, attempt=attempt, upload=_upload(_someone_else()),
                                                 now=t0 + dt.timedelta(minutes=5))
    own.refresh_from_db()
    stranger.refresh_from_db()
    assert own.match == faces.MATCH and own.match_distance < 0.6
    assert stranger.match == faces.NO_MATCH
    assert stills.attempt_still_compare(stranger.pk) == faces.NO_MATCH  # idempotent
    assert exam_still_counts(with_stills)[attempt.pk] == {"photos": 2, "no_camera": False, "mismatched": 1}

    client.force_login(examiner)
    console = client.get(reverse("exams:manage_console", kwargs={"pk": with_stills.pk})).content.decode()
    assert "考试照片 2 张" in console and "人脸不符 1 张" in console
    page = client.get(reverse("exams:manage_attempt_stills",
                              kwargs={"pk": with_stills.pk, "attempt_id": attempt.pk})).content.decode()
    assert "人脸比对一致" in page and "人脸比对不一致" in page


def test_a_still_without_a_verified_portrait_is_left_to_the_proctor(with_stills, attempt, candidate,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        still = services.attempt_still_record(user=candidate, attempt=attempt, upload=_upload())
    still.refresh_from_db()
    assert still.match == "no_portrait"
    with django_capture_on_commit_callbacks(execute=True):
        note = services.attempt_still_record(user=candidate, attempt=attempt, camera_refused=True,
                                             now=timezone.now() + dt.timedelta(minutes=1))
    assert stills.attempt_still_compare(note.pk) == "" and AttemptStill.objects.get(pk=note.pk).match == ""
