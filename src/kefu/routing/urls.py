"""Staff pages of the routing app, mounted under /agent/routing/ (see kefu/urls.py)."""

from django.urls import path

from . import views

app_name = "routing"
urlpatterns = [
    path("", views.home, name="home"),
    path("settings/", views.save_settings, name="settings"),
    path("keyword-rules/", views.save_keyword_rule, name="keyword_save"),
    path("keyword-rules/<int:pk>/delete/", views.delete_keyword_rule, name="keyword_delete"),
    path("assignment-rules/", views.save_assignment_rule, name="assignment_save"),
    path("assignment-rules/<int:pk>/delete/", views.delete_assignment_rule, name="assignment_delete"),
    path("retrain/", views.retrain, name="retrain"),
    path("agents/<int:pk>/availability/", views.save_availability, name="availability"),
    path("me/presence/", views.save_my_presence, name="my_presence"),
    path("suggestions/<int:pk>/accept/", views.accept_suggestion, name="accept"),
    path("suggestions/<int:pk>/dismiss/", views.dismiss_suggestion, name="dismiss"),
]
