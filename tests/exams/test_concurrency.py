"""50 start requests at once → one attempt; also with papers prepared ahead of time.

(Transactional tests live in this file only: they flush the database when they end, and a file
mixing them with ordinary tests would run them in the middle of a worker's run.)

On PostgreSQL the requests run in 50 threads with their own connections against committed data
(transactional test); the registration row lock and the partial unique index decide the race.
SQLite serialises writers and its in-memory test database cannot be shared between threads, so there
the same 50 calls run one after another.
"""

import threading

import pytest
from django.db import connection, connections

from core.models import AuditLog
from exams import services
from exams.models import Attempt, AttemptItem


def _start_concurrently(n: int, registration, candidate) -> list[int]:
    """n starts of the same registration at once (threads released together on PostgreSQL; one
    after another on SQLite, which serialises writers anyway); the attempt ids they returned."""
    results, errors = [], []
    if connection.vendor == "postgresql":
        barrier = threading.Barrier(n)

        def worker():
            try:
                barrier.wait(timeout=30)
                results.append(services.attempt_start(user=candidate, registration=registration).pk)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    else:
        for _ in range(n):
            results.append(services.attempt_start(user=candidate, registration=registration).pk)
    assert not errors, errors
    assert len(results) == n
    return results


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_starts_make_one_attempt(registration, candidate):
    results = _start_concurrently(50, registration, candidate)
    assert len(set(results)) == 1
    assert Attempt.objects.filter(registration=registration).count() == 1
    assert AttemptItem.objects.filter(attempt_id=results[0]).count() == 25


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_claim_one_prepared_paper(registration, candidate, session):
    services.papers_prepare(session=session)
    paper = Attempt.all_objects.get(registration=registration)
    results = _start_concurrently(30, registration, candidate)
    assert set(results) == {paper.pk}
    assert Attempt.all_objects.filter(registration=registration).count() == 1
    assert AuditLog.objects.filter(action="attempt.start").count() == 1


@pytest.mark.django_db(transaction=True)
def test_preparing_while_candidates_start_gives_each_one_open_attempt(session, candidates):
    """The beat job may still run when the first candidates press start: registrations being
    started are skipped, the others get a paper they then claim; never two open attempts."""
    errors, started = [], []
    if connection.vendor == "postgresql":
        barrier = threading.Barrier(len(candidates) + 1)

        def run(fn):
            try:
                barrier.wait(timeout=30)
                fn()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                connections.close_all()

        jobs = [lambda: services.papers_prepare(session=session)] + [
            (lambda r=r: started.append(services.attempt_start(user=r.candidate, registration=r).pk)) for r in candidates]
        threads = [threading.Thread(target=run, args=(fn,)) for fn in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    else:
        services.papers_prepare(session=session)
        started = [services.attempt_start(user=r.candidate, registration=r).pk for r in candidates]
    assert not errors, errors
    assert len(set(started)) == len(candidates)
    for r in candidates:
        assert Attempt.objects.filter(registration=r, status=Attempt.Status.IN_PROGRESS).count() == 1
    # whatever was prepared and not claimed stays invisible; a second run adds nothing for started ones
    assert services.papers_prepare(session=session) == 0
