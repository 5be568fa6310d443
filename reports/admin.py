from django.contrib import admin

from .models import Campaign, CampaignTarget, ReportingUnit, ReportTemplate


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
