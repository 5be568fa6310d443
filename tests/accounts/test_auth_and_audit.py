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


def _login(client, username, password, ip="203.0.113.10", **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


@override_settings(AXES_FAILURE_LIMIT=3)
def test_login_lock_holds_the_pair_even_with_the_right_password(client):
    UserFactory(username="li")
    for _ in range(2):
        resp = _login(client, "li", "wrong")
        assert "用户名或密码错误" in resp.content.decode()
    assert _login(client, "li", "wrong").status_code == 429  # the third failure locks the pair
    resp = _login(client, "li", "pw-Anxun-2026")
    assert resp.status_code == 429
    assert "登录失败次数过多" in resp.content.decode() and "30分钟" in resp.content.decode()  # doubled
    assert "_auth_user_id" not in client.session


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_lock_from_one_address_does_not_lock_the_account_elsewhere(client):
    from django.test import Client

    UserFactory(username="examiner1")
    for _ in range(5):
        _login(client, "examiner1", "wrong", ip="198.51.100.66")
    assert _login(client, "examiner1", "pw-Anxun-2026", ip="198.51.100.66").status_code == 429
    # the examiner at the exam centre signs in as usual
    assert _login(Client(), "examiner1", "pw-Anxun-2026", ip="10.8.0.5").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_spoofed_forwarded_header_does_not_escape_the_lock(client):
    UserFactory(username="qian")
    for n in range(4):
        _login(client, "qian", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert _login(client, "qian", "pw-Anxun-2026", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


@override_settings(AXES_FAILURE_LIMIT=3, ANXUN_LOGIN_THROTTLE_WINDOW=60, ANXUN_LOGIN_LOCK_MAX=3600)
def test_each_further_failure_doubles_the_wait(client):
    import time_machine
    from django.utils import timezone

    from accounts.signin import lock_seconds

    assert [lock_seconds(n) for n in (2, 3, 4, 5, 20)] == [0, 60, 120, 240, 3600]
    from axes.models import AccessAttempt

    UserFactory(username="sun")
    UserFactory(username="sun2")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(3):
            _login(client, "sun", "wrong")
        for _ in range(4):  # the fourth failure comes while locked: the wait doubles to 2 minutes
            _login(client, "sun2", "wrong")
        waits = {a.username: (a.expiration.expires_at - a.attempt_time).total_seconds()
                 for a in AccessAttempt.objects.select_related("expiration")}
        assert waits == {"sun": 60, "sun2": 120}
        traveller.shift(61)
        assert _login(client, "sun", "pw-Anxun-2026").status_code == 302
        client.post("/accounts/logout/")
        traveller.shift(60)
        assert _login(client, "sun2", "pw-Anxun-2026").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3)
def test_successful_login_resets_the_counter(client):
    UserFactory(username="wu")
    for _ in range(2):
        _login(client, "wu", "wrong")
    assert _login(client, "wu", "pw-Anxun-2026").status_code == 302
    client.post("/accounts/logout/")
    for _ in range(2):
        _login(client, "wu", "wrong")
    assert _login(client, "wu", "pw-Anxun-2026").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3)
def test_staff_or_a_password_reset_unlocks(client):
    import re

    from django.core.management import call_command

    user = UserFactory(username="zhou", email="zhou@example.com")
    for _ in range(3):
        _login(client, "zhou", "wrong")
    assert _login(client, "zhou", "pw-Anxun-2026").status_code == 429
    call_command("axes_reset_username", "zhou")  # staff
    assert _login(client, "zhou", "pw-Anxun-2026").status_code == 302
    client.post("/accounts/logout/")
    for _ in range(3):
        _login(client, "zhou", "wrong")
    client.post("/accounts/password_reset/", {"email": "zhou@example.com"}, REMOTE_ADDR="203.0.113.10")
    link = re.search(r"/accounts/reset/\S+/", mail.outbox[-1].body).group(0)
    form_url = client.get(link).url
    client.post(form_url, {"new_password1": "Xin-mima-2027!", "new_password2": "Xin-mima-2027!"})
    user.refresh_from_db()
    assert user.check_password("Xin-mima-2027!")
    assert _login(client, "zhou", "Xin-mima-2027!").status_code == 302


def test_password_reset_is_limited_per_account_and_per_address(client):
    UserFactory(username="feng", email="feng@example.com")
    for _ in range(3):
        r = client.post("/accounts/password_reset/", {"email": "feng@example.com"}, REMOTE_ADDR="203.0.113.20")
        assert r.status_code == 302
    assert len(mail.outbox) == 3
    r = client.post("/accounts/password_reset/", {"email": "feng@example.com"}, REMOTE_ADDR="198.51.100.1")
    assert r.status_code == 200 and "过于频繁" in r.content.decode()
    assert len(mail.outbox) == 3
    # no enumeration: an address without an account gets the same answers in the same order
    answers = [client.post("/accounts/password_reset/", {"email": "nobody@example.com"},
                           REMOTE_ADDR="198.51.100.2").status_code for _ in range(4)]
    assert answers == [302, 302, 302, 200]
    # per client address: 10 requests an hour whatever the e-mail
    codes = [client.post("/accounts/password_reset/", {"email": f"x{n}@example.com"},
                         REMOTE_ADDR="192.0.2.9").status_code for n in range(11)]
    assert codes == [302] * 10 + [200]


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
