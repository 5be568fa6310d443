"""Review policy: items of a testing bank never reach a candidate with their keys or explanations.
A theory exam's result shows the score, pass/fail and right/wrong counts per knowledge point; the
full review (keys, 解析, clause links) exists only for mock exams on a training bank."""

import importlib

import pytest
from django.core.exceptions import ValidationError

from accounts.roles import Role
from exams import services
from exams.models import AttemptItem, Blueprint, Question
from tests.exams.conftest import small_sections
from tests.exams.test_back_office import _blueprint_post


def _sit(attempt, right=True):
    for it in AttemptItem.objects.filter(attempt=attempt).select_related("question", "attempt"):
        q = it.question
        if right:
            answer = q.answer
        else:
            answer = next(k for k in (it.option_order or "TF") if k not in q.answer)
        services.answer_save(item=it, response=answer)
    services.attempt_submit(attempt=attempt)


def test_exam_result_shows_score_and_counts_per_point_but_no_item(client, registration, candidate, tag):
    # every single-choice question of the bank carries the tag
    for q in Question.objects.filter(bank=registration.session.blueprint.bank, type="single"):
        q.tags.add(tag)
    attempt = services.attempt_start(user=candidate, registration=registration)
    _sit(attempt, right=False)
    client.force_login(candidate)
    body = client.get(f"/exams/attempts/{attempt.pk}/result/").content.decode()
    assert "不合格" in body and "各知识点答题情况" in body and "接地与接零" in body
    for it in AttemptItem.objects.filter(attempt=attempt).select_related("question"):
        q = it.question
        assert q.stem.split("：")[0] not in body
        assert q.explanation not in body
        for o in q.options:
            assert o["text"] not in body
    assert "正确答案" not in body and "解析：" not in body and "逐题回顾" not in body
    from exams.selectors import attempt_point_counts

    attempt.refresh_from_db()
    counts = {r["point"]: (r["right"], r["wrong"]) for r in attempt_point_counts(attempt)}
    assert counts["接地与接零"] == (0, 10)  # 10 single-choice items, all wrong
    assert counts["其他"] == (0, 15)


def test_score_only_policy_shows_no_counts(client, registration, candidate):
    Blueprint.objects.filter(pk=registration.session.blueprint_id).update(review_policy="score")
    attempt = services.attempt_start(user=candidate, registration=registration)
    _sit(attempt)
    client.force_login(candidate)
    body = client.get(f"/exams/attempts/{attempt.pk}/result/").content.decode()
    assert "合格" in body and "各知识点答题情况" not in body and "考后只公布成绩" in body


def test_a_full_policy_left_on_a_blueprint_still_shows_nothing(client, registration, candidate):
    Blueprint.objects.filter(pk=registration.session.blueprint_id).update(review_policy="full")
    attempt = services.attempt_start(user=candidate, registration=registration)
    _sit(attempt)
    client.force_login(candidate)
    body = client.get(f"/exams/attempts/{attempt.pk}/result/").content.decode()
    assert "正确答案" not in body and "逐题回顾" not in body


def test_mock_exam_reviews_with_the_letters_the_candidate_saw(client, blueprint, candidate):
    attempt = services.mock_start(user=candidate, blueprint=blueprint)
    item = (AttemptItem.objects.filter(attempt=attempt, question__type="single").select_related("question")
            .order_by("position").first())
    _sit(attempt, right=True)
    client.force_login(candidate)
    body = client.get(f"/exams/attempts/{attempt.pk}/result/").content.decode()
    assert "逐题回顾" in body and "解析" in body
    from exams.selectors import attempt_review

    attempt.refresh_from_db()
    row = next(r for r in attempt_review(attempt) if r["position"] == item.position)
    seen = "ABCD"[item.option_order.index(item.question.answer)]
    assert row["response"] == seen and row["key"] == seen
    texts = {o["key"]: o["text"] for o in item.question.options}
    assert [o["text"] for o in row["options"]] == [texts[k] for k in item.option_order]
    assert [o["label"] for o in row["options"]] == list("ABCD")


def test_blueprint_save_refuses_full_review(centre, testing_bank, special_kind):
    with pytest.raises(ValidationError) as exc:
        services.blueprint_save(actor=None, owner=centre, code="bp-full", name="x", bank=testing_bank,
                                certificate_kind=special_kind, sections=small_sections(), review_policy="full")
    assert "不向考生公布答案" in str(exc.value)
    assert not Blueprint.objects.filter(code="bp-full").exists()


def test_blueprint_form_refuses_full_review(client, centre, make_member, testing_bank, special_kind):
    client.force_login(make_member(Role.ITEM_WRITER, org=centre))
    form = client.get("/exams/manage/blueprints/new/").content.decode()
    assert 'value="full"' not in form
    r = client.post("/exams/manage/blueprints/new/", {**_blueprint_post(testing_bank, special_kind), "review_policy": "full"})
    assert r.status_code == 200 and "不向考生公布答案" in r.content.decode()
    assert not Blueprint.objects.filter(code="bp-new").exists()


def test_migration_moves_full_review_blueprints(blueprint):
    from django.apps import apps

    Blueprint.objects.filter(pk=blueprint.pk).update(review_policy="full")
    migration = importlib.import_module("exams.migrations.0009_blueprint_review_policy_exam_only")
    migration.testing_blueprints_to_point_counts(apps, None)
    blueprint.refresh_from_db()
    assert blueprint.review_policy == "responses"
