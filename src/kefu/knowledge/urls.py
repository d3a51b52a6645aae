"""Staff pages of the knowledge app, mounted under /agent/kb/ (namespace "kb")."""

from django.urls import path

from . import views_agent as views

app_name = "kb"
urlpatterns = [
    path("", views.article_list, name="list"),
    path("new/", views.article_new, name="new"),
    path("gaps/", views.gap_report, name="gaps"),
    path("gaps/draft/", views.gap_draft, name="gap_draft"),
    path("articles/<int:pk>/", views.article_detail, name="article"),
    path("articles/<int:pk>/edit/", views.article_edit, name="edit"),
    path("articles/<int:pk>/files/", views.file_upload, name="file_upload"),
    path("articles/<int:pk>/files/<int:file_pk>/delete/", views.file_delete, name="file_delete"),
    path("articles/<int:pk>/transition/", views.article_transition, name="transition"),
    path("articles/<int:pk>/versions/<int:number>/restore/", views.article_restore, name="restore"),
    path("articles/<int:pk>/helped/<int:ticket_pk>/", views.article_helped, name="helped"),
    path("tickets/<int:ticket_pk>/case/", views.case_from_ticket, name="case_from_ticket"),
]
