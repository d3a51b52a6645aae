"""The `kefu` command: Django's manage.py plus kefu's own commands (up, demo, seed, createadmin…)."""

import ipaddress
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
    ("customers", "kefu.customers"),
    ("orders", "kefu.customers"),
    ("report", "kefu.analytics"),
    ("plan", "kefu.plans"),
    ("staffing", "kefu.workforce"),
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


def trusted_proxies(value: str) -> str:
    """KEFU_TRUSTED_PROXIES ("10.0.0.5, 10.1.0.0/16") checked and written the way uvicorn reads it.

    Raises ValueError naming an entry that is neither an IP address nor a network."""
    entries = [item.strip() for item in value.split(",") if item.strip()]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(
                f"KEFU_TRUSTED_PROXIES: {entry!r} is not an IP address or network (e.g. 10.0.0.5 or 10.1.0.0/16)"
            ) from None
    return ",".join(entries)


def trust_only_configured_proxies() -> None:
    """Only the proxies in KEFU_TRUSTED_PROXIES may say who the client is (FAULTS X4).

    uvicorn believes `X-Forwarded-For` / `X-Forwarded-Proto` from the peers in FORWARDED_ALLOW_IPS,
    127.0.0.1 when unset: any local process (or anything a local reverse proxy passes through
    untouched) could then pick the address that rate limits and the login lockout count. Every
    uvicorn kefu starts (`kefu web`, and `kefu up` through it) reads the list from here, in this
    process and the worker processes it spawns; empty = trust no one, the socket address counts.
    """
    os.environ["FORWARDED_ALLOW_IPS"] = trusted_proxies(os.environ.get("KEFU_TRUSTED_PROXIES", ""))


HELP_FLAGS = ("help", "--help", "-h")


def only_help(argv: list[str]) -> bool:
    """`kefu`, `kefu help [...]`, `kefu --help`, `kefu <command> --help|-h`: print, change nothing."""
    return len(argv) == 1 or argv[1] in HELP_FLAGS or any(arg in ("--help", "-h") for arg in argv[2:])


SUPERVISOR_ENV = "KEFU_SUPERVISOR_PID"  # set for the children of `kefu up`: the pid that started them


def die_with_supervisor() -> None:
    """In a child of `kefu up`: end (SIGTERM) when the supervisor dies, even by SIGKILL (Linux).

    The children run in process groups of their own (see `kefu.ops.embedded.Supervisor`), so
    nothing else would stop them if the supervisor were killed without a chance to stop them."""
    supervisor = os.environ.pop(SUPERVISOR_ENV, "")
    if not supervisor or not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != int(supervisor):  # it died before the line above
        os.kill(os.getpid(), signal.SIGTERM)


def main() -> None:
    die_with_supervisor()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    try:
        trust_only_configured_proxies()
    except ValueError as error:
        sys.exit(str(error))
    argv = sys.argv[:]
    if only_help(argv):
        os.environ["KEFU_HELP_ONLY"] = "1"  # settings: no data folder, no key file (see settings.py)
    from django.core.management import execute_from_command_line

    if len(argv) == 1 or argv[1:] in (["help"], ["--help"], ["-h"]):
        print(usage())
        return
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
