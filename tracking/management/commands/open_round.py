"""python manage.py open_round --year YYYY --stage 运行监控|绩效自评 --as-of DATE --deadline DATE
[--division CODE]"""

from __future__ import annotations

from datetime import date

from django.core.management.base import CommandError

from budgets import divisions
from budgets.management.base import OperatorCommand
from budgets.models import Division
from tracking.choices import Stage
from tracking.services import WorkflowError, rounds_open

UNKNOWN_DIVISION = "区划编码“{code}”不存在（请先导入该区划的部门或项目）"


def parse_day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{option} must be a date YYYY-MM-DD, got {text!r}") from exc


def parse_division(text: str) -> Division:
    code = text.strip()
    if not divisions.is_code(code):
        raise CommandError(divisions.BAD_CODE.format(code=code))
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise CommandError(UNKNOWN_DIVISION.format(code=code))
    return division


class Command(OperatorCommand):
    help = (
        "Open a monitoring or self-evaluation round (idempotent) for one 区划 (--division), "
        "else for every 区划 with projects that year; prints the id of each round opened or "
        "moved, one per line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--stage", required=True, help="运行监控 | 绩效自评")
        parser.add_argument("--as-of", dest="as_of", required=True)
        parser.add_argument("--deadline", required=True)
        parser.add_argument(
            "--division", help="区划编码 (6 digits); default: every 区划 with projects that year"
        )

    def handle(self, *args, **options):
        stage = options["stage"].strip()
        if stage not in Stage.values:
            raise CommandError(f"--stage must be 运行监控 or 绩效自评, got {stage!r}")
        as_of = parse_day("--as-of", options["as_of"])
        deadline = parse_day("--deadline", options["deadline"])
        division = None
        if options.get("division") is not None:
            division = parse_division(options["division"])
        try:
            opened = rounds_open(
                year=options["year"],
                stage=stage,
                as_of=as_of,
                deadline=deadline,
                division=division,
            )
        except WorkflowError as exc:
            raise CommandError(str(exc)) from exc
        for round_, _ in opened:
            self.stdout.write(str(round_.pk))
