import pytest
from django.core import mail
from django.test import override_settings

from core.audit import audit_record, audit_trail
from core.models import AuditLog
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_with_username_and_password(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'name="username"' in page and 'name="password"' in page
    assert "登录" in page


def test_login_and_logout(client):
    UserFactory(username="zhang")
    resp = client.post("/accounts/login/", {"username": "zhang", "password": "pw-Anxun-2026"})
    assert resp.status_code == 302
    assert client.get("/accounts/me/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/accounts/me/").status_code == 302


@override_settings(LOGIN_THROTTLE_LIMIT=3)
def test_login_throttling_locks_out_even_the_right_password(client):
    UserFactory(username="li")
    for _ in range(3):
        resp = client.post("/accounts/login/", {"username": "li", "password": "wrong"})
        assert "用户名或密码错误" in resp.content.decode()
    resp = client.post("/accounts/login/", {"username": "li", "password": "pw-Anxun-2026"})
    assert resp.status_code == 200
    assert "登录失败次数过多" in resp.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(LOGIN_THROTTLE_LIMIT=3)
def test_successful_login_resets_the_counter(client):
    UserFactory(username="wu")
    for _ in range(2):
        client.post("/accounts/login/", {"username": "wu", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "wu", "password": "pw-Anxun-2026"}).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(2):
        client.post("/accounts/login/", {"username": "wu", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "wu", "password": "pw-Anxun-2026"}).status_code == 302


def test_password_change_and_reset(client):
    user = UserFactory(username="zhao", email="zhao@example.com")
    client.force_login(user)
    resp = client.post("/accounts/password_change/", {
        "old_password": "pw-Anxun-2026", "new_password1": "Xin-mima-2027!", "new_password2": "Xin-mima-2027!"})
    assert resp.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Xin-mima-2027!")
    client.post("/accounts/logout/")
    client.post("/accounts/password_reset/", {"email": "zhao@example.com"})
    assert len(mail.outbox) == 1 and "/accounts/reset/" in mail.outbox[0].body


def test_my_account_shows_own_full_id_and_validates_phone(client):
    user = UserFactory(id_number="110101198503071235", real_name="王建国")
    client.force_login(user)
    page = client.get("/accounts/me/").content.decode()
    assert "110101198503071235" in page
    resp = client.post("/accounts/me/", {"phone": "12345", "email": ""})
    assert "请输入11位手机号码" in resp.content.decode()
    user.refresh_from_db()
    assert user.phone == ""
    client.post("/accounts/me/", {"phone": "13812345678", "email": ""})
    user.refresh_from_db()
    assert user.phone == "13812345678"
    entry = audit_trail(user).first()
    assert entry.action == "user.profile_update" and entry.after["phone"] == "13812345678"
    assert entry.before["phone"] == ""


def test_audit_record_keeps_who_what_before_after():
    actor = UserFactory()
    org = OrganizationFactory()
    audit_record(actor=actor, action="organization.rename", target=org,
                 before={"name": "旧名"}, after={"name": org.name}, reason="工商变更")
    entry = AuditLog.objects.get(action="organization.rename")
    assert entry.actor == actor and entry.target_id == str(org.pk)
    assert entry.before == {"name": "旧名"} and entry.reason == "工商变更"
    assert list(audit_trail(org)) == [entry]


def test_english_is_available(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in page
