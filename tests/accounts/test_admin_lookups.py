"""Support staff look up invitations and person operation records in the back office (/django-admin/):
listed with who, where and when, never with the code's or the link's hash, and never changed there
(the roster and invitation services decide and audit changes)."""

import pytest

from accounts.invitations import invitation_send
from accounts.models import Invitation, PersonOperation
from accounts.roles import Role
from catalogue.models import OperationItem
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    return admin


def test_invitations_are_listed_without_their_hashes_and_cannot_be_changed(client, support, make_member,
                                                                            django_assert_max_num_queries):
    people = [make_member(Role.WORKER, real_name=f"邀请{i}") for i in range(5)]
    for person in people:
        person.phone = "13800000000"
        person.save()
        invitation_send(user=person, organization=person.memberships.first().organization, actor=support)
    with django_assert_max_num_queries(12):
        page = client.get("/django-admin/accounts/invitation/")
    text = page.content.decode()
    assert page.status_code == 200 and all(f"邀请{i}" in text for i in range(5))
    one = Invitation.objects.first()
    view = client.get(f"/django-admin/accounts/invitation/{one.pk}/change/").content.decode()
    assert one.code_hash not in view and one.token_hash not in view and one.code_salt not in view
    assert client.get("/django-admin/accounts/invitation/add/").status_code == 403
    client.post(f"/django-admin/accounts/invitation/{one.pk}/change/", {"attempts": 0, "used_at": "2026-01-01"})
    one.refresh_from_db()
    assert one.used_at is None
    assert client.post(f"/django-admin/accounts/invitation/{one.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Invitation.objects.filter(pk=one.pk).exists()


def test_person_operations_are_listed_and_searchable(client, support, make_member, django_assert_max_num_queries):
    item = OperationItem.objects.order_by("pk").first()
    for i in range(4):
        person = make_member(Role.SPECIAL_OPERATOR, real_name=f"焊工{i}")
        PersonOperation.objects.create(user=person, organization=person.memberships.first().organization,
                                       operation_item=item)
    with django_assert_max_num_queries(12):
        page = client.get("/django-admin/accounts/personoperation/")
    assert page.status_code == 200 and page.content.decode().count("焊工") >= 4
    found = client.get("/django-admin/accounts/personoperation/", {"q": "焊工2"}).content.decode()
    assert "焊工2" in found and "焊工1" not in found
    assert client.get("/django-admin/accounts/personoperation/add/").status_code == 403
