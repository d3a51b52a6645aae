"""Agent pages of the collaboration app, mounted under /agent/collab/ (see kefu/urls.py)."""

from django.urls import path

from . import views

app_name = "collaboration"
urlpatterns = [
    path("", views.task_list, name="tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/act/", views.task_action, name="task_action"),
    path("tickets/<int:ticket_pk>/ask/", views.ask, name="ask"),
    path("tickets/<int:ticket_pk>/approval/", views.ask_approval, name="ask_approval"),
    path("approvals/", views.approval_list, name="approvals"),
    path("approvals/<int:pk>/decide/", views.decide, name="decide"),
    path("syncs/", views.sync_list, name="syncs"),
    path("syncs/<int:pk>/", views.sync_detail, name="sync"),
    path("syncs/items/<int:pk>/mark/", views.mark_item, name="mark_item"),
    path("review/", views.review_page, name="review"),
]
