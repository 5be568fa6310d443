"""Opaque option tokens: every frozen paper gives each option a random token; the exam page and the
saves carry tokens only, ``answer_record`` maps them back to the keys that are graded. A choice that
is not one of the paper's tokens, or text for a choice question, is refused with a 400 and the
previous answer kept (page, htmx badge and API alike)."""

import re

from rest_framework.test import APIClient

from exams import services
from exams.models import Answer, Attempt, AttemptItem


def _start(client, registration):
    client.post(f"/exams/registrations/{registration.pk}/start/")
    return Attempt.objects.get(registration=registration)


def test_no_radio_value_is_an_option_letter_and_papers_differ(client, registration, candidate, candidates):
    client.force_login(candidate)
    attempt = _start(client, registration)
    html = "".join(client.get(f"/exams/attempts/{attempt.pk}/q/{n}/").content.decode() for n in (1,))
    values = re.findall(r'name="choice" value="([^"]*)"', html)
    assert values and all(re.fullmatch(r"[0-9a-f]{12}", v) for v in values)
    items = AttemptItem.objects.filter(attempt=attempt).exclude(question__type="essay")
    for it in items:
        assert sorted(it.token_map().values()) == sorted(it.option_order)
        assert len(set(it.option_tokens.split())) == len(it.option_order)
    # another candidate's paper has other tokens, so values cannot be shared between papers
    other = services.attempt_start(user=candidates[1].candidate, registration=candidates[1])
    mine = {t for it in items for t in it.option_tokens.split()}
    theirs = {t for it in AttemptItem.objects.filter(attempt=other) for t in it.option_tokens.split()}
    assert not mine & theirs


def test_a_token_saves_its_key_and_grading_is_unchanged(client, registration, candidate):
    client.force_login(candidate)
    attempt = _start(client, registration)
    item = AttemptItem.objects.filter(attempt=attempt, question__type="multiple").select_related("question").first()
    r = client.post(f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/",
                    {"choice": item.tokens_for(item.question.answer)}, HTTP_HX_REQUEST="true")
    assert "已保存" in r.content.decode()
    assert Answer.objects.get(item=item).response == item.question.answer
    page = client.get(f"/exams/attempts/{attempt.pk}/q/{item.position}/").content.decode()
    for token in item.tokens_for(item.question.answer):
        assert re.search(rf'value="{token}" checked', page)


def test_unknown_choice_is_refused_and_keeps_the_answer(client, registration, candidate):
    client.force_login(candidate)
    attempt = _start(client, registration)
    item = AttemptItem.objects.filter(attempt=attempt, question__type="single").select_related("question").first()
    url = f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/"
    key = item.question.answer
    client.post(url, {"choice": item.tokens_for(key)}, HTTP_HX_REQUEST="true")
    for bad in (key, "Z", "0123456789ab", item.tokens_for(key)[0] + "x"):  # a letter is no token either
        r = client.post(url, {"choice": bad}, HTTP_HX_REQUEST="true")
        assert r["X-Anxun-Status"] == "400" and "不是本试卷这道题的选项" in r.content.decode()
        assert "已保存" not in r.content.decode()
        assert Answer.objects.get(item=item).response == key
    # without htmx: a plain 400 with the message
    r = client.post(url, {"choice": "Z"})
    assert r.status_code == 400 and "原答案保留" in r.content.decode()
    # a token of another item of the same paper is refused too
    other = AttemptItem.objects.filter(attempt=attempt, question__type="single").exclude(pk=item.pk).first()
    r = client.post(url, {"choice": other.option_tokens.split()[0]}, HTTP_HX_REQUEST="true")
    assert r["X-Anxun-Status"] == "400" and Answer.objects.get(item=item).response == key


def test_text_for_a_choice_question_is_refused(client, registration, candidate):
    client.force_login(candidate)
    attempt = _start(client, registration)
    item = AttemptItem.objects.filter(attempt=attempt, question__type="single").select_related("question").first()
    url = f"/exams/attempts/{attempt.pk}/items/{item.pk}/save/"
    client.post(url, {"choice": item.tokens_for(item.question.answer)}, HTTP_HX_REQUEST="true")
    r = client.post(url, {"text": "A"}, HTTP_HX_REQUEST="true")
    assert r["X-Anxun-Status"] == "400" and "这是选择题" in r.content.decode()
    answer = Answer.objects.get(item=item)
    assert answer.response == item.question.answer and answer.text == ""


def test_the_api_takes_tokens_and_refuses_letters_and_text(registration, candidate):
    attempt = services.attempt_start(user=candidate, registration=registration)
    item = AttemptItem.objects.filter(attempt=attempt, question__type="multiple").select_related("question").first()
    api = APIClient()
    api.force_authenticate(candidate)
    url = f"/api/v1/exams/attempts/{attempt.pk}/answers/"
    tokens = item.tokens_for(item.question.answer)
    r = api.post(url, {"item": item.pk, "response": ",".join(tokens)}, format="json")
    assert r.status_code == 200
    assert Answer.objects.get(item=item).response == item.question.answer
    for bad in ({"response": item.question.answer}, {"response": "nope"}, {"text": "ACD"}):
        r = api.post(url, {"item": item.pk, **bad}, format="json")
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid", bad
        assert Answer.objects.get(item=item).response == item.question.answer


def test_prepared_papers_carry_tokens(session, registration, candidate):
    assert services.papers_prepare(session=session) == 1
    paper = Attempt.all_objects.get(registration=registration, status=Attempt.Status.PREPARED)
    objective = AttemptItem.objects.filter(attempt=paper).exclude(question__type="essay")
    assert objective.exists() and all(len(it.token_map()) == len(it.option_order) for it in objective)
    started = services.attempt_start(user=candidate, registration=registration)
    assert started.pk == paper.pk


def test_legacy_paper_without_tokens_still_saves_its_letters(registration, candidate):
    """A paper started before option tokens existed keeps working with its letters (and refuses others)."""
    import pytest

    attempt = services.attempt_start(user=candidate, registration=registration)
    AttemptItem.objects.filter(attempt=attempt).update(option_tokens="")
    item = AttemptItem.objects.filter(attempt=attempt, question__type="single").select_related("question", "attempt").first()
    services.answer_save(item=item, response=item.question.answer)
    assert Answer.objects.get(item=item).response == item.question.answer
    with pytest.raises(services.ExamError):
        services.answer_save(item=item, response="Z")
