"""Agent pages of the quality app, mounted under /agent/quality/ (see kefu/urls.py)."""

app_name = "quality"
urlpatterns: list = []
