from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("培训课程")

    def ready(self) -> None:
        from core import todo as _todo

        from . import todo

        _todo.register(todo.tasks)
        from core.navigation import NavItem, register
        from accounts.roles import BUREAU_ROLES, ENTERPRISE_MANAGERS, LEARNER_ROLES, Role

        from exams import eligibility

        from . import signals
        from .selectors import course_choices_for_exams, required_course_problems, study_hours_problems

        signals.connect_guards()
        eligibility.register(eligibility.REQUIRED_COURSE, required_course_problems)
        eligibility.register(eligibility.STUDY_HOURS, study_hours_problems)
        eligibility.register_course_choices(course_choices_for_exams)

        from exams.services.applications import register_trainee_source

        from .selectors import trainee_ids

        register_trainee_source(trainee_ids)

        register(NavItem("courses:my_courses", _("我的课程"), roles=frozenset(LEARNER_ROLES), order=20))
        register(NavItem("courses:enterprise", _("培训进度"), roles=frozenset(ENTERPRISE_MANAGERS), order=45))
        register(NavItem("courses:study_checks", _("学习核验审核"), roles=frozenset(BUREAU_ROLES), order=72))
        register(NavItem("courses:evidence", _("培训机构监管证据"), roles=frozenset(BUREAU_ROLES), order=73))
        register(NavItem("courses:offline_sessions", _("线下培训"), roles=frozenset({Role.INSTRUCTOR}), order=47))
        register(NavItem("courses:institution", _("培训机构管理"), roles=frozenset({Role.INSTRUCTOR}), order=46))
        register(NavItem("courses:enterprise_institutions", _("培训机构"), roles=frozenset(ENTERPRISE_MANAGERS),
                         order=46))
