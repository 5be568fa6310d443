from django.contrib import admin

from .models import Campaign, CampaignTarget, ReportingUnit, ReportTemplate, RollupBuild


@admin.register(ReportingUnit)
class ReportingUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    autocomplete_fields = ["members"]


@admin.register(ReportTemplate)
class ReportTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "version", "frequency", "due_day", "effective_from"]


class CampaignTargetInline(admin.TabularInline):
    model = CampaignTarget
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "start_date", "end_date", "template"]
    inlines = [CampaignTargetInline]


@admin.register(RollupBuild)
class RollupBuildAdmin(admin.ModelAdmin):
    """The daily roll-ups (read only: they are rebuilt, never edited)."""

    list_display = ["day", "built_at", "seconds"]
    readonly_fields = ["day", "built_at", "periods", "seconds"]
    exclude = ["labels"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
