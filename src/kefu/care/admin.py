from django.contrib import admin

from .models import Callback, CareTask, Complaint, CustomerProfile, KeyCustomer, Lead, ReferralReward


@admin.register(CustomerProfile)
class CustomerProfileAdmin(admin.ModelAdmin):
    list_display = ("customer", "birthday", "customer_since")
    raw_id_fields = ("customer",)
    search_fields = ("customer__name", "customer__email")


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    list_display = ("ticket", "period", "reason", "assignee", "outcome", "worked_at")
    list_filter = ("period", "reason", "outcome")
    raw_id_fields = ("ticket", "assignee", "worked_by")


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ("ticket", "customer", "order_ref", "is_repeat", "created_at")
    list_filter = ("is_repeat",)
    raw_id_fields = ("ticket", "customer", "repeat_of")


@admin.register(KeyCustomer)
class KeyCustomerAdmin(admin.ModelAdmin):
    list_display = ("period", "customer", "spend", "top_spender", "complained", "reached_at")
    list_filter = ("period", "top_spender", "complained")
    raw_id_fields = ("customer",)


@admin.register(CareTask)
class CareTaskAdmin(admin.ModelAdmin):
    list_display = ("customer", "period", "kind", "due_on", "assignee", "outcome", "service_matched")
    list_filter = ("period", "kind", "outcome")
    raw_id_fields = ("customer", "key_customer", "assignee", "worked_by")


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ("customer", "source", "agent", "created_at", "converted_at")
    raw_id_fields = ("customer", "ticket", "agent")


@admin.register(ReferralReward)
class ReferralRewardAdmin(admin.ModelAdmin):
    list_display = ("agent", "order", "first", "amount", "created_at")
    list_filter = ("first",)
    raw_id_fields = ("lead", "order", "agent")
