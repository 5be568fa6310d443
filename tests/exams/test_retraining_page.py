"""重新培训: exam-centre staff see, per centre, who must train again after a failed make-up and
record the date the training was completed (audited); nothing changes on bad input."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import OrgKind, Role
from core.models import AuditLog
from exams import services
from exams.models import RetrainingRequirement
from tests.exams.test_makeup import _fail
from tests.factories import OrganizationFactory


def _requirement(session, candidate, examiner):
    reg = services.registration_create(actor=examiner, session=session, candidate=candidate)
    attempt = _fail(candidate, reg)
    return RetrainingRequirement.objects.create(
        candidate=candidate, certificate_kind=session.certificate_kind, operation_item=session.operation_item,
        failed_attempt=attempt, required_since=timezone.localdate() - dt.timedelta(days=5))


@pytest.fixture
def other_session(session, examiner):
    other = OrganizationFactory(kind=OrgKind.EXAM_CENTRE, name="乙考试中心", credit_code=None)
    return services.session_create(
        actor=examiner, centre=other, name="乙中心场次", blueprint=session.blueprint,
        certificate_kind=session.certificate_kind, operation_item=session.operation_item,
        starts_at=session.starts_at, ends_at=session.ends_at, seats=10, require_check_in=False)


def test_list_per_centre_and_record_completion(client, session, other_session, examiner, make_member,
                                               django_assert_max_num_queries):
    mine = [_requirement(session, make_member(Role.WORKER, identity_verified=True, real_name=f"补考者{i}"), examiner)
            for i in range(3)]
    theirs = _requirement(other_session, make_member(Role.WORKER, identity_verified=True, real_name="别处考生"), examiner)
    client.force_login(examiner)
    url = reverse("exams:manage_retraining")
    with django_assert_max_num_queries(10):
        page = client.get(url).content.decode()
    assert all(f"补考者{i}" in page for i in range(3)) and "别处考生" not in page
    assert url in client.get(reverse("exams:manage")).content.decode()  # reachable from the back office tabs

    target = mine[0]
    done = reverse("exams:manage_retraining_complete", kwargs={"pk": target.pk})
    # before the failed make-up, or in the future: refused, nothing recorded
    for bad in (target.required_since - dt.timedelta(days=1), timezone.localdate() + dt.timedelta(days=1), "x"):
        r = client.post(done, {"completed_on": bad}, follow=True)
        assert r.status_code == 200
        target.refresh_from_db()
        assert target.completed_on is None
    day = timezone.localdate() - dt.timedelta(days=1)
    r = client.post(done, {"completed_on": day.isoformat()}, follow=True)
    assert "完成重新培训" in r.content.decode()
    target.refresh_from_db()
    assert target.completed_on == day and target.recorded_by == examiner
    entry = AuditLog.objects.get(action="exam_retraining.complete", target_id=str(target.pk))
    assert entry.actor == examiner

    assert "补考者0" not in client.get(url).content.decode()         # open ones only by default
    done_page = client.get(url + "?status=done").content.decode()
    assert "补考者0" in done_page and day.isoformat() in done_page and "登记" in done_page

    # another centre's requirement cannot be recorded by this centre's staff
    r = client.post(reverse("exams:manage_retraining_complete", kwargs={"pk": theirs.pk}), {"completed_on": day})
    assert r.status_code == 404


def test_retraining_page_is_for_exam_staff_only(client, make_member):
    for role in (Role.WORKER, Role.INSTRUCTOR):
        client.force_login(make_member(role))
        assert client.get(reverse("exams:manage_retraining")).status_code == 404
