"""Invitations: one-time code or link, expiry, wrong-code limit, first sign-in sets the password."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts import people as roster
from accounts.invitations import MAX_ATTEMPTS
from accounts.models import Invitation, User
from accounts.roles import Role
from tests.factories import OrganizationFactory, id_number_for

pytestmark = pytest.mark.django_db

PERSON_ID = id_number_for(901)
PASSWORD = "Anquan-2026-mima"


@pytest.fixture
def enterprise(db):
    return OrganizationFactory(name="邀请测试有限公司")


@pytest.fixture
def invited(enterprise, make_member, sms_outbox, django_capture_on_commit_callbacks):
    admin = make_member(Role.ENT_ADMIN, org=enterprise)
    with django_capture_on_commit_callbacks(execute=True):
        person = roster.person_upsert(organization=enterprise, actor=admin, name="钱七", id_number=PERSON_ID,
                                      phone="13800138077", roles=["worker"]).user
    assert len(sms_outbox) == 1
    body = sms_outbox[-1].body
    code = re.search(r"激活码(\d{6})", body).group(1)
    link = re.search(r"(/accounts/activate/[\w-]+/)", body).group(1)
    return person, code, link, admin


def test_only_hashes_are_stored(invited):
    person, code, link, _ = invited
    invitation = Invitation.objects.get(user=person)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert code not in (invitation.code_hash, invitation.code_salt) and token != invitation.token_hash
    assert invitation.channel == "sms" and invitation.is_open()
    assert invitation.expires_at - timezone.now() > dt.timedelta(days=6)


def test_activate_with_phone_and_code_sets_password_and_signs_in(client, invited):
    person, code, _, _ = invited
    assert client.get("/accounts/activate/").status_code == 200
    resp = client.post("/accounts/activate/", {"identifier": "138 0013 8077", "code": code})
    assert resp.status_code == 302 and resp["Location"] == "/accounts/activate/password/"
    page = client.get("/accounts/activate/password/")
    assert page.status_code == 200 and person.username in page.content.decode() and "钱*" in page.content.decode()
    resp = client.post("/accounts/activate/password/", {"username": "qianqi", "password1": PASSWORD,
                                                        "password2": PASSWORD + "x"})
    assert resp.status_code == 200 and "不一致" in resp.content.decode()
    resp = client.post("/accounts/activate/password/", {"username": "qianqi", "password1": PASSWORD,
                                                        "password2": PASSWORD})
    assert resp.status_code == 302
    person.refresh_from_db()
    assert person.username == "qianqi" and person.check_password(PASSWORD)
    assert client.get("/accounts/me/").status_code == 200  # signed in
    assert Invitation.objects.get(user=person).used_at is not None
    # the code is used: never again
    client.logout()
    resp = client.post("/accounts/activate/", {"identifier": PERSON_ID, "code": code})
    assert resp.status_code == 200 and "已使用或已过期" in resp.content.decode()
    resp = client.post("/accounts/login/", {"username": "qianqi", "password": PASSWORD})
    assert resp.status_code == 302  # the ordinary sign-in works from now on


def test_activate_by_link_and_id_number(client, invited):
    person, code, link, _ = invited
    resp = client.get(link)
    assert resp.status_code == 302 and resp["Location"] == "/accounts/activate/password/"
    resp = client.post("/accounts/activate/password/", {"username": person.username, "password1": PASSWORD,
                                                        "password2": PASSWORD})
    assert resp.status_code == 302
    client.logout()
    resp = client.get(link, follow=True)
    assert "激活链接无效" in resp.content.decode()


def test_wrong_codes_void_the_invitation(client, invited):
    person, code, _, _ = invited
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(MAX_ATTEMPTS):
        resp = client.post("/accounts/activate/", {"identifier": PERSON_ID, "code": wrong})
        assert resp.status_code == 200 and "激活码不正确" in resp.content.decode()
    invitation = Invitation.objects.get(user=person)
    assert invitation.attempts == MAX_ATTEMPTS and invitation.voided_at is not None
    resp = client.post("/accounts/activate/", {"identifier": PERSON_ID, "code": code})
    assert resp.status_code == 200  # the right code no longer works
    assert not User.objects.get(pk=person.pk).has_usable_password()


def test_unknown_person_gets_the_same_answer(client, invited):
    resp = client.post("/accounts/activate/", {"identifier": "13912345678", "code": "123456"})
    assert "激活码不正确、已使用或已过期" in resp.content.decode()


def test_address_limit_stops_guessing_across_people(client, invited, settings):
    from accounts import invitations

    person, code, _, _ = invited
    for _ in range(invitations.ADDRESS_LIMIT):
        client.post("/accounts/activate/", {"identifier": "13912345678", "code": "000000"})
    resp = client.post("/accounts/activate/", {"identifier": PERSON_ID, "code": code})
    assert "尝试次数过多" in resp.content.decode()


def test_expired_invitation_is_refused(client, invited):
    person, code, _, _ = invited
    Invitation.objects.filter(user=person).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    resp = client.post("/accounts/activate/", {"identifier": PERSON_ID, "code": code})
    assert resp.status_code == 200 and "已过期" in resp.content.decode()


def test_resend_voids_the_old_code(client, invited, sms_outbox, django_capture_on_commit_callbacks):
    person, code, _, admin = invited
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/accounts/people/{person.pk}/invite/").status_code == 302
    assert len(sms_outbox) == 2
    new_code = re.search(r"激活码(\d{6})", sms_outbox[-1].body).group(1)
    client.logout()
    if new_code != code:
        resp = client.post("/accounts/activate/", {"identifier": PERSON_ID, "code": code})
        assert resp.status_code == 200
    resp = client.post("/accounts/activate/", {"identifier": PERSON_ID, "code": new_code})
    assert resp.status_code == 302
    assert Invitation.objects.filter(user=person, voided_at__isnull=False).count() == 1


def test_activated_person_gets_no_new_invitation(client, invited, enterprise):
    person, _, _, admin = invited
    person.set_password(PASSWORD)
    person.save()
    client.force_login(admin)
    client.post(f"/accounts/people/{person.pk}/invite/")
    assert Invitation.objects.filter(user=person).count() == 1
