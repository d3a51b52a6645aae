"""The REST API (django-ninja): routers from each app's api.py, OpenAPI at /api/docs."""

from ninja import NinjaAPI

api = NinjaAPI(title="kefu API", version="1", urls_namespace="api", docs_url="/docs")
