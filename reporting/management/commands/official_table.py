"""python manage.py official_table 11|12 --year YYYY [--department CODE|区划/CODE]
--output F.xlsx"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from budgets.management.base import OperatorCommand, output_file
from budgets.models import Department
from budgets.params import FIRST_YEAR, LAST_YEAR
from budgets.selectors import department_by_ref
from reporting.selectors import departments_with_data
from reporting.tables import table_11, table_12

YEAR_OUT_OF_RANGE = "年度“{year}”无效，应为{first}—{last}年之间的年份"
UNKNOWN_YEAR = "{year}年度没有任何部门的项目、部门预算或部门整体目标"
WROTE = "已写入 {path}（{sheets}个部门）"

WRITERS = {"11": table_11, "12": table_12}


class Command(OperatorCommand):
    help = (
        "Write 预算11表 (部门（单位）整体绩效目标表) or 预算12表 (部门预算项目绩效目标汇总表) "
        "as xlsx in the documents' layout: one department, or every one, a sheet each."
    )

    def add_arguments(self, parser):
        parser.add_argument("table", choices=sorted(WRITERS), help="11 or 12")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument(
            "--department",
            help="部门编码, or 区划编码/部门编码 when several 区划 have the code; default: all",
        )
        parser.add_argument("--output", required=True, help="the xlsx file to write")

    def handle(self, *args, **options):
        year = options["year"]
        if not FIRST_YEAR <= year <= LAST_YEAR:
            message = YEAR_OUT_OF_RANGE.format(year=year, first=FIRST_YEAR, last=LAST_YEAR)
            raise CommandError(message)
        with_data = departments_with_data(year, Department.objects.all())
        if not with_data:
            raise CommandError(UNKNOWN_YEAR.format(year=year))
        if options["department"] is not None:
            try:
                departments = [department_by_ref(options["department"])]
            except ValidationError as exc:
                raise CommandError("；".join(exc.messages)) from exc
        else:
            departments = with_data
        # A bad path is refused before the table is built; nothing half-written is left.
        with output_file(options["output"]) as target:
            target.write_bytes(WRITERS[options["table"]](year=year, departments=departments))
        self.stdout.write(WROTE.format(path=options["output"], sheets=len(departments)))
