from django.urls import path

app_name = "contact"
urlpatterns: list = []
