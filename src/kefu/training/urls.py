"""Agent pages of the training app, mounted under /agent/training/ (see kefu/urls.py)."""

from django.urls import path

from . import views

app_name = "training"
urlpatterns = [
    path("", views.home, name="home"),
    path("courses/<int:pk>/", views.course, name="course"),
    path("courses/<int:pk>/modules/<int:module_id>/done/", views.module_done, name="module_done"),
    path("assessments/<int:pk>/start/", views.start, name="start"),
    path("attempts/<int:pk>/", views.attempt, name="attempt"),
    path("attempts/<int:pk>/submit/", views.submit, name="submit"),
    path("attempts/<int:pk>/mark/", views.mark, name="mark"),
    path("onboarding/<int:pk>/", views.onboarding_page, name="onboarding"),
    path("onboarding/<int:pk>/sign/", views.sign, name="sign"),
    path("onboarding/<int:pk>/feedback/", views.feedback, name="feedback"),
    path("onboarding/<int:pk>/decide/", views.decide, name="decide"),
    path("mentor/", views.mentor_page, name="mentor"),
    path("team/", views.team, name="team"),
    path("team/cases/", views.refresh_cases, name="refresh_cases"),
    path("team/onboarding/", views.start_onboarding, name="start_onboarding"),
    path("team/enrol/", views.enrol, name="enrol"),
    path("scorecard/<int:pk>/", views.scorecard_page, name="scorecard"),
]
