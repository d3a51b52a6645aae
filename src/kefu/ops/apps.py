from django.apps import AppConfig


class OpsConfig(AppConfig):
    """The shell's own commands (up, demo, seed, createadmin): they sit above every app."""

    name = "kefu.ops"
    label = "ops"
    verbose_name = "kefu operations"
