"""Training before the exam: the study hours the catalogue requires (initial training of the
population, for the session's operation item) must be credited before a theory exam of a special
operation or a principal's assessment; courses answers exams' eligibility check point. An override
(破格) needs a reason and the certificate officer's role, and is recorded on the registration."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Industry
from accounts.roles import OrgKind, Role
from catalogue.models import CertificateKind, Population, RuleVersion, StudyHourRequirement, TrainingKind
from core.models import AuditLog
from exams import services
from tests.courses.factories import CourseFactory, TrainingRecordFactory
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture(autouse=True)
def _requirements(db):
    from courses.services import study_hour_requirements_ensure_shipped

    study_hour_requirements_ensure_shipped()


def _req(population, kind=TrainingKind.INITIAL, high_risk=False, item=None):
    return StudyHourRequirement.in_force(population=population, kind=kind, high_risk=high_risk, operation_item=item)


@pytest.fixture
def assessment(centre, blueprint, examiner):
    """A principal's assessment (安全生产知识和管理能力考核), tomorrow."""
    kind = CertificateKind.objects.get(code="mgmt-principal", rule_version__code="2010")
    start = timezone.now() + dt.timedelta(days=1)
    return services.session_create(actor=examiner, centre=centre, name="主要负责人考核", blueprint=blueprint,
                                   certificate_kind=kind, starts_at=start, ends_at=start + dt.timedelta(hours=2))


def _principal(industry_code="machinery"):
    enterprise = OrganizationFactory(industry=Industry.objects.get(code=industry_code))
    person = UserFactory(identity_verified=True)
    MembershipFactory(user=person, organization=enterprise, role=Role.PRINCIPAL)
    return person


def _record(person, requirement, hours, end=dt.date(2026, 3, 2), on_record=False):
    course = CourseFactory(requirement=None if on_record else requirement)
    return TrainingRecordFactory(person=person, course=course, hours=Decimal(hours), end_date=end,
                                 start_date=end - dt.timedelta(days=1), requirement=requirement if on_record else None)


def test_principal_needs_the_initial_hours_in_force(assessment):
    person = _principal()
    manager = _req(Population.MANAGER)
    assert manager.hours == Decimal("32")
    _record(person, manager, "20")
    _record(person, _req(Population.NEW_WORKER), "24")          # another population's training: not counted
    _record(person, manager, "12", end=timezone.localdate() + dt.timedelta(days=5))  # ends after the exam day
    problems = services.eligibility_problems(session=assessment, candidate=person)
    assert any("培训学时不足" in p and "32" in p and "已完成 20 学时" in p for p in problems), problems
    with pytest.raises(ValidationError) as exc:
        services.registration_create(actor=None, session=assessment, candidate=person)
    assert "培训学时不足" in str(exc.value)

    _record(person, manager, "12", on_record=True)                # an offline record keeps its own row
    assert services.eligibility_problems(session=assessment, candidate=person) == []


def test_high_risk_industry_needs_the_high_risk_figure(assessment):
    person = _principal("metallurgy")
    _record(person, _req(Population.MANAGER), "32")
    problems = services.eligibility_problems(session=assessment, candidate=person)
    assert any("48" in p for p in problems), problems
    _record(person, _req(Population.MANAGER, high_risk=True), "16")
    assert services.eligibility_problems(session=assessment, candidate=person) == []


def test_special_operation_hours_per_operation_item(session, candidate, lv_item):
    """No special-operation figure is shipped: none in force means no hours check. A row for the
    session's operation item is then required; training for another item does not count."""
    assert services.eligibility_problems(session=session, candidate=candidate) == []
    version = RuleVersion.objects.get(code="training-2015")
    from catalogue.models import OperationItem

    other_item = OperationItem.objects.exclude(pk=lv_item.pk).first()
    general = StudyHourRequirement.objects.create(
        rule_version=version, population=Population.SPECIAL_OPERATOR, kind=TrainingKind.INITIAL, hours=Decimal("40"),
        effective_from=dt.date(2020, 1, 1))
    item_row = StudyHourRequirement.objects.create(
        rule_version=version, population=Population.SPECIAL_OPERATOR, kind=TrainingKind.INITIAL, hours=Decimal("10"),
        effective_from=dt.date(2020, 1, 1), operation_item=lv_item)
    other_row = StudyHourRequirement.objects.create(
        rule_version=version, population=Population.SPECIAL_OPERATOR, kind=TrainingKind.INITIAL, hours=Decimal("10"),
        effective_from=dt.date(2020, 1, 1), operation_item=other_item)
    assert _req(Population.SPECIAL_OPERATOR, item=lv_item) == item_row   # the item's row wins
    assert _req(Population.SPECIAL_OPERATOR) == general
    _record(candidate, other_row, "10")
    problems = services.eligibility_problems(session=session, candidate=candidate)
    assert any(lv_item.name in p and "10" in p and "已完成 0 学时" in p for p in problems), problems
    _record(candidate, general, "6")   # general special-operation training counts for every item
    _record(candidate, item_row, "4")
    assert services.eligibility_problems(session=session, candidate=candidate) == []


def test_override_needs_a_reason_and_the_certificate_officers_role(assessment, centre, make_member, examiner):
    person = _principal()
    proctor = make_member(Role.PROCTOR, org=centre)
    with pytest.raises(ValidationError) as exc:
        services.registration_create(actor=proctor, session=assessment, candidate=person, override_reason="现场核验")
    assert "只有本考试中心的发证人员可以破格报名" in str(exc.value)
    other_officer = make_member(Role.CERT_OFFICER, org=OrganizationFactory(kind=OrgKind.EXAM_CENTRE, credit_code=None))
    with pytest.raises(ValidationError):
        services.registration_create(actor=other_officer, session=assessment, candidate=person, override_reason="x")
    with pytest.raises(ValidationError):
        services.registration_create(actor=examiner, session=assessment, candidate=person, override_reason="   ")
    assert not assessment.registrations.exists()

    reg = services.registration_create(actor=examiner, session=assessment, candidate=person,
                                       override_reason="已在外省完成培训，证明材料已核")
    assert reg.override_reason == "已在外省完成培训，证明材料已核"
    assert reg.override_by == examiner and reg.override_role == Role.CERT_OFFICER and reg.override_at is not None
    assert "培训学时不足" in reg.eligibility_notes
    entry = AuditLog.objects.get(action="exam_registration.create", target_id=str(reg.pk))
    assert entry.reason == reg.override_reason and entry.after["override_role"] == "cert_officer"
    assert any("培训学时不足" in p for p in entry.after["problems"])

    # restored later without problems: the override is cleared
    services.registration_cancel(actor=examiner, registration=reg)
    _record(person, _req(Population.MANAGER), "32")
    restored = services.registration_create(actor=examiner, session=assessment, candidate=person)
    assert restored.pk == reg.pk and restored.override_role == "" and restored.override_by is None
    assert restored.eligibility_notes == ""


def test_registration_form_offers_the_override_only_to_the_right_role(client, assessment, centre, make_member, examiner):
    person = _principal()
    proctor = make_member(Role.PROCTOR, org=centre)
    url = reverse("exams:manage_session", kwargs={"pk": assessment.pk})
    client.force_login(proctor)
    page = client.get(url).content.decode()
    assert 'name="override_reason"' not in page and "发证人员填写理由后破格报名" in page
    r = client.post(url, {"who": person.username, "override_reason": "想要破格"})
    assert "培训学时不足" in r.content.decode() and not assessment.registrations.exists()

    client.force_login(examiner)
    page = client.get(url).content.decode()
    assert 'name="override_reason"' in page
    r = client.post(url, {"who": person.username, "override_reason": "证明材料已核"})
    assert r.status_code == 302
    page = client.get(url).content.decode()
    assert "破格批准" in page and "发证人员" in page
