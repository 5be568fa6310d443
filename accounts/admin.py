from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from core.admin import ReadOnlyAdmin

from .models import (
    HazardTag,
    Industry,
    Invitation,
    Membership,
    Organization,
    PersonOperation,
    ProcessTag,
    Region,
    User,
)


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


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Invitations sent to people added to a roster: whether and when each was used, voided or ran out.
    The code and the link are stored only as hashes, and the hashes are not shown."""

    list_display = ["user", "organization", "channel", "created_at", "expires_at", "used_at", "voided_at", "attempts"]
    list_filter = ["channel", ("used_at", admin.EmptyFieldListFilter), ("voided_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "user__real_name", "organization__name"]
    list_select_related = ["user", "organization"]
    date_hierarchy = "created_at"
    fields = ["user", "organization", "channel", "created_by", "created_at", "expires_at", "used_at", "voided_at",
              "attempts"]


@admin.register(PersonOperation)
class PersonOperationAdmin(ReadOnlyAdmin):
    """Which operation items (特种作业) each person does at which enterprise, as the roster records it."""

    list_display = ["user", "organization", "operation_item", "created_at"]
    list_filter = ["operation_item__category"]
    search_fields = ["user__username", "user__real_name", "organization__name", "operation_item__name"]
    list_select_related = ["user", "organization", "operation_item"]
    fields = ["user", "organization", "operation_item", "created_at"]
