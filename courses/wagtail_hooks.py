"""Back office for courses in Wagtail: courses with their lessons (study-hour requirements: catalogue)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from accounts.roles import Role

from .models import Course, InspectionThreshold


class CourseForm(WagtailAdminModelForm):
    audience = forms.MultipleChoiceField(label=_("面向角色"), required=False, choices=Role.choices,
                                         widget=forms.CheckboxSelectMultiple)


class CourseViewSet(SnippetViewSet):
    model = Course
    icon = "doc-full"
    menu_label = _("课程")
    list_display = ["title", "code", "required_hours", "is_mandatory", "is_published"]
    list_filter = ["kind", "is_mandatory", "is_published"]
    search_fields = ["title", "code"]
    edit_handler = ObjectList([
        MultiFieldPanel([FieldPanel("code"), FieldPanel("title"), FieldPanel("summary"), FieldPanel("provider"),
                         FieldPanel("is_published")], heading=_("基本信息")),
        MultiFieldPanel([FieldPanel("kind"), FieldPanel("requirement"),
                         FieldRowPanel([FieldPanel("required_hours"), FieldPanel("minutes_per_hour")]),
                         FieldRowPanel([FieldPanel("is_mandatory"), FieldPanel("renewal_months")]),
                         FieldPanel("prerequisites")], heading=_("学时与要求")),
        MultiFieldPanel([FieldPanel("audience"), FieldPanel("industries"), FieldPanel("hazard_tags")],
                        heading=_("适用对象")),
        MultiFieldPanel([FieldPanel("practice_banks"),
                         FieldRowPanel([FieldPanel("practice_min_answered"), FieldPanel("practice_min_rate")])],
                        heading=_("课程练习（仅培训题库）")),
        InlinePanel("lessons", heading=_("课时"), label=_("课时"), panels=[
            FieldPanel("title"), FieldPanel("body"), FieldRowPanel([FieldPanel("min_minutes"), FieldPanel("cap_minutes")]),
            FieldPanel("video"), FieldPanel("video_url"), FieldPanel("clauses"), FieldPanel("pages"),
        ]),
    ], base_form_class=CourseForm)


class InspectionThresholdViewSet(SnippetViewSet):
    """The bureau's thresholds marking a training institution for inspection (courses.evidence)."""

    model = InspectionThreshold
    icon = "warning"
    menu_label = _("培训机构检查阈值")
    list_display = ["effective_from", "max_anomaly_rate", "max_check_failure_rate", "min_theory_pass_rate",
                    "min_practical_pass_rate"]
    panels = [FieldPanel(f) for f in ("max_anomaly_rate", "max_check_failure_rate", "min_theory_pass_rate",
                                      "min_practical_pass_rate", "effective_from", "basis")]


class CoursesGroup(SnippetViewSetGroup):
    items = (CourseViewSet, InspectionThresholdViewSet)
    menu_icon = "doc-full"
    menu_label = _("培训课程")
    menu_name = "courses"


register_snippet(CoursesGroup)
