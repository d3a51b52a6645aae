"""Admin pages: department settings (calendar, lead, sync times), task and milestone kinds with
their targets and reply templates, delay causes, approval rules."""

from django.contrib import admin

from . import models


@admin.register(models.DepartmentSettings)
class DepartmentSettingsAdmin(admin.ModelAdmin):
    list_display = ("department", "lead", "weekdays", "day_start", "day_end", "sync_times")


@admin.register(models.TaskKind)
class TaskKindAdmin(admin.ModelAdmin):
    list_display = ("department", "name", "target_minutes")


@admin.register(models.MilestoneKind)
class MilestoneKindAdmin(admin.ModelAdmin):
    list_display = ("department", "name", "order", "target_minutes")


@admin.register(models.DelayCause)
class DelayCauseAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "active")


@admin.register(models.ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    list_display = ("kind", "min_amount", "approver")
