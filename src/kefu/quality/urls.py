"""Agent pages of the quality app, mounted under /agent/quality/ (see kefu/urls.py)."""

from django.urls import path

from . import views

app_name = "quality"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("start/", views.start, name="start"),
    path("reviews/<int:pk>/", views.review, name="review"),
    path("reviews/<int:pk>/save/", views.save, name="save"),
    path("reviews/<int:pk>/comment/", views.comment, name="comment"),
    path("reviews/<int:pk>/coaching/", views.coaching, name="coaching"),
    path("reviews/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("reviews/<int:pk>/dispute/", views.dispute, name="dispute"),
    path("mine/", views.mine, name="mine"),
    path("disputes/", views.disputes, name="disputes"),
    path("disputes/<int:pk>/settle/", views.settle, name="settle"),
    path("scorecards/", views.scorecards, name="scorecards"),
    path("scorecards/new/", views.scorecard_edit, name="scorecard_new"),
    path("scorecards/<int:pk>/", views.scorecard_edit, name="scorecard_edit"),
    path("standard/", views.standard, name="standard"),
    path("calibration/", views.calibrations, name="calibrations"),
    path("calibration/<int:pk>/", views.calibration, name="calibration"),
    path("calibration/<int:pk>/score/", views.calibration_score, name="calibration_score"),
]
