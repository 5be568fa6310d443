import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditLog
from accounts.roles import Role
from certificates import numbers
from certificates.models import Certificate, LiveStatus
from certificates.services import certificate_reinstate, certificate_revoke, certificate_suspend

from .conftest import WELDER_ID

pytestmark = pytest.mark.django_db


def test_issue_sets_dates_from_catalogue_data_and_keeps_national_number_private(issue, welder):
    c = issue(welder, valid_from=dt.date(2024, 3, 1))
    assert (c.valid_until, c.next_review_due) == (dt.date(2030, 2, 28), dt.date(2027, 3, 1))
    assert c.rule_version.code == "2010" and c.operation_item.name == "熔化焊接与热切割作业"
    # own number: year + sequence + check character, nothing from the ID number
    assert numbers.is_valid_number(c.number) and c.number.startswith("AX2024")
    assert WELDER_ID[-6:] not in c.number
    assert c.national_number == "T" + WELDER_ID
    assert WELDER_ID not in c.national_number_encrypted  # encrypted at rest
    assert c.masked_national_number == "T110***********1235"
    assert AuditLog.objects.filter(action="certificate.issue", target_id=str(c.pk)).exists()


def test_numbers_are_sequential_and_check_digit_catches_typos(issue, welder):
    a, b = issue(welder), issue(welder, item_code="weld-braze")
    assert int(b.number[6:12]) == int(a.number[6:12]) + 1
    typo = a.number[:-2] + str((int(a.number[-2]) + 1) % 10) + a.number[-1]
    assert not numbers.is_valid_number(typo)


def test_status_lifecycle_over_time(issue, welder):
    c = issue(welder, valid_from=dt.date(2024, 3, 1))  # review due 2027-03-01, valid until 2030-02-28
    timeline = [
        (dt.date(2024, 3, 1), LiveStatus.VALID),
        (dt.date(2026, 12, 30), LiveStatus.VALID),
        (dt.date(2026, 12, 31), LiveStatus.REVIEW_DUE),   # 60 days before the review date
        (dt.date(2027, 3, 1), LiveStatus.REVIEW_DUE),
        (dt.date(2027, 3, 2), LiveStatus.REVIEW_OVERDUE),
        (dt.date(2030, 2, 28), LiveStatus.REVIEW_OVERDUE),
        (dt.date(2030, 3, 1), LiveStatus.EXPIRED),
    ]
    for day, expected in timeline:
        with time_machine.travel(dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC), tick=False):
            assert Certificate.objects.get(pk=c.pk).status == expected, day


def test_suspend_reinstate_revoke_audited_and_revoked_is_final(issue, welder, officer):
    c = issue(welder)
    with pytest.raises(ValidationError):
        certificate_suspend(category="violation", actor=officer, certificate=c, reason="  ")
    certificate_suspend(category="violation", actor=officer, certificate=c, reason="违章作业")
    assert c.status == LiveStatus.SUSPENDED
    certificate_reinstate(actor=officer, certificate=c, reason="整改完成")
    assert c.status in (LiveStatus.VALID, LiveStatus.REVIEW_DUE, LiveStatus.REVIEW_OVERDUE)
    certificate_revoke(category="fraud", actor=officer, certificate=c, reason="以欺骗手段取得")
    assert Certificate.objects.get(pk=c.pk).status == LiveStatus.REVOKED
    with pytest.raises(ValidationError):
        certificate_reinstate(actor=officer, certificate=c, reason="x")
    actions = list(AuditLog.objects.filter(target_id=str(c.pk)).values_list("action", flat=True))
    assert {"certificate.suspend", "certificate.reinstate", "certificate.revoke"} <= set(actions)
    assert c.revision == 4


def test_only_the_issuing_centres_officer_may_change_a_certificate(issue, welder, make_member):
    c = issue(welder)
    other_officer = make_member(Role.CERT_OFFICER)
    with pytest.raises(PermissionDenied):
        certificate_revoke(category="fraud", actor=other_officer, certificate=c, reason="x")
    assert Certificate.objects.get(pk=c.pk).state == Certificate.State.ACTIVE


def test_issue_refuses_holder_without_id_and_item_from_other_version(issue, make_member):
    from tests.factories import UserFactory

    with pytest.raises(ValidationError):
        issue(UserFactory())
    assert not Certificate.objects.exists()


def test_the_sweep_renders_pdfs_a_lost_worker_never_made(issue, welder):
    """A certificate whose render was lost (render=False stands in for the lost task) gets its PDF
    from the periodic sweep; an imported paper record is left for on-demand rendering."""
    from certificates.tasks import render_missing_pdfs

    lost = issue(welder, render=False)
    imported = issue(welder, item_code="weld-braze", render=False, source=Certificate.Source.IMPORTED)
    assert not lost.pdf and not imported.pdf
    assert render_missing_pdfs() == 1  # tasks run eagerly in the embedded default
    lost.refresh_from_db()
    imported.refresh_from_db()
    assert lost.pdf and lost.pdf_revision == lost.revision
    assert lost.pdf.open("rb").read(4) == b"%PDF"
    assert not imported.pdf
    assert render_missing_pdfs() == 0  # nothing left: idempotent


def test_suspension_and_revocation_require_a_category_fitting_the_action(issue, welder, officer):
    c = issue(welder)
    for bad in ("", "nonsense", "holder_request"):  # a holder's request cancels, never suspends
        with pytest.raises(ValidationError) as exc:
            certificate_suspend(category=bad, actor=officer, certificate=c, reason="违章")
        assert "category" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        certificate_revoke(category="investigation", actor=officer, certificate=c, reason="核查中")
    assert "category" in exc.value.message_dict
    assert Certificate.objects.get(pk=c.pk).state == "active"
    certificate_revoke(category="accident", actor=officer, certificate=c, reason="焊接引燃仓库，负主要责任")
    c.refresh_from_db()
    assert (c.state, c.state_category, c.get_state_category_display()) == ("revoked", "accident", "对生产安全事故负有责任")
    entry = AuditLog.objects.get(action="certificate.revoke", target_id=str(c.pk))
    assert entry.reason == "焊接引燃仓库，负主要责任" and entry.after["state_category"] == "accident"


def test_the_database_refuses_a_suspension_without_category(issue, welder):
    from django.db import IntegrityError, transaction

    c = issue(welder)
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.filter(pk=c.pk).update(state="suspended", state_reason="x")


def test_officer_chooses_the_category_on_the_certificate_page(issue, welder, officer, client):
    c = issue(welder)
    client.force_login(officer)
    page = client.get(f"/certificates/{c.pk}/").content.decode()
    assert 'name="category"' in page and "持证人申请注销" in page
    client.post(f"/certificates/{c.pk}/action/", {"action": "revoke", "reason": "本人书面申请"})
    assert Certificate.objects.get(pk=c.pk).state == "active"  # no category: nothing changed
    client.post(f"/certificates/{c.pk}/action/", {"action": "revoke", "category": "holder_request", "reason": "本人书面申请"})
    c.refresh_from_db()
    assert (c.state, c.state_category, c.state_reason) == ("revoked", "holder_request", "本人书面申请")
    page = client.get(f"/certificates/{c.pk}/").content.decode()
    assert "持证人申请注销" in page and "本人书面申请" in page  # staff see both
