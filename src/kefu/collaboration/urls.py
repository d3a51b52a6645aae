"""Agent pages of the collaboration app, mounted under /agent/collab/ (see kefu/urls.py)."""

app_name = "collaboration"
urlpatterns: list = []
