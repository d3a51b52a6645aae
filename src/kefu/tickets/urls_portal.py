from django.urls import path

from . import views_portal as views

# Mounted in the "portal" namespace together with intake.urls_portal (signup, new) by kefu.urls.
urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/<int:pk>/", views.ticket, name="ticket"),
    path("tickets/<int:pk>/reply/", views.reply, name="reply"),
    path("tickets/<int:pk>/status/", views.change_status, name="status"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("password/", views.password, name="password"),
    path("notices/", views.notice_settings, name="notice_settings"),
    path("t/<str:token>/", views.ticket_link, name="ticket_link"),
]
