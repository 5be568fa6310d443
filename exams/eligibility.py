"""Who may sit an exam session: the check point other apps answer.

Exams asks; an app that knows something about the candidate answers by registering a check in its
``AppConfig.ready()`` (courses: "the session's required course is completed"), so exams imports
none of them. A check takes the session and the candidate and returns the problems it finds, as
sentences for the examiner (an empty list when it finds none)::

    from exams import eligibility
    eligibility.register(eligibility.REQUIRED_COURSE, required_course_problems)
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

Check = Callable[[object, object], list[str]]

REQUIRED_COURSE = "required_course"

_CHECKS: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    """Add (or replace) the check called ``name``."""
    _CHECKS[name] = check


def problems(*, session, candidate) -> list[str]:
    """Why a candidate may not sit this session (empty when eligible)."""
    found = []
    if session.require_identity_verified and not candidate.identity_verified:
        found.append(_("考生身份尚未核验"))
    if session.required_course_code and REQUIRED_COURSE not in _CHECKS:
        found.append(_("无法核对课程完成情况"))
    for check in list(_CHECKS.values()):
        found.extend(check(session, candidate))
    return found


# Names of the checks the application (报名) page treats apart: their problems cannot be waived.
AGE = "age"
NO_SUSPENSION = "no_suspension"
IDENTITY = "identity"


def problems_by_check(*, session, candidate) -> dict[str, list[str]]:
    """The same problems as ``problems``, by the name of the check that found them (the identity
    requirement under ``IDENTITY``); checks that find nothing are left out."""
    found: dict[str, list[str]] = {}
    if session.require_identity_verified and not candidate.identity_verified:
        found[IDENTITY] = [_("考生身份尚未核验")]
    if session.required_course_code and REQUIRED_COURSE not in _CHECKS:
        found[REQUIRED_COURSE] = [_("无法核对课程完成情况")]
    for name, check in list(_CHECKS.items()):
        hits = check(session, candidate)
        if hits:
            found.setdefault(name, []).extend(hits)
    return found
