"""Training file (培训档案): a PDF per person that renders in Chinese, states the hours of the trail,
and verifies (signed summary in the QR, signed digest of the file)."""

import subprocess
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import Role
from catalogue.models import StudyHourRequirement
from certificates.models import TrainingFile
from core.models import AuditLog
from courses.models import StudyInterval
from tests.courses.helpers import at, enrolled_course, enterprise
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "file.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def learner_and_org():
    org = enterprise()
    learner = UserFactory(real_name="档案甲")
    MembershipFactory(user=learner, organization=org, role=Role.WORKER)
    course, (lesson, other), _ = enrolled_course(learner, lessons=(30, 10), title="有限空间作业安全培训")
    # 90 minutes credited (2 学时 at 45 minutes) and 10 minutes not credited
    StudyInterval.objects.create(user=learner, lesson=lesson, token="a", day=at(0).date(), started_at=at(0),
                                 ended_at=at(3600), seconds=3600)
    StudyInterval.objects.create(user=learner, lesson=other, token="a", day=at(0).date(), started_at=at(3600),
                                 ended_at=at(5400), seconds=1800)
    StudyInterval.objects.create(user=learner, lesson=other, token="a", day=at(0).date(), started_at=at(5400),
                                 ended_at=at(6000), seconds=600, credited=False, reason="inactive")
    return learner, org, course


def test_the_file_renders_in_chinese_with_the_trail_hours_and_verifies(client, learner_and_org, tmp_path):
    learner, _org, course = learner_and_org
    assert course.minutes_per_hour == 45
    client.force_login(learner)
    trail = client.get(reverse("courses:my_trail")).content.decode()
    assert reverse("certificates:my_training_file") in trail
    r = client.get(reverse("certificates:my_training_file"))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    pdf = r.content
    text = _text(pdf, tmp_path)
    assert "安全生产培训档案" in text and "档案甲" in text and "有限空间作业安全培训" in text
    assert "2.0" in text  # 5,400 credited seconds = 2 学时 of 45 minutes, as in the trail
    assert "页面不可见或无操作" in text or "10" in text
    record = TrainingFile.objects.get(person=learner)
    assert record.fields["hr"] == "2.0" and record.code in text
    assert AuditLog.objects.filter(action="training_file.issue", target_id=str(record.pk)).exists()
    # rendered to an image (Chinese glyphs, not boxes: the PDF embeds the CJK font)
    (tmp_path / "f.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(tmp_path / "f.pdf"),
                    str(tmp_path / "page")], check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 5000
    fonts = subprocess.run(["pdffonts", str(tmp_path / "f.pdf")], capture_output=True, text=True).stdout
    assert "CJK" in fonts or "AnxunCertSC" in fonts or "Noto" in fonts

    # verification: the QR's payload, the signed digest, an uploaded copy
    url = reverse("certificates:verify_training_file", args=[record.code])
    client.logout()
    page = client.get(url, {"p": record.payload}).content.decode()
    assert 'data-signature="valid"' in page and 'data-digest="valid"' in page and record.sha256 in page
    page = client.post(url, {"file": SimpleUploadedFile("f.pdf", pdf, content_type="application/pdf")}).content.decode()
    assert 'data-upload="match"' in page
    altered = pdf.replace(b"%%EOF", b"%%EOF ", 1)
    page = client.post(url, {"file": SimpleUploadedFile("f.pdf", altered)}).content.decode()
    assert 'data-upload="mismatch"' in page
    head, body, sig = record.payload.split(".")
    forged = ".".join([head, body[:-2] + ("AA" if body[-2:] != "AA" else "BB"), sig])
    assert 'data-signature="altered"' in client.get(url, {"p": forged}).content.decode()
    assert client.get(reverse("certificates:verify_training_file", args=["TFNOSUCHCODE"])).status_code == 404


def test_requirement_of_the_role_is_shown_against_the_hours(client, learner_and_org, tmp_path):
    learner, _org, course = learner_and_org
    req = StudyHourRequirement.objects.filter(population="worker", kind=course.kind).first()
    client.force_login(learner)
    text = _text(client.get(reverse("certificates:my_training_file")).content, tmp_path)
    assert "学时要求与完成情况" in text
    if req is not None:
        assert str(req.hours) in text and ("未达到" in text or "已达到" in text)
        assert (Decimal("2.0") >= req.hours) == ("已达到" in text)


def test_managers_of_the_enterprise_may_download_strangers_may_not(client, learner_and_org):
    learner, org, _course = learner_and_org
    manager = UserFactory()
    MembershipFactory(user=manager, organization=org, role=Role.ENT_ADMIN)
    stranger = UserFactory()
    MembershipFactory(user=stranger, organization=enterprise(), role=Role.ENT_ADMIN)
    url = reverse("certificates:person_training_file", args=[learner.pk])
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert not TrainingFile.objects.exists()
    client.force_login(manager)
    assert reverse("certificates:person_training_file", args=[learner.pk]) in client.get(
        reverse("courses:person_trail", args=[learner.pk])).content.decode()
    r = client.get(url)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert TrainingFile.objects.get().issued_by == manager
