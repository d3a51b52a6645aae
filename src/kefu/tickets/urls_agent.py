from django.urls import path

app_name = "agent"
urlpatterns: list = []
