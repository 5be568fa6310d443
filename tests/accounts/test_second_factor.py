"""Optional TOTP second factor for exam-centre and bureau staff."""

import re
import time
import types

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp import models as totp_models
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_retry_pause(settings):
    # django-otp makes a device wait 1 s, 2 s, 4 s … after each wrong code; tests retry at once
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


# The server's clock stands still in the middle of a 30-second step: a code "from the previous step"
# must not become two steps old because the real clock crossed a boundary during the test.
NOW = (int(time.time()) // 30) * 30 + 15


@pytest.fixture(autouse=True)
def _still_clock(monkeypatch):
    monkeypatch.setattr(totp_models, "time", types.SimpleNamespace(time=lambda: NOW))


def _code(device, offset=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = NOW + offset
    return f"{totp.token():06d}"


def _login(client, username):
    return client.post("/accounts/login/", {"username": username, "password": "pw-Anxun-2026"},
                       REMOTE_ADDR="203.0.113.30")


def test_staff_enrol_with_a_qr_code_and_then_need_a_code_at_sign_in(client, make_member):
    proctor = make_member(Role.PROCTOR)
    client.force_login(proctor)
    assert "两步验证" in client.get("/accounts/me/").content.decode()
    page = client.get("/accounts/me/second-factor/").content.decode()
    assert 'src="data:image/svg+xml' in page and "确认并开启" in page
    device = TOTPDevice.objects.get(user=proctor, confirmed=False)
    r = client.post("/accounts/me/second-factor/", {"code": "000000" if _code(device) != "000000" else "111111"})
    assert "验证码不正确" in r.content.decode()
    r = client.post("/accounts/me/second-factor/", {"code": _code(device)})
    assert r.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    client.post("/accounts/logout/")

    # the password alone is not enough any more
    r = _login(client, proctor.username)
    assert r.status_code == 302
    r = client.get("/exams/manage/")
    assert r.status_code == 302 and r.url.startswith("/accounts/login/verify/")
    assert client.get("/api/v1/exams/sessions/").status_code in (403, 404)
    page = client.get(r.url).content.decode()
    assert "两步验证" in page and 'autocomplete="one-time-code"' in page
    r = client.post("/accounts/login/verify/", {"code": "12345x", "next": "/exams/manage/"})
    assert r.status_code == 200 and client.get("/exams/manage/").status_code == 302
    r = client.post("/accounts/login/verify/", {"code": _code(device, 30), "next": "/exams/manage/"})
    assert r.status_code == 302 and r.url == "/exams/manage/"
    assert client.get("/exams/manage/").status_code == 200


def test_wagtail_admin_sign_in_also_owes_the_code(client, make_member):
    officer = make_member(Role.BUREAU_EDITOR)
    officer.is_staff = True
    officer.save()
    device = TOTPDevice.objects.create(user=officer, name="a", confirmed=True)
    client.post("/admin/login/", {"username": officer.username, "password": "pw-Anxun-2026"},
                REMOTE_ADDR="203.0.113.31")
    r = client.get("/admin/")
    assert r.status_code == 302 and r.url.startswith("/accounts/login/verify/")
    client.post("/accounts/login/verify/", {"code": _code(device)})
    assert client.get("/admin/").status_code == 200


def test_second_factor_stays_optional_and_staff_only(client, make_member):
    worker = make_member(Role.WORKER)
    client.force_login(worker)
    assert client.get("/accounts/me/second-factor/").status_code == 404
    assert "两步验证" not in client.get("/accounts/me/").content.decode()
    writer = make_member(Role.ITEM_WRITER)
    client.logout()
    assert _login(client, writer.username).status_code == 302
    assert client.get("/exams/manage/").status_code == 200  # no device: no second step


def test_turning_it_off_needs_a_current_code(client, make_member):
    user = make_member(Role.CERT_OFFICER)
    device = TOTPDevice.objects.create(user=user, name="a", confirmed=True)
    client.force_login(user)
    assert client.get("/accounts/me/second-factor/").status_code == 302  # the code is owed first
    client.post("/accounts/login/verify/", {"code": _code(device, -30)})
    page = client.get("/accounts/me/second-factor/").content.decode()
    assert "关闭两步验证" in page and not re.search(r"data:image/svg", page)
    client.post("/accounts/me/second-factor/", {"code": "999999" if _code(device) != "999999" else "888888"})
    assert TOTPDevice.objects.filter(user=user).exists()
    device.refresh_from_db()  # the sign-in above synchronised its clock drift
    client.post("/accounts/me/second-factor/", {"code": _code(device, 30)})
    assert not TOTPDevice.objects.filter(user=user).exists()
