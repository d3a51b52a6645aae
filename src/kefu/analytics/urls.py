"""Analytics pages, mounted under /agent/analytics/ (see kefu/urls.py)."""

from django.urls import path

from . import views, views_wallboard
from .reports import views as report_views

app_name = "analytics"
urlpatterns = [
    path("", views.home, name="home"),
    path("overview/", views.overview, name="overview"),
    path("teams/", views.teams, name="teams"),
    path("teams/<int:pk>/", views.team, name="team"),
    path("me/", views.me, name="me"),
    path("agents/<int:pk>/", views.agent, name="agent"),
    path("wallboard/", views_wallboard.wallboard, name="wallboard"),
    path("wallboard/data/", views_wallboard.wallboard_data, name="wallboard_data"),
    path("report/", report_views.monthly, name="report"),
    path("export/<slug:key>/", report_views.export_metric, name="export_metric"),
    path("export/<slug:key>/tickets/", report_views.export_tickets, name="export_tickets"),
]
