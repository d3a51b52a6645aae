"""The public help centre (customers and visitors), mounted at /help/."""

from django.urls import path

from . import views_help

app_name = "help"
urlpatterns = [
    path("", views_help.home, name="home"),
    path("categories/<int:pk>/", views_help.category, name="category"),
    path("articles/<int:pk>/", views_help.article, name="article"),
    path("articles/<int:pk>/feedback", views_help.feedback, name="feedback"),
    path("ask/", views_help.ask, name="ask"),
    path("ask/<int:question_id>/feedback/", views_help.bot_feedback, name="bot_feedback"),
    path("files/<int:pk>/<str:name>", views_help.file, name="file"),
]
