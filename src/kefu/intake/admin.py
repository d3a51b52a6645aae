from django.contrib import admin

from .models import RawInbound


@admin.register(RawInbound)
class RawInboundAdmin(admin.ModelAdmin):
    list_display = ("channel", "external_id", "state", "ticket_id", "received_at")
    list_filter = ("channel", "state")
    search_fields = ("external_id",)
    readonly_fields = [f.name for f in RawInbound._meta.fields]

    def has_add_permission(self, request):
        return False
