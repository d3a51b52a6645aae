"""Agent pages of the workforce app, mounted under /agent/workforce/ (see kefu/urls.py)."""

app_name = "workforce"
urlpatterns: list = []
