from django.apps import AppConfig


class ShellConfig(AppConfig):
    """What wraps every page: the base layout, navigation by role, the home page, the error pages, and the
    commands that assemble every app (the generator)."""

    name = "haven.shell"
