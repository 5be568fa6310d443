"""The candidate's pages: flow, answer keys never served before submission, query budgets."""

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from exams import services
from exams.models import Answer, Attempt, AttemptItem
from tests.exams.conftest import add_questions


def _start(client, registration):
    r = client.post(f"/exams/registrations/{registration.pk}/start/")
    assert r.status_code == 302
    return Attempt.objects.get(registration=registration)


def test_full_flow_start_answer_reload_submit_result(client, registration, candidate):
    client.force_login(candidate)
    page = client.get("/exams/my/").content.decode()
    assert "测试场次" in page and "开始考试" in page
    attempt = _start(client, registration)
    r = client.get(f"/exams/attempts/{attempt.pk}/", follow=True)
    assert r.status_code == 200 and "第 1 题" in r.content.decode()
    items = list(AttemptItem.objects.filter(attempt=attempt).select_related("question").order_by("position"))
    for it in items:
        q = it.question
        data = {"text": "答"} if q.type == "essay" else {"choice": it.tokens_for(q.answer)}
        r = client.post(f"/exams/attempts/{attempt.pk}/items/{it.pk}/save/", data, HTTP_HX_REQUEST="true")
        assert r.status_code == 200 and "已保存" in r.content.decode()
        assert "no-store" in r["Cache-Control"]
    # reload (a new browser = a new client with the same login) resumes with every answer
    from django.test import Client

    other = Client()
    other.force_login(candidate)
    page = other.get(f"/exams/attempts/{attempt.pk}/q/1/").content.decode()
    assert "checked" in page
    overview = other.get(f"/exams/attempts/{attempt.pk}/overview/").content.decode()
    assert f"{len(items)}</strong> / {len(items)}" in overview
    # submit needs the confirmation
    r = other.post(f"/exams/attempts/{attempt.pk}/submit/")
    assert Attempt.objects.get(pk=attempt.pk).status == Attempt.Status.IN_PROGRESS
    r = other.post(f"/exams/attempts/{attempt.pk}/submit/", {"confirm": "yes"}, follow=True)
    assert r.status_code == 200
    attempt.refresh_from_db()
    assert attempt.passed and "合格" in r.content.decode()
    # further saves are refused
    r = other.post(f"/exams/attempts/{attempt.pk}/items/{items[0].pk}/save/", {"choice": "A"}, HTTP_HX_REQUEST="true")
    assert "已交卷" in r.content.decode()


def test_answer_keys_absent_before_submission(client, registration, candidate):
    client.force_login(candidate)
    attempt = _start(client, registration)
    items = list(AttemptItem.objects.filter(attempt=attempt).select_related("question").order_by("position"))
    bodies = [client.get("/exams/my/").content.decode(), client.get(f"/exams/attempts/{attempt.pk}/overview/").content.decode()]
    for it in items:
        bodies.append(client.get(f"/exams/attempts/{attempt.pk}/q/{it.position}/").content.decode())
        bodies.append(client.get(f"/exams/attempts/{attempt.pk}/result/", follow=True).content.decode())
    text = "\n".join(bodies)
    for it in items:
        assert it.question.explanation not in text
    assert "正确答案" not in text and "解析" not in text
    # The options are shown, but nothing marks which one is right.
    assert not re.search(r'data-(correct|key|answer)', text)


def test_other_candidates_cannot_open_or_save(client, registration, candidate, make_member):
    from accounts.roles import Role

    attempt = services.attempt_start(user=candidate, registration=registration)
    item = AttemptItem.objects.filter(attempt=attempt).first()
    intruder = make_member(Role.WORKER)
    client.force_login(intruder)
    assert client.get(f"/exams/attempts/{attempt.pk}/q/1/").status_code == 404
    assert client.post(f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/", {"choice": "A"}).status_code == 404
    assert client.get(f"/exams/attempts/{attempt.pk}/result/").status_code == 404
    assert client.post(f"/exams/registrations/{registration.pk}/start/").status_code == 404


def test_late_save_refused_with_clear_message_and_autosubmitted(client, registration, candidate):
    start = timezone.now()
    client.force_login(candidate)
    with time_machine.travel(start, tick=False):
        attempt = _start(client, registration)
        item = AttemptItem.objects.filter(attempt=attempt, question__type="single").select_related("question").first()
        client.post(f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/",
                    {"choice": item.tokens_for(item.question.answer)}, HTTP_HX_REQUEST="true")
    with time_machine.travel(attempt.deadline + dt.timedelta(seconds=5), tick=False):
        r = client.post(f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/", {"choice": item.tokens_for("A" if item.question.answer != "A" else "B")},
                        HTTP_HX_REQUEST="true")
        assert "考试时间已到" in r.content.decode()
        assert r.headers["X-Anxun-Status"] == "409"
        r = client.post(f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/", {"choice": item.tokens_for("A")})
        assert r.status_code == 302
    assert Answer.objects.get(attempt=attempt, item=item).response == item.question.answer
    attempt.refresh_from_db()
    assert attempt.status != Attempt.Status.IN_PROGRESS and attempt.submitted_by == "deadline"


def test_next_request_after_deadline_autosubmits(client, registration, candidate):
    client.force_login(candidate)
    attempt = _start(client, registration)
    with time_machine.travel(attempt.deadline + dt.timedelta(seconds=1), tick=False):
        r = client.get(f"/exams/attempts/{attempt.pk}/q/1/")
        assert r.status_code == 302 and r.url.endswith("/result/")
    attempt.refresh_from_db()
    assert attempt.submitted_by == "deadline"


@pytest.mark.parametrize("extra", [0, 40])
def test_candidate_query_budget_independent_of_paper_size(client, registration, candidate, testing_bank,
                                                          django_assert_max_num_queries, extra):
    if extra:
        add_questions(testing_bank, extra, "single", prefix="加")
        sec = registration.session.blueprint.sections.get(question_type="single")
        sec.count += extra
        sec.save()
    client.force_login(candidate)
    attempt = _start(client, registration)
    item = AttemptItem.objects.filter(attempt=attempt, question__type="single").first()
    client.get("/exams/my/")  # warm the session
    with django_assert_max_num_queries(9):
        assert client.get(f"/exams/attempts/{attempt.pk}/q/{item.position}/").status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get(f"/exams/attempts/{attempt.pk}/overview/").status_code == 200
    with django_assert_max_num_queries(4):
        r = client.post(f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/", {"choice": item.tokens_for("A")},
                        HTTP_HX_REQUEST="true")
        assert r.status_code == 200 and "已保存" in r.content.decode()
    with django_assert_max_num_queries(6):
        assert client.get("/exams/my/").status_code == 200


def test_practice_flow_feedback_and_notebook(client, candidate, training_bank):
    from exams.models import PracticeRecord, Question

    client.force_login(candidate)
    assert "测试练习题库" in client.get("/exams/practice/").content.decode()
    page = client.get(f"/exams/practice/{training_bank.code}/").content.decode()
    q = Question.objects.get(pk=int(re.search(r'name="question" value="(\d+)"', page).group(1)))
    assert q.explanation not in page  # explanation only after answering
    wrong = next(o["key"] for o in q.options if o["key"] not in q.answer)
    r = client.post(f"/exams/practice/{training_bank.code}/", {"question": q.pk, "choice": wrong}).content.decode()
    assert "回答错误" in r and q.explanation in r
    assert PracticeRecord.objects.get(user=candidate, question=q).in_notebook
    assert q.stem[:10] in client.get("/exams/practice/notebook/").content.decode()
    client.post(f"/exams/practice/notebook/{q.pk}/remove/")
    assert not PracticeRecord.objects.get(user=candidate, question=q).in_notebook


def test_mock_exam_draws_from_training_bank_only(client, candidate, blueprint, training_bank):
    client.force_login(candidate)
    r = client.post(f"/exams/practice/mock/{blueprint.pk}/start/")
    attempt = Attempt.objects.get(user=candidate, mode="mock")
    assert r.status_code == 302 and attempt.registration_id is None
    assert set(AttemptItem.objects.filter(attempt=attempt).values_list("question__bank__kind", flat=True)) == {"training"}


def test_exam_page_carries_the_whole_paper_with_one_question_shown(client, registration, candidate):
    """One page load per sitting: every frozen item is on the page (the browser moves between them),
    only the requested one is shown, each with its own autosave form; no key anywhere."""
    client.force_login(candidate)
    attempt = _start(client, registration)
    items = list(AttemptItem.objects.filter(attempt=attempt).select_related("question").order_by("position"))
    second = items[1]
    html = client.get(f"/exams/attempts/{attempt.pk}/q/{second.position}/").content.decode()
    sections = re.findall(r'<section class="card exam-question" id="q(\d+)"[^>]*?( hidden)?>', html)
    assert [int(p) for p, _h in sections] == [it.position for it in items]
    assert [p for p, h in sections if not h] == [str(second.position)]
    for it in items:
        assert f'hx-post="/exams/attempts/{attempt.pk}/items/{it.pk}/save/"' in html
        assert it.question.stem.split("\n")[0][:12] in html
        assert it.question.explanation not in html
    essays = [it for it in items if it.question.type == "essay"]
    for it in essays:  # an essay saves while typing, triggered by its own text box only
        assert f"keyup changed delay:2s from:#essay-{it.pk}" in html


def test_without_scripts_each_button_saves_and_moves_on(client, registration, candidate):
    client.force_login(candidate)
    attempt = _start(client, registration)
    item = AttemptItem.objects.filter(attempt=attempt, question__type="single").select_related("question") \
        .order_by("position").first()
    key = item.question.answer
    # the form posts the paper's token of the option, never its letter
    r = client.post(f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/",
                    {"choice": item.tokens_for(key), "clear": "", "go": str(item.position + 1)})
    assert r.status_code == 302 and r.url.endswith(f"/q/{item.position + 1}/") and "no-store" in r["Cache-Control"]
    assert Answer.objects.get(attempt=attempt, item=item).response == key
    # without a destination the page of the question itself comes back (its position read after the save)
    later = AttemptItem.objects.filter(attempt=attempt, question__type="single").order_by("-position").first()
    back = client.post(f"/exams/attempts/{attempt.pk}/items/{later.pk}/save/", {"choice": later.tokens_for(later.option_order[0])})
    assert back.status_code == 302 and back.url.endswith(f"/q/{later.position}/") and later.position > 1
    assert Answer.objects.get(attempt=attempt, item=later).response == later.option_order[0]
    page = client.get(r.url).content.decode()
    assert re.search(rf'id="q{item.position + 1}"[^>]*?aria-labelledby="q{item.position + 1}-h">', page)  # shown
    assert re.search(rf'<a href="[^"]+/q/{item.position}/" data-position="{item.position}" class="answered"', page)
    r = client.post(f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/", {"flag": "1", "go": "overview"})
    assert r.status_code == 302 and r.url.endswith("/overview/")
    answer = Answer.objects.get(attempt=attempt, item=item)
    assert answer.flagged and answer.response == key  # the flag leaves the answer alone


def test_saves_from_outside_the_allowed_rooms_are_refused_by_page_and_api(client, registration, candidate):
    from rest_framework.test import APIClient

    attempt = services.attempt_start(user=candidate, registration=registration, ip="10.8.1.20")
    item = AttemptItem.objects.filter(attempt=attempt, question__type="single").first()
    session = registration.session
    session.allowed_ip_ranges = "10.8.0.0/16"
    session.save()
    client.force_login(candidate)
    url = f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/"
    a_token, b_token = item.tokens_for("A")[0], item.tokens_for("B")[0]
    r = client.post(url, {"choice": a_token}, HTTP_HX_REQUEST="true", REMOTE_ADDR="192.168.1.9")
    assert r.headers["X-Anxun-Status"] == "403" and "IP" in r.content.decode()
    api = APIClient()
    api.force_authenticate(candidate)
    r = api.post(f"/api/v1/exams/attempts/{attempt.pk}/answers/", {"item": item.pk, "response": a_token}, format="json",
                 REMOTE_ADDR="192.168.1.9")
    assert r.status_code == 403 and r.json()["error"]["code"] == "ip"
    assert not Answer.objects.filter(attempt=attempt).exists()
    r = client.post(url, {"choice": a_token}, HTTP_HX_REQUEST="true", REMOTE_ADDR="10.8.3.4")
    assert "已保存" in r.content.decode()
    r = api.post(f"/api/v1/exams/attempts/{attempt.pk}/answers/", {"item": item.pk, "response": b_token}, format="json",
                 REMOTE_ADDR="10.8.3.4")
    assert r.status_code == 200
    assert "B" in item.option_order
    assert Answer.objects.get(attempt=attempt, item=item).response == "B"


def test_every_save_rule_holds_on_the_one_path(client, registration, candidate):
    """Address ranges (IPv4 and IPv6), option validity and the single-choice rule, all decided by
    services.answer_record: the page's click and the API go the same way."""
    client.force_login(candidate)
    attempt = _start(client, registration)
    item = AttemptItem.objects.filter(attempt=attempt, question__type="single").select_related("question").first()
    key = item.question.answer
    other = next(k for k in item.option_order if k != key)
    session = registration.session
    url = f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/"

    def save(keys, ip):
        return client.post(url, {"choice": item.tokens_for(keys)}, HTTP_HX_REQUEST="true", REMOTE_ADDR=ip)

    def saved():
        return Answer.objects.get(attempt=attempt, item=item).response

    assert "已保存" in save(other, "10.8.9.9").content.decode() and saved() == other
    session.allowed_ip_ranges = "10.8.0.0/16\n192.168.5.7"
    session.save()
    assert "已保存" in save(key, "10.8.9.9").content.decode() and saved() == key
    # a choice that is no token of the item refuses the whole save and keeps the answer
    r = save(other + "Z", "192.168.5.7")
    assert r["X-Anxun-Status"] == "400" and saved() == key
    assert "已保存" in save(other, "192.168.5.7").content.decode() and saved() == other
    # two letters for a single-choice question are refused, the previous answer kept
    r = save(key + other, "192.168.5.7")
    assert r["X-Anxun-Status"] == "400" and saved() == other
    # an address outside the rooms is refused
    r = save(key, "10.9.0.1")
    assert "IP" in r.content.decode() and r["X-Anxun-Status"] == "403" and saved() == other
    session.allowed_ip_ranges = "2001:db8::/32"
    session.save()
    assert "已保存" in save(key, "2001:db8::5").content.decode() and saved() == key
    assert save(other, "10.8.9.9")["X-Anxun-Status"] == "403" and saved() == key
    session.allowed_ip_ranges = ""
    session.save()
    assert "已保存" in save(other, "172.16.0.1").content.decode() and saved() == other


def test_a_click_is_one_lookup_and_one_upsert(client, registration, candidate, django_assert_max_num_queries):
    """A click passes the ordinary sign-in (session and user, from the cache where there is one),
    then reads the item with its attempt and session and writes the answer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(candidate)
    attempt = _start(client, registration)
    item = AttemptItem.objects.filter(attempt=attempt, question__type="single").first()
    url = f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/"
    client.post(url, {"choice": item.tokens_for(item.option_order[1])}, HTTP_HX_REQUEST="true")
    with CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(4):
        r = client.post(url, {"choice": item.tokens_for(item.option_order[0])}, HTTP_HX_REQUEST="true")
    assert "已保存" in r.content.decode()
    exam_queries = [q["sql"] for q in ctx.captured_queries if "exams_" in q["sql"]]
    assert len(exam_queries) == 2 and "exams_answer" in exam_queries[1]  # the item's lookup, then the answer's write
    assert Answer.objects.get(attempt=attempt, item=item).response == item.option_order[0]


def test_the_saved_badge_speaks_the_page_language(client, registration, candidate):
    client.force_login(candidate)
    attempt = _start(client, registration)
    item = AttemptItem.objects.filter(attempt=attempt, question__type="single").first()
    url = f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/"
    english = client.post(url, {"choice": item.tokens_for(item.option_order[0])}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert "Saved " in english.content.decode() and "已保存" not in english.content.decode()
    chinese = client.post(url, {"choice": item.tokens_for(item.option_order[1])}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "已保存 " in chinese.content.decode()


def test_exam_room_range_ignores_a_spoofed_forwarded_header_unless_from_a_trusted_proxy(
        client, registration, candidate, settings):
    attempt = services.attempt_start(user=candidate, registration=registration, ip="10.8.1.20")
    item = AttemptItem.objects.filter(attempt=attempt, question__type="single").first()
    session = registration.session
    session.allowed_ip_ranges = "10.8.0.0/16"
    session.save()
    client.force_login(candidate)
    url = f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/"
    r = client.post(url, {"choice": item.tokens_for(item.option_order[0])}, HTTP_HX_REQUEST="true", REMOTE_ADDR="192.168.1.9",
                    HTTP_X_FORWARDED_FOR="10.8.3.4")
    assert r.headers["X-Anxun-Status"] == "403"
    settings.ANXUN_TRUSTED_PROXIES = ["127.0.0.1"]
    r = client.post(url, {"choice": item.tokens_for(item.option_order[0])}, HTTP_HX_REQUEST="true", REMOTE_ADDR="192.168.1.9",
                    HTTP_X_FORWARDED_FOR="10.8.3.4")
    assert r.headers["X-Anxun-Status"] == "403"  # the peer is no trusted proxy
    r = client.post(url, {"choice": item.tokens_for(item.option_order[0])}, HTTP_HX_REQUEST="true", REMOTE_ADDR="127.0.0.1",
                    HTTP_X_FORWARDED_FOR="10.8.3.4")
    assert "已保存" in r.content.decode()
