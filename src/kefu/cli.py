"""The `kefu` command: Django's manage.py plus kefu's own commands (up, demo, seed, createadmin…)."""

import os
import sys

# (command, app that holds it), in the order `kefu --help` lists them.
KEFU_COMMANDS = (
    ("up", "kefu.ops"),
    ("demo", "kefu.ops"),
    ("seed", "kefu.ops"),
    ("createadmin", "kefu.ops"),
    ("web", "kefu.ops"),
    ("worker", "kefu.ops"),
    ("scheduler", "kefu.ops"),
    ("mail", "kefu.mail"),
    ("mail-receiver", "kefu.mail"),
    ("kb", "kefu.knowledge"),
    ("triage", "kefu.routing"),
)


def usage() -> str:
    """kefu's own commands first, with one line each; Django's are one `kefu help --commands` away."""
    import django
    from django.core.management import load_command_class

    django.setup()
    lines = [
        "kefu 客服 — open-source customer service platform",
        "",
        "Usage: kefu <command> [options]",
        "",
        "kefu commands:",
    ]
    for name, app in KEFU_COMMANDS:
        lines.append(f"  {name:<14} {load_command_class(app, name).help.splitlines()[0]}")
    lines += [
        "",
        "Quick start:  kefu up        (then open http://127.0.0.1:8000)",
        "Options of a command:        kefu help <command>   (or kefu <command> --help)",
        "Every command incl. Django's (migrate, shell, …): kefu help --commands",
        "Settings come from the environment: KEFU_DATA_DIR, KEFU_DATABASE_URL, KEFU_REDIS_URL, KEFU_SECRET_KEY…",
    ]
    return "\n".join(lines)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    from django.core.management import execute_from_command_line

    argv = sys.argv[:]
    if len(argv) == 1 or argv[1:] in (["help"], ["--help"], ["-h"]):
        print(usage())
        return
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
