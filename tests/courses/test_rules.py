"""Assignment rules enrol everyone who matches — also people who match later — and remind once."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import HazardTag, Membership
from accounts.roles import Role
from accounts.services import membership_grant
from courses import services
from courses.models import Enrolment, EnrolmentReminder
from courses.tasks import send_due_reminders, sync_all_rules
from tests.courses.factories import CourseFactory
from tests.courses.helpers import bureau, enterprise
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DUE = dt.date(2026, 12, 31)


@pytest.fixture
def setting(make_member, django_capture_on_commit_callbacks):
    jm = bureau("440700")
    officer = make_member(Role.BUREAU_PUBLISHER, jm)
    dusty = enterprise("440704", tags=["dust-explosion"])
    plain = enterprise("440705", tags=["confined-space"])
    far = enterprise("441900", tags=["dust-explosion"])  # Dongguan, outside the bureau's region
    people = {
        "p_dusty": make_member(Role.PRINCIPAL, dusty),
        "w_dusty": make_member(Role.WORKER, dusty),
        "p_plain": make_member(Role.PRINCIPAL, plain),
        "p_far": make_member(Role.PRINCIPAL, far),
    }
    course = CourseFactory(code="dust-criteria", is_mandatory=True)
    with django_capture_on_commit_callbacks(execute=True):
        rule = services.rule_create(
            actor=officer, issuer=jm, course=course, name="粉尘涉爆主要负责人", roles=[Role.PRINCIPAL],
            hazard_tags=HazardTag.objects.filter(code="dust-explosion"), region_prefix_value="4407", due_date=DUE,
        )
    return {"bureau": jm, "officer": officer, "dusty": dusty, "plain": plain, "far": far, "course": course,
            "rule": rule, **people}


def enrolled(course):
    return set(Enrolment.objects.filter(course=course).values_list("user__username", flat=True))


def test_rule_enrols_exactly_the_matching_people(setting):
    assert enrolled(setting["course"]) == {setting["p_dusty"].username}
    e = Enrolment.objects.get(course=setting["course"])
    assert e.due_date == DUE and e.rule == setting["rule"]


def test_sync_is_idempotent(setting):
    assert services.rule_sync(rule=setting["rule"]) == 0
    assert sync_all_rules() == 0
    assert Enrolment.objects.filter(course=setting["course"]).count() == 1


def test_new_matching_employee_is_enrolled_and_a_non_matching_one_is_not(setting, make_member,
                                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        newcomer = UserFactory()
        membership_grant(user=newcomer, organization=setting["dusty"], role=Role.PRINCIPAL)
        worker = UserFactory()
        membership_grant(user=worker, organization=setting["dusty"], role=Role.WORKER)
        elsewhere = UserFactory()
        membership_grant(user=elsewhere, organization=setting["plain"], role=Role.PRINCIPAL)
    names = enrolled(setting["course"])
    assert newcomer.username in names
    assert worker.username not in names and elsewhere.username not in names


def test_enterprise_that_gets_the_tag_later_is_covered(setting, django_capture_on_commit_callbacks):
    assert setting["p_plain"].username not in enrolled(setting["course"])
    with django_capture_on_commit_callbacks(execute=True):
        setting["plain"].hazard_tags.add(HazardTag.objects.get(code="dust-explosion"))
    assert setting["p_plain"].username in enrolled(setting["course"])


def test_nightly_sync_catches_what_signals_missed(setting):
    # a membership written without signals (bulk) is picked up by the nightly job
    late = UserFactory()
    Membership.objects.bulk_create([Membership(user=late, organization=setting["dusty"], role=Role.PRINCIPAL)])
    assert late.username not in enrolled(setting["course"])
    assert sync_all_rules() == 1
    assert late.username in enrolled(setting["course"])


def test_bureau_cannot_target_outside_its_region_and_outsiders_cannot_issue(setting, make_member):
    with pytest.raises(ValidationError):
        services.rule_create(actor=setting["officer"], issuer=setting["bureau"], course=setting["course"],
                             name="越界", region_prefix_value="4419", due_date=DUE)
    with pytest.raises(PermissionDenied):
        services.rule_create(actor=setting["w_dusty"], issuer=setting["bureau"], course=setting["course"],
                             name="冒用", due_date=DUE)
    # and a rule without a region still stays inside the bureau's own region
    assert setting["p_far"].username not in enrolled(setting["course"])


def test_enterprise_rule_only_reaches_its_own_people(setting, make_member, django_capture_on_commit_callbacks):
    admin = make_member(Role.ENT_ADMIN, setting["dusty"])
    course = CourseFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.rule_create(actor=admin, issuer=setting["dusty"], course=course, name="全员", due_date=DUE)
    assert enrolled(course) == {setting["p_dusty"].username, setting["w_dusty"].username, admin.username}


def test_later_joiners_get_their_own_due_date(setting):
    rule = setting["rule"]
    rule.due_in_days = 30
    rule.save()
    made = rule.created_at.date()
    assert services.rule_due_date(rule, made) == DUE
    later = dt.date(2026, 12, 20)
    assert services.rule_due_date(rule, later) == dt.date(2027, 1, 19)
    assert services.rule_due_date(rule, dt.date(2026, 12, 1)) == DUE


def test_joined_since_selects_new_workers(make_member, django_capture_on_commit_callbacks):
    org = enterprise()
    admin = make_member(Role.ENT_ADMIN, org)
    old, new = make_member(Role.WORKER, org), make_member(Role.WORKER, org)
    Membership.objects.filter(user=old).update(since=dt.date(2019, 3, 1))
    Membership.objects.filter(user=new).update(since=dt.date(2026, 11, 2))
    course = CourseFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.rule_create(actor=admin, issuer=org, course=course, name="三级教育", roles=[Role.WORKER],
                             joined_since=dt.date(2026, 1, 1), due_date=DUE)
    assert enrolled(course) == {new.username}


def test_yearly_refresher_enrols_once_per_cycle(make_member, django_capture_on_commit_callbacks):
    org = enterprise()
    admin = make_member(Role.ENT_ADMIN, org)
    p = make_member(Role.PRINCIPAL, org)
    course = CourseFactory(renewal_months=12)
    with django_capture_on_commit_callbacks(execute=True):
        services.rule_create(actor=admin, issuer=org, course=course, name="2026", roles=[Role.PRINCIPAL], due_date=DUE)
        services.rule_create(actor=admin, issuer=org, course=course, name="2027", roles=[Role.PRINCIPAL],
                             due_date=dt.date(2027, 12, 31))
    assert sorted(Enrolment.objects.filter(user=p).values_list("cycle", flat=True)) == ["2026", "2027"]


def test_reminders_go_out_once_per_kind(setting, time_machine, sms_outbox, django_capture_on_commit_callbacks):
    from core.models import Notification

    e = Enrolment.objects.get(course=setting["course"])
    setting["p_dusty"].email = "p@example.com"
    setting["p_dusty"].phone = "13900000001"
    setting["p_dusty"].save()
    time_machine.move_to(dt.datetime(2026, 12, 10, 9, 0))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders() == 1
        assert send_due_reminders() == 0
    assert len(mail.outbox) == 1
    assert setting["course"].title in mail.outbox[0].body and "2026-12-31" in mail.outbox[0].body
    assert [m.phone for m in sms_outbox] == ["13900000001"]
    assert setting["course"].title in sms_outbox[0].body and "2026-12-31" in sms_outbox[0].body
    note = Notification.objects.get(user=setting["p_dusty"])
    assert note.url == setting["course"].get_absolute_url() and note.kind == "course.reminder.due_30"
    time_machine.move_to(dt.datetime(2026, 12, 26, 9, 0))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders() == 1
    time_machine.move_to(dt.datetime(2027, 1, 3, 9, 0))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders() == 1
        assert send_due_reminders() == 0
    assert set(EnrolmentReminder.objects.filter(enrolment=e).values_list("kind", flat=True)) == {
        "due_30", "due_7", "overdue"}
    assert len(mail.outbox) == 3
    assert len(sms_outbox) == 3
    assert Notification.objects.filter(user=setting["p_dusty"]).count() == 3
    # a completed enrolment gets no reminder
    e.status = Enrolment.Status.COMPLETED
    e.save()
    EnrolmentReminder.objects.all().delete()
    assert send_due_reminders() == 0
