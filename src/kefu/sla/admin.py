from django.contrib import admin

from .models import BusinessCalendar, PolicyTarget, SlaPolicy, SlaTimer


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "tz", "statutory", "is_default", "team", "channel")


class PolicyTargetInline(admin.TabularInline):
    model = PolicyTarget
    extra = 0


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "active", "calendar")
    inlines = [PolicyTargetInline]


@admin.register(SlaTimer)
class SlaTimerAdmin(admin.ModelAdmin):
    list_display = ("ticket", "metric", "state", "due_at", "breached_at", "met_at")
    list_filter = ("state", "metric")
    raw_id_fields = ("ticket",)
    readonly_fields = [f.name for f in SlaTimer._meta.fields]
