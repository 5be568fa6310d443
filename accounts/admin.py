from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import HazardTag, Industry, Membership, Organization, ProcessTag, Region, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organization"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "real_name", "masked_id_number", "is_active"]
    search_fields = ["username", "real_name"]
    fieldsets = BaseUserAdmin.fieldsets + (("安训", {"fields": ["real_name", "phone", "photo", "identity_verified"]}),)
    # Set only by the identity review (accounts/identity.py), which audits it.
    readonly_fields = ["identity_verified"]
    inlines = [MembershipInline]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "credit_code", "region", "industry"]
    list_filter = ["kind", "industry"]
    search_fields = ["name", "credit_code"]
    filter_horizontal = ["hazard_tags", "process_tags"]


admin.site.register([Region, Industry, HazardTag, ProcessTag])
