"""Agent pages of the emergency app, mounted under /agent/emergency/ (see kefu/urls.py)."""

app_name = "emergency"
urlpatterns: list = []
