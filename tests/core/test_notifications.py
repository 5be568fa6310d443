import pytest
from django.urls import reverse

from accounts.roles import Role
from core.models import Notification, SmsMessage
from core.notify import notify, unread_count

pytestmark = pytest.mark.django_db


def test_notify_writes_the_list_and_sends_text_and_mail_after_commit(make_member, sms_outbox, mailoutbox,
                                                                     django_capture_on_commit_callbacks):
    person = make_member(Role.WORKER, phone="13800138000", email="w@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        notify([person], title="考试报名已通过", body="请按时参加考试。", url="/exams/my/", kind="exam",
               sms=True, email=True)
    assert unread_count(person) == 1
    assert [m.phone for m in sms_outbox] == ["13800138000"]
    assert "考试报名已通过" in sms_outbox[0].body
    assert SmsMessage.objects.get().delivered is True
    assert mailoutbox[0].to == ["w@example.com"]


def test_nothing_is_sent_for_a_rolled_back_change(make_member, sms_outbox, django_capture_on_commit_callbacks):
    person = make_member(Role.WORKER, phone="13800138000")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify([person], title="x", sms=True)
    assert sms_outbox == [] and len(callbacks) == 1


def test_a_failing_gateway_is_recorded_not_raised(make_member, settings):
    settings.ANXUN_SMS_BACKEND = "core.sms.HttpGatewayBackend"
    settings.ANXUN_SMS_GATEWAY_URL = ""
    from core.sms import send_sms

    assert send_sms("13800138000", "测试") is False
    row = SmsMessage.objects.get()
    assert row.delivered is False and "ANXUN_SMS_GATEWAY_URL" in row.error


def test_badge_list_open_and_read_all(client, make_member):
    person = make_member(Role.WORKER)
    other = make_member(Role.WORKER)
    notify([person], title="第一条", url="/exams/my/")
    notify([person], title="第二条")
    notify([other], title="别人的")
    client.force_login(person)
    page = client.get(reverse("core:notifications"))
    body = page.content.decode()
    assert "第一条" in body and "第二条" in body and "别人的" not in body
    assert 'class="bell-count" aria-label="2' in body
    first = Notification.objects.get(title="第一条")
    response = client.get(reverse("core:notification_open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == "/exams/my/"
    assert unread_count(person) == 1
    foreign = Notification.objects.get(title="别人的")
    assert client.get(reverse("core:notification_open", args=[foreign.pk])).status_code == 404
    client.post(reverse("core:notifications_read_all"))
    assert unread_count(person) == 0 and unread_count(other) == 1


def test_an_outside_link_is_not_followed(client, make_member):
    person = make_member(Role.WORKER)
    item = notify([person], title="x", url="https://evil.example/")[0]
    client.force_login(person)
    response = client.get(reverse("core:notification_open", args=[item.pk]))
    assert response["Location"] == reverse("core:notifications")
