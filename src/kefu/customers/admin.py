from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Customer, Order, Organisation


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


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("order_id", "shop", "customer", "amount", "currency", "ordered_at", "source")
    list_filter = ("source", "currency")
    search_fields = ("order_id", "customer__email", "customer__name")
    raw_id_fields = ("customer",)
    date_hierarchy = "ordered_at"
