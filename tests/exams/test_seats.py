"""Sessions: seat numbers unique per session even after cancellations (a database constraint);
restoring a cancelled registration re-checks the seats and the eligibility; a full session refuses
with a message."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.roles import Role
from exams import services
from exams.models import Registration


def _people(make_member, n, **kw):
    return [make_member(Role.WORKER, identity_verified=True, **kw) for _ in range(n)]


def test_seats_stay_unique_after_cancellations(session, examiner, make_member):
    people = _people(make_member, 4)
    regs = [services.registration_create(actor=examiner, session=session, candidate=p) for p in people[:3]]
    assert [r.seat for r in regs] == [1, 2, 3]
    services.registration_cancel(actor=examiner, registration=regs[0])
    regs[0].refresh_from_db()
    assert regs[0].seat is None
    fourth = services.registration_create(actor=examiner, session=session, candidate=people[3])
    assert fourth.seat == 1  # the seat given back, never max+1 onto a taken one
    seats = list(Registration.objects.filter(session=session, status="registered").values_list("seat", flat=True))
    assert len(seats) == len(set(seats))


def test_the_database_refuses_a_shared_seat(session, examiner, make_member):
    a, b = _people(make_member, 2)
    services.registration_create(actor=examiner, session=session, candidate=a)
    reg = services.registration_create(actor=examiner, session=session, candidate=b)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.filter(pk=reg.pk).update(seat=1)


def test_a_full_session_refuses_with_a_message(session, examiner, make_member):
    session.seats = 2
    session.save()
    people = _people(make_member, 3)
    for p in people[:2]:
        services.registration_create(actor=examiner, session=session, candidate=p)
    with pytest.raises(ValidationError) as exc:
        services.registration_create(actor=examiner, session=session, candidate=people[2])
    assert "座位已满" in str(exc.value)


def test_restoring_rechecks_seats_and_eligibility(session, examiner, make_member):
    session.seats = 1
    session.save()
    first, second = _people(make_member, 2)
    reg = services.registration_create(actor=examiner, session=session, candidate=first)
    services.registration_cancel(actor=examiner, registration=reg)
    services.registration_create(actor=examiner, session=session, candidate=second)
    with pytest.raises(ValidationError) as exc:  # the seat went to someone else meanwhile
        services.registration_create(actor=examiner, session=session, candidate=first)
    assert "座位已满" in str(exc.value)
    reg.refresh_from_db()
    assert reg.status == "cancelled" and reg.seat is None
    # eligibility is checked again too: identity no longer verified
    session.seats = 5
    session.save()
    first.identity_verified = False
    first.save()
    with pytest.raises(ValidationError) as exc:
        services.registration_create(actor=examiner, session=session, candidate=first)
    assert "身份" in str(exc.value)
    restored = services.registration_create(actor=examiner, session=session, candidate=first, override_reason="现场核验")
    assert restored.pk == reg.pk and restored.status == "registered" and restored.seat == 2
    assert "破格" in restored.eligibility_notes


def test_the_page_says_the_session_is_full(client, session, examiner, make_member):
    session.seats = 1
    session.save()
    a, b = _people(make_member, 2)
    services.registration_create(actor=examiner, session=session, candidate=a)
    client.force_login(examiner)
    r = client.post(f"/exams/manage/sessions/{session.pk}/", {"who": b.username})
    assert r.status_code == 200 and "座位已满" in r.content.decode()
    assert not Registration.objects.filter(session=session, candidate=b).exists()
