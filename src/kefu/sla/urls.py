"""Supervisor pages of the sla app, mounted under /agent/sla/ (see kefu/urls.py)."""

from django.urls import path

from . import views

app_name = "sla"
urlpatterns = [
    path("", views.home, name="home"),
    path("calendars/new/", views.calendar_edit, name="calendar_new"),
    path("calendars/<int:pk>/", views.calendar_edit, name="calendar"),
    path("policies/new/", views.policy_edit, name="policy_new"),
    path("policies/<int:pk>/", views.policy_edit, name="policy"),
    path("statutory/<int:year>/", views.statutory_year_edit, name="statutory_year"),
    path("tickets/<int:ticket_id>/panel/", views.ticket_panel_fragment, name="ticket_panel"),
]
