"""python manage.py export_workbook --year YYYY --format json|xlsx [--as-of DATE]
[--division CODE] [--output PATH]"""

from __future__ import annotations

import json
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from budgets.export import build_export
from budgets.exporter import write_workbook
from budgets.management.base import OperatorCommand, output_file
from budgets.models import Division
from budgets.selectors import division_by_code


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--as-of must be a date YYYY-MM-DD, got {text!r}") from exc


class Command(OperatorCommand):
    help = "Export a fiscal year as JSON (spec/export-json.md) or as a re-importable workbook."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--format", choices=["json", "xlsx"], required=True)
        parser.add_argument("--as-of", dest="as_of")
        parser.add_argument(
            "--division",
            help="only the departments of this 区划 (GB/T 2260 code), not of the 区划 below it",
        )
        parser.add_argument("--output", help="file to write (json defaults to stdout)")

    def handle(self, *args, **options):
        year = options["year"]
        if not 2000 <= year <= 2100:
            raise CommandError(f"--year must be a fiscal year such as 2024, got {year}")
        as_of = parse_day(options["as_of"]) if options["as_of"] else None
        if as_of and as_of.year != year:
            raise CommandError(f"--as-of {as_of} is not in the fiscal year {year}")
        division = None
        if options["division"] is not None:
            try:
                division = division_by_code(options["division"])
            except ValidationError as exc:
                raise CommandError("；".join(exc.messages)) from exc
        output = options["output"]
        if options["format"] == "xlsx" and not output:
            raise CommandError("--output is required for --format xlsx")
        if not output:
            self.stdout.write(self._json(year, as_of, division))
            return
        # A bad path is refused before the export is built; nothing half-written is left.
        with output_file(output) as target:
            if options["format"] == "json":
                target.write_text(self._json(year, as_of, division) + "\n", encoding="utf-8")
            else:
                write_workbook(target, year=year, as_of=as_of, division=division)
        if options["format"] == "xlsx":
            self.stdout.write(f"wrote {output}")

    def _json(self, year: int, as_of: date | None, division: Division | None) -> str:
        document = build_export(year=year, as_of=as_of, division=division)
        return json.dumps(document, ensure_ascii=False, indent=2)
