"""Who may sit an exam session: the check point other apps answer.

Exams asks; an app that knows something about the candidate answers by registering a check in its
``AppConfig.ready()`` (courses: "the session's required course is completed"), so exams imports
none of them. A check takes the session and the candidate and returns the problems it finds, as
sentences for the examiner (an empty list when it finds none)::

    from exams import eligibility
    eligibility.register(eligibility.REQUIRED_COURSE, required_course_problems)

Warnings are the same idea for what does not bar a registration but the examiner should know
(certificates: "already holds a valid certificate for this operation item"). A warning check takes
the session and a list of candidates and returns ``{candidate id: [sentences]}``, so a page lists
the warnings of a whole session in one query::

    eligibility.register_warning("valid_certificate", holders_of_valid_certificates)
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

WarningCheck = Callable[[object, list], dict[int, list[str]]]

_CHECKS: dict[str, Check] = {}
_WARNINGS: dict[str, WarningCheck] = {}

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
def register_warning(name: str, check: WarningCheck) -> None:
    """Add (or replace) the warning check called ``name``."""
    _WARNINGS[name] = check


def warnings_for(*, session, candidates) -> dict[int, list[str]]:
    """What the examiner should know about these candidates of the session (no refusal):
    ``{candidate id: [sentences]}``, candidates without warnings left out."""
    candidates = list(candidates)
    found: dict[int, list[str]] = {}
    if not candidates:
        return found
    for check in list(_WARNINGS.values()):
        for candidate_id, sentences in check(session, candidates).items():
            if sentences:
                found.setdefault(candidate_id, []).extend(sentences)
    return found


def warnings(*, session, candidate) -> list[str]:
    """The warnings for one candidate of the session."""
    return warnings_for(session=session, candidates=[candidate]).get(candidate.pk, [])
