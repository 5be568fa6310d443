"""Wagtail admin: the versioned regulatory catalogue and the study-hour requirements, edited by staff
with the model permissions.

Versions that have ended are read-only (certificates and exams made under them keep their rules);
a new version (e.g. "2026") is created here or copied from the previous one with
``manage.py catalogue_new_version``.
"""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import (
    CertificateKind,
    ExamEntryRule,
    OperationCategory,
    OperationItem,
    PracticalSubject,
    RetirementAgeRule,
    RuleVersion,
    StudyHourRequirement,
    StudyRule,
)


class RuleVersionViewSet(SnippetViewSet):
    model = RuleVersion
    icon = "date"
    menu_label = _("规则版本")
    list_display = ["name", "code", "scope", "effective_from", "effective_until"]
    list_filter = ["scope"]
    search_fields = ["name", "code"]
    panels = [FieldPanel("scope"), FieldPanel("code"), FieldPanel("name"), FieldPanel("document"), FieldPanel("effective_from"),
              FieldPanel("effective_until"), FieldPanel("notes")]


class CategoryViewSet(SnippetViewSet):
    model = OperationCategory
    icon = "folder-open-inverse"
    menu_label = _("作业类别")
    list_display = ["name", "code", "rule_version", "order"]
    list_filter = ["rule_version"]
    search_fields = ["name", "code"]
    panels = [FieldPanel("rule_version"), FieldPanel("code"), FieldPanel("name"), FieldPanel("order")]


class ItemViewSet(SnippetViewSet):
    model = OperationItem
    icon = "list-ul"
    menu_label = _("操作项目")
    list_display = ["name", "code", "category", "real_equipment_required", "is_active"]
    list_filter = ["category__rule_version", "category", "is_active"]
    search_fields = ["name", "code"]
    panels = [FieldPanel("category"), FieldPanel("code"), FieldPanel("name"), FieldPanel("real_equipment_required"),
              FieldPanel("order"), FieldPanel("is_active")]


class KindViewSet(SnippetViewSet):
    model = CertificateKind
    icon = "doc-full-inverse"
    menu_label = _("证书种类")
    list_display = ["name", "code", "rule_version", "validity_months", "review_interval_months"]
    list_filter = ["rule_version", "family"]
    search_fields = ["name", "code"]
    panels = [FieldPanel(f) for f in (
        "rule_version", "code", "family", "name", "validity_months", "review_interval_months", "review_window_days",
        "review_refresher_hours", "theory_pass_mark", "theory_full_mark", "practical_pass_mark", "makeup_attempts",
        "requires_operation_item")]


class PracticalSubjectViewSet(SnippetViewSet):
    model = PracticalSubject
    icon = "tasks"
    menu_label = _("实操考试科目")
    list_display = ["name", "code", "operation_item", "points", "pass_mark"]
    list_filter = ["operation_item__category__rule_version", "code"]
    search_fields = ["name", "operation_item__name"]
    panels = [FieldPanel(f) for f in ("operation_item", "code", "name", "points", "pass_mark", "veto_items", "order")]


class RequirementViewSet(SnippetViewSet):
    model = StudyHourRequirement
    icon = "time"
    menu_label = _("学时要求")
    list_display = ["__str__", "rule_version", "effective_from", "effective_to", "verified"]
    list_filter = ["rule_version", "population", "kind", "high_risk"]


class StudyRuleViewSet(SnippetViewSet):
    model = StudyRule
    icon = "time"
    menu_label = _("网络学习规则")
    list_display = ["region_prefix", "population", "minutes_per_hour", "daily_cap_hours", "check_interval_minutes",
                    "effective_from", "verified"]
    list_filter = ["population", "verified"]
    panels = [FieldPanel("region_prefix"), FieldPanel("population"), FieldPanel("minutes_per_hour"),
              FieldPanel("daily_cap_hours"), FieldPanel("check_at_start"), FieldPanel("check_interval_minutes"),
              FieldPanel("match_threshold"), FieldPanel("retention_years"), FieldPanel("retention_years_special"),
              FieldPanel("effective_from"), FieldPanel("effective_to"), FieldPanel("basis"), FieldPanel("verified")]


class EntryRuleViewSet(SnippetViewSet):
    model = ExamEntryRule
    icon = "tick-inverse"
    menu_label = _("报名条件")
    list_display = ["__str__", "min_age", "min_education", "health_declaration_required"]
    list_filter = ["rule_version"]
    panels = [FieldPanel(f) for f in (
        "rule_version", "category", "min_age", "max_age_is_retirement", "min_education",
        "health_declaration_required", "reapply_after_revocation_months", "note")]


class RetirementViewSet(SnippetViewSet):
    model = RetirementAgeRule
    icon = "user"
    menu_label = _("法定退休年龄")
    list_display = ["label", "gender", "base_age_years", "raise_from_birth", "max_raise_months", "applies"]
    list_filter = ["rule_version", "gender"]
    panels = [FieldPanel(f) for f in (
        "rule_version", "gender", "label", "base_age_years", "raise_from_birth", "months_per_step",
        "max_raise_months", "applies", "document")]


class CatalogueGroup(SnippetViewSetGroup):
    items = (RuleVersionViewSet, CategoryViewSet, ItemViewSet, PracticalSubjectViewSet, KindViewSet, RequirementViewSet,
             EntryRuleViewSet, RetirementViewSet, StudyRuleViewSet)
    menu_icon = "list-ol"
    menu_label = _("特种作业目录")
    menu_name = "catalogue"


register_snippet(CatalogueGroup)
