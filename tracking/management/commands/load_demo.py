"""python manage.py load_demo — the demo data `make run` loads, and the demo users."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from budgets.management.base import OperatorCommand
from tracking.demo import load_demo


class Command(OperatorCommand):
    help = "Load the demo data (idempotent) and print the demo users with their passwords."

    def add_arguments(self, parser):
        parser.add_argument(
            "--samples",
            default=str(Path(settings.BASE_DIR) / "demo"),
            help="folder holding the sample workbooks (*.xlsx)",
        )

    def handle(self, *args, **options):
        report = load_demo(Path(options["samples"]))
        for line in report.lines:
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write("演示账号（用户名 / 密码 / 角色）：")
        for username, password, role in report.users:
            self.stdout.write(f"  {username:<16} {password:<18} {role}")
