"""Privacy of the study camera: separate consent before the first use, an audit entry for every
view of a photo, and retention that deletes expired stills and nothing else (moved clock)."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import PersonalInfoConsent
from accounts.roles import Role
from catalogue.models import StudyRule
from core.models import AuditLog
from courses import checks, privacy, services
from courses.models import StudyCheck, StudyInterval
from courses.tasks import delete_expired_study_stills
from tests.courses.helpers import at, enrolled_course, enterprise
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(db):
    return StudyRule.objects.create(region_prefix="", population="", effective_from=dt.date(2020, 1, 1),
                                    check_at_start=True, retention_years=3, retention_years_special=6)


def _person(role=Role.WORKER):
    org = enterprise()
    user = UserFactory(identity_verified=True)
    MembershipFactory(user=user, organization=org, role=role)
    return user


def _check(user, lesson, taken: dt.datetime) -> StudyCheck:
    c = StudyCheck(user=user, lesson=lesson, token="t", taken_at=taken, outcome="match", status="passed")
    c.still.save(f"s-{user.pk}-{taken:%Y%m%d}.jpg", ContentFile(b"jpeg-bytes"), save=False)
    c.save()
    return c


def test_the_camera_needs_its_own_consent_first(client, rule):
    user = _person()
    _c, (lesson, _l), _e = enrolled_course(user, lessons=(30, 10))
    client.force_login(user)
    page = client.get(reverse("courses:lesson", args=[lesson.course.code, lesson.pk])).content.decode()
    assert "我已阅读并同意，开启摄像头" in page and "3 年后自动删除" in page
    services.study_heartbeat(user=user, lesson=lesson, token="page", now=at(0))
    with pytest.raises(PermissionDenied, match="摄像头使用说明"):
        checks.check_submit(user=user, lesson=lesson, token="page",
                            upload=SimpleUploadedFile("s.png", b"x", content_type="image/png"), now=at(5))
    assert not StudyCheck.objects.exists()
    assert client.post(reverse("courses:camera_consent")).status_code == 200
    assert client.post(reverse("courses:camera_consent")).status_code == 200  # once is enough
    consent = PersonalInfoConsent.objects.get(person=user)
    assert consent.purpose == "study_camera" and consent.given_by == user
    assert AuditLog.objects.filter(action="consent.study_camera").count() == 1
    page = client.get(reverse("courses:lesson", args=[lesson.course.code, lesson.pk])).content.decode()
    assert "我已阅读并同意，开启摄像头" not in page


def test_special_operators_are_told_their_longer_retention(rule):
    assert "6 年" in privacy.consent_text(_person(Role.SPECIAL_OPERATOR))
    assert privacy.retention_years_of(_person()) == 3


def test_every_view_of_a_study_photo_is_audited(client, rule):
    user = _person()
    _c, (lesson, _l), _e = enrolled_course(user, lessons=(30, 10))
    check = _check(user, lesson, dt.datetime(2026, 11, 1, 2, tzinfo=dt.UTC))
    client.force_login(user)  # the learner sees their own stills; the view is on record too
    assert client.get(reverse("courses:study_check_photo", args=[check.pk, "still"])).status_code == 200
    stranger = UserFactory()
    client.force_login(stranger)
    assert client.get(reverse("courses:study_check_photo", args=[check.pk, "still"])).status_code == 404
    entries = AuditLog.objects.filter(action="identity_photo.view", target_id=str(check.pk))
    assert entries.count() == 1 and entries.get().after["photo"] == "study_still"


def test_retention_deletes_expired_stills_and_nothing_else(rule):
    worker, special = _person(), _person(Role.SPECIAL_OPERATOR)
    _c, (lesson, _l), _e = enrolled_course(worker, lessons=(30, 10))
    old = _check(worker, lesson, dt.datetime(2022, 3, 1, 2, tzinfo=dt.UTC))
    recent = _check(worker, lesson, dt.datetime(2024, 6, 1, 2, tzinfo=dt.UTC))
    special_old = _check(special, lesson, dt.datetime(2022, 3, 1, 2, tzinfo=dt.UTC))
    StudyInterval.objects.create(user=worker, lesson=lesson, token="t", day=dt.date(2022, 3, 1),
                                 started_at=old.taken_at, ended_at=old.taken_at + dt.timedelta(minutes=5), seconds=300)
    storage = old.still.storage
    old_name = old.still.name

    with time_machine.travel(dt.datetime(2025, 2, 28, 12, tzinfo=dt.UTC), tick=False):
        assert delete_expired_study_stills() == 0  # not yet three years
    with time_machine.travel(dt.datetime(2025, 3, 2, 12, tzinfo=dt.UTC), tick=False):
        assert delete_expired_study_stills() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    special_old.refresh_from_db()
    assert not old.still and not storage.exists(old_name)
    assert old.status == "passed" and old.outcome == "match"  # the check itself stays
    assert recent.still and storage.exists(recent.still.name)
    assert special_old.still  # six years for special operators
    assert StudyCheck.objects.count() == 3 and StudyInterval.objects.count() == 1
    with time_machine.travel(dt.datetime(2027, 7, 1, 12, tzinfo=dt.UTC), tick=False):
        assert delete_expired_study_stills() == 1
    special_old.refresh_from_db()
    assert special_old.still
    with time_machine.travel(dt.datetime(2028, 3, 2, 12, tzinfo=dt.UTC), tick=False):
        assert delete_expired_study_stills() == 1
    assert not StudyCheck.objects.exclude(still="").exists() and StudyCheck.objects.count() == 3
