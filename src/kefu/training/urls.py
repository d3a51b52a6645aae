"""Agent pages of the training app, mounted under /agent/training/ (see kefu/urls.py)."""

app_name = "training"
urlpatterns: list = []
