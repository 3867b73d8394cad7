"""python manage.py add_user USERNAME --role 单位经办人|财政局审核人|管理员 [...]"""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from budgets.management.base import OperatorCommand
from budgets.models import User
from budgets.services import generate_password, user_save

WEAK_PASSWORD = "密码不符合要求：{problems}"


class Command(OperatorCommand):
    help = "Create or update a user with a role; prints a generated password if none is given."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help="单位经办人 | 财政局审核人 | 管理员")
        parser.add_argument("--department", help="department code (required for 单位经办人)")
        parser.add_argument("--email")
        parser.add_argument("--name", help="the person's name shown in the UI")
        parser.add_argument("--password")

    def handle(self, *args, **options):
        if options["password"]:
            # The admin site and the password forms run the validators; so must the command.
            try:
                validate_password(
                    options["password"],
                    User(username=options["username"].strip(), email=options["email"] or ""),
                )
            except ValidationError as exc:
                raise CommandError(WEAK_PASSWORD.format(problems="；".join(exc.messages))) from exc
        password = options["password"] or generate_password()
        try:
            user, created = user_save(
                username=options["username"],
                role_text=options["role"],
                department_code=options["department"],
                email=options["email"],
                password=password,
                name=options["name"],
            )
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        action = "created" if created else "updated"
        self.stdout.write(f"{action} user {user.username} ({user.get_role_display()})")
        if not options["password"]:
            self.stdout.write(f"password: {password}")
