"""The running totals (budgets/totals.py): every way payments and adjustments are written
leaves them equal to the rows, on SQLite and PostgreSQL, and the figures read from them
equal the figures summed from the rows as of any date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Q, Sum

from budgets import services
from budgets.choices import AdjustmentKind, Role
from budgets.models import Adjustment, DepartmentTotals, Payment, Project, ProjectTotals
from budgets.selectors import department_figures, project_figures, with_figures, year_figures
from budgets.totals import totals_drift, totals_rebuild, triggers_ensure_after_migrate
from tests.factories import (
    AdjustmentFactory,
    PaymentFactory,
    ProjectFactory,
    UserFactory,
)

D = Decimal


def totals(project: Project) -> tuple[Decimal, Decimal, Decimal]:
    """A project's totals summed over its months."""
    sums = ProjectTotals.objects.filter(project=project).aggregate(
        paid=Sum("paid"), adjustments=Sum("adjustments"), policy=Sum("policy_adjustments")
    )
    return tuple(sums[k] or D(0) for k in ("paid", "adjustments", "policy"))


def department_totals(department, year=2024) -> tuple[Decimal, Decimal, Decimal]:
    sums = DepartmentTotals.objects.filter(department=department, year=year).aggregate(
        paid=Sum("paid"), tp=Sum("three_public_paid"), proc=Sum("procurement_paid")
    )
    return tuple(sums[k] or D(0) for k in ("paid", "tp", "proc"))


@pytest.fixture
def two_projects(unit_a):
    return (
        ProjectFactory(unit=unit_a, initial_budget=D("100")),
        ProjectFactory(unit=unit_a, initial_budget=D("50")),
    )


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)


def test_services_keep_the_totals(two_projects, admin_user, department_a):
    first, second = two_projects
    payment = services.payment_save(
        user=admin_user,
        department=department_a,
        voucher="记-1",
        date=date(2024, 3, 1),
        amount=D("12.345678"),
        project=first,
        three_public=True,
    )
    services.payment_save(
        user=admin_user,
        department=department_a,
        voucher="记-2",
        date=date(2024, 3, 2),
        amount=D("-0.000001"),
        project=first,
        procurement=True,
    )
    services.payment_save(
        user=admin_user,
        department=department_a,
        voucher="记-3",
        date=date(2024, 3, 3),
        amount=D("7"),
        year=2024,
    )
    assert totals(first) == (D("12.345677"), 0, 0)
    assert department_totals(department_a) == (D("19.345677"), D("12.345678"), D("-0.000001"))

    # Moved to the other project with another amount and the flag off.
    services.payment_save(
        user=admin_user,
        department=department_a,
        voucher="记-1",
        date=date(2024, 3, 1),
        amount=D("2"),
        project=second,
        payment=payment,
    )
    assert totals(first) == (D("-0.000001"), 0, 0)
    assert totals(second) == (D("2"), 0, 0)
    assert department_totals(department_a) == (D("8.999999"), 0, D("-0.000001"))

    adjustment = services.adjustment_save(
        user=admin_user,
        project=first,
        document_number="财预〔2024〕1号",
        date=date(2024, 5, 1),
        amount=D("-30"),
    )
    services.adjustment_save(
        user=admin_user,
        project=first,
        document_number="财预〔2024〕1号",
        date=date(2024, 5, 1),
        amount=D("-30"),
        kind=AdjustmentKind.POLICY,
        adjustment=adjustment,
    )
    assert totals(first) == (D("-0.000001"), D("-30"), D("-30"))

    services.adjustment_delete(user=admin_user, adjustment=Adjustment.objects.get())
    services.payment_delete(user=admin_user, payment=Payment.objects.get(voucher="记-3"))
    assert totals(first) == (D("-0.000001"), 0, 0)
    assert department_totals(department_a) == (D("1.999999"), 0, D("-0.000001"))
    assert totals_drift() == []


def test_orm_bulk_writes_keep_the_totals(two_projects, department_a):
    first, second = two_projects
    Payment.objects.bulk_create(
        [
            Payment(
                department=department_a,
                year=2024,
                voucher=f"记-{n}",
                date=date(2024, 4, 1),
                amount=D(n),
                project=first if n % 2 else second,
                three_public=n % 3 == 0,
            )
            for n in range(1, 41)
        ]
    )
    Adjustment.objects.bulk_create(
        [
            Adjustment(
                department=department_a,
                year=2024,
                document_number=f"财〔{n}〕",
                date=date(2024, 4, 2),
                amount=D(n),
                project=first,
                kind=AdjustmentKind.POLICY if n % 2 else AdjustmentKind.GENERAL,
            )
            for n in range(1, 5)
        ]
    )
    assert totals(first) == (D(400), D(10), D(4))
    assert totals(second) == (D(420), 0, 0)
    # Several rows moved and re-flagged by one statement, then some deleted by one.
    Payment.objects.filter(amount__gt=D(30)).update(project=second, procurement=True)
    Payment.objects.filter(amount__lt=D(5)).update(three_public=True)
    Adjustment.objects.filter(kind=AdjustmentKind.POLICY).update(kind=AdjustmentKind.GENERAL)
    Payment.objects.filter(Q(amount=D(2)) | Q(amount=D(39))).delete()
    assert totals_drift() == []
    assert totals(first)[1:] == (D(10), 0)
    expected = Payment.objects.filter(project=second).aggregate(s=Sum("amount"))["s"]
    assert totals(second)[0] == expected


def test_a_rolled_back_write_leaves_the_totals(two_projects, department_a):
    first, _ = two_projects
    PaymentFactory(project=first, amount=D("5"))
    with pytest.raises(RuntimeError), transaction.atomic():
        PaymentFactory(project=first, amount=D("100"))
        AdjustmentFactory(project=first, amount=D("9"))
        raise RuntimeError
    assert totals(first) == (D("5"), 0, 0)
    assert totals_drift() == []


def test_figures_as_of_an_earlier_day_leave_out_what_came_after(two_projects, department_a):
    first, second = two_projects
    for day, amount in ((date(2024, 2, 1), "3"), (date(2024, 6, 1), "4"), (date(2024, 9, 1), "5")):
        PaymentFactory(project=first, date=day, amount=D(amount), three_public=True)
        AdjustmentFactory(project=first, date=day, amount=D(amount), kind=AdjustmentKind.POLICY)
    PaymentFactory(project=second, date=date(2024, 7, 1), amount=D("1"), procurement=True)
    PaymentFactory(project=None, department=department_a, date=date(2024, 8, 1), amount=D("2"))

    as_of = date(2024, 6, 30)
    figures = project_figures(Project.objects.all(), as_of)
    assert figures[first.pk].executed == D("7")
    assert figures[first.pk].adjusted == D("107")
    assert figures[first.pk].policy == D("7")
    assert figures[second.pk].executed == 0

    annotated = {p.pk: p for p in with_figures(Project.objects.all(), as_of)}
    assert annotated[first.pk].executed_total == D("7")
    assert annotated[first.pk].adjusted_total == D("107")

    department = department_figures(2024, as_of)[department_a.pk]
    assert department.budget.executed == D("7")
    assert department.three_public_spent == D("7")
    assert department.procurement_spent == 0
    assert department.budget.adjusted == D("157")

    every = year_figures(2024, as_of)
    assert every.projects == figures
    assert every.departments[department_a.pk] == department
    year_end = year_figures(2024, date(2024, 12, 31)).departments[department_a.pk]
    assert (year_end.budget.executed, year_end.procurement_spent) == (D("15"), D("1"))


def test_a_day_in_the_middle_of_a_month_leaves_out_the_rest_of_that_month(
    two_projects, department_a
):
    first, _ = two_projects
    days = (date(2024, 5, 31), date(2024, 6, 1), date(2024, 6, 15), date(2024, 6, 16))
    for n, day in enumerate(days, start=1):
        PaymentFactory(project=first, date=day, amount=D(n), procurement=True)
        AdjustmentFactory(project=first, date=day, amount=D(n * 10))
    payment = PaymentFactory(project=first, date=date(2024, 7, 1), amount=D("100"))

    def seen(as_of):
        figures = project_figures(Project.objects.filter(pk=first.pk), as_of)[first.pk]
        annotated = with_figures(Project.objects.filter(pk=first.pk), as_of).get()
        department = department_figures(2024, as_of)[department_a.pk]
        every = year_figures(2024, as_of)
        assert (annotated.executed_total, annotated.adjusted_total) == (
            figures.executed,
            figures.adjusted,
        )
        assert every.projects[first.pk] == figures
        assert every.departments[department_a.pk] == department
        assert department.procurement_spent == min(figures.executed, D(10))
        return figures.executed, figures.adjusted - D(100)

    assert seen(date(2024, 5, 30)) == (0, 0)
    assert seen(date(2024, 5, 31)) == (D(1), D(10))
    assert seen(date(2024, 6, 15)) == (D(6), D(60))
    assert seen(date(2024, 6, 30)) == (D(10), D(100))
    assert seen(date(2024, 7, 1)) == (D(110), D(100))

    # Moved to another month: out of June's total, into August's.
    payment.date = date(2024, 8, 2)
    payment.save()
    assert seen(date(2024, 7, 31)) == (D(10), D(100))
    assert seen(date(2024, 8, 2)) == (D(110), D(100))
    assert totals_drift() == []


def test_rebuild_repairs_a_tampered_total_and_the_command_reports_it(two_projects, capsys):
    first, _ = two_projects
    PaymentFactory(project=first, amount=D("5"))
    ProjectTotals.objects.filter(project=first).update(paid=D("6"))
    drift = totals_drift()
    assert [(d.table, d.key[0], str(d.key[1])) for d in drift] == [
        ("budgets_projecttotals", first.pk, "2024-03-01")
    ]

    with pytest.raises(SystemExit) as exit_:
        call_command("check_totals")
    assert exit_.value.code == 1
    expected = f"budgets_projecttotals {first.pk}/2024-03-01 paid: stored 6.000000, rows add"
    assert expected + " up to 5.000000" in capsys.readouterr().err

    call_command("check_totals", "--repair")
    assert "repaired 1 totals" in capsys.readouterr().out
    assert totals(first)[0] == D("5")
    call_command("check_totals")
    assert "totals agree" in capsys.readouterr().out


def test_rebuild_gives_what_the_triggers_kept(two_projects, department_a):
    first, second = two_projects
    PaymentFactory(project=first, amount=D("5"), procurement=True)
    PaymentFactory(project=None, department=department_a, amount=D("2"), three_public=True)
    AdjustmentFactory(project=second, amount=D("-1"))
    before = (
        list(
            ProjectTotals.objects.order_by("project", "month").values_list(
                "project", "month", "paid", "adjustments", "policy_adjustments"
            )
        ),
        list(
            DepartmentTotals.objects.order_by("department", "year", "month").values_list(
                "department", "year", "month", "paid", "three_public_paid", "procurement_paid"
            )
        ),
    )
    totals_rebuild()
    after = (
        list(
            ProjectTotals.objects.order_by("project", "month").values_list(
                "project", "month", "paid", "adjustments", "policy_adjustments"
            )
        ),
        list(
            DepartmentTotals.objects.order_by("department", "year", "month").values_list(
                "department", "year", "month", "paid", "three_public_paid", "procurement_paid"
            )
        ),
    )
    assert after == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite drops triggers on rebuilds")
def test_migrate_puts_back_triggers_a_table_rebuild_dropped(two_projects):
    first, _ = two_projects
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER budgets_payment_totals_insert")
    PaymentFactory(project=first, amount=D("5"))  # not counted: no trigger
    assert totals_drift() != []
    triggers_ensure_after_migrate(sender=None, using="default")
    assert totals_drift() == []
    PaymentFactory(project=first, amount=D("1"))
    assert totals(first)[0] == D("6")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers: SQLite has one writer"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_one_month_lose_nothing(unit_a):
    """Two transactions add payments to the same project and month at once: the second
    waits for the first's row lock on the total, then adds to what it committed."""
    import threading

    project = ProjectFactory(unit=unit_a)
    ready = threading.Barrier(2, timeout=20)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with transaction.atomic():
                ready.wait()
                Payment.objects.bulk_create(
                    [
                        Payment(
                            department=project.department,
                            project=project,
                            year=2024,
                            voucher=f"并发-{n}-{k}",
                            date=date(2024, 3, 1 + k),
                            amount=D(n),
                            three_public=True,
                        )
                        for k in range(20)
                    ]
                )
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert totals(project) == (D(60), 0, 0)
    assert department_totals(project.department) == (D(60), D(60), 0)
    assert totals_drift() == []
