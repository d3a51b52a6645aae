from django.contrib import admin

from .models import ForecastRun, PromotionDay, ShiftPattern


@admin.register(PromotionDay)
class PromotionDayAdmin(admin.ModelAdmin):
    """Promotion days (618, 双11 …) and their uplift: the forecast multiplies the day by it."""

    list_display = ("name", "on", "uplift", "recurring")


@admin.register(ShiftPattern)
class ShiftPatternAdmin(admin.ModelAdmin):
    list_display = ("name", "start", "end", "break_start", "break_minutes", "channels", "is_active")


@admin.register(ForecastRun)
class ForecastRunAdmin(admin.ModelAdmin):
    list_display = ("night", "state", "first_day", "days", "history", "finished_at")
    readonly_fields = (
        "night",
        "state",
        "first_day",
        "days",
        "weeks",
        "history",
        "started_at",
        "finished_at",
        "error",
    )
