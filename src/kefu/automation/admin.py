from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import display, services, webhooks
from .errors import ValidationFailed
from .models import CannedReply, Macro, TimeRule, Trigger, TriggerRun, Webhook, WebhookDelivery


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "language", "owner", "active", "usage_count")
    list_filter = ("language", "active", "category")
    search_fields = ("title", "body")


@admin.register(TriggerRun)
class TriggerRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "trigger", "ticket_id", "event_id", "depth", "status", "reason")
    list_filter = ("status",)
    readonly_fields = [f.name for f in TriggerRun._meta.fields]


def _actions(rule) -> str:
    return "、".join(display.action_label(a) for a in rule.actions)


@admin.register(Trigger)
class TriggerAdmin(admin.ModelAdmin):
    list_display = ("name", "event", "actions_shown", "position", "active")
    list_filter = ("event", "active")

    @admin.display(description=_("actions"))
    def actions_shown(self, rule: Trigger) -> str:
        return _actions(rule)


@admin.register(TimeRule)
class TimeRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "waits", "actions_shown", "position", "active")

    @admin.display(description=_("after"), ordering="minutes")
    def waits(self, rule: TimeRule) -> str:
        return display.duration(rule.minutes)

    @admin.display(description=_("actions"))
    def actions_shown(self, rule: TimeRule) -> str:
        return _actions(rule)


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "position", "active")


class WebhookAdminForm(forms.ModelForm):
    """The admin's webhook form runs the same validation as the API and the agent pages
    (`services.check_webhook`): same refusals, same messages."""

    # Plain text fields: the one validation below decides, not Django's URL validator first.
    url = forms.CharField(label="URL", max_length=2000)
    secret = forms.CharField(
        label=Webhook._meta.get_field("secret").verbose_name,
        max_length=2000,
        required=False,
        help_text=webhooks.SECRET_HELP,
    )

    class Meta:
        model = Webhook
        fields = ("name", "url", "secret", "active")

    def clean(self):
        data = super().clean()
        if "url" not in data:
            return data
        secret = data.get("secret") or None
        if secret is None and not (self.instance and self.instance.pk):
            secret = webhooks.new_secret()  # a new webhook left blank gets a random secret
        try:
            data["url"], checked = services.check_webhook(url=data["url"], secret=secret)
        except ValidationFailed as err:
            self.add_error(err.field if err.field in self.fields else None, err.message)
            return data
        data["secret"] = checked if checked is not None else self.instance.secret
        return data


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookAdminForm
    list_display = ("name", "url", "active", "consecutive_failures", "circuit_open_until", "last_error")
    readonly_fields = ("consecutive_failures", "circuit_open_until", "last_error")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "webhook", "delivery_id", "state", "attempts", "last_status", "last_error")
    list_filter = ("state",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
