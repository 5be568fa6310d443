"""Papers frozen ahead of time (提前组卷): prepared by the session, invisible and not counted until
started, claimed by “start”, discarded when stale or when the registration is cancelled."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from core.models import AuditLog
from accounts.roles import OrgKind, Role
from exams import selectors, services, stats, tasks
from exams.models import Answer, Attempt, AttemptItem, Question
from tests.factories import OrganizationFactory


def _paper(attempt_id):
    return list(AttemptItem.objects.filter(attempt_id=attempt_id).order_by("position")
                .values_list("position", "question_id", "option_order", "points"))


def test_preparing_is_idempotent_and_audited_once_per_run(session, candidates, examiner):
    assert services.papers_prepare(session=session, actor=examiner) == 3
    assert services.papers_prepare(session=session, actor=examiner) == 0
    prepared = Attempt.all_objects.filter(registration__session=session, status=Attempt.Status.PREPARED)
    assert prepared.count() == 3 and {a.registration_id for a in prepared} == {r.pk for r in candidates}
    for a in prepared:
        assert a.number == 0 and len(_paper(a.pk)) == 25 and a.max_score == 100
        assert a.pool_token == session.blueprint.bank.__class__.objects.get(pk=a.bank_id).pool_token
    assert len({tuple(q for _p, q, _o, _pt in _paper(a.pk)) for a in prepared}) == 3  # papers differ
    entries = AuditLog.objects.filter(action="exam_session.papers_prepare")
    assert entries.count() == 1 and entries.get().after["prepared"] == 3
    assert not AuditLog.objects.filter(action="attempt.start").exists()


def test_prepared_paper_is_invisible_and_counts_as_no_attempt(client, session, registration, candidate, examiner):
    services.papers_prepare(session=session)
    paper = Attempt.all_objects.get(registration=registration)
    item = AttemptItem.objects.filter(attempt=paper).select_related("question").first()
    stems = list(AttemptItem.objects.filter(attempt=paper).values_list("question__stem", flat=True))
    # no query of the product sees it
    assert not Attempt.objects.filter(pk=paper.pk).exists()
    assert not registration.attempts.exists() and not session.blueprint.attempts.exists()
    assert not selectors.my_attempts(candidate).exists()
    assert not selectors.attempts_in_session(examiner, session).exists()
    assert stats.item_statistics(session)["candidates"] == 0
    assert registration.theory_passed_attempt is None and not selectors.qualified_registrations(examiner).exists()
    # no URL or API shows its questions
    client.force_login(candidate)
    page = client.get("/exams/my/").content.decode()
    assert "开始考试" in page and "开始补考" not in page
    for url in (f"/exams/attempts/{paper.pk}/", f"/exams/attempts/{paper.pk}/q/1/",
                f"/exams/attempts/{paper.pk}/overview/", f"/exams/attempts/{paper.pk}/result/"):
        assert client.get(url).status_code == 404, url
    r = client.post(f"/exams/attempts/{paper.pk}/items/{item.pk}/save/", {"choice": "A"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 404
    assert client.post(f"/exams/attempts/{paper.pk}/submit/", {"confirm": "yes"}).status_code == 404
    api = client.get("/api/v1/exams/attempts/")
    data = api.json()
    assert api.status_code == 200 and not (data if isinstance(data, list) else data.get("results"))
    r = client.post(f"/api/v1/exams/attempts/{paper.pk}/answers/", {"item": item.pk, "response": "A"},
                    content_type="application/json")
    assert r.status_code == 404
    assert not Answer.objects.filter(attempt=paper).exists()
    bodies = page + api.content.decode() + r.content.decode()
    assert not any(stem in bodies for stem in stems)
    # the proctor console lists nobody
    client.force_login(examiner)
    console = client.get(reverse("exams:manage_console", kwargs={"pk": session.pk})).content.decode()
    assert f"/console/{paper.pk}/" not in console
    assert "已备卷（待开考）" not in console


def test_start_claims_the_prepared_paper_with_few_queries(client, session, registration, candidate,
                                                          django_assert_max_num_queries):
    services.papers_prepare(session=session)
    paper = Attempt.all_objects.get(registration=registration)
    frozen = _paper(paper.pk)
    client.force_login(candidate)
    client.get("/exams/my/")  # warm the session
    ContentType.objects.get_for_model(Attempt)  # cached per process in production
    before = timezone.now()
    # registration, lock, its attempts, earlier sittings, UPDATE, audit (+ savepoint and release under
    # the test transaction)
    with django_assert_max_num_queries(9):
        r = client.post(f"/exams/registrations/{registration.pk}/start/")
    assert r.status_code == 302 and r["Location"] == f"/exams/attempts/{paper.pk}/"
    attempt = Attempt.objects.get(registration=registration)
    assert attempt.pk == paper.pk and attempt.status == Attempt.Status.IN_PROGRESS and attempt.number == 1
    assert attempt.started_at >= before and attempt.client_ip == "127.0.0.1"
    assert attempt.deadline == min(attempt.started_at + dt.timedelta(minutes=60), session.ends_at)
    assert _paper(attempt.pk) == frozen  # same questions, same order, same option order
    entry = AuditLog.objects.get(action="attempt.start")
    assert entry.target_id == str(attempt.pk) and entry.after["prepared"] is True
    # pressing again resumes it
    assert client.post(f"/exams/registrations/{registration.pk}/start/")["Location"] == f"/exams/attempts/{paper.pk}/"
    page = client.get(f"/exams/attempts/{paper.pk}/q/1/")
    assert page.status_code == 200
    assert Question.objects.get(pk=frozen[0][1]).stem in page.content.decode()


def test_stale_prepared_paper_is_discarded_and_drawn_afresh(session, registration, candidate, examiner):
    services.papers_prepare(session=session)
    paper = Attempt.all_objects.get(registration=registration)
    retired = Question.objects.get(pk=_paper(paper.pk)[0][1])
    services.question_retire(actor=examiner, question=retired, reason="表述有误")
    assert services.papers_prepare(session=session) == 1  # the run after the change prepares a fresh one
    fresh = Attempt.all_objects.get(registration=registration, status=Attempt.Status.PREPARED)
    assert fresh.pk != paper.pk and retired.pk not in [q for _p, q, _o, _pt in _paper(fresh.pk)]
    services.question_retire(actor=examiner, question=Question.objects.get(pk=_paper(fresh.pk)[1][1]))
    attempt = services.attempt_start(user=candidate, registration=registration)
    assert attempt.pk != fresh.pk and attempt.status == Attempt.Status.IN_PROGRESS
    assert not Attempt.all_objects.filter(status=Attempt.Status.PREPARED).exists()
    assert not AttemptItem.objects.filter(attempt_id__in=[paper.pk, fresh.pk]).exists()
    qids = [q for _p, q, _o, _pt in _paper(attempt.pk)]
    assert len(qids) == 25 and not Question.objects.filter(pk__in=qids, retired_at__isnull=False).exists()
    assert AuditLog.objects.get(action="attempt.start").after["prepared"] is False


def test_editing_the_blueprint_discards_its_prepared_papers(session, registration, centre, testing_bank,
                                                            training_bank, special_kind):
    from tests.exams.conftest import small_sections

    services.papers_prepare(session=session)
    assert Attempt.all_objects.filter(status=Attempt.Status.PREPARED).count() == 1
    services.blueprint_save(actor=None, owner=centre, code="bp-test", name="改", bank=testing_bank,
                            training_bank=training_bank, certificate_kind=special_kind,
                            sections=small_sections(essay=True), duration_minutes=60)
    assert not Attempt.all_objects.filter(status=Attempt.Status.PREPARED).exists()


def test_rules_still_hold_and_a_sat_registration_gets_no_paper(session, registration, candidate):
    first = services.attempt_start(user=candidate, registration=registration)
    assert services.papers_prepare(session=session) == 0  # an open attempt needs no paper
    services.attempt_submit(attempt=first)  # nothing answered: failed
    assert services.papers_prepare(session=session) == 0  # a make-up is another registration
    with pytest.raises(services.ExamError):
        services.attempt_start(user=candidate, registration=registration)
    assert Attempt.objects.filter(registration=registration).count() == 1


def test_prepared_paper_is_not_started_outside_the_window(session, registration, candidate):
    session.starts_at = timezone.now() + dt.timedelta(minutes=30)
    session.save()
    services.papers_prepare(session=session)
    with pytest.raises(services.ExamError):
        services.attempt_start(user=candidate, registration=registration)
    assert Attempt.all_objects.get(registration=registration).status == Attempt.Status.PREPARED
    session.allowed_ip_ranges = "10.1.2.0/24"
    session.starts_at = timezone.now() - dt.timedelta(minutes=1)
    session.save()
    with pytest.raises(services.ExamError):
        services.attempt_start(user=candidate, registration=registration, ip="192.168.0.9")
    attempt = services.attempt_start(user=candidate, registration=registration, ip="10.1.2.7")
    assert attempt.status == Attempt.Status.IN_PROGRESS


def test_cancelling_removes_the_prepared_paper(session, registration, examiner):
    services.papers_prepare(session=session)
    paper = Attempt.all_objects.get(registration=registration)
    services.registration_cancel(actor=examiner, registration=registration, reason="本人申请")
    assert not Attempt.all_objects.filter(pk=paper.pk).exists() and not AttemptItem.objects.filter(attempt_id=paper.pk).exists()
    assert services.papers_prepare(session=session) == 0


def _session_at(examiner, blueprint, special_kind, lv_item, centre, *, opens_in, hours=2, name="场次"):
    now = timezone.now()
    return services.session_create(
        actor=examiner, centre=centre, name=name, blueprint=blueprint, certificate_kind=special_kind,
        operation_item=lv_item, starts_at=now + opens_in, ends_at=now + opens_in + dt.timedelta(hours=hours), seats=10,
        require_check_in=False,
    )


def test_beat_job_picks_sessions_opening_soon(settings, examiner, blueprint, special_kind, lv_item, centre,
                                              make_member, session, registration):
    make = lambda opens_in, **kw: _session_at(examiner, blueprint, special_kind, lv_item, centre,  # noqa: E731
                                              opens_in=opens_in, **kw)
    soon = make(dt.timedelta(minutes=40), name="40 分钟后")
    later = make(dt.timedelta(minutes=90), name="90 分钟后")
    over = make(dt.timedelta(hours=-3), name="已结束")
    empty = make(dt.timedelta(minutes=10), name="无人报名")
    for s in (soon, later, over):
        services.registration_create(actor=examiner, session=s, candidate=make_member(Role.WORKER, identity_verified=True))
    # `session` (open now) has `registration`
    assert services.papers_prepare_due() == [session.pk, soon.pk]  # by opening time
    settings.EXAMS_PREPARE_PAPERS_AHEAD_MINUTES = 120
    assert set(services.papers_prepare_due()) == {session.pk, soon.pk, later.pk}
    assert empty.pk not in services.papers_prepare_due()
    settings.EXAMS_PREPARE_PAPERS_AHEAD_MINUTES = 60
    # the beat task (run eagerly here) prepares those and leaves the others alone
    assert tasks.prepare_papers_due() == 2
    by_session = dict(Attempt.all_objects.filter(status=Attempt.Status.PREPARED)
                      .values_list("registration__session_id", "registration_id"))
    assert set(by_session) == {session.pk, soon.pk}
    # a paper left over from a session that is over is deleted by the next run
    leftover = Attempt.all_objects.get(registration__session=soon)
    soon.starts_at, soon.ends_at = timezone.now() - dt.timedelta(hours=3), timezone.now() - dt.timedelta(hours=1)
    soon.save()
    tasks.prepare_papers_due()
    assert not Attempt.all_objects.filter(pk=leftover.pk).exists()
    assert Attempt.all_objects.filter(registration__session=session, status=Attempt.Status.PREPARED).count() == 1


def test_beat_schedule_lists_the_job():
    from config.celery import collect_beat_schedule

    job = collect_beat_schedule()["exams-prepare-papers-due"]
    assert job["task"] == "exams.prepare_papers_due" and job["schedule"] <= 600


def test_staff_button_prepares_and_shows_the_count(client, session, registration, examiner,
                                                   django_capture_on_commit_callbacks):
    url = reverse("exams:manage_prepare_papers", kwargs={"pk": session.pk})
    page = reverse("exams:manage_session", kwargs={"pk": session.pk})
    client.force_login(examiner)
    assert "已备卷 0 份" in client.get(page).content.decode()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        r = client.post(url)
    assert r.status_code == 302 and len(queued) == 1
    body = client.get(r["Location"]).content.decode()
    assert "已开始提前组卷" in body and "已备卷 1 份" in body
    assert Attempt.all_objects.filter(registration=registration, status=Attempt.Status.PREPARED).count() == 1
    assert AuditLog.objects.get(action="exam_session.papers_prepare").actor == examiner
    assert client.get(url).status_code == 405


@pytest.mark.parametrize("who", ["candidate", "instructor", "enterprise_admin", "other_centre"])
def test_staff_button_refused_to_others(client, session, registration, candidate, make_member, who):
    if who == "candidate":
        user = candidate
    elif who == "instructor":  # training-institution staff
        user = make_member(Role.INSTRUCTOR, org=OrganizationFactory(kind=OrgKind.TRAINING, credit_code=None))
    elif who == "enterprise_admin":
        user = make_member(Role.ENT_ADMIN)
    else:
        user = make_member(Role.ITEM_WRITER, org=OrganizationFactory(kind=OrgKind.EXAM_CENTRE, credit_code=None))
    client.force_login(user)
    r = client.post(reverse("exams:manage_prepare_papers", kwargs={"pk": session.pk}))
    assert r.status_code == 404
    assert not Attempt.all_objects.filter(status=Attempt.Status.PREPARED).exists()


def test_bank_too_small_prepares_nothing_and_the_task_says_why(session, registration, testing_bank, caplog):
    Question.objects.filter(bank=testing_bank, type="truefalse").update(retired_at=timezone.now())
    from exams.pools import bank_touch

    bank_touch(testing_bank.pk)
    with pytest.raises(services.ExamError):
        services.papers_prepare(session=session)
    assert tasks.prepare_session_papers(session.pk) == 0
    assert "not prepared" in caplog.text
    assert not Attempt.all_objects.exists()



@pytest.mark.parametrize("prepare", [True, False])
def test_only_claiming_a_prepared_paper_commits_without_waiting_for_the_disk(session, registration, candidate, prepare):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if prepare:
        services.papers_prepare(session=session)
    with CaptureQueriesContext(connection) as ctx:
        attempt = services.attempt_start(user=candidate, registration=registration)
    assert attempt.status == Attempt.Status.IN_PROGRESS
    asynchronous = [q["sql"] for q in ctx.captured_queries if "synchronous_commit" in q["sql"]]
    # PostgreSQL only, and only for the claim: a freshly drawn paper is written durably
    assert asynchronous == (["SET LOCAL synchronous_commit TO OFF"] if prepare and connection.vendor == "postgresql" else [])
