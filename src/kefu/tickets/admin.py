"""Admin for the reference data of tickets. Tickets themselves change only through services
(events, versions, search index), so the admin shows them read-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kefu.core.admin_support import ReadOnlyAdmin

from .models import Category, Tag, Ticket


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("__str__", "name_en", "parent")
    search_fields = ("name", "name_en")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("number", "subject", "customer", "status", "priority", "assignee", "team", "updated")
    list_filter = ("status", "priority", "channel", "type")
    search_fields = ("subject",)
    list_select_related = ("customer", "assignee", "team")
    show_full_result_count = False

    @admin.display(description=_("updated"), ordering="updated_at")
    def updated(self, ticket: Ticket):
        return ticket.updated_at
