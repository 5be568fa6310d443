import pytest

from accounts import selectors
from accounts.models import Region
from accounts.roles import OrgKind, Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture
def two_enterprises(make_member):
    a = OrganizationFactory(name="甲公司")
    b = OrganizationFactory(name="乙公司", region=Region.objects.get(code="441900"))
    admin_a = make_member(Role.ENT_ADMIN, org=a)
    worker_a = make_member(Role.WORKER, org=a, id_number="110101198503071235")
    worker_b = make_member(Role.WORKER, org=b)
    return a, b, admin_a, worker_a, worker_b


def test_enterprise_admin_sees_only_own_people(two_enterprises):
    a, b, admin_a, worker_a, worker_b = two_enterprises
    visible = set(selectors.people_visible_to(admin_a))
    assert worker_a in visible and worker_b not in visible
    assert set(selectors.enterprises_visible_to(admin_a)) == {a}


def test_enterprise_admin_cannot_open_other_enterprise_person_by_url(client, two_enterprises):
    a, b, admin_a, worker_a, worker_b = two_enterprises
    client.force_login(admin_a)
    assert client.get(f"/accounts/people/{worker_a.pk}/").status_code == 200
    assert client.get(f"/accounts/people/{worker_b.pk}/").status_code == 404
    page = client.get("/accounts/people/").content.decode()
    assert worker_a.real_name in page and worker_b.real_name not in page
    assert "110101198503071235" in page  # the enterprise admin needs the full number of their own staff


def test_worker_cannot_list_people(client, two_enterprises):
    *_, worker_a, worker_b = two_enterprises
    client.force_login(worker_a)
    assert client.get("/accounts/people/").status_code == 404
    assert client.get(f"/accounts/people/{worker_b.pk}/").status_code == 404


def test_bureau_sees_its_region_only(make_member, two_enterprises):
    a, b, admin_a, worker_a, worker_b = two_enterprises
    bureau = OrganizationFactory(kind=OrgKind.BUREAU, region=Region.objects.get(code="440700"))
    analyst = make_member(Role.BUREAU_ANALYST, org=bureau)
    assert set(selectors.enterprises_visible_to(analyst)) == {a}   # 440704 is inside 4407, 441900 is not
    people = set(selectors.people_visible_to(analyst))
    assert worker_a in people and worker_b not in people
    assert not selectors.may_see_full_id(analyst, worker_a)


def test_only_exam_centre_staff_touch_testing_material(make_member):
    centre = OrganizationFactory(kind=OrgKind.EXAM_CENTRE)
    writer = make_member(Role.ITEM_WRITER, org=centre)
    instructor = make_member(Role.INSTRUCTOR)
    learner = make_member(Role.PRINCIPAL)
    other_centre_writer = make_member(Role.ITEM_WRITER)
    assert selectors.can_access_testing_material(writer, centre)
    assert not selectors.can_access_testing_material(instructor)
    assert not selectors.can_access_testing_material(learner)
    assert not selectors.can_access_testing_material(other_centre_writer, centre)


def test_user_in_several_organisations(make_member):
    a = OrganizationFactory()
    b = OrganizationFactory()
    user = UserFactory()
    MembershipFactory(user=user, organization=a, role=Role.SAFETY_MANAGER)
    MembershipFactory(user=user, organization=b, role=Role.ENT_ADMIN)
    assert selectors.roles_of(user) == {Role.SAFETY_MANAGER, Role.ENT_ADMIN}
    assert set(selectors.enterprises_visible_to(user)) == {a, b}


def test_role_must_fit_organisation_kind(make_member):
    from django.core.exceptions import ValidationError

    from accounts.models import Membership

    bureau = OrganizationFactory(kind=OrgKind.BUREAU)
    with pytest.raises(ValidationError):
        Membership(user=UserFactory(), organization=bureau, role=Role.WORKER).full_clean()
