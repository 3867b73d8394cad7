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
        parser.add_argument(
            "--department",
            help="部门编码, or 区划编码/部门编码 when codes repeat (required for 单位经办人)",
        )
        parser.add_argument(
            "--division",
            help="a 财政局审核人's 区划 (GB/T 2260); without it the reviewer covers every 区划",
        )
        parser.add_argument(
            "--with-subordinates",
            dest="with_subordinates",
            action="store_true",
            help="the reviewer also covers every 区划 below --division (含下级)",
        )
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
                division_code=options["division"],
                with_subordinates=options["with_subordinates"],
                email=options["email"],
                password=password,
                name=options["name"],
            )
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        action = "created" if created else "updated"
        scope = ""
        if user.division is not None:
            below = "，含下级" if user.with_subordinates else ""
            scope = f", 区划 {user.division.code} {user.division.name}{below}"
        elif user.department is not None:
            scope = f", 部门 {user.department.ref} {user.department.name}"
        self.stdout.write(f"{action} user {user.username} ({user.get_role_display()}{scope})")
        if not options["password"]:
            self.stdout.write(f"password: {password}")
