import getpass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kefu.accounts.models import Role, User
from kefu.accounts.services import create_user


class Command(BaseCommand):
    help = "Create an administrator (asks for what is not given: --username, --email, --password)."

    def add_arguments(self, parser):
        parser.add_argument("--username")
        parser.add_argument("--email", default=None)
        parser.add_argument("--password", help="avoid on shared machines: it lands in the shell history")
        parser.add_argument("--noinput", "--no-input", action="store_true", help="never prompt")

    def handle(self, *args, username, email, password, noinput, **options):
        def ask(label: str, secret: bool = False) -> str:
            if noinput:
                raise CommandError(f"--{label} is required with --noinput.")
            return (getpass.getpass(f"{label}: ") if secret else input(f"{label}: ")).strip()

        username = (username or ask("username")).strip()
        if not username:
            raise CommandError("A username is required.")
        if User.objects.filter(username=username).exists():
            raise CommandError(f"The user {username!r} already exists.")
        if email is None:
            email = "" if noinput else ask("email")
        if not password:
            password = ask("password", secret=True)
            if not noinput and password != ask("password (again)", secret=True):
                raise CommandError("The passwords do not match.")
        try:
            validate_password(password, User(username=username, email=email))
        except ValidationError as err:
            raise CommandError(" ".join(err.messages))
        user = create_user(username=username, password=password, email=email, role=Role.ADMIN)
        self.stdout.write(self.style.SUCCESS(f"Administrator {user.username} created."))
