"""A choice click from the session its attempt is bound to is written by one statement that checks
the session too (exams/sessions.py). Everything Django's own sign-in would refuse must be refused
here as well: a signed-out or expired session, another candidate's session, a deactivated
candidate, a session from before a password change — on PostgreSQL and SQLite alike."""

import datetime as dt
import hashlib

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from exams import services
from exams.models import Answer, Attempt, AttemptItem


def _open(client, registration):
    assert client.post(f"/exams/registrations/{registration.pk}/start/").status_code == 302
    attempt = Attempt.objects.get(registration=registration)
    page = client.get(reverse("exams:question", kwargs={"pk": attempt.pk, "position": 1}))
    assert page.status_code == 200
    attempt.refresh_from_db()
    item = AttemptItem.objects.filter(attempt=attempt, question__type="single").first()
    return attempt, item


def _click(client, attempt, item, choice):
    url = f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/"
    with CaptureQueriesContext(connection) as ctx:
        r = client.post(url, {"choice": choice}, HTTP_HX_REQUEST="true")
    return r, [q["sql"] for q in ctx.captured_queries]


def _signed_out(r) -> bool:
    """The badge of a save whose sign-in has ended: nothing saved, a way back through the sign-in."""
    body = r.content.decode()
    return (r.status_code == 200 and r["X-Anxun-Status"] == "401" and "登录已失效" in body
            and "/accounts/login/?next=/exams/attempts/" in body)


def _saved(attempt, item):
    return Answer.objects.filter(attempt=attempt, item=item).values_list("response", flat=True).first()


def test_the_page_binds_the_session_and_a_click_is_one_statement(client, registration, candidate):
    client.force_login(candidate)
    attempt, item = _open(client, registration)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert attempt.save_session == hashlib.sha256(key.encode()).hexdigest() != key
    r, queries = _click(client, attempt, item, item.option_order[1])
    assert "已保存" in r.content.decode() and _saved(attempt, item) == item.option_order[1]
    assert len(queries) == 1 and "django_session" in queries[0] and 'INSERT INTO "exams_answer"' in queries[0]


def test_a_signed_out_session_saves_nothing(client, registration, candidate):
    client.force_login(candidate)
    attempt, item = _open(client, registration)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    _click(client, attempt, item, item.option_order[0])
    client.post(reverse("logout"))  # the candidate signs out
    assert not Session.objects.filter(session_key=key).exists()
    client.cookies[settings.SESSION_COOKIE_NAME] = key  # the old cookie, sent again
    r, _queries = _click(client, attempt, item, item.option_order[1])
    assert _signed_out(r) and _saved(attempt, item) == item.option_order[0]


def test_an_expired_session_row_saves_nothing_by_this_path(client, registration, candidate):
    client.force_login(candidate)
    attempt, item = _open(client, registration)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert not services.answer_choice_by_session(session_key=key, attempt_id=attempt.pk, item_id=item.pk,
                                                 response=item.option_order[0], ip="127.0.0.1", now=timezone.now())
    assert _saved(attempt, item) is None


def test_another_candidates_session_cannot_save_into_the_attempt(client, registration, candidate, make_member):
    client.force_login(candidate)
    attempt, item = _open(client, registration)
    other = make_member(Role.WORKER, identity_verified=True)
    client.logout()
    client.force_login(other)
    r, _queries = _click(client, attempt, item, item.option_order[0])
    assert r.status_code == 404 and _saved(attempt, item) is None
    # nor by naming the attempt's own binding: the key itself is checked against the session table
    digest_only = Attempt.objects.get(pk=attempt.pk).save_session
    assert not services.answer_choice_by_session(session_key=digest_only[:40], attempt_id=attempt.pk, item_id=item.pk,
                                                 response=item.option_order[0], ip="127.0.0.1", now=timezone.now())
    assert _saved(attempt, item) is None


def test_a_deactivated_candidate_saves_nothing(client, registration, candidate):
    client.force_login(candidate)
    attempt, item = _open(client, registration)
    # a bulk update, which no signal sees: the statement itself reads is_active
    User.objects.filter(pk=candidate.pk).update(is_active=False)
    cache.clear()
    r, _queries = _click(client, attempt, item, item.option_order[0])
    assert _signed_out(r) and _saved(attempt, item) is None


def test_a_password_change_drops_the_binding_and_the_old_session(client, registration, candidate):
    client.force_login(candidate)
    attempt, item = _open(client, registration)
    candidate.set_password("a-new-password-2026")
    candidate.save()  # elsewhere: this session is not the one that changed it
    assert Attempt.objects.get(pk=attempt.pk).save_session == ""
    r, _queries = _click(client, attempt, item, item.option_order[0])
    assert _signed_out(r) and _saved(attempt, item) is None


def test_a_new_sign_in_rebinds_on_the_first_ordinary_save(client, registration, candidate):
    client.force_login(candidate)
    attempt, item = _open(client, registration)
    first = Attempt.objects.get(pk=attempt.pk).save_session
    client.logout()
    client.force_login(candidate)  # a new session (and the last-login stamp drops the binding)
    r, queries = _click(client, attempt, item, item.option_order[0])
    assert "已保存" in r.content.decode() and _saved(attempt, item) == item.option_order[0]
    now_bound = Attempt.objects.get(pk=attempt.pk).save_session
    assert now_bound and now_bound != first
    assert any("save_session" in q and q.startswith("UPDATE") for q in queries)
    r, queries = _click(client, attempt, item, item.option_order[1])
    assert _saved(attempt, item) == item.option_order[1] and len(queries) == 1


def test_a_submitted_attempt_takes_no_click_by_session(client, registration, candidate):
    client.force_login(candidate)
    attempt, item = _open(client, registration)
    Attempt.objects.filter(pk=attempt.pk).update(status=Attempt.Status.MARKING)
    r, _queries = _click(client, attempt, item, item.option_order[0])
    assert _saved(attempt, item) is None and "已保存" not in r.content.decode()


def test_a_session_with_address_ranges(client, registration, candidate):
    """PostgreSQL's statement checks the ranges itself; SQLite's covers only sessions without
    ranges and leaves the click to the two-step path, which checks them."""
    exam_session = registration.session
    exam_session.allowed_ip_ranges = "127.0.0.1/32"
    exam_session.save()
    client.force_login(candidate)
    attempt, item = _open(client, registration)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    by_session = services.answer_choice_by_session(session_key=key, attempt_id=attempt.pk, item_id=item.pk,
                                                   response=item.option_order[0], ip="127.0.0.1", now=timezone.now())
    assert by_session == (connection.vendor == "postgresql")
    r, _queries = _click(client, attempt, item, item.option_order[1])
    assert "已保存" in r.content.decode() and _saved(attempt, item) == item.option_order[1]
    exam_session.allowed_ip_ranges = "10.9.0.0/16"
    exam_session.save()
    r, _queries = _click(client, attempt, item, item.option_order[2])
    assert "已保存" not in r.content.decode() and _saved(attempt, item) == item.option_order[1]


def test_a_signed_out_page_without_scripts_goes_to_the_sign_in(client, registration, candidate):
    client.force_login(candidate)
    attempt, item = _open(client, registration)
    client.logout()
    r = client.post(f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/", {"choice": item.option_order[0]})
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/?next=")
    assert f"/exams/attempts/{attempt.pk}/" in r["Location"] and _saved(attempt, item) is None
