"""考培分离 for people: an instructor of a training institution is never also an item writer, proctor
or practical examiner. Refused when the membership is saved (service and admin form alike);
existing conflicts are listed for the superuser and exam-centre staff."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Membership
from accounts.roles import OrgKind, Role
from accounts.services import membership_grant, membership_revoke
from core.models import AuditLog
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture
def centre(db):
    return OrganizationFactory(kind=OrgKind.EXAM_CENTRE, name="甲考试中心", credit_code=None)


@pytest.fixture
def school(db):
    return OrganizationFactory(kind=OrgKind.TRAINING, name="乙培训学校", credit_code=None)


@pytest.mark.parametrize("role", [Role.ITEM_WRITER, Role.PROCTOR, Role.PRACTICAL_EXAMINER])
def test_instructor_cannot_become_examiner(centre, school, role):
    person = UserFactory(real_name="赵老师")
    membership_grant(user=person, organization=school, role=Role.INSTRUCTOR)
    with pytest.raises(ValidationError) as exc:
        membership_grant(user=person, organization=centre, role=role)
    message = " ".join(exc.value.messages)
    assert "考培分离" in message and "乙培训学校" in message and "培训讲师" in message
    assert not Membership.objects.filter(user=person, organization=centre).exists()
    assert not AuditLog.objects.filter(action="membership.grant", after__organization=centre.name).exists()


def test_examiner_cannot_become_instructor_and_other_roles_are_free(centre, school):
    person = UserFactory()
    membership_grant(user=person, organization=centre, role=Role.PROCTOR)
    membership_grant(user=person, organization=centre, role=Role.CERT_OFFICER)  # not an examining role
    with pytest.raises(ValidationError):
        membership_grant(user=person, organization=school, role=Role.INSTRUCTOR)
    assert not Membership.objects.filter(user=person, role=Role.INSTRUCTOR).exists()


def test_revoked_membership_no_longer_conflicts_and_reactivation_is_checked(centre, school):
    person = UserFactory()
    instructor = membership_grant(user=person, organization=school, role=Role.INSTRUCTOR)
    membership_revoke(membership=instructor, reason="转岗")
    proctor = membership_grant(user=person, organization=centre, role=Role.PROCTOR)
    assert proctor.is_active
    with pytest.raises(ValidationError):
        membership_grant(user=person, organization=school, role=Role.INSTRUCTOR)  # reactivating
    instructor.refresh_from_db()
    assert instructor.is_active is False


def test_model_clean_refuses_for_admin_forms(centre, school):
    """The admin's membership forms run the model's clean, so they refuse the same way."""
    from django.forms import modelform_factory

    person = UserFactory()
    MembershipFactory(user=person, organization=school, role=Role.INSTRUCTOR)
    Form = modelform_factory(Membership, fields=["user", "organization", "role", "is_active"])
    form = Form(data={"user": person.pk, "organization": centre.pk, "role": Role.ITEM_WRITER, "is_active": True})
    assert not form.is_valid()
    assert "考培分离" in str(form.errors["role"])


def test_existing_conflict_does_not_block_revoking_the_other(centre, school):
    """A conflict from before the rule: saving the unchanged membership is allowed, so staff can
    revoke the other one in the same form."""
    person = UserFactory()
    MembershipFactory(user=person, organization=school, role=Role.INSTRUCTOR)
    proctor = MembershipFactory(user=person, organization=centre, role=Role.PROCTOR)
    proctor.full_clean()  # unchanged, active: not refused
    proctor.is_active = False
    proctor.full_clean()


def test_conflict_list_for_superuser_and_centre_staff(client, centre, school, make_member, django_assert_max_num_queries):
    both = []
    for i in range(3):
        person = UserFactory(real_name=f"兼任{i}")
        MembershipFactory(user=person, organization=school, role=Role.INSTRUCTOR)
        MembershipFactory(user=person, organization=centre, role=Role.PROCTOR)
        both.append(person)
    elsewhere = UserFactory(real_name="别处兼任")
    MembershipFactory(user=elsewhere, organization=school, role=Role.INSTRUCTOR)
    MembershipFactory(user=elsewhere, role=Role.ITEM_WRITER,
                      organization=OrganizationFactory(kind=OrgKind.EXAM_CENTRE, credit_code=None))
    revoked = UserFactory(real_name="已撤销")
    MembershipFactory(user=revoked, organization=school, role=Role.INSTRUCTOR, is_active=False)
    MembershipFactory(user=revoked, organization=centre, role=Role.PROCTOR)

    staff = make_member(Role.CERT_OFFICER, org=centre)
    client.force_login(staff)
    url = reverse("accounts:separation_conflicts")
    with django_assert_max_num_queries(8):
        page = client.get(url).content.decode()
    assert all(p.real_name in page for p in both)
    assert "别处兼任" not in page and "已撤销" not in page  # another centre's people; no longer a conflict
    assert "乙培训学校 · 培训讲师" in page and "甲考试中心 · 监考人员" in page
    assert url in page  # reachable from the navigation

    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    page = client.get(url).content.decode()
    assert "别处兼任" in page and "兼任0" in page and "编辑任职" in page


def test_conflict_list_refused_to_others(client, make_member):
    for role in (Role.INSTRUCTOR, Role.WORKER, Role.BUREAU_ANALYST):
        client.force_login(make_member(role))
        assert client.get(reverse("accounts:separation_conflicts")).status_code == 404
