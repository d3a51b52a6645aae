"""Agent pages that belong to intake; mounted in the "agent" namespace by kefu.tickets.urls_agent."""

from django.urls import path

from . import views_agent as views

urlpatterns = [
    path("", views.new_ticket, name="new_ticket"),
    path("customers/", views.suggest_customers, name="suggest_customers"),
]
