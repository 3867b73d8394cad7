"""python manage.py open_round --year YYYY --stage 运行监控|绩效自评 --as-of DATE --deadline DATE"""

from __future__ import annotations

from datetime import date

from django.core.management.base import CommandError

from budgets.management.base import OperatorCommand
from tracking.choices import Stage
from tracking.services import WorkflowError, round_open


def parse_day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{option} must be a date YYYY-MM-DD, got {text!r}") from exc


class Command(OperatorCommand):
    help = "Open a monitoring or self-evaluation round (idempotent); prints the round's id."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--stage", required=True, help="运行监控 | 绩效自评")
        parser.add_argument("--as-of", dest="as_of", required=True)
        parser.add_argument("--deadline", required=True)

    def handle(self, *args, **options):
        stage = options["stage"].strip()
        if stage not in Stage.values:
            raise CommandError(f"--stage must be 运行监控 or 绩效自评, got {stage!r}")
        as_of = parse_day("--as-of", options["as_of"])
        deadline = parse_day("--deadline", options["deadline"])
        try:
            round_, _ = round_open(
                year=options["year"], stage=stage, as_of=as_of, deadline=deadline
            )
        except WorkflowError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(round_.pk))
