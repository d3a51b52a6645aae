"""Staff pages of the mail app, mounted under /agent/mail/ (see kefu/urls.py)."""

from django.urls import path

from . import views

app_name = "mail"
urlpatterns = [
    path("failed/", views.failed, name="failed"),
    path("mails/<int:pk>/", views.original, name="original"),
    path("mails/<int:pk>/raw/", views.raw, name="raw"),
    path("mails/<int:pk>/reprocess/", views.reprocess_view, name="reprocess"),
]
