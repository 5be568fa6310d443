"""Exam applications (报名): eligibility from the ID number and the catalogue, the certificates'
suspension check, approval into a seat through the registration service (ticket, text message),
return with a reason and resubmission, batch applications by an enterprise and a training
institution, full sessions, and the exam centre's scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.roles import OrgKind, Role
from catalogue.models import RetirementAgeRule, RuleVersion
from exams import selectors, services
from exams.models import ExamApplication, Registration
from exams.services import applications as svc
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, id_number_for

pytestmark = pytest.mark.django_db


def birth_years_ago(years: int, days: int = 0) -> str:
    today = timezone.localdate()
    return (today.replace(year=today.year - years) + dt.timedelta(days=days)).strftime("%Y%m%d")


@pytest.fixture
def enterprise(db):
    return OrganizationFactory(kind=OrgKind.ENTERPRISE, name="测试制造有限公司")


@pytest.fixture
def upcoming(centre, blueprint, special_kind, lv_item, examiner):
    """A session a week ahead with two seats."""
    start = timezone.now() + dt.timedelta(days=7)
    return services.session_create(
        actor=examiner, centre=centre, name="低压电工作业第一场", blueprint=blueprint, certificate_kind=special_kind,
        operation_item=lv_item, starts_at=start, ends_at=start + dt.timedelta(hours=2), room="第二考场", seats=2,
    )


@pytest.fixture
def person(make_member, enterprise):
    return make_member(Role.WORKER, org=enterprise, real_name="张三", identity_verified=True, phone="13800000001",
                       id_number=id_number_for(1, birth="19900101"))


def declared(**kw):
    return {"education": "senior", "health_declared": True, "health_declared_on": timezone.localdate(), **kw}


def eligibility_of(person, session, **kw):
    d = declared(**kw)
    d.pop("health_declared_on")
    return {i.code: i for i in svc.application_eligibility(session=session, person=person, **d)}


def submit(person, session, **kw):
    return svc.application_submit(actor=person, person=person, session=session, **declared(**kw))


# ----------------------------------------------------------------------------- eligibility

def test_under_18_is_refused(make_member, upcoming):
    young = make_member(Role.WORKER, identity_verified=True, id_number=id_number_for(3, birth=birth_years_ago(17)))
    items = eligibility_of(young, upcoming)
    assert not items["age"].ok and items["age"].blocking and "未满 18 周岁" in items["age"].message
    with pytest.raises(ValidationError, match="未满 18 周岁"):
        submit(young, upcoming)
    assert not ExamApplication.objects.exists()


def test_eighteen_on_the_exam_day_is_accepted(make_member, upcoming):
    exam_day = timezone.localdate(upcoming.starts_at)
    birth = exam_day.replace(year=exam_day.year - 18).strftime("%Y%m%d")
    adult = make_member(Role.WORKER, identity_verified=True, id_number=id_number_for(5, birth=birth))
    assert submit(adult, upcoming).status == ExamApplication.Status.SUBMITTED


def test_past_retirement_age_is_refused(make_member, upcoming):
    retired = make_member(Role.WORKER, identity_verified=True, id_number=id_number_for(7, birth="19600315"))
    with pytest.raises(ValidationError, match="法定退休年龄"):
        submit(retired, upcoming)
    # and a direct registration by the exam centre asks the same registered check
    with pytest.raises(ValidationError, match="法定退休年龄"):
        services.registration_create(actor=None, session=upcoming, candidate=retired)


def test_retirement_ages_are_catalogue_data_raised_by_birth_month():
    version = RuleVersion.objects.get(code="2010")
    men = RetirementAgeRule.for_person(version.pk, "M")
    women = RetirementAgeRule.for_person(version.pk, "F")
    assert men.retirement_date(dt.date(1964, 12, 10)) == dt.date(2024, 12, 10)  # before the raise: 60
    assert men.retirement_date(dt.date(1965, 1, 10)) == dt.date(2025, 2, 10)  # 60 and 1 month
    assert men.retirement_date(dt.date(1965, 5, 10)) == dt.date(2025, 7, 10)  # 60 and 2 months
    assert men.retirement_date(dt.date(1980, 1, 1)) == dt.date(2043, 1, 1)  # the ceiling: 63
    assert women.base_age_years == 50 and women.retirement_date(dt.date(1975, 3, 1)) == dt.date(2025, 5, 1)
    # staff change the data, the check follows
    men.max_raise_months = 0
    men.save()
    assert men.retirement_date(dt.date(1980, 1, 1)) == dt.date(2040, 1, 1)


def test_man_of_59_with_the_raise_is_still_eligible(make_member, upcoming):
    # born 1968-01: retires at 60 and 10 months (2028-11), so may apply in 2026
    worker = make_member(Role.WORKER, identity_verified=True, id_number=id_number_for(9, birth="19680105"))
    items = eligibility_of(worker, upcoming)
    assert items["age"].ok


def test_missing_id_number_refuses(make_member, upcoming):
    nobody = make_member(Role.WORKER, identity_verified=True)
    with pytest.raises(ValidationError, match="未登记身份证号"):
        submit(nobody, upcoming)


def test_identity_not_verified_may_be_submitted_but_not_approved_without_override(person, upcoming, examiner):
    person.identity_verified = False
    person.save()
    application = submit(person, upcoming)
    identity = next(i for i in application.eligibility if i["code"] == "identity")
    assert identity["ok"] is False and identity["blocking"] is False
    with pytest.raises(ValidationError, match="身份尚未核验"):
        svc.application_approve(actor=examiner, application=application)
    application.refresh_from_db()
    assert application.status == ExamApplication.Status.SUBMITTED and not Registration.objects.exists()
    svc.application_approve(actor=examiner, application=application, override_reason="现场核验身份证原件")
    reg = Registration.objects.get(candidate=person)
    assert "破格" in reg.eligibility_notes


def test_training_not_completed_is_shown_and_waits_for_review(person, upcoming, examiner):
    upcoming.required_course_code = "lv-elec-initial"
    upcoming.save()
    items = eligibility_of(person, upcoming)
    assert not items["training"].ok and not items["training"].blocking
    assert "lv-elec-initial" in items["training"].message
    application = submit(person, upcoming)
    with pytest.raises(ValidationError, match="未完成规定课程"):
        svc.application_approve(actor=examiner, application=application)


def test_education_and_health_declarations_follow_the_catalogue(person, upcoming):
    with pytest.raises(ValidationError, match="文化程度须为初中及以上"):
        submit(person, upcoming, education="primary")
    with pytest.raises(ValidationError, match="须声明经体检合格"):
        submit(person, upcoming, health_declared=False)
    assert submit(person, upcoming, education="junior").declared_education == "junior"


def test_hazardous_chemicals_ask_for_senior_middle_school(person, upcoming):
    from catalogue.models import OperationItem

    upcoming.operation_item = OperationItem.objects.get(code="chem-nitration", category__rule_version__code="2010")
    upcoming.save()
    with pytest.raises(ValidationError, match="高中"):
        submit(person, upcoming, education="junior")


@pytest.fixture
def officer(make_member, centre):
    return make_member(Role.CERT_OFFICER, org=centre)


def _certificate(officer, holder, item_code="elec-lv"):
    from catalogue.models import CertificateKind, OperationItem
    from certificates.services import certificate_issue

    return certificate_issue(
        officer=officer, holder=holder, kind=CertificateKind.objects.get(code="special-op", rule_version__code="2010"),
        operation_item=OperationItem.objects.get(code=item_code, category__rule_version__code="2010"),
        issuing_authority="测试市应急管理局", valid_from=dt.date(2024, 3, 1), render=False)


def test_active_suspension_for_the_operation_refuses(person, upcoming, officer):
    from certificates.services import certificate_reinstate, certificate_suspend

    cert = _certificate(officer, person)
    certificate_suspend(actor=officer, certificate=cert, category="violation", reason="违章作业")
    with pytest.raises(ValidationError, match="正被暂扣"):
        submit(person, upcoming)
    with pytest.raises(ValidationError, match="正被暂扣"):
        services.registration_create(actor=None, session=upcoming, candidate=person, override_reason="")
    certificate_reinstate(actor=officer, certificate=cert, reason="处理完毕")
    assert submit(person, upcoming).status == ExamApplication.Status.SUBMITTED


def test_suspension_of_another_operation_does_not_refuse(person, upcoming, officer):
    from certificates.services import certificate_suspend

    cert = _certificate(officer, person, item_code="weld-fusion")
    certificate_suspend(actor=officer, certificate=cert, category="violation", reason="违章作业")
    assert submit(person, upcoming).status == ExamApplication.Status.SUBMITTED


def test_recent_revocation_refuses_for_the_catalogue_period(person, upcoming, officer):
    from certificates.services import certificate_revoke

    cert = _certificate(officer, person)
    certificate_revoke(actor=officer, certificate=cert, category="fraud", reason="伪造材料")
    with pytest.raises(ValidationError, match="被撤销"):
        submit(person, upcoming)


# ----------------------------------------------------------------------------- approve and return

def test_approve_registers_with_seat_and_ticket_and_sends_a_text(person, upcoming, examiner, sms_outbox,
                                                                 django_capture_on_commit_callbacks, client):
    application = submit(person, upcoming)
    assert selectors.applications_waiting(examiner).filter(pk=application.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        svc.application_approve(actor=examiner, application=application)
    application.refresh_from_db()
    reg = application.registration
    assert application.status == ExamApplication.Status.APPROVED and application.reviewer == examiner
    assert reg.session == upcoming and reg.candidate == person and reg.seat == 1 and reg.ticket_number
    assert not selectors.applications_waiting(examiner).exists()
    texts = [m for m in sms_outbox if "13800000001" in str(m)]
    assert texts and reg.ticket_number in str(texts[0])
    client.force_login(person)
    assert client.get(reverse("exams:my_ticket", args=[reg.pk])).status_code == 200
    page = client.get(reverse("exams:application", args=[application.pk])).content.decode()
    assert reg.ticket_number in page and reverse("exams:my_ticket", args=[reg.pk]) in page


def test_approve_into_another_session_of_the_centre(person, upcoming, examiner, centre, blueprint, special_kind,
                                                     lv_item):
    start = upcoming.starts_at + dt.timedelta(days=1)
    later = services.session_create(actor=examiner, centre=centre, name="第二场", blueprint=blueprint,
                                    certificate_kind=special_kind, operation_item=lv_item, starts_at=start,
                                    ends_at=start + dt.timedelta(hours=2), seats=5)
    application = submit(person, upcoming)
    svc.application_approve(actor=examiner, application=application, session=later)
    application.refresh_from_db()
    assert application.session == later and application.registration.session == later


def test_return_needs_a_reason_then_the_applicant_resubmits(person, upcoming, examiner, sms_outbox,
                                                             django_capture_on_commit_callbacks):
    application = submit(person, upcoming)
    with pytest.raises(ValidationError, match="须填写原因"):
        svc.application_return(actor=examiner, application=application, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        svc.application_return(actor=examiner, application=application, reason="体检日期已超过一年")
    application.refresh_from_db()
    assert application.status == ExamApplication.Status.RETURNED and application.reason == "体检日期已超过一年"
    assert any("体检日期已超过一年" in str(m) for m in sms_outbox)
    with pytest.raises(ValidationError):
        svc.application_approve(actor=examiner, application=application)
    svc.application_resubmit(actor=person, application=application, **declared())
    application.refresh_from_db()
    assert application.status == ExamApplication.Status.SUBMITTED and application.reason == ""


def test_return_page_requires_a_reason(client, person, upcoming, examiner):
    application = submit(person, upcoming)
    client.force_login(examiner)
    url = reverse("exams:manage_application", args=[application.pk])
    resp = client.post(url, {"action": "return", "reason": ""})
    assert resp.status_code == 200
    application.refresh_from_db()
    assert application.status == ExamApplication.Status.SUBMITTED
    resp = client.post(url, {"action": "return", "reason": "照片不清晰"})
    assert resp.status_code == 302
    application.refresh_from_db()
    assert application.status == ExamApplication.Status.RETURNED


def test_approve_page(client, person, upcoming, examiner):
    application = submit(person, upcoming)
    client.force_login(examiner)
    url = reverse("exams:manage_application", args=[application.pk])
    page = client.get(url).content.decode()
    assert "年龄" in page and "请选择场次" in page
    resp = client.post(url, {"action": "approve", "session": upcoming.pk, "override_reason": ""})
    assert resp.status_code == 302
    application.refresh_from_db()
    assert application.status == ExamApplication.Status.APPROVED


def test_duplicate_application_is_refused(person, upcoming):
    submit(person, upcoming)
    with pytest.raises(ValidationError, match="请勿重复提交"):
        submit(person, upcoming)


def test_someone_else_cannot_apply_for_a_person(make_member, person, upcoming):
    other = make_member(Role.WORKER, identity_verified=True, id_number=id_number_for(11))
    with pytest.raises(ValidationError, match="不能为该人员报名"):
        svc.application_submit(actor=other, person=person, session=upcoming, **declared())


# ----------------------------------------------------------------------------- full sessions

def test_full_session_cannot_be_chosen(client, person, make_member, upcoming, examiner):
    for n in (21, 23):
        services.registration_create(actor=examiner, session=upcoming, candidate=make_member(
            Role.WORKER, identity_verified=True, id_number=id_number_for(n)))
    assert not selectors.sessions_open_for_application().filter(pk=upcoming.pk).exists()
    with pytest.raises(ValidationError, match="座位已满"):
        submit(person, upcoming)
    client.force_login(person)
    page = client.get(reverse("exams:apply")).content.decode()
    assert upcoming.name not in page and "请选择考试场次" in page
    resp = client.post(reverse("exams:apply"), {"session": upcoming.pk, "action": "submit", **declared()})
    assert resp.status_code == 200 and not ExamApplication.objects.exists()


def test_candidate_page_shows_eligibility_then_submits(client, person, upcoming):
    client.force_login(person)
    page = client.get(reverse("exams:apply") + f"?session={upcoming.pk}").content.decode()
    assert "报名条件核对" in page and "须声明经体检合格" in page
    resp = client.post(reverse("exams:apply"), {"session": upcoming.pk, "action": "check", **declared()})
    assert "提交报名" in resp.content.decode() and not ExamApplication.objects.exists()
    resp = client.post(reverse("exams:apply"), {"session": upcoming.pk, "action": "submit", **declared()})
    application = ExamApplication.objects.get()
    assert resp.status_code == 302 and application.person == person
    assert application.channel == ExamApplication.Channel.SELF and application.organization is not None
    assert list(selectors.my_applications(person)) == [application]


# ----------------------------------------------------------------------------- batch

def test_enterprise_applies_only_for_its_own_people(client, make_member, enterprise, upcoming):
    admin = make_member(Role.ENT_ADMIN, org=enterprise)
    mine = [make_member(Role.WORKER, org=enterprise, identity_verified=True, id_number=id_number_for(31 + n))
            for n in range(2)]
    stranger = make_member(Role.WORKER, identity_verified=True, id_number=id_number_for(41))
    with pytest.raises(ValidationError, match="不是本单位可报名的人员"):
        svc.applications_submit_batch(actor=admin, organization=enterprise, people=[mine[0], stranger],
                                      session=upcoming, **declared())
    assert not ExamApplication.objects.exists()  # all or nothing

    client.force_login(admin)
    page = client.get(reverse("exams:batch_apply")).content.decode()
    assert mine[0].display_name in page and stranger.display_name not in page
    resp = client.post(reverse("exams:batch_apply"), {
        "organization": enterprise.pk, "session": upcoming.pk, "people": [stranger.pk], **declared()})
    assert resp.status_code == 200 and not ExamApplication.objects.exists()
    resp = client.post(reverse("exams:batch_apply"), {
        "organization": enterprise.pk, "session": upcoming.pk, "people": [p.pk for p in mine], **declared()})
    assert resp.status_code == 302
    apps = ExamApplication.objects.all()
    assert {a.person for a in apps} == set(mine)
    assert all(a.channel == "enterprise" and a.organization == enterprise and a.applied_by == admin for a in apps)
    # the admin follows them; a worker of the enterprise sees only their own
    assert selectors.applications_made_by(admin).count() == 2
    assert list(selectors.my_applications(mine[0])) == [apps.get(person=mine[0])]


def test_batch_larger_than_the_free_seats_is_refused(make_member, enterprise, upcoming):
    admin = make_member(Role.ENT_ADMIN, org=enterprise)
    people = [make_member(Role.WORKER, org=enterprise, identity_verified=True, id_number=id_number_for(51 + n))
              for n in range(3)]
    with pytest.raises(ValidationError, match="仅余 2 个座位"):
        svc.applications_submit_batch(actor=admin, organization=enterprise, people=people, session=upcoming,
                                      **declared())


def test_training_institution_applies_for_its_trainees(make_member, training_org, upcoming):
    from courses.models import Course, Enrolment

    instructor = make_member(Role.INSTRUCTOR, org=training_org)
    trainee = UserFactory(identity_verified=True, id_number=id_number_for(61))
    outsider = UserFactory(identity_verified=True, id_number=id_number_for(63))
    course = Course.objects.create(code="lv-train", title="低压电工作业初训", provider=training_org)
    Enrolment.objects.create(user=trainee, course=course)
    with pytest.raises(ValidationError, match="不是本单位可报名的人员"):
        svc.applications_submit_batch(actor=instructor, organization=training_org, people=[outsider],
                                      session=upcoming, **declared())
    [application] = svc.applications_submit_batch(actor=instructor, organization=training_org, people=[trainee],
                                                  session=upcoming, **declared())
    assert application.channel == "training" and application.organization == training_org


# ----------------------------------------------------------------------------- scoping and queue

def test_another_centres_staff_cannot_see_the_application(client, person, upcoming, make_member):
    application = submit(person, upcoming)
    other_centre = OrganizationFactory(kind=OrgKind.EXAM_CENTRE, name="另一考试中心", credit_code=None)
    stranger = make_member(Role.PROCTOR, org=other_centre)
    assert not selectors.applications_waiting(stranger).exists()
    client.force_login(stranger)
    assert client.get(reverse("exams:manage_application", args=[application.pk])).status_code == 404
    assert person.display_name not in client.get(reverse("exams:manage_applications")).content.decode()
    with pytest.raises(ValidationError, match="只有受理该申请的考试中心"):
        svc.application_approve(actor=stranger, application=application)
    # nor does a candidate reach the queue
    client.force_login(person)
    assert client.get(reverse("exams:manage_applications")).status_code == 404


def test_queue_lists_in_bounded_queries(client, make_member, enterprise, upcoming, examiner, centre, blueprint,
                                        special_kind, lv_item, django_assert_max_num_queries):
    upcoming.seats = 30
    upcoming.save()
    admin = make_member(Role.ENT_ADMIN, org=enterprise)
    people = [make_member(Role.WORKER, org=enterprise, identity_verified=True, id_number=id_number_for(71 + n))
              for n in range(8)]
    svc.applications_submit_batch(actor=admin, organization=enterprise, people=people, session=upcoming,
                                  **declared())
    client.force_login(examiner)
    url = reverse("exams:manage_applications")
    with django_assert_max_num_queries(12):
        resp = client.get(url)
    body = resp.content.decode()
    assert resp.status_code == 200 and all(p.display_name in body for p in people)
    with django_assert_max_num_queries(12):
        resp = client.get(url, {"status": "all", "session": upcoming.pk, "q": people[0].real_name})
    assert people[0].display_name in resp.content.decode() and people[1].display_name not in resp.content.decode()


def test_withdraw(person, upcoming, client):
    application = submit(person, upcoming)
    client.force_login(person)
    client.post(reverse("exams:application_withdraw", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == ExamApplication.Status.WITHDRAWN
    assert submit(person, upcoming).status == ExamApplication.Status.SUBMITTED  # may apply again


def test_navigation_entries(client, person, examiner):
    client.force_login(person)
    assert reverse("exams:my_applications") in client.get("/").content.decode()
    client.force_login(examiner)
    assert reverse("exams:manage_applications") in client.get("/").content.decode()


def test_membership_factory_kept_for_enterprises(enterprise):
    # an inactive member is not among the enterprise's people
    m = MembershipFactory(organization=enterprise, role=Role.WORKER, is_active=False)
    admin = MembershipFactory(organization=enterprise, role=Role.ENT_ADMIN).user
    assert not svc.may_apply_for(admin, m.user, "enterprise", enterprise)


def test_returned_application_is_corrected_on_its_page(client, person, upcoming, examiner):
    application = submit(person, upcoming, education="junior")
    svc.application_return(actor=examiner, application=application, reason="请上传体检日期")
    client.force_login(person)
    url = reverse("exams:application", args=[application.pk])
    page = client.get(url).content.decode()
    assert "请上传体检日期" in page and "重新提交" in page
    resp = client.post(url, {"session": upcoming.pk, "education": "primary", "health_declared": "on"})
    assert resp.status_code == 200 and "文化程度须为初中及以上" in resp.content.decode()
    application.refresh_from_db()
    assert application.status == ExamApplication.Status.RETURNED
    resp = client.post(url, {"session": upcoming.pk, "education": "college", "health_declared": "on",
                             "health_declared_on": timezone.localdate().isoformat()})
    assert resp.status_code == 302
    application.refresh_from_db()
    assert application.status == ExamApplication.Status.SUBMITTED and application.declared_education == "college"
    # another person cannot open it
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


def test_training_institution_batch_page_lists_only_trainees(client, make_member, training_org, upcoming):
    from courses.models import Course, Enrolment

    instructor = make_member(Role.INSTRUCTOR, org=training_org)
    trainee = UserFactory(real_name="学员甲", identity_verified=True, id_number=id_number_for(81))
    outsider = UserFactory(real_name="路人乙", identity_verified=True, id_number=id_number_for(83))
    Enrolment.objects.create(user=trainee, course=Course.objects.create(
        code="lv-train-2", title="低压电工作业初训", provider=training_org))
    client.force_login(instructor)
    page = client.get(reverse("exams:batch_apply")).content.decode()
    assert "学员甲" in page and "路人乙" not in page and "可为在本机构参加培训的学员报名" in page
    resp = client.post(reverse("exams:batch_apply"), {
        "organization": training_org.pk, "session": upcoming.pk, "people": [trainee.pk], **declared()})
    assert resp.status_code == 302
    assert ExamApplication.objects.get().channel == "training"
    assert outsider.exam_applications.count() == 0


def test_batch_page_is_not_for_workers(client, person):
    client.force_login(person)
    assert client.get(reverse("exams:batch_apply")).status_code == 404


def test_applicant_list_in_bounded_queries(client, make_member, enterprise, upcoming, django_assert_max_num_queries):
    upcoming.seats = 30
    upcoming.save()
    admin = make_member(Role.ENT_ADMIN, org=enterprise)
    people = [make_member(Role.WORKER, org=enterprise, identity_verified=True, id_number=id_number_for(91 + n))
              for n in range(6)]
    svc.applications_submit_batch(actor=admin, organization=enterprise, people=people, session=upcoming,
                                  **declared())
    client.force_login(admin)
    with django_assert_max_num_queries(10):
        body = client.get(reverse("exams:my_applications")).content.decode()
    assert all(p.display_name in body for p in people) and "企业集体报名" in body
