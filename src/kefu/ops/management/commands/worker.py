from django.core.management.base import BaseCommand

from kefu.celery import all_queues, app


class Command(BaseCommand):
    help = "Run a background worker (Celery). Start as many as needed; tasks are safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--concurrency", type=int, default=None, help="worker processes/threads")
        parser.add_argument("--pool", default=None, help="prefork (default), solo, threads…")
        parser.add_argument("--loglevel", default="info")
        parser.add_argument("--beat", action="store_true", help="also run the scheduler (one node only)")
        parser.add_argument(
            "-Q",
            "--queues",
            default="",
            help=(
                "comma-separated queues to consume (default: all, i.e. "
                f"{','.join(all_queues())}); production runs the webhooks queue on workers of its own: "
                "`kefu worker -Q celery` and `kefu worker -Q webhooks --pool threads --concurrency 8`"
            ),
        )
        parser.add_argument("-n", "--hostname", default="", help="node name, e.g. webhooks@%%h")

    def handle(self, *args, concurrency, pool, loglevel, beat, queues, hostname, **options):
        argv = ["worker", "--loglevel", loglevel, "--queues", queues or ",".join(all_queues())]
        if concurrency:
            argv += ["--concurrency", str(concurrency)]
        if pool:
            argv += ["--pool", pool]
        if hostname:
            argv += ["--hostname", hostname]
        if beat:
            argv.append("--beat")
        app.worker_main(argv)
