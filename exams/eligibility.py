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
from django.utils.translation import gettext_lazy

from accounts.roles import Role
from accounts.selectors import has_role

Check = Callable[[object, object], list[str]]

REQUIRED_COURSE = "required_course"
STUDY_HOURS = "study_hours"

_CHECKS: dict[str, Check] = {}

# Who may register a candidate whom the checks find ineligible (破格), with a recorded reason: the
# certificate officer of the session's centre (the person answerable for the qualification), or the
# platform superuser. The make-up rules are not lifted by an override.
OVERRIDE_ROLES = (Role.CERT_OFFICER,)
SUPERUSER = "superuser"


def override_role(actor, session) -> str:
    """The role in which ``actor`` may override eligibility for ``session`` ("" when they may not)."""
    if getattr(actor, "is_superuser", False):
        return SUPERUSER
    for role in OVERRIDE_ROLES:
        if has_role(actor, role, organization=session.centre_id):
            return str(role)
    return ""


def override_role_label(code: str) -> str:
    if code == SUPERUSER:
        return str(gettext_lazy("平台管理员"))
    return str(Role(code).label) if code in Role.values else code


def register(name: str, check: Check) -> None:
    """Add (or replace) the check called ``name``."""
    _CHECKS[name] = check


CourseChoices = Callable[[], list[tuple[str, str]]]
_course_choices: CourseChoices | None = None


def register_course_choices(provider: CourseChoices) -> None:
    """The app that knows the courses gives the list a session's required course is picked from:
    ``provider()`` returns ``[(code, label), …]``; exams stores the code."""
    global _course_choices
    _course_choices = provider


def course_choices() -> list[tuple[str, str]] | None:
    """The courses a session may require, or None when no app answers."""
    return None if _course_choices is None else list(_course_choices())


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
