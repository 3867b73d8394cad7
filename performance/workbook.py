"""The performance app's sheet of the workbook: 绩效指标 (read and write)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from budgets.access import STATEMENTS
from budgets.importer import NO_PERMISSION_DEPARTMENT, Column, ImportContext, Row, Sheet
from budgets.workbook import UNKNOWN_PROJECT_ANY_YEAR, ProjectRef, lookups, upsert

from .choices import LEVEL1_NAMES
from .models import Indicator, target_columns
from .values import ValueError_, excel_cell_text, format_decimal, parse_target

INDICATOR = "绩效指标"
UNKNOWN_LEVEL1 = "一级指标“{value}”无效，应为成本指标、产出指标、效益指标或满意度指标"
DUPLICATE_INDICATOR = "三级指标“{name}”在该项目的{level1}中重复（第{row}行已有）"
WEIGHT_NOT_POSITIVE = "权重应为正数，不能是“{value}”"
TARGETS_LOCKED = "项目“{code}”的绩效自评已提交，绩效目标已锁定：不能{what}该指标"
# The fields of an indicator that a row sets (its position is kept when it is corrected).
ROW_FIELDS = ("level2", "raw", "kind", "comparator", "value", "upper", "unit", "weight", "note")
# The parts parsed from 指标值 (raw): the import preview shows 指标值 only.
TARGET_PARTS = ("kind", "comparator", "value", "upper", "unit")


@dataclass
class IndicatorRecord:
    row: int
    year: int
    project_code: str
    level1: str
    level2: str
    name: str
    fields: dict


def declared_indicators(
    ctx: ImportContext,
) -> dict[tuple[int, str], dict[tuple[str, str], Indicator]]:
    """Indicators of this workbook by (year, project code), then (一级指标, 三级指标).

    The 实际完成 sheet validates against them before anything is written (an indicator added
    or corrected in the same workbook wins over the stored one).
    """
    return ctx.cache.setdefault("performance.indicators", {})


def normalize_level1(text: str) -> str:
    """`成本 指标` and `成本` both mean 成本指标."""
    compact = "".join(text.split())
    if compact and not compact.endswith("指标"):
        compact += "指标"
    return compact


class IndicatorSheet(Sheet):
    name = "绩效指标"
    needs_formats = True
    columns = (
        Column("项目编码", True),
        Column("一级指标", True),
        Column("二级指标"),
        Column("三级指标", True),
        Column("指标值", True),
        Column("权重"),
        Column("指标值说明"),
    )

    action = STATEMENTS

    def __init__(self, ctx: ImportContext) -> None:
        super().__init__(ctx)
        self.lookups = lookups(ctx)
        self.seen: dict[tuple, int] = {}
        self.declared = declared_indicators(ctx)
        self.stored: dict[int, dict[tuple[str, str], dict]] = {}

    def _stored(self, project_id: int) -> dict[tuple[str, str], dict]:
        """The stored indicators of a locked project, as the fields a row sets."""
        if project_id not in self.stored:
            self.stored[project_id] = {
                (values["level1"], values["name"]): values
                for values in Indicator.objects.filter(project_id=project_id).values(
                    "level1", "name", *ROW_FIELDS
                )
            }
        return self.stored[project_id]

    def _locked_change(self, project: ProjectRef, level1: str, name: str, fields: dict) -> str:
        """What a row would do to a locked project's targets: "" when it changes nothing."""
        if project.id is None or not project.locked:
            return ""
        stored = self._stored(project.id).get((level1, name))
        if stored is None:
            return "新增"
        if any(stored[field] != fields[field] for field in ROW_FIELDS):
            return "修改"
        return ""

    def parse(self, row: Row) -> IndicatorRecord | None:
        code = row.text("项目编码", required=True, max_length=64)
        level1_text = row.text("一级指标", required=True, max_length=20)
        level2 = row.text("二级指标", max_length=50)
        name = row.text("三级指标", required=True, max_length=200)
        weight = row.decimal("权重", places=3)
        note = row.text("指标值说明", max_length=2000)
        level1 = normalize_level1(level1_text)
        if level1_text and level1 not in LEVEL1_NAMES:
            row.problem("一级指标", UNKNOWN_LEVEL1.format(value=level1_text))
        if weight is not None and weight <= 0:
            row.problem("权重", WEIGHT_NOT_POSITIVE.format(value=row.raw("权重")))
        project = self.lookups.project_any_year(code) if code else None
        if code and project is None:
            row.problem("项目编码", UNKNOWN_PROJECT_ANY_YEAR.format(code=code))
        elif project is not None and not self.ctx.may_change(
            self.lookups.department_id(project.department), STATEMENTS
        ):
            row.problem("项目编码", NO_PERMISSION_DEPARTMENT.format(code=project.department_code))
        target = None
        if project is not None:
            text = excel_cell_text(row.values.get("指标值"), row.formats.get("指标值", ""))
            try:
                target = parse_target(text, project.year)
            except ValueError_ as exc:
                row.problem("指标值", exc.message)
        if not row.ok or project is None or target is None:
            return None
        key = (project.year, code, level1, name)
        if key in self.seen:
            row.problem(
                "三级指标",
                DUPLICATE_INDICATOR.format(name=name, level1=level1, row=self.seen[key]),
            )
            return None
        self.seen[key] = row.number
        fields = {
            "level2": level2,
            **target_columns(target),
            "weight": weight,
            "note": note,
            "position": row.number,
        }
        # A locked project's row may only repeat what is stored (an unchanged export).
        if what := self._locked_change(project, level1, name, fields):
            row.problem("三级指标", TARGETS_LOCKED.format(code=code, what=what))
            return None
        holder = Indicator(project_id=project.id, level1=level1, name=name)
        holder.set_target(target)
        self.declared.setdefault((project.year, code), {})[(level1, name)] = holder
        return IndicatorRecord(row.number, project.year, code, level1, level2, name, fields)

    def write(self, records: list[IndicatorRecord]) -> None:
        project_ids = self.lookups.project_ids({(r.year, r.project_code) for r in records})
        existing = {
            (i.project_id, i.level1, i.name): i
            for i in Indicator.objects.filter(project_id__in=set(project_ids.values()))
        }
        incoming, positions = {}, {}
        for r in records:
            key = (project_ids[(r.year, r.project_code)], r.level1, r.name)
            values = {k: v for k, v in r.fields.items() if k != "position"}
            incoming[key] = {"project_id": key[0], "level1": r.level1, "name": r.name, **values}
            # An indicator that is only being corrected keeps its place in the table.
            positions[key] = {"position": r.fields["position"]}
        upsert(
            self.ctx,
            Indicator,
            INDICATOR,
            existing,
            incoming,
            create_only=positions,
            hidden=TARGET_PARTS,
            instances=False,
        )


def export_rows(
    year: int, projects, as_of: date | None = None
) -> Iterator[tuple[str, list, Iterator[list]]]:
    """The 绩效指标 sheet for the given projects."""
    indicators = (
        Indicator.objects.filter(project__in=projects)
        .select_related("project")
        .order_by("project__department__code", "project__code", "position", "id")
    )

    def weight(value: Decimal | None) -> Decimal | None:
        return None if value is None else Decimal(format_decimal(value))

    yield (
        IndicatorSheet.name,
        [c.name for c in IndicatorSheet.columns],
        (
            [i.project.code, i.level1, i.level2, i.name, i.raw, weight(i.weight), i.note]
            for i in indicators.iterator(chunk_size=5000)
        ),
    )
