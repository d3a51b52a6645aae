"""Agent pages of the workforce app, mounted under /agent/workforce/ (see kefu/urls.py)."""

from django.urls import path

from . import views

app_name = "workforce"
urlpatterns = [
    path("", views.staffing, name="staffing"),
    path("forecast/", views.run_forecast, name="run_forecast"),
    path("rosters/", views.create_roster, name="create_roster"),
    path("rosters/<int:pk>/", views.roster, name="roster"),
    path("rosters/<int:pk>/shifts/", views.add_shift, name="add_shift"),
    path("rosters/<int:pk>/shifts/<int:entry_id>/remove/", views.remove_shift, name="remove_shift"),
    path("rosters/<int:pk>/shifts/<int:entry_id>/swap/", views.ask_swap, name="ask_swap"),
    path("rosters/<int:pk>/publish/", views.publish, name="publish"),
    path("swaps/<int:swap_id>/", views.decide_swap, name="decide_swap"),
]
