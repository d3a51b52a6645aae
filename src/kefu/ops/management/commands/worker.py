from django.core.management.base import BaseCommand

from kefu.celery import app


class Command(BaseCommand):
    help = "Run a background worker (Celery). Start as many as needed; tasks are safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--concurrency", type=int, default=None, help="worker processes/threads")
        parser.add_argument("--pool", default=None, help="prefork (default), solo, threads…")
        parser.add_argument("--loglevel", default="info")
        parser.add_argument("--beat", action="store_true", help="also run the scheduler (one node only)")

    def handle(self, *args, concurrency, pool, loglevel, beat, **options):
        argv = ["worker", "--loglevel", loglevel]
        if concurrency:
            argv += ["--concurrency", str(concurrency)]
        if pool:
            argv += ["--pool", pool]
        if beat:
            argv.append("--beat")
        app.worker_main(argv)
