import pytest

from accounts.models import HazardTag, Industry, Region
from accounts.roles import OrgKind, Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture(autouse=True)
def _study_hour_requirements(request):
    """Coverage compares hours with the shipped requirement rows; transactional tests elsewhere flush
    tables, so make sure they are present (the shipping function is idempotent)."""
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames \
            and request.node.get_closest_marker("django_db") is None:
        return
    from courses.services import study_hour_requirements_ensure_shipped

    request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    study_hour_requirements_ensure_shipped()


@pytest.fixture
def world(db, make_member):
    """A city bureau (江门 4407) with enterprises inside and outside its region, and their people."""
    regions = {code: Region.objects.get(code=code) for code in ("440700", "440704", "440705", "440781", "441900")}
    machinery = Industry.objects.get(code="machinery")
    nonferrous = Industry.objects.get(code="nonferrous")
    dust = HazardTag.objects.get(code="dust-explosion")
    ammonia = HazardTag.objects.get(code="ammonia-refrigeration")
    bureau = OrganizationFactory(kind=OrgKind.BUREAU, name="江门市应急管理局", region=regions["440700"], credit_code=None)
    e1 = OrganizationFactory(name="甲机械", region=regions["440704"], industry=machinery)
    e2 = OrganizationFactory(name="乙有色", region=regions["440781"], industry=nonferrous)
    e3 = OrganizationFactory(name="丙机械", region=regions["440705"], industry=machinery)
    outside = OrganizationFactory(name="东莞丁厂", region=regions["441900"], industry=machinery)
    e1.hazard_tags.set([dust])
    e2.hazard_tags.set([dust, ammonia])
    outside.hazard_tags.set([dust])
    analyst = make_member(Role.BUREAU_ANALYST, bureau)
    people = {}
    for org, spec in ((e1, [Role.PRINCIPAL, Role.SAFETY_MANAGER, Role.WORKER, Role.WORKER]),
                      (e2, [Role.PRINCIPAL, Role.WORKER]),
                      (e3, [Role.PRINCIPAL]),
                      (outside, [Role.PRINCIPAL, Role.WORKER, Role.WORKER])):
        people[org.pk] = []
        for role in spec:
            u = UserFactory()
            MembershipFactory(user=u, organization=org, role=role)
            people[org.pk].append(u)
    # one person holding two roles in e1 is counted once in the total
    MembershipFactory(user=people[e1.pk][0], organization=e1, role=Role.ENT_ADMIN)
    ent_admin = make_member(Role.ENT_ADMIN, e1)
    return {"bureau": bureau, "e1": e1, "e2": e2, "e3": e3, "outside": outside, "analyst": analyst,
            "ent_admin": ent_admin, "people": people, "machinery": machinery, "dust": dust}


def aware(day, hour=9):
    import datetime as dt

    from django.utils import timezone
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def activity(world):
    """Training records, enrolments and exam results with hand-countable outcomes (June 2026 is the period)."""
    import datetime as dt
    from decimal import Decimal

    from catalogue.models import CertificateKind, OperationItem
    from courses.models import Course, Enrolment, TrainingRecord
    from exams.models import Attempt, Blueprint, ExamSession, PracticalResult, QuestionBank, Registration

    p = world["people"]
    e1, e2, e3, out = (p[world[k].pk] for k in ("e1", "e2", "e3", "outside"))
    p0, p1, p2, p3 = e1
    q0, q1 = e2
    (r0,) = e3
    o0, o1, _o2 = out
    course = Course.objects.create(code="rep-c1", title="重大事故隐患判定标准解读")
    d = dt.date
    for person, end in ((p0, d(2026, 6, 10)), (p1, d(2026, 5, 20)), (p2, d(2026, 6, 5)), (p2, d(2026, 6, 25)),
                        (q0, d(2026, 6, 30)), (o0, d(2026, 6, 12)), (r0, d(2026, 7, 1))):
        TrainingRecord.objects.create(person=person, course=course, hours=Decimal("8"), start_date=end,
                                      end_date=end, source="online")
    course2 = Course.objects.create(code="rep-c2", title="有限空间作业安全")
    Enrolment.objects.create(user=p3, course=course2, status="active", due_date=d(2026, 1, 1))
    Enrolment.objects.create(user=p1, course=course2, status="active", due_date=d(2099, 1, 1))
    Enrolment.objects.create(user=q1, course=course2, status="completed", due_date=d(2026, 1, 1))
    Enrolment.objects.create(user=o1, course=course2, status="active", due_date=d(2026, 1, 1))

    from tests.factories import OrganizationFactory
    from accounts.roles import OrgKind

    centre = OrganizationFactory(kind=OrgKind.EXAM_CENTRE, credit_code=None, name="考试中心")
    special = CertificateKind.objects.get(code="special-op", rule_version__code="2010")
    principal_kind = CertificateKind.objects.get(code="mgmt-principal", rule_version__code="2010")
    lv = OperationItem.objects.get(code="elec-lv")
    bank = QuestionBank.objects.create(code="rep-bank", name="题库", kind="testing", owner=centre)
    bp = Blueprint.objects.create(code="rep-bp", name="策略", owner=centre, bank=bank)

    def session(name, day, kind, item):
        return ExamSession.objects.create(centre=centre, name=name, blueprint=bp, certificate_kind=kind,
                                          operation_item=item, rule_version=kind.rule_version,
                                          starts_at=aware(day), ends_at=aware(day, 11))

    s1 = session("六月低压电工", d(2026, 6, 15), special, lv)
    s2 = session("六月主要负责人", d(2026, 6, 20), principal_kind, None)
    s3 = session("七月低压电工", d(2026, 7, 5), special, lv)
    n = iter(range(1000))

    def reg(s, person, *, theory=None, practical=None, status="registered", attempt_status="graded"):
        r = Registration.objects.create(session=s, candidate=person, ticket_number=f"T{next(n):05d}", status=status)
        if theory is not None:
            Attempt.objects.create(user=person, registration=r, blueprint=bp, bank=bank, deadline=s.ends_at,
                                   status=attempt_status, passed=theory if attempt_status == "graded" else None,
                                   submitted_at=s.ends_at if attempt_status != "in_progress" else None)
        if practical is not None:
            PracticalResult.objects.create(registration=r, examiner=world["analyst"], total=90 if practical else 50,
                                           pass_mark=80, passed=practical, status="confirmed",
                                           confirmed_by=world["ent_admin"], confirmed_at=s.ends_at)
        return r

    reg(s1, p2, theory=True, practical=True)
    reg(s1, p3, theory=True, practical=False)
    reg(s1, q1, theory=False)
    reg(s1, o1, theory=True, practical=True)       # outside the region
    reg(s1, r0, theory=True, practical=True, status="cancelled")
    reg(s2, p0, theory=True)
    reg(s2, q0, theory=True, attempt_status="in_progress")
    reg(s3, p1, theory=True, practical=True)       # after the period
    return {"course": course, "s1": s1, "s2": s2, "s3": s3}


JUNE = {"start": "2026-06-01", "end": "2026-06-30"}


@pytest.fixture
def warnings_data(world):
    """Warning cases pushed to people in and out of the region, and enforcement cases (June 2026 is the period)."""
    import datetime as dt

    from wagtail.models import Page

    from cms.models import (EnforcementCaseIndexPage, EnforcementCasePage, WarningCaseIndexPage, WarningCasePage,
                            WarningNotification)

    p = world["people"]
    p0, p1, _p2, _p3 = p[world["e1"].pk]
    q0, _q1 = p[world["e2"].pk]
    (r0,) = p[world["e3"].pk]
    o0 = p[world["outside"].pk][0]
    cases_index = WarningCaseIndexPage.objects.get()
    enforcement_index = EnforcementCaseIndexPage.objects.get()

    def publish(index, page, day):
        index.add_child(instance=page)
        page.save_revision().publish()
        Page.objects.filter(pk=page.pk).update(first_published_at=aware(day))
        return page

    def case(slug, day):
        return publish(cases_index, WarningCasePage(
            title=f"警示案例{slug}", slug=slug, occurred_on=dt.date(2026, 1, 1), place="某地", summary="简介",
            direct_causes="<p>原因</p>", lessons="<p>教训</p>"), day)

    a, b, c = case("rep-a", dt.date(2026, 6, 5)), case("rep-b", dt.date(2026, 5, 1)), case("rep-c", dt.date(2026, 6, 10))
    WarningNotification.objects.all().delete()  # only the pushes below
    for page, org, person, day, read in ((a, "e1", p0, dt.date(2026, 6, 5), True), (a, "e1", p1, dt.date(2026, 6, 5), False),
                                         (a, "e2", q0, dt.date(2026, 6, 6), True), (a, "outside", o0, dt.date(2026, 6, 5), False),
                                         (b, "e3", r0, dt.date(2026, 5, 1), False), (c, "outside", o0, dt.date(2026, 6, 10), False)):
        n = WarningNotification.objects.create(page=page, organization=world[org], recipient=person, role="principal",
                                               read_at=aware(day, 15) if read else None)
        WarningNotification.objects.filter(pk=n.pk).update(created_at=aware(day))

    def enforcement(slug, day, criminal):
        return publish(enforcement_index, EnforcementCasePage(
            title=f"执法案例{slug}", slug=slug, decided_on=day, violation="<p>事实</p>", legal_basis="<p>依据</p>",
            penalty="罚款", criminal_prosecution=criminal), day)

    enforcement("rep-e1", dt.date(2026, 6, 3), True)
    enforcement("rep-e2", dt.date(2026, 6, 20), False)
    enforcement("rep-e3", dt.date(2026, 4, 1), True)
    return {"a": a, "b": b, "c": c}
