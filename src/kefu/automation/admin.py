from django.contrib import admin

from .models import CannedReply, Macro, TimeRule, Trigger, TriggerRun, Webhook, WebhookDelivery


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "language", "owner", "active", "usage_count")
    list_filter = ("language", "active", "category")
    search_fields = ("title", "body")


@admin.register(Trigger)
class TriggerAdmin(admin.ModelAdmin):
    list_display = ("name", "event", "position", "active")
    list_filter = ("event", "active")


@admin.register(TriggerRun)
class TriggerRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "trigger", "ticket_id", "event_id", "depth", "status", "reason")
    list_filter = ("status",)
    readonly_fields = [f.name for f in TriggerRun._meta.fields]


@admin.register(TimeRule)
class TimeRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "minutes", "position", "active")


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "position", "active")


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "active", "consecutive_failures", "circuit_open_until", "last_error")
    readonly_fields = ("consecutive_failures", "circuit_open_until", "last_error")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "webhook", "delivery_id", "state", "attempts", "last_status", "last_error")
    list_filter = ("state",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
