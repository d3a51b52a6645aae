"""Staff pages of the customers app, mounted under /agent/customers/ (see kefu/urls.py)."""

from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("<int:pk>/phone/", views.reveal_phone, name="reveal_phone"),
    path("orders/import/", views.import_orders, name="import_orders"),
]
