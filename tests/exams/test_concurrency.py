"""50 start requests at once → one attempt.

On PostgreSQL the requests run in 50 threads with their own connections against committed data
(transactional test); the registration row lock and the partial unique index decide the race.
SQLite serialises writers and its in-memory test database cannot be shared between threads, so there
the same 50 calls run one after another.
"""

import threading

import pytest
from django.db import connection, connections

from exams import services
from exams.models import Attempt, AttemptItem


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_starts_make_one_attempt(registration, candidate):
    results, errors = [], []
    if connection.vendor == "postgresql":
        barrier = threading.Barrier(50)

        def worker():
            try:
                barrier.wait(timeout=30)
                results.append(services.attempt_start(user=candidate, registration=registration).pk)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    else:
        for _ in range(50):
            results.append(services.attempt_start(user=candidate, registration=registration).pk)
    assert not errors, errors
    assert len(results) == 50 and len(set(results)) == 1
    assert Attempt.objects.filter(registration=registration).count() == 1
    assert AttemptItem.objects.filter(attempt_id=results[0]).count() == 25
