from django.contrib import admin

from .models import Customer, Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "domain", "share_tickets")
    search_fields = ("name", "domain")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "phone", "tier", "organisation", "created_at")
    list_filter = ("tier",)
    search_fields = ("name", "email", "phone")
    raw_id_fields = ("user", "organisation")
