"""Portal pages that belong to intake; mounted in the "portal" namespace by kefu.urls."""

from django.urls import path

from . import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/confirm/<str:token>/", views.signup_confirm, name="signup_confirm"),
    path("new/", views.new_request, name="new"),
]
