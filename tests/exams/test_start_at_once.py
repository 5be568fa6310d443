"""Starting a prepared paper in one statement (services.attempt_start_at_once, PostgreSQL): it must
write exactly what attempt_start writes, and write nothing whenever any of attempt_start's checks
does not hold (the view then takes the ordinary path, which decides and says why).

(Transactional tests, in a file of their own: the statement refuses to run inside a caller's
transaction, so it is only reached against committed data.)
"""

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection, connections
from django.utils import timezone

from core.models import AuditLog
from accounts.roles import Role
from exams import services
from exams.models import Attempt, QuestionBank, Registration

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pg():
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement start is PostgreSQL's (CI's PostgreSQL pass runs this); "
                    "test_sqlite_always_takes_the_ordinary_path covers SQLite")


def _at_once(candidate, registration, ip="127.0.0.1"):
    return services.attempt_start_at_once(user=candidate, registration_id=registration.pk, ip=ip)


def _audit(attempt_id):
    entry = AuditLog.objects.get(action="attempt.start", target_id=str(attempt_id))
    return {"actor": entry.actor_id, "actor_repr": entry.actor_repr, "type": entry.target_type_id,
            "repr": entry.target_repr, "before": entry.before, "after": entry.after, "reason": entry.reason,
            "ip": entry.ip}


def test_sqlite_always_takes_the_ordinary_path(session, registration, candidate):
    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL the statement runs: the other tests of this file")
    services.papers_prepare(session=session)
    assert _at_once(candidate, registration) is None
    assert Attempt.all_objects.get(registration=registration).status == Attempt.Status.PREPARED


def test_claims_exactly_what_the_ordinary_path_claims(pg, session, candidates):
    services.papers_prepare(session=session)
    fast_reg, slow_reg = candidates[0], candidates[1]
    paper = Attempt.all_objects.get(registration=fast_reg)
    before = timezone.now()
    fast_id = _at_once(fast_reg.candidate, fast_reg)
    slow = services.attempt_start(user=slow_reg.candidate, registration=slow_reg, ip="127.0.0.1")
    fast = Attempt.objects.get(pk=fast_id)
    assert fast_id == paper.pk and fast.started_at >= before
    for attr in ("status", "number", "pass_mark", "client_ip", "mode", "bank_id", "blueprint_id", "max_score",
                 "pool_token"):
        if attr == "pool_token":
            assert fast.pool_token == paper.pool_token
            continue
        assert getattr(fast, attr) == getattr(slow, attr), attr
    assert fast.deadline == min(fast.started_at + dt.timedelta(minutes=session.blueprint.duration_minutes),
                                session.ends_at)
    a, b = _audit(fast.pk), _audit(slow.pk)
    assert a["repr"] == str(fast) and b["repr"] == str(slow)
    assert a["actor"] == fast_reg.candidate_id and a["actor_repr"] == fast_reg.candidate.username
    for key in ("type", "before", "after", "reason", "ip"):
        assert a[key] == b[key], key
    assert a["after"] == {"number": 1, "ip": "127.0.0.1", "prepared": True}


def _decline(case, session, registration, candidate, make_member):
    """Make one of attempt_start's checks fail; the candidate and ip to press start with."""
    ip = "127.0.0.1"
    if case == "someone else's registration":
        candidate = make_member(Role.WORKER, identity_verified=True)
    elif case == "cancelled":
        Registration.objects.filter(pk=registration.pk).update(status=Registration.Status.CANCELLED)
    elif case == "not open yet":
        session.starts_at = timezone.now() + dt.timedelta(minutes=10)
        session.save()
    elif case == "closed":
        session.starts_at, session.ends_at = timezone.now() - dt.timedelta(hours=3), timezone.now() - dt.timedelta(minutes=1)
        session.save()
    elif case == "address ranges":
        session.allowed_ip_ranges = "10.1.2.0/24"
        session.save()
    elif case == "address unreadable":
        ip = "not-an-address"
    elif case == "bank changed":
        QuestionBank.objects.filter(pk=session.blueprint.bank_id).update(pool_token=uuid.uuid4())
    elif case == "no attempts left":
        type(session.blueprint).objects.filter(pk=session.blueprint_id).update(attempts_allowed=0)
    elif case in ("already passed", "being marked"):
        # the first sitting claims the paper and fails; a make-up paper is prepared; then the first
        # sitting turns out passed (or still being marked)
        earlier = services.attempt_start(user=candidate, registration=registration)
        services.attempt_submit(attempt=earlier)
        assert services.papers_prepare(session=session) == 1
        change = {"passed": True} if case == "already passed" else {"status": Attempt.Status.MARKING, "passed": None}
        Attempt.objects.filter(pk=earlier.pk).update(**change)
    return candidate, ip


CASES = ["someone else's registration", "cancelled", "not open yet", "closed", "address ranges", "address unreadable",
         "bank changed", "no attempts left", "already passed", "being marked"]


@pytest.mark.parametrize("case", CASES)
def test_declines_and_writes_nothing_when_a_check_fails(pg, case, session, registration, candidate, make_member):
    assert services.papers_prepare(session=session) == 1  # a paper ready, then one check made to fail
    presser, ip = _decline(case, session, registration, candidate, make_member)
    assert Attempt.all_objects.filter(registration=registration, status=Attempt.Status.PREPARED).exists()
    attempts_before = set(Attempt.all_objects.values_list("pk", "status", "number"))
    audits_before = AuditLog.objects.filter(action="attempt.start").count()
    assert _at_once(presser, registration, ip=ip) is None
    assert set(Attempt.all_objects.values_list("pk", "status", "number")) == attempts_before
    assert AuditLog.objects.filter(action="attempt.start").count() == audits_before


def test_without_a_prepared_paper_it_declines(pg, registration, candidate):
    assert _at_once(candidate, registration) is None
    assert not Attempt.all_objects.exists()


def test_an_attempt_in_progress_is_resumed_by_the_ordinary_path(pg, client, session, registration, candidate):
    services.papers_prepare(session=session)
    paper = Attempt.all_objects.get(registration=registration)
    client.force_login(candidate)
    first = client.post(f"/exams/registrations/{registration.pk}/start/")
    assert first.status_code == 302 and first["Location"] == f"/exams/attempts/{paper.pk}/"
    assert Attempt.objects.get(pk=paper.pk).status == Attempt.Status.IN_PROGRESS
    assert _at_once(candidate, registration) is None  # nothing prepared any more, one in progress
    again = client.post(f"/exams/registrations/{registration.pk}/start/")
    assert again["Location"] == f"/exams/attempts/{paper.pk}/"
    assert AuditLog.objects.filter(action="attempt.start").count() == 1
    assert client.get(f"/exams/attempts/{paper.pk}/q/1/").status_code == 200


def test_the_start_button_is_one_statement(pg, client, session, registration, candidate, django_assert_num_queries):
    from django.contrib.contenttypes.models import ContentType

    services.papers_prepare(session=session)
    client.force_login(candidate)
    client.get("/exams/my/")  # the page with the button: session and user now cached
    ContentType.objects.get_for_model(Attempt)
    with django_assert_num_queries(1):
        r = client.post(f"/exams/registrations/{registration.pk}/start/")
    assert r.status_code == 302 and Attempt.objects.get(registration=registration).status == Attempt.Status.IN_PROGRESS


def test_concurrent_presses_claim_the_paper_once(pg, session, registration, candidate):
    services.papers_prepare(session=session)
    paper = Attempt.all_objects.get(registration=registration)
    n = 12
    barrier, results, errors = threading.Barrier(n), [], []

    def press():
        try:
            barrier.wait(timeout=30)
            results.append(_at_once(candidate, registration))
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sorted(r for r in results if r is not None) == [paper.pk]  # the others go the ordinary way
    assert AuditLog.objects.filter(action="attempt.start").count() == 1
    assert Attempt.objects.get(pk=paper.pk).number == 1
