from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("培训课程")

    def ready(self) -> None:
        from core.navigation import NavItem, register
        from accounts.roles import ENTERPRISE_MANAGERS, LEARNER_ROLES, Role

        from exams import eligibility

        from . import signals
        from .selectors import course_choices_for_exams, required_course_problems, study_hours_problems

        signals.connect_guards()
        eligibility.register(eligibility.REQUIRED_COURSE, required_course_problems)
        eligibility.register(eligibility.STUDY_HOURS, study_hours_problems)
        eligibility.register_course_choices(course_choices_for_exams)

        register(NavItem("courses:my_courses", _("我的课程"), roles=frozenset(LEARNER_ROLES), order=20))
        register(NavItem("courses:enterprise", _("培训进度"), roles=frozenset(ENTERPRISE_MANAGERS), order=45))
        register(NavItem("courses:offline_sessions", _("线下培训"), roles=frozenset({Role.INSTRUCTOR}), order=47))
