"""Issuance from passed theory + practical results: one certificate per qualifying result."""

from decimal import Decimal

import pytest

from certificates.models import Certificate, CertificateBatch
from certificates.services import certificate_issue_from_registration
from exams import services as exam_services
from exams.models import AttemptItem, PracticalTask, Registration
from accounts.roles import Role
from tests.factories import MembershipFactory
from tests.exams.conftest import (  # noqa: F401 - fixtures
    blueprint, centre, examiner, lv_item, registration, session, special_kind, testing_bank,
    training_bank, training_org,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate(make_member):
    return make_member(Role.WORKER, identity_verified=True, real_name="郑考生", id_number="440704199203044019")


def _qualify(registration, candidate, examiner, lv_item):
    attempt = exam_services.attempt_start(user=candidate, registration=registration)
    for it in AttemptItem.objects.filter(attempt=attempt).select_related("question", "attempt"):
        exam_services.answer_save(item=it, response=it.question.answer)
    exam_services.attempt_submit(attempt=attempt)
    task = PracticalTask.objects.create(operation_item=lv_item, code="t1", title="低压线路安装", points=Decimal(100))
    exam_services.practical_result_record(examiner=examiner, registration=registration, scores={task.pk: 90})
    second = MembershipFactory(organization=registration.session.centre, role=Role.PRACTICAL_EXAMINER).user
    exam_services.practical_result_confirm(examiner=second, registration=registration)
    return Registration.objects.get(pk=registration.pk)


def test_issue_once_whatever_is_clicked_twice(registration, candidate, examiner, lv_item, client):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):  # not qualified yet
        certificate_issue_from_registration(officer=examiner, registration=registration)
    registration = _qualify(registration, candidate, examiner, lv_item)
    client.force_login(examiner)
    page = client.get("/certificates/issue/").content.decode()
    assert candidate.display_name in page
    first = client.post(f"/certificates/issue/{registration.pk}/")
    second = client.post(f"/certificates/issue/{registration.pk}/")
    again = certificate_issue_from_registration(officer=examiner, registration=registration)
    c = Certificate.objects.get()
    assert first.status_code == second.status_code == 302 and again.pk == c.pk
    assert c.registration_id == registration.pk and c.holder == candidate
    assert c.operation_item == lv_item and c.rule_version == registration.session.rule_version
    assert candidate.display_name not in client.get("/certificates/issue/").content.decode()


def test_other_centre_officer_cannot_issue(registration, candidate, examiner, lv_item, make_member):
    from django.core.exceptions import ValidationError

    registration = _qualify(registration, candidate, examiner, lv_item)
    with pytest.raises(ValidationError):
        certificate_issue_from_registration(officer=make_member(Role.CERT_OFFICER), registration=registration)
    assert not Certificate.objects.exists()


def test_database_allows_one_certificate_per_registration(registration, candidate, examiner, lv_item):
    from django.db import IntegrityError, transaction

    registration = _qualify(registration, candidate, examiner, lv_item)
    c = certificate_issue_from_registration(officer=examiner, registration=registration)
    c.pk = None
    c.number, c.verification_code = "AX20269999990", "ZZZZZZZZZZ"
    with pytest.raises(IntegrityError), transaction.atomic():
        c.save()


def test_batch_issue_with_progress(registration, candidate, examiner, lv_item, client, django_capture_on_commit_callbacks):
    registration = _qualify(registration, candidate, examiner, lv_item)
    client.force_login(examiner)
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post("/certificates/issue/batch/", {"ids": [registration.pk]})
    batch = CertificateBatch.objects.get()
    assert resp["Location"] == f"/certificates/batches/{batch.pk}/"
    assert (batch.status, batch.done, batch.failed, batch.percent) == ("done", 1, 0, 100)
    cert = Certificate.objects.get(registration=registration)
    assert cert.pdf and cert.pdf_revision == cert.revision
    fragment = client.get(resp["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'aria-valuenow="100"' in fragment and "hx-get" not in fragment
