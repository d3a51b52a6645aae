import uvicorn
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web app and API over ASGI (uvicorn). Run several behind a load balancer in production."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
        parser.add_argument("--log-level", default="info")
        parser.add_argument("--no-access-log", action="store_true")

    def handle(self, *args, host, port, workers, log_level, no_access_log, **options):
        uvicorn.run(
            "kefu.asgi:application",
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            access_log=not no_access_log,
            lifespan="off",
            proxy_headers=True,
        )
