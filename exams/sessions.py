"""The sign-in session an attempt is answered from.

An exam day's commonest request is a choice click's autosave. Signing its sender in the ordinary
way reads the session and then the user (from the cache, or two queries), and only then can the
answer be written: one more round trip, to the database. When the page was opened by a request
Django had signed in as the candidate, that request's session key is bound to the attempt (only
its SHA-256 is stored, ``Attempt.save_session``). A later click presenting the same session cookie
is then written by one statement that checks everything the sign-in would have and the save
needs: the session row still exists and has not expired (signing out, or signing in again,
deletes or replaces it), the attempt is bound to that very session, its owner is active, and
everything the save itself checks (``services.answer_choice_by_session``).

Whatever that statement does not write (no binding yet, another session, a signed-out or
deactivated candidate, a session engine without a table) goes through the ordinary sign-in and
the two-step save, which decide with their reasons. Any save of the user row (a password change,
deactivation, the last-login stamp at every sign-in) drops the bindings of the user's open
attempts, so a session that Django itself would no longer accept — one from before a password
change — is never let through by this path; the next page opened binds again.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_save

# Engines that keep every session as a row of django_session, which the statement can check.
_TABLE_ENGINES = ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db")


def uses_table() -> bool:
    return settings.SESSION_ENGINE in _TABLE_ENGINES


def enabled() -> bool:
    """Sessions kept in their table and answers written to PostgreSQL or SQLite (whose statement
    covers the plainest click, as its ordinary one-statement save does): where the statement runs."""
    from django.db import connections, router

    from .models import Answer

    return uses_table() and connections[router.db_for_write(Answer)].vendor in ("postgresql", "sqlite")


def digest(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


def cookie_key(request) -> str | None:
    """The session key the request presents (checked by the statement, never trusted here)."""
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    return key if key and 8 <= len(key) <= 40 and key.isalnum() else None


def bind(request, attempt) -> None:
    """Bind the open ``attempt`` to the session of ``request``, which Django signed in as its owner."""
    from .models import Attempt

    key = request.session.session_key if enabled() else None
    if not key or attempt.user_id != request.user.pk:
        return
    value = digest(key)
    if attempt.save_session != value:
        Attempt.objects.filter(pk=attempt.pk, user_id=request.user.pk, status=Attempt.Status.IN_PROGRESS) \
            .update(save_session=value)
        attempt.save_session = value


def bind_by_id(request, attempt_id: int) -> None:
    """As ``bind``, for an attempt known by its id (the two-step save wrote for this candidate)."""
    from .models import Attempt

    key = request.session.session_key if enabled() else None
    if key:
        value = digest(key)
        Attempt.objects.filter(pk=attempt_id, user_id=request.user.pk, status=Attempt.Status.IN_PROGRESS) \
            .exclude(save_session=value).update(save_session=value)


def forget_bindings(sender, instance, created=False, raw=False, **kwargs) -> None:
    if created or raw:
        return
    from .models import Attempt

    Attempt.objects.filter(user_id=instance.pk, status=Attempt.Status.IN_PROGRESS).exclude(save_session="") \
        .update(save_session="")


post_save.connect(forget_bindings, sender=get_user_model(), dispatch_uid="exams.sessions.user_saved")
