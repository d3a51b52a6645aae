"""Analytics pages, mounted under /agent/analytics/ (see kefu/urls.py)."""

app_name = "analytics"
urlpatterns: list = []
