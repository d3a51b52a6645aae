from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from kefu.core.admin_support import ReadOnlyAdmin

from .models import AccessSettings, ApiToken, AuditEntry, Department, Skill, Team, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "email", "role", "department", "is_active", "last_login")
    list_filter = ("role", "is_active", "teams", "department")
    search_fields = ("username", "display_name", "email")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("kefu"),
            {"fields": ("role", "display_name", "language", "teams", "department", "skills", "seniority")},
        ),
    )
    filter_horizontal = ("teams", "skills", "groups", "user_permissions")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "lead")
    search_fields = ("name",)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(AccessSettings)
class AccessSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "agents_see_all")

    def has_add_permission(self, request):
        return not AccessSettings.objects.exists()


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "token_hash", "created_at", "last_used_at")
    list_filter = ("revoked_at",)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor", "action", "summary", "row_count", "ip")
    list_filter = ("action",)
    search_fields = ("summary", "actor__username")
    date_hierarchy = "created_at"
