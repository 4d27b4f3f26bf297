"""``manage.py demo_data``: install the demo users, roles and journeys and print the logins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflow_site.demo import demo_data_install


class Command(BaseCommand):
    help = "Create (or refresh) demo users, roles and journeys, and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Install even though DEBUG is off (demo users have well-known passwords).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Demo users have well-known passwords; refusing with DEBUG off. "
                "Pass --force if this really is a demo installation."
            )
        users = demo_data_install()
        self.stdout.write(self.style.SUCCESS("Demo data is installed. Sign in with:"))
        width = max(len(user.username) for user in users)
        for user in users:
            what = "administrator" if user.is_superuser else ", ".join(user.roles) or "manager"
            self.stdout.write(f"  {user.username:<{width}}  {user.password:<12}  {what}")
