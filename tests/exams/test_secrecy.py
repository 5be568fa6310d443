"""Secrecy matrix (考培分离): every role × every exams page, back-office page and API endpoint.

Testing items (stems, options, keys) never reach a training-institution, learner, enterprise or
bureau account, nor exam-centre staff of another centre; back-office pages answer 404 to them.
"""

import pytest
from django.urls import reverse

from accounts.roles import OrgKind, Role
from exams import services
from exams.models import Answer, Attempt, AttemptItem, Question
from tests.factories import OrganizationFactory

OUTSIDERS = [
    ("principal", Role.PRINCIPAL), ("safety_manager", Role.SAFETY_MANAGER), ("worker", Role.WORKER),
    ("ent_admin", Role.ENT_ADMIN), ("bureau_editor", Role.BUREAU_EDITOR), ("bureau_publisher", Role.BUREAU_PUBLISHER),
    ("bureau_analyst", Role.BUREAU_ANALYST), ("instructor", Role.INSTRUCTOR),
    ("other_centre_item_writer", Role.ITEM_WRITER), ("other_centre_proctor", Role.PROCTOR),
]


@pytest.fixture
def world(registration, candidate, testing_bank, training_bank, session, examiner):
    """A submitted attempt with an essay awaiting marking, so every page has real ids."""
    attempt = services.attempt_start(user=candidate, registration=registration)
    for it in AttemptItem.objects.filter(attempt=attempt).select_related("question", "attempt"):
        services.answer_save(item=it, response=it.question.answer)
    services.attempt_submit(attempt=attempt)
    q = Question.objects.filter(bank=testing_bank, type="single").first()
    essay_answer = Answer.objects.filter(item__question__type="essay").first()
    reg = registration
    urls = [
        reverse("exams:my_exams"), reverse("exams:practice"), reverse("exams:notebook"),
        reverse("exams:practice_bank", kwargs={"code": training_bank.code}),
        reverse("exams:practice_bank", kwargs={"code": testing_bank.code}),
        reverse("exams:attempt", kwargs={"pk": attempt.pk}),
        reverse("exams:question", kwargs={"pk": attempt.pk, "position": 1}),
        reverse("exams:overview", kwargs={"pk": attempt.pk}),
        reverse("exams:result", kwargs={"pk": attempt.pk}),
        reverse("exams:my_ticket", kwargs={"registration_id": reg.pk}),
        reverse("exams:manage"), reverse("exams:manage_bank", kwargs={"code": testing_bank.code}),
        reverse("exams:manage_bank", kwargs={"code": training_bank.code}),
        reverse("exams:manage_question_add", kwargs={"code": testing_bank.code}),
        reverse("exams:manage_question_edit", kwargs={"code": testing_bank.code, "pk": q.pk}),
        reverse("exams:manage_import", kwargs={"code": testing_bank.code}),
        reverse("exams:manage_import_template"), reverse("exams:manage_blueprints"),
        reverse("exams:manage_sessions"), reverse("exams:manage_session_create"),
        reverse("exams:manage_session", kwargs={"pk": session.pk}),
        reverse("exams:manage_tickets", kwargs={"pk": session.pk}),
        reverse("exams:manage_console", kwargs={"pk": session.pk}),
        reverse("exams:manage_stats", kwargs={"pk": session.pk}),
        reverse("exams:manage_stats", kwargs={"pk": session.pk}) + "?format=xlsx",
        reverse("exams:manage_practical", kwargs={"pk": reg.pk}),
        reverse("exams:manage_marking"),
        "/api/v1/exams/banks/", f"/api/v1/exams/banks/{testing_bank.code}/questions/",
        f"/api/v1/exams/banks/{training_bank.code}/questions/", "/api/v1/exams/attempts/",
    ]
    if essay_answer is not None:
        urls.append(reverse("exams:manage_mark", kwargs={"answer_id": essay_answer.pk}))
    posts = [
        reverse("exams:manage_question_retire", kwargs={"code": testing_bank.code, "pk": q.pk}),
        reverse("exams:manage_registration_cancel", kwargs={"pk": reg.pk}),
        reverse("exams:manage_extend", kwargs={"pk": session.pk, "attempt_id": attempt.pk}),
        reverse("exams:manage_force_submit", kwargs={"pk": session.pk, "attempt_id": attempt.pk}),
        reverse("exams:start", kwargs={"registration_id": reg.pk}),
        f"/api/v1/exams/attempts/{attempt.pk}/answers/",
    ]
    secrets = [(s, a) for s, a in Question.objects.filter(bank=testing_bank).values_list("stem", "explanation")]
    generic = {reverse("exams:manage"), reverse("exams:manage_import_template"), reverse("exams:manage_blueprints"),
               reverse("exams:manage_sessions"), reverse("exams:manage_session_create"), reverse("exams:manage_marking")}
    return {"urls": urls, "posts": posts, "generic": generic, "secrets": secrets, "attempt": attempt, "testing_bank": testing_bank}


def _member(make_member, role, key):
    if key.startswith("other_centre"):
        return make_member(role, org=OrganizationFactory(kind=OrgKind.EXAM_CENTRE, credit_code=None))
    return make_member(role)


@pytest.mark.parametrize("key,role", OUTSIDERS, ids=[k for k, _r in OUTSIDERS])
def test_testing_items_never_reach_outsiders(client, make_member, world, key, role):
    user = _member(make_member, role, key)
    client.force_login(user)
    for url in world["urls"]:
        r = client.get(url)
        assert r.status_code in (200, 302, 404), (url, r.status_code)
        body = r.content.decode("utf-8", errors="ignore")
        if "/manage/" in url and (not key.startswith("other_centre") or url not in world["generic"]):
            # Other centres' staff have a back office of their own, but nothing of this centre's.
            assert r.status_code == 404, (key, url, r.status_code)
        if "/questions/" in url and world["testing_bank"].code in url:
            assert r.status_code == 404, (key, url)
        for stem, explanation in world["secrets"]:
            assert stem not in body, (key, url)
    for url in world["posts"]:
        data = {"reason": "x", "minutes": 5, "item": 1, "response": "A"}
        # the API speaks JSON only (a form body would be refused before any lookup)
        r = (client.post(url, data, content_type="application/json") if url.startswith("/api/")
             else client.post(url, data))
        assert r.status_code in (403, 404), (key, url, r.status_code)
    assert Question.objects.filter(bank=world["testing_bank"], retired_at__isnull=False).count() == 0
    assert Attempt.objects.filter(pk=world["attempt"].pk, submitted_by="candidate").exists()


def test_anonymous_gets_nothing(client, world):
    for url in world["urls"] + world["posts"]:
        r = client.get(url) if url in world["urls"] else client.post(url)
        assert r.status_code in (302, 401, 403, 404), (url, r.status_code)
        body = r.content.decode("utf-8", errors="ignore")
        for stem, _e in world["secrets"]:
            assert stem not in body


def test_own_centre_staff_see_their_testing_bank(client, world, examiner):
    client.force_login(examiner)
    for url in world["urls"]:
        r = client.get(url)
        assert r.status_code in (200, 302, 404), (url, r.status_code)
        if "/manage/" in url and "t-train" not in url:  # the training bank belongs to the training institution
            assert r.status_code == 200, (url, r.status_code)
    page = client.get(reverse("exams:manage_bank", kwargs={"code": world["testing_bank"].code})).content.decode()
    assert any(stem[:20] in page for stem, _e in world["secrets"])
    api = client.get(f"/api/v1/exams/banks/{world['testing_bank'].code}/questions/").json()
    assert api and "answer" in api[0]


def test_candidate_sees_only_own_paper_and_keys_after_submission(client, world, candidate, testing_bank):
    client.force_login(candidate)
    attempt = world["attempt"]
    mine = set(AttemptItem.objects.filter(attempt=attempt).values_list("question__stem", flat=True))
    others = {s for s, _e in world["secrets"]} - mine
    for url in world["urls"]:
        body = client.get(url).content.decode("utf-8", errors="ignore")
        for stem in others:
            assert stem not in body, url
    assert client.get(f"/api/v1/exams/banks/{testing_bank.code}/questions/").status_code == 404
    api_banks = client.get("/api/v1/exams/banks/").json()
    assert all(b["kind"] == "training" for b in api_banks)
