"""No duplicate certificates: issuing refuses a second standing certificate for the same person and
operation (pointing to the review / renewal path); registering for an exam only warns. And an
unconfirmed practical result leads to no certificate."""

import datetime as dt
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from certificates.models import Certificate, CertificateBatch
from certificates.services import certificate_issue, certificate_issue_from_registration, certificate_revoke
from exams import eligibility
from exams import services as exam_services
from exams.models import AttemptItem, PracticalTask, Registration
from tests.certificates.conftest import item
from tests.exams.conftest import (  # noqa: F401 - fixtures
    blueprint, centre, examiner, lv_item, second_examiner, session, special_kind, testing_bank, training_bank,
    training_org,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(make_member):
    return make_member(Role.WORKER, identity_verified=True, real_name="郑持证", id_number="440704199203044019")


def _issue(officer, holder, item_code="elec-lv", valid_from=None, **kw):
    from tests.certificates.conftest import kind

    return certificate_issue(officer=officer, holder=holder, kind=kind(), operation_item=item(item_code),
                             issuing_authority="测试市应急管理局", valid_from=valid_from or timezone.localdate(), **kw)


def test_a_second_valid_certificate_for_the_same_operation_is_refused(examiner, holder):
    first = _issue(examiner, holder, valid_from=timezone.localdate() - relativedelta(months=5))
    with pytest.raises(ValidationError) as exc:
        _issue(examiner, holder)
    message = " ".join(exc.value.messages)
    assert first.number in message and "不能重复发证" in message and "复审" in message
    assert Certificate.objects.filter(holder=holder).count() == 1
    # another operation item is another certificate
    _issue(examiner, holder, item_code="weld-fusion")
    assert Certificate.objects.filter(holder=holder).count() == 2


def test_a_suspended_certificate_also_blocks_a_new_one(examiner, holder):
    from certificates.services import certificate_suspend

    first = _issue(examiner, holder, valid_from=timezone.localdate() - relativedelta(months=5))
    certificate_suspend(actor=examiner, certificate=first, category=Certificate.StateCategory.VIOLATION, reason="违章")
    with pytest.raises(ValidationError) as exc:
        _issue(examiner, holder)
    assert "暂扣" in " ".join(exc.value.messages)


@pytest.mark.parametrize("case", ["expired", "revoked", "review_overdue"])
def test_a_certificate_that_no_longer_stands_does_not_block(examiner, holder, case):
    today = timezone.localdate()
    if case == "expired":
        _issue(examiner, holder, valid_from=today - relativedelta(months=80))
    elif case == "review_overdue":
        old = _issue(examiner, holder, valid_from=today - relativedelta(months=40))
        assert old.next_review_due < today
    else:
        old = _issue(examiner, holder, valid_from=today - relativedelta(months=5))
        certificate_revoke(actor=examiner, certificate=old, category=Certificate.StateCategory.FRAUD, reason="骗证")
    _issue(examiner, holder)
    assert Certificate.objects.filter(holder=holder).count() == 2


def _sit_and_enter_practical(registration, candidate, examiner, lv_item):
    attempt = exam_services.attempt_start(user=candidate, registration=registration)
    for it in AttemptItem.objects.filter(attempt=attempt).select_related("question", "attempt"):
        exam_services.answer_save(item=it, response=it.question.answer)
    exam_services.attempt_submit(attempt=attempt)
    task = PracticalTask.objects.create(operation_item=lv_item, code="t1", title="低压线路安装", points=Decimal(100))
    exam_services.practical_result_record(examiner=examiner, registration=registration, scores={task.pk: 95})
    return Registration.objects.get(pk=registration.pk)


def test_an_unconfirmed_practical_result_leads_to_no_certificate(session, holder, examiner, second_examiner, lv_item,
                                                                 client):
    registration = exam_services.registration_create(actor=examiner, session=session, candidate=holder)
    registration = _sit_and_enter_practical(registration, holder, examiner, lv_item)
    assert registration.practical_result.passed and not registration.is_qualified
    with pytest.raises(ValidationError) as exc:
        certificate_issue_from_registration(officer=examiner, registration=registration)
    assert "尚未经第二位考评员确认" in exc.value.messages[0]
    client.force_login(examiner)
    assert holder.display_name not in client.get(reverse("certificates:issue")).content.decode()
    assert not Certificate.objects.exists()
    exam_services.practical_result_confirm(examiner=second_examiner, registration=registration)
    certificate = certificate_issue_from_registration(officer=examiner, registration=registration)
    assert certificate.registration_id == registration.pk


def test_registration_warns_and_issuing_from_the_exam_refuses(session, holder, examiner, second_examiner, lv_item,
                                                             client, django_capture_on_commit_callbacks):
    held = _issue(examiner, holder, valid_from=timezone.localdate() - relativedelta(months=5))
    client.force_login(examiner)
    r = client.post(reverse("exams:manage_session", kwargs={"pk": session.pk}), {"who": holder.username}, follow=True)
    page = r.content.decode()
    registration = Registration.objects.get(session=session, candidate=holder)  # a warning, not a refusal
    assert held.number in page and "不能重复发证" in page
    assert eligibility.warnings(session=session, candidate=holder)
    registration = _sit_and_enter_practical(registration, holder, examiner, lv_item)
    exam_services.practical_result_confirm(examiner=second_examiner, registration=registration)
    with pytest.raises(ValidationError) as exc:
        certificate_issue_from_registration(officer=examiner, registration=registration)
    assert held.number in " ".join(exc.value.messages)
    client.force_login(examiner)
    listed = client.get(reverse("certificates:issue")).content.decode()
    assert holder.display_name in listed and held.number in listed  # listed, with the reason it will be refused
    # the batch reports the refusal in words
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("certificates:issue_batch"), {"ids": [registration.pk]})
    batch = CertificateBatch.objects.get()
    assert batch.failed == 1 and "不能重复发证" in batch.errors[0]["error"] and "{" not in batch.errors[0]["error"]
    assert Certificate.objects.filter(holder=holder).count() == 1


def test_session_page_lists_warnings_in_bounded_queries(session, examiner, make_member, client,
                                                        django_assert_max_num_queries):
    people = [make_member(Role.WORKER, identity_verified=True, id_number=n)
              for n in ("440704199001010013", "440704199102020026", "440704199203030039")]
    for person in people:
        exam_services.registration_create(actor=examiner, session=session, candidate=person)
    for person in people[:2]:
        _issue(examiner, person, valid_from=timezone.localdate() - dt.timedelta(days=30))
    assert set(eligibility.warnings_for(session=session, candidates=people)) == {p.pk for p in people[:2]}
    client.force_login(examiner)
    with django_assert_max_num_queries(30):
        page = client.get(reverse("exams:manage_session", kwargs={"pk": session.pk})).content.decode()
    assert page.count("不能重复发证") == 2
