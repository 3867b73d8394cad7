"""The floors of the scale benchmark: one SQL query each, the least work that gives a figure.

Each function returns `(sql, params)` in portable SQL (SQLite 3.30+ and PostgreSQL: FILTER,
window functions, CTEs), with `%s` placeholders for Django's cursor. The benchmark (and
bench/urls.py's floor views, which the load run serves through gunicorn) time them next to
the system's own pages and passes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

# Payments and adjustments summed per project as of a date: what every money figure needs.
_SUMS = """
    pay AS (SELECT project_id, SUM(amount) AS s FROM budgets_payment
            WHERE year = %s AND date <= %s AND project_id IS NOT NULL GROUP BY project_id),
    adj AS (SELECT project_id, SUM(amount) AS s FROM budgets_adjustment
            WHERE date <= %s GROUP BY project_id)
"""


def recompute(year: int, as_of: date) -> tuple[str, list]:
    """Executed and adjusted per project of the year: the aggregate a rate snapshot needs."""
    sql = f"""
        WITH {_SUMS}
        SELECT p.id,
               p.initial_budget + COALESCE(p.carryover, 0) + COALESCE(adj.s, 0) AS adjusted,
               COALESCE(pay.s, 0) AS executed
        FROM budgets_project p
        LEFT JOIN pay ON pay.project_id = p.id
        LEFT JOIN adj ON adj.project_id = p.id
        WHERE p.year = %s
    """
    return sql, [year, as_of, as_of, year]


def bureau_home(
    year: int, as_of: date, round_id: int, progress: Decimal, department_id: int | None = None
) -> tuple[str, list]:
    """Per department: its reports in the round by status and last change, its projects'
    adjusted and executed sums and how many carry each execution warning (the status board
    and the execution chart of the bureau's home; `department_id` narrows to one, as the
    department's home does). The round is the home's: `round_id`'s year, stage and as-of date
    in every 区划 (each 区划 has its own round of them)."""
    only = "AND p.department_id = %s" if department_id is not None else ""
    sql = f"""
        WITH {_SUMS},
        fig AS (SELECT p.department_id, r.status, r.updated_at,
                       p.initial_budget + COALESCE(p.carryover, 0) + COALESCE(adj.s, 0)
                         AS adjusted,
                       COALESCE(pay.s, 0) AS executed
                FROM budgets_project p
                LEFT JOIN pay ON pay.project_id = p.id
                LEFT JOIN adj ON adj.project_id = p.id
                LEFT JOIN tracking_report r ON r.project_id = p.id AND r.round_id IN (
                    SELECT x.id FROM tracking_round x JOIN tracking_round y
                      ON y.year = x.year AND y.stage = x.stage AND y.as_of = x.as_of
                    WHERE y.id = %s)
                WHERE p.year = %s {only}),
        rated AS (SELECT *, CASE WHEN adjusted <> 0
                                 THEN CAST(executed AS DOUBLE PRECISION)
                                      / CAST(adjusted AS DOUBLE PRECISION) END AS ratio
                  FROM fig)
        SELECT dv.code, d.code, d.name, COUNT(*), COUNT(status),
               COUNT(*) FILTER (WHERE status = 'draft'),
               COUNT(*) FILTER (WHERE status = 'submitted'),
               COUNT(*) FILTER (WHERE status = 'returned'),
               COUNT(*) FILTER (WHERE status = 'approved'),
               MAX(updated_at), SUM(adjusted), SUM(executed),
               COUNT(*) FILTER (WHERE ratio > 1),
               COUNT(*) FILTER (WHERE ratio <= 1 AND ratio >= %s),
               COUNT(*) FILTER (WHERE ratio < %s AND ratio >= %s),
               COUNT(*) FILTER (WHERE ratio < %s)
        FROM rated
        JOIN budgets_department d ON d.id = rated.department_id
        JOIN budgets_division dv ON dv.id = d.division_id
        GROUP BY dv.code, d.id, d.code, d.name
        ORDER BY dv.code, d.code
    """
    fraction = float(progress) / 100
    green, yellow = 0.8 * fraction, 0.6 * fraction
    params: list = [year, as_of, as_of, round_id, year]
    if department_id is not None:
        params.append(department_id)
    return sql, [*params, green, green, yellow, yellow]


def project_page(year: int, as_of: date, limit: int = 50) -> tuple[str, list]:
    """The first page of the year's projects in list order with their sums, and the count and
    totals over all of them (the project list page and the projects API list)."""
    sql = f"""
        WITH {_SUMS},
        fig AS (SELECT p.id, p.code, p.name, p.type, dv.code AS division_code,
                       d.code AS dcode, d.name AS dname, u.code AS ucode, u.name AS uname,
                       p.initial_budget + COALESCE(p.carryover, 0) AS initial,
                       p.initial_budget + COALESCE(p.carryover, 0) + COALESCE(adj.s, 0)
                         AS adjusted,
                       COALESCE(pay.s, 0) AS executed
                FROM budgets_project p
                JOIN budgets_department d ON d.id = p.department_id
                JOIN budgets_division dv ON dv.id = d.division_id
                JOIN budgets_unit u ON u.id = p.unit_id
                LEFT JOIN pay ON pay.project_id = p.id
                LEFT JOIN adj ON adj.project_id = p.id
                WHERE p.year = %s)
        SELECT fig.*, COUNT(*) OVER (), SUM(initial) OVER (), SUM(adjusted) OVER (),
               SUM(executed) OVER ()
        FROM fig
        ORDER BY division_code, dcode, code, id
        LIMIT {int(limit)}
    """
    return sql, [year, as_of, as_of, year]


FLOORS = {
    "recompute": recompute,
    "bureau_home": bureau_home,
    "project_page": project_page,
}
