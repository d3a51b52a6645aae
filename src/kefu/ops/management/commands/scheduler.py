from django.core.management.base import BaseCommand

from kefu.celery import app


class Command(BaseCommand):
    help = "Run the periodic-job scheduler (Celery beat). Run exactly one in production."

    def add_arguments(self, parser):
        parser.add_argument("--loglevel", default="info")

    def handle(self, *args, loglevel, **options):
        app.start(["beat", "--loglevel", loglevel])
