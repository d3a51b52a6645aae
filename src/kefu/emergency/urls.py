"""Agent pages of the emergency app, mounted under /agent/emergency/ (see kefu/urls.py)."""

from django.urls import path

from . import views

app_name = "emergency"
urlpatterns = [
    path("", views.plans, name="plans"),
    path("new/", views.edit_plan, name="new"),
    path("<int:pk>/", views.plan_page, name="plan"),
    path("<int:pk>/edit/", views.edit_plan, name="edit"),
    path("<int:pk>/activate/", views.activate, name="activate"),
    path("activations/<int:pk>/", views.activation_page, name="activation"),
    path("activations/<int:pk>/step/", views.tick_step, name="step"),
    path("activations/<int:pk>/broadcast/", views.broadcast, name="broadcast"),
    path("activations/<int:pk>/resolve/", views.resolve, name="resolve"),
]
