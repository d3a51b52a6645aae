"""Staff pages of the automation app, mounted at /agent/automation/ (see kefu/urls.py)."""

from django.urls import path, re_path

from . import views

app_name = "automation"
urlpatterns = [
    path("", views.home, name="home"),
    path("canned/new/", views.canned_edit, name="canned_new"),
    path("canned/search/", views.canned_search, name="canned_search"),
    path("canned/<int:pk>/", views.canned_edit, name="canned_edit"),
    path("canned/<int:pk>/delete/", views.canned_delete, name="canned_delete"),
    path("canned/<int:pk>/used/", views.canned_used, name="canned_used"),
    path("macros/<int:pk>/apply/<int:ticket_pk>/", views.macro_apply, name="macro_apply"),
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/new/", views.webhook_edit, name="webhook_new"),
    path("webhooks/<int:pk>/", views.webhook_edit, name="webhook_edit"),
    re_path(r"^(?P<kind>trigger|time_rule|macro)/$", views.rule_list, name="rules"),
    re_path(r"^(?P<kind>trigger|time_rule|macro)/new/$", views.rule_edit, name="rule_new"),
    re_path(r"^(?P<kind>trigger|time_rule|macro)/(?P<pk>[0-9]{1,9})/$", views.rule_edit, name="rule_edit"),
]
