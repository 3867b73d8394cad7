"""The nightly rate snapshot: every project's and department's figures of a year as of a day.

Built for province scale (20,000 projects, 2,000,000 payments): the figures come from
`selectors.year_figures` (five queries; the payments summed once), the rates from the pure rules
of `rates.py`, and the rows are written with one multi-row upsert per batch
(`INSERT … ON CONFLICT DO UPDATE`, the same statement on SQLite and PostgreSQL) instead of
model instances: building 20,000 instances cost more than the whole aggregate. Only new and
changed rows are sent; unchanged rows keep their `computed_at`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .bulk import upsert_rows
from .models import DepartmentRateSnapshot, ProjectRateSnapshot
from .rates import (
    BudgetFigures,
    adjustment_rate,
    carryover_rate,
    execution_rate,
    execution_warning,
    round_half_up,
    time_progress,
)
from .selectors import WarningThresholds, warning_thresholds, year_figures

# Snapshot rate columns are numeric(24, 10): keep 10 decimals, and store a rate too large for
# the column (a budget of a few fen against real spending) as null rather than fail the run.
SNAPSHOT_RATE_PLACES = 10
SNAPSHOT_RATE_LIMIT = Decimal("1e14")
# Stale snapshot rows deleted per statement.
BATCH = 500

FIGURE_FIELDS = (
    "initial",
    "adjusted",
    "executed",
    "execution_rate",
    "adjustment_rate",
    "carryover_rate",
    "warning",
)
DEPARTMENT_FIELDS = (*FIGURE_FIELDS, "three_public_control_rate", "procurement_execution_rate")


@dataclass(frozen=True)
class SnapshotResult:
    """What one recompute did: rows computed, written and left alone, and its duration."""

    as_of: date
    projects: int
    departments: int
    created: int
    updated: int
    unchanged: int
    deleted: int
    seconds: float

    def summary(self) -> str:
        return (
            f"computed {self.projects} projects and {self.departments} departments"
            f" as of {self.as_of.isoformat()} in {self.seconds:.2f}s"
        )


def snapshot_rate(rate: Decimal | None) -> Decimal | None:
    """A rate as a snapshot column keeps it: 10 decimals half-up, null when out of range."""
    if rate is None or rate.copy_abs() >= SNAPSHOT_RATE_LIMIT:
        return None
    return round_half_up(rate, SNAPSHOT_RATE_PLACES)


def figure_values(
    figures: BudgetFigures, progress: Decimal, thresholds: WarningThresholds
) -> tuple:
    """The FIGURE_FIELDS of one snapshot row, in that order."""
    executed = execution_rate(figures.executed, figures.adjusted)
    warning = execution_warning(
        executed,
        progress,
        green_fraction=thresholds.green_fraction,
        yellow_fraction=thresholds.yellow_fraction,
    )
    return (
        figures.initial,
        figures.adjusted,
        figures.executed,
        snapshot_rate(executed),
        snapshot_rate(adjustment_rate(figures.adjusted, figures.initial, figures.policy)),
        snapshot_rate(carryover_rate(figures.adjusted, figures.executed)),
        warning or "",
    )


def rates_snapshot_save(*, as_of: date) -> SnapshotResult:
    """Snapshot every project's and department's figures of the as-of year (idempotent)."""
    started = time.monotonic()
    year = as_of.year
    progress = time_progress(as_of)
    thresholds = warning_thresholds()
    figures = year_figures(year, as_of)
    projects = {pk: figure_values(f, progress, thresholds) for pk, f in figures.projects.items()}
    departments = {
        pk: (
            *figure_values(f.budget, progress, thresholds),
            snapshot_rate(f.three_public_control_rate),
            snapshot_rate(f.procurement_execution_rate),
        )
        for pk, f in figures.departments.items()
    }
    with transaction.atomic():
        project_counts = _upsert(
            ProjectRateSnapshot,
            "project_id",
            FIGURE_FIELDS,
            {"as_of": as_of},
            projects,
            ProjectRateSnapshot.objects.filter(as_of=as_of, project__year=year),
        )
        department_counts = _upsert(
            DepartmentRateSnapshot,
            "department_id",
            DEPARTMENT_FIELDS,
            {"year": year, "as_of": as_of},
            departments,
            DepartmentRateSnapshot.objects.filter(as_of=as_of, year=year),
        )
    created, updated, unchanged, deleted = (
        a + b for a, b in zip(project_counts, department_counts, strict=True)
    )
    return SnapshotResult(
        as_of=as_of,
        projects=len(projects),
        departments=len(departments),
        created=created,
        updated=updated,
        unchanged=unchanged,
        deleted=deleted,
        seconds=time.monotonic() - started,
    )


def _upsert(
    model, key: str, fields: tuple[str, ...], fixed: dict, incoming: dict[int, tuple], existing
) -> tuple[int, int, int, int]:
    """Insert the new rows, update the changed ones, delete the stale; (created, updated,
    unchanged, deleted)."""
    current = {row[0]: row[1:] for row in existing.values_list(key, "pk", *fields)}
    new = [owner for owner in incoming if owner not in current]
    changed = [
        owner for owner, row in current.items() if owner in incoming and row[1:] != incoming[owner]
    ]
    _write(model, key, fields, fixed, [(owner, incoming[owner]) for owner in new + changed])
    # Owners that no longer have figures of the year (e.g. a department left without any).
    stale = [row[0] for owner, row in current.items() if owner not in incoming]
    for start in range(0, len(stale), BATCH):
        model.objects.filter(pk__in=stale[start : start + BATCH]).delete()
    unchanged = len(incoming) - len(new) - len(changed)
    return len(new), len(changed), unchanged, len(stale)


def _write(model, key: str, fields, fixed: dict, rows: list[tuple[int, tuple]]) -> None:
    """One upsert per batch: a concurrent run that inserted the same keys first is updated
    instead of failing the night's pass."""
    now = timezone.now()
    upsert_rows(
        model,
        [key, *fixed, *fields, "computed_at"],
        [[owner, *fixed.values(), *values, now] for owner, values in rows],
        [key, *fixed],
    )
