"""Coverage against the enterprise register: every principal and safety manager of every enterprise
counts; a missing one is 未建档 and uncovered; covered means the legal minimum hours of the role."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Region
from accounts.roles import Role
from reports.coverage import register_coverage
from reports.models import Campaign, ReportTemplate
from tests.courses.factories import TrainingRecordFactory
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 20)


def test_a_principal_with_no_account_counts_as_uncovered(world):
    e4 = OrganizationFactory(name="戊机械（未登记负责人）", region=Region.objects.get(code="440705"),
                             industry=world["machinery"])
    e1_principal, e1_manager = world["people"][world["e1"].pk][:2]
    TrainingRecordFactory(person=e1_principal, hours=Decimal("32"), start_date=dt.date(2026, 6, 1),
                          end_date=dt.date(2026, 6, 5))  # 初训 32 学时: met
    TrainingRecordFactory(person=e1_manager, hours=Decimal("20"), end_date=dt.date(2026, 6, 5))  # short
    data = register_coverage(world["analyst"], today=TODAY)
    principals = next(t for t in data["totals"] if t.role == Role.PRINCIPAL)
    # e1, e2, e3 and e4 each have one principal row; e4's is the placeholder for the missing person
    assert principals.target == 4 and principals.covered == 1 and principals.no_account == 1
    missing = [p for p in data["people"] if p.enterprise == e4 and p.role == Role.PRINCIPAL]
    assert len(missing) == 1 and missing[0].person is None and missing[0].status_label == "未建档"
    assert not missing[0].covered
    managers = next(t for t in data["totals"] if t.role == Role.SAFETY_MANAGER)
    assert managers.target == 4 and managers.no_account == 3 and managers.covered == 0
    assert data["total"].target == 8 and data["total"].covered == 1
    # the enterprise outside the bureau's region is not counted
    assert all(p.enterprise != world["outside"] for p in data["people"])


def test_hours_follow_the_role_and_the_high_risk_minimum(world):
    e2_principal = world["people"][world["e2"].pk][0]  # 有色: high-risk, 初训 48 学时
    TrainingRecordFactory(person=e2_principal, hours=Decimal("40"), end_date=dt.date(2026, 6, 5))
    row = next(p for p in register_coverage(world["analyst"], today=TODAY)["people"] if p.person == e2_principal)
    assert (row.kind, row.required, row.done, row.covered) == ("initial", Decimal("48"), Decimal("40"), False)
    # a year after the first training, the yearly refresher (16 学时, high-risk) over the last 365 days counts
    TrainingRecordFactory(person=e2_principal, hours=Decimal("16"), start_date=dt.date(2026, 9, 1),
                          end_date=dt.date(2026, 9, 2))
    row = next(p for p in register_coverage(world["analyst"], today=dt.date(2027, 7, 1))["people"]
               if p.person == e2_principal)
    assert (row.kind, row.required, row.done, row.covered) == ("refresher", Decimal("16"), Decimal("16"), True)


def test_a_person_who_never_activated_is_counted_and_can_be_covered_by_offline_records(world):
    pending = UserFactory()
    pending.set_unusable_password()
    pending.save()
    MembershipFactory(user=pending, organization=world["e3"], role=Role.SAFETY_MANAGER)
    TrainingRecordFactory(person=pending, hours=Decimal("32"), end_date=dt.date(2026, 6, 5), source="offline")
    data = register_coverage(world["analyst"], today=TODAY)
    row = next(p for p in data["people"] if p.person == pending)
    assert row.covered and not row.activated
    managers = next(t for t in data["totals"] if t.role == Role.SAFETY_MANAGER)
    assert managers.not_activated == 1 and managers.covered == 1 and managers.no_account == 1  # only e2 lacks one


def test_coverage_page_shows_register_figures_and_narrows_to_a_campaign(client, world):
    campaign = Campaign.objects.create(name="有色专项", region_id="440700", start_date=dt.date(2026, 5, 1),
                                       bureau=world["bureau"], template=ReportTemplate.objects.first())
    campaign.industries.set([world["e2"].industry])
    client.force_login(world["analyst"])
    resp = client.get(reverse("reports:coverage"))
    assert resp.status_code == 200
    assert [t.target for t in resp.context["register"]["totals"]] == [3, 3]
    body = resp.content.decode()
    assert "未建档" in body and "主要负责人和安全生产管理人员培训达标情况" in body
    resp = client.get(reverse("reports:coverage") + f"?campaign={campaign.pk}")
    assert [t.target for t in resp.context["register"]["totals"]] == [1, 1]


def test_bureau_dashboard_shows_register_compliance(client, world):
    client.force_login(world["analyst"])
    resp = client.get(reverse("reports:bureau"))
    assert resp.status_code == 200
    totals = {t.role: t for t in resp.context["register"]["totals"]}
    assert (totals[Role.PRINCIPAL].target, totals[Role.SAFETY_MANAGER].no_account) == (3, 2)
    assert "安全生产管理人员未建档" in resp.content.decode()
