"""python manage.py import_workbook PATH [--dry-run] [--user USERNAME]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from budgets.importer import run_import
from budgets.management.base import OperatorCommand
from budgets.models import User

UNKNOWN_USER = "user {username} does not exist or is inactive"
NO_FILE = "file not found: {path}"


class Command(OperatorCommand):
    help = "Import a workbook (all or nothing); exit 1 with every problem listed when invalid."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--dry-run", action="store_true", help="validate only, write nothing")
        parser.add_argument("--user", help="apply this user's permissions (default: operator)")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(NO_FILE.format(path=path))
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(UNKNOWN_USER.format(username=options["user"]))
        result = run_import(path, user=user, dry_run=options["dry_run"])
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"导入失败：共{len(result.problems)}个问题，未写入任何数据")
        self.stdout.write(result.summary())
