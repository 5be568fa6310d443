"""Secrecy matrix (考培分离): every role × every exams page, back-office page and API endpoint.

Testing items (stems, options, keys) never reach a training-institution, learner, enterprise or
bureau account, nor exam-centre staff of another centre; back-office pages answer 404 to them.
"""

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.roles import OrgKind, Role
from exams import services
from exams.models import Answer, Attempt, AttemptItem, PracticalEvidence, PracticalResult, PracticalTask, Question
from tests.factories import OrganizationFactory

OUTSIDERS = [
    ("principal", Role.PRINCIPAL), ("safety_manager", Role.SAFETY_MANAGER), ("worker", Role.WORKER),
    ("ent_admin", Role.ENT_ADMIN), ("bureau_editor", Role.BUREAU_EDITOR), ("bureau_publisher", Role.BUREAU_PUBLISHER),
    ("bureau_analyst", Role.BUREAU_ANALYST), ("instructor", Role.INSTRUCTOR),
    ("other_centre_item_writer", Role.ITEM_WRITER), ("other_centre_proctor", Role.PROCTOR),
]


@pytest.fixture
def world(registration, candidate, testing_bank, training_bank, session, examiner, centre, special_kind):
    """A submitted attempt with an essay awaiting marking, so every page has real ids."""
    from tests.exams.conftest import small_sections

    services.blueprint_save(actor=None, owner=centre, code=session.blueprint.code, name=session.blueprint.name,
                            bank=testing_bank, training_bank=training_bank, certificate_kind=special_kind,
                            sections=small_sections(essay=True), duration_minutes=60)
    attempt = services.attempt_start(user=candidate, registration=registration)
    for it in AttemptItem.objects.filter(attempt=attempt).select_related("question", "attempt"):
        services.answer_save(item=it, response=it.question.answer)
    services.attempt_submit(attempt=attempt)
    q = Question.objects.filter(bank=testing_bank, type="single").first()
    essay_answer = Answer.objects.filter(item__question__type="essay").first()
    reg = registration
    bp = session.blueprint
    task = PracticalTask.objects.create(operation_item=session.operation_item, code="k1", title="实操", points=100)
    result = PracticalResult.objects.create(registration=reg, examiner=examiner, scores={str(task.pk): "90.0"},
                                            total=90, pass_mark=80, passed=True)
    evidence = PracticalEvidence(result=result, task=task, original_name="k1.png", content_type="image/png")
    evidence.file.save("k1.png", ContentFile(b"\x89PNG\r\n\x1a\n" + b"0" * 32), save=True)
    from exams.models import AttemptStill

    still = AttemptStill(attempt=attempt, kind=AttemptStill.Kind.PHOTO)
    still.still.save("still.png", ContentFile(b"\x89PNG\r\n\x1a\n" + b"0" * 32), save=True)
    gets = {
        "exams:home": reverse("exams:home"),
        "exams:my_exams": reverse("exams:my_exams"), "exams:practice": reverse("exams:practice"),
        "exams:notebook": reverse("exams:notebook"),
        "exams:practice_bank": reverse("exams:practice_bank", kwargs={"code": training_bank.code}),
        "exams:practice_bank testing": reverse("exams:practice_bank", kwargs={"code": testing_bank.code}),
        "exams:attempt": reverse("exams:attempt", kwargs={"pk": attempt.pk}),
        "exams:question": reverse("exams:question", kwargs={"pk": attempt.pk, "position": 1}),
        "exams:overview": reverse("exams:overview", kwargs={"pk": attempt.pk}),
        "exams:result": reverse("exams:result", kwargs={"pk": attempt.pk}),
        "exams:my_ticket": reverse("exams:my_ticket", kwargs={"registration_id": reg.pk}),
        "exams:question_image": reverse("exams:question_image", kwargs={"pk": q.pk}),
        "exams:manage": reverse("exams:manage"),
        "exams:manage_bank": reverse("exams:manage_bank", kwargs={"code": testing_bank.code}),
        "exams:manage_bank training": reverse("exams:manage_bank", kwargs={"code": training_bank.code}),
        "exams:manage_question_add": reverse("exams:manage_question_add", kwargs={"code": testing_bank.code}),
        "exams:manage_question_edit": reverse("exams:manage_question_edit", kwargs={"code": testing_bank.code, "pk": q.pk}),
        "exams:manage_import": reverse("exams:manage_import", kwargs={"code": testing_bank.code}),
        "exams:manage_import_template": reverse("exams:manage_import_template"),
        "exams:manage_blueprints": reverse("exams:manage_blueprints"),
        "exams:manage_blueprint_add": reverse("exams:manage_blueprint_add"),
        "exams:manage_blueprint_edit": reverse("exams:manage_blueprint_edit", kwargs={"code": bp.code}),
        "exams:manage_sessions": reverse("exams:manage_sessions"),
        "exams:manage_session_create": reverse("exams:manage_session_create"),
        "exams:manage_session": reverse("exams:manage_session", kwargs={"pk": session.pk}),
        "exams:manage_tickets": reverse("exams:manage_tickets", kwargs={"pk": session.pk}),
        "exams:manage_console": reverse("exams:manage_console", kwargs={"pk": session.pk}),
        "exams:manage_checkin": reverse("exams:manage_checkin", kwargs={"pk": session.pk, "reg_id": reg.pk}),
        "exams:manage_attempt_stills": reverse("exams:manage_attempt_stills",
                                               kwargs={"pk": session.pk, "attempt_id": attempt.pk}),
        "exams:manage_attempt_still_photo": reverse("exams:manage_attempt_still_photo",
                                                    kwargs={"pk": session.pk, "still_id": still.pk}),
        "exams:manage_stats": reverse("exams:manage_stats", kwargs={"pk": session.pk}),
        "exams:manage_stats xlsx": reverse("exams:manage_stats", kwargs={"pk": session.pk}) + "?format=xlsx",
        "exams:manage_practical": reverse("exams:manage_practical", kwargs={"pk": reg.pk}),
        "exams:manage_practical_evidence_file": reverse("exams:manage_practical_evidence_file",
                                                        kwargs={"pk": evidence.pk}),
        "exams:manage_venues": reverse("exams:manage_venues"),
        "exams:manage_marking": reverse("exams:manage_marking"),
        "exams:manage_retraining": reverse("exams:manage_retraining") + "?status=all",
        "exams-api-banks": "/api/v1/exams/banks/",
        "exams-api-bank-questions": f"/api/v1/exams/banks/{testing_bank.code}/questions/",
        "exams-api-bank-questions training": f"/api/v1/exams/banks/{training_bank.code}/questions/",
        "exams-api-attempts": "/api/v1/exams/attempts/",
    }
    gets["exams:manage_mark"] = reverse("exams:manage_mark", kwargs={"answer_id": essay_answer.pk})
    from exams.models import ExamApplication

    application = ExamApplication.objects.create(
        person=candidate, applied_by=candidate, centre=centre, session=session, certificate_kind=special_kind,
        operation_item=session.operation_item)
    gets.update({
        "exams:my_applications": reverse("exams:my_applications"), "exams:apply": reverse("exams:apply"),
        "exams:batch_apply": reverse("exams:batch_apply"),
        "exams:application": reverse("exams:application", kwargs={"pk": application.pk}),
        "exams:manage_applications": reverse("exams:manage_applications"),
        "exams:manage_application": reverse("exams:manage_application", kwargs={"pk": application.pk}),
    })
    item = AttemptItem.objects.filter(attempt=attempt).first()
    from django.utils import timezone

    from exams.models import RetrainingRequirement

    retraining = RetrainingRequirement.objects.create(
        candidate=candidate, certificate_kind=special_kind, operation_item=session.operation_item,
        failed_attempt=attempt, required_since=timezone.localdate())
    posts = {
        "exams:manage_retraining_complete": reverse("exams:manage_retraining_complete", kwargs={"pk": retraining.pk}),
        "exams:manage_question_retire": reverse("exams:manage_question_retire", kwargs={"code": testing_bank.code, "pk": q.pk}),
        "exams:manage_registration_cancel": reverse("exams:manage_registration_cancel", kwargs={"pk": reg.pk}),
        "exams:manage_practical_confirm": reverse("exams:manage_practical_confirm", kwargs={"pk": reg.pk}),
        "exams:manage_practical_evidence": reverse("exams:manage_practical_evidence", kwargs={"pk": reg.pk}),
        "exams:manage_prepare_papers": reverse("exams:manage_prepare_papers", kwargs={"pk": session.pk}),
        "exams:manage_extend": reverse("exams:manage_extend", kwargs={"pk": session.pk, "attempt_id": attempt.pk}),
        "exams:manage_force_submit": reverse("exams:manage_force_submit", kwargs={"pk": session.pk, "attempt_id": attempt.pk}),
        "exams:start": reverse("exams:start", kwargs={"registration_id": reg.pk}),
        "exams:submit": reverse("exams:submit", kwargs={"pk": attempt.pk}),
        "exams:autosave": reverse("exams:autosave", kwargs={"pk": attempt.pk, "item_id": item.pk}),
        "exams:attempt_still": reverse("exams:attempt_still", kwargs={"pk": attempt.pk}),
        "exams-api-answer": f"/api/v1/exams/attempts/{attempt.pk}/answers/",
        "exams:application_withdraw": reverse("exams:application_withdraw", kwargs={"pk": application.pk}),
    }
    secrets = [(s, a) for s, a in Question.objects.filter(bank=testing_bank).values_list("stem", "explanation")]
    generic = {reverse(n) for n in ("exams:manage", "exams:manage_import_template", "exams:manage_blueprints",
                                    "exams:manage_blueprint_add", "exams:manage_sessions",
                                    "exams:manage_session_create", "exams:manage_marking",
                                    "exams:manage_applications", "exams:manage_venues")}
    generic.add(reverse("exams:manage_retraining") + "?status=all")
    return {"urls": list(gets.values()), "posts": list(posts.values()), "names": {n.split(" ")[0] for n in gets} |
            set(posts), "generic": generic, "instructor_generic": {reverse("exams:manage_import_template")}, "secrets": secrets, "attempt": attempt, "testing_bank": testing_bank}


# exams URLs the matrix does not call, each with the reason
EXEMPT = {
    "exams:manage_checkin_photo": "a candidate's identity photo for the session's proctors; covered by test_checkin",
    "exams:notebook_remove": "removes an entry of the caller's own wrong-answer notebook (training banks only)",
    "exams:mock_start": "starts a mock exam drawn from a training bank; covered by test_candidate_pages",
}


def _names(patterns, namespace="") -> set[str]:
    out = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
            out |= _names(p.url_patterns, inner)
        elif isinstance(p, URLPattern) and p.name:
            out.add(namespace + p.name)
    return out


def test_every_exams_url_is_in_the_matrix_or_exempt(world):
    """A new exams page or endpoint joins the matrix (or EXEMPT, with its reason) the day it is added."""
    names = {n for n in _names(get_resolver().url_patterns) if n.startswith(("exams:", "exams-api-"))}
    assert names, "no exams URLs found"
    assert names - world["names"] - set(EXEMPT) == set()
    assert set(EXEMPT) <= names  # no stale exemption


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
        # Other centres' staff have a back office of their own, but nothing of this centre's;
        # instructors reach the bank pages of their own institution's training banks only.
        generic = (world["generic"] if key.startswith("other_centre")
                   else world["instructor_generic"] if key == "instructor" else set())
        if "/manage/" in url and url not in generic:
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
