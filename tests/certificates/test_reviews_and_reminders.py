import datetime as dt
import sys
import types

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from certificates.models import Certificate, CertificateReview, LiveStatus, Reminder
from certificates.services import reminders_send_due, review_apply, review_approve, review_reject

pytestmark = pytest.mark.django_db


def _at(day):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 4, tzinfo=dt.UTC), tick=False)


@pytest.fixture
def hours(monkeypatch):
    """Install a courses.selectors.refresher_hours returning the given number of hours."""
    import courses

    def _set(value):
        module = types.ModuleType("courses.selectors")
        module.refresher_hours = lambda user, since: value
        monkeypatch.setitem(sys.modules, "courses.selectors", module)
        monkeypatch.setattr(courses, "selectors", module, raising=False)

    return _set


def test_review_in_window_with_hours_moves_the_next_review_date(issue, welder, officer, hours):
    hours(8)
    c = issue(welder, valid_from=dt.date(2024, 3, 1))  # review due 2027-03-01
    with _at(dt.date(2026, 12, 1)):  # before the window (opens 2026-12-31)
        with pytest.raises(ValidationError) as exc:
            review_apply(holder=welder, certificate=c)
        assert "复审申请期" in " ".join(exc.value.messages)
    with _at(dt.date(2027, 1, 15)):
        review = review_apply(holder=welder, certificate=c)
        review_approve(officer=officer, review=review)
    c.refresh_from_db()
    assert (c.next_review_due, c.last_reviewed_on, c.valid_until) == (dt.date(2030, 3, 1), dt.date(2027, 1, 15), dt.date(2036, 2, 28))
    with _at(dt.date(2027, 6, 1)):
        assert c.status == LiveStatus.VALID


def test_review_refused_without_refresher_hours_and_without_courses_data(issue, welder, monkeypatch, hours):
    c = issue(welder, valid_from=dt.date(2024, 3, 1))
    hours(4)
    with _at(dt.date(2027, 1, 15)), pytest.raises(ValidationError) as exc:
        review_apply(holder=welder, certificate=c)
    assert "不少于 8 学时" in " ".join(exc.value.messages)
    import courses

    monkeypatch.delattr(courses, "selectors", raising=False)
    monkeypatch.setitem(sys.modules, "courses.selectors", None)  # the courses app provides nothing
    with _at(dt.date(2027, 1, 15)), pytest.raises(ValidationError) as exc:
        review_apply(holder=welder, certificate=c)
    assert "按0学时计算" in " ".join(exc.value.messages)
    assert not CertificateReview.objects.exists()


def test_revoked_certificate_cannot_be_reviewed_and_rejection_needs_reason(issue, welder, officer, hours):
    from certificates.services import certificate_revoke

    hours(10)
    c = issue(welder, valid_from=dt.date(2024, 3, 1))
    with _at(dt.date(2027, 1, 15)):
        review = review_apply(holder=welder, certificate=c)
        with pytest.raises(ValidationError):
            review_reject(officer=officer, review=review, reason="")
        review_reject(officer=officer, review=review, reason="违章记录")
        certificate_revoke(category="fraud", actor=officer, certificate=c, reason="假证")
        with pytest.raises(ValidationError):
            review_apply(holder=welder, certificate=c)


def test_reminders_60_30_7_days_to_holder_and_employer_never_twice(issue, welder, ent_admin, enterprise, make_member,
                                                                   sms_outbox, django_capture_on_commit_callbacks):
    from accounts.roles import Role
    from core.models import Notification

    manager = make_member(Role.SAFETY_MANAGER, org=enterprise, real_name="周安全", email="safety@example.test",
                          phone="13800000003")
    make_member(Role.WORKER, org=enterprise, email="colleague@example.test")  # a colleague gets nothing
    welder.phone = "13800000001"
    welder.save()
    c = issue(welder, valid_from=dt.date(2024, 3, 1))  # review due 2027-03-01
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send_due(today=dt.date(2026, 12, 1)) == 0   # 90 days before: nothing yet
        assert reminders_send_due(today=dt.date(2026, 12, 31)) == 3  # 60 days: holder + admin + safety manager
        assert reminders_send_due(today=dt.date(2026, 12, 31)) == 0  # same day again: no duplicates
        assert reminders_send_due(today=dt.date(2027, 1, 5)) == 0
        assert reminders_send_due(today=dt.date(2027, 1, 30)) == 3   # 30 days
        assert reminders_send_due(today=dt.date(2027, 2, 25)) == 3   # 6 days left: the 7-day reminder
        assert reminders_send_due(today=dt.date(2027, 2, 26)) == 0
    people = (welder.username, ent_admin.username, manager.username)
    rows = list(Reminder.objects.filter(certificate=c).values_list("kind", "days_before", "recipient__username"))
    assert sorted(rows) == sorted([("review", d, u) for d in (60, 30, 7) for u in people])
    assert Reminder.objects.filter(certificate=c, delivered=True).count() == 9
    assert len(mail.outbox) == 9
    assert {m.to[0] for m in mail.outbox} == {"welder@example.test", "admin@example.test", "safety@example.test"}
    assert "复审" in mail.outbox[0].subject
    # text messages to those with a phone number (the admin has none), three thresholds each
    assert sorted(m.phone for m in sms_outbox) == ["13800000001"] * 3 + ["13800000003"] * 3
    assert all("复审" in m.body and c.number in m.body for m in sms_outbox)
    # and an in-app notification for each, linking to the certificate
    notes = Notification.objects.filter(url=f"/certificates/{c.pk}/")
    assert notes.count() == 9
    assert set(notes.values_list("user__username", flat=True)) == set(people)


def test_late_first_run_sends_only_the_nearest_reminder_and_expiry_is_covered(issue, welder, make_member):
    issue(welder, kind_code="mgmt-principal", item_code=None, valid_from=dt.date(2024, 3, 1))  # until 2027-02-28
    assert reminders_send_due(today=dt.date(2027, 2, 22)) == 1  # 6 days left: only the 7-day one, to the holder
    assert list(Reminder.objects.values_list("kind", "days_before")) == [("expiry", 7)]
    assert reminders_send_due(today=dt.date(2027, 2, 23)) == 0


def test_reminder_task_is_registered_in_beat_schedule():
    from config.celery import collect_beat_schedule

    schedule = collect_beat_schedule()
    assert schedule["certificates-reminders"]["task"] == "certificates.tasks.send_certificate_reminders"
    from certificates.tasks import send_certificate_reminders

    assert send_certificate_reminders("2026-01-01") == 0
    assert Certificate.objects.count() == 0
