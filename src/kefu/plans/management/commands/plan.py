"""`kefu plan create --template after-sales-quarterly --period 2026-Q4 [--json]`, `kefu plan show ID`,
`kefu plan export ID --format pdf|docx --out FILE`, `kefu plan templates`."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from kefu.accounts.models import Role, User
from kefu.core.errors import DomainError
from kefu.plans import blueprints


class Command(BaseCommand):
    help = "Work plans: create a draft plan from a template (review pre-filled from the data), or show one."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a draft plan from a built-in template")
        create.add_argument(
            "--template", required=True, help="a built-in template or a saved one (see `kefu plan templates`)"
        )
        create.add_argument(
            "--period", required=True, help="2026, 2026-Q4, 2026-10 or 2026-10-01..2026-12-15"
        )
        create.add_argument("--title", default="")
        create.add_argument(
            "--owner", default="", help="username of the owner (default: the first supervisor)"
        )
        create.add_argument("--json", action="store_true", help="print the plan as one JSON object")
        create.add_argument("--language", default="", help="zh-hans or en (default: KEFU_LANGUAGE)")
        show = sub.add_parser("show", help="print a plan as JSON")
        show.add_argument("id", type=int)
        show.add_argument("--language", default="")
        export = sub.add_parser("export", help="write a plan as PDF or DOCX")
        export.add_argument("id", type=int)
        export.add_argument("--format", required=True, choices=["pdf", "docx"])
        export.add_argument("--out", required=True, help="the file to write")
        export.add_argument("--language", default="")
        listed = sub.add_parser("templates", help="list the built-in and saved templates")
        listed.add_argument("--language", default="")

    def handle(self, *args, **opts):
        language = opts["language"] or settings.LANGUAGE_CODE
        if language not in dict(settings.LANGUAGES):
            raise CommandError(f"--language: one of {', '.join(dict(settings.LANGUAGES))}")
        with translation.override(language):
            if opts["action"] == "export":
                self._export(opts)
                return
            if opts["action"] == "templates":
                from kefu.plans import own_templates

                for key, item in own_templates.all_blueprints().items():
                    self.stdout.write(
                        f"{key}\t{item.title_zh if language.startswith('zh') else item.title_en}"
                    )
                return
            if opts["action"] == "show":
                from kefu.plans.models import Plan

                plan = Plan.objects.filter(pk=opts["id"]).select_related("owner").first()
                if plan is None:
                    raise CommandError(f"No plan {opts['id']}.")
                self.stdout.write(json.dumps(blueprints.describe(plan), ensure_ascii=False, indent=2))
                return
            owner = self._owner(opts["owner"])
            try:
                plan, warnings = blueprints.create_from_template(
                    opts["template"], period=opts["period"], by=owner, title=opts["title"]
                )
            except DomainError as err:
                raise CommandError(err.message) from None
            if opts["json"]:
                body = blueprints.describe(plan)
                body["warnings"] = [str(w) for w in warnings]
                self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
                return
            self.stdout.write(f"Plan {plan.pk}: {plan.title} ({plan.get_state_display()})")
            for w in warnings:
                self.stderr.write(f"warning: {w}")

    def _export(self, opts: dict) -> None:
        from pathlib import Path

        from kefu.plans import export
        from kefu.plans.models import Plan

        plan = Plan.objects.filter(pk=opts["id"]).select_related("owner").first()
        if plan is None:
            raise CommandError(f"No plan {opts['id']}.")
        try:
            data = export.render(plan, opts["format"])
        except DomainError as err:
            raise CommandError(err.message) from None
        out = Path(opts["out"])
        try:
            out.write_bytes(data)
        except OSError as err:
            raise CommandError(f"--out: cannot write {out}: {err.strerror}") from None
        self.stdout.write(f"Plan {plan.pk} written to {out} ({len(data):,} bytes).")

    def _owner(self, username: str) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None or not user.is_agent:
                raise CommandError(f"--owner: no active staff user {username!r}.")
            return user
        user = (
            User.objects.filter(is_active=True, role__in=[Role.SUPERVISOR, Role.ADMIN])
            .order_by("-role", "pk")
            .first()
        )
        if user is None:
            raise CommandError("No supervisor or admin to own the plan; name one with --owner.")
        return user
