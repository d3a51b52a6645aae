from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Customer, Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "domain", "share_tickets")
    search_fields = ("name", "domain")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "phone", "tier", "organisation", "created")
    list_filter = ("tier",)
    search_fields = ("name", "email", "phone")
    raw_id_fields = ("user", "organisation")

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, customer: Customer):
        return customer.created_at
