"""Agent pages of the care app, mounted under /agent/care/ (see kefu/urls.py)."""

from django.urls import path

from . import views

app_name = "care"
urlpatterns = [
    path("", views.callbacks, name="callbacks"),
    path("callbacks/<int:pk>/", views.work_callback, name="work_callback"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<int:pk>/", views.work_task, name="work_task"),
    path("referrals/", views.referrals_page, name="referrals"),
    path("referrals.csv", views.referrals_csv, name="referrals_csv"),
]
