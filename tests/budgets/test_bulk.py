"""insert_with_history writes exactly what Django's bulk_create and simple-history would."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from budgets.bulk import insert_with_history
from budgets.choices import AdjustmentKind
from budgets.models import Adjustment, Department, Payment, Project, Unit
from performance.models import Indicator
from performance.values import parse_target
from tests.factories import ProjectFactory, UnitFactory, UserFactory

D = Decimal
# Differ by nature between two inserts: keys and times.
VOLATILE = {"id", "history_id", "history_date", "created_at", "updated_at", "computed_at"}


def rows(model) -> list[dict]:
    """Every row of the model's table and of its history table, without keys and times."""
    result = []
    for table in (model, model.history.model):
        for row in table.objects.order_by("pk").values():
            result.append({k: v for k, v in row.items() if k not in VOLATILE})
    return result


def instances(kind: str, unit: Unit, project: Project) -> tuple[type, list]:
    """Unsaved instances of one model with every kind of field: money, dates, None, text,
    foreign keys, booleans, choices, defaults left to the model."""
    if kind == "payment":
        return Payment, [
            Payment(
                department=unit.department,
                year=2024,
                voucher=f"记-{n}",
                date=date(2024, 1 + n % 12, 1 + n % 28),
                amount=D("1234.567891") * (-1 if n % 7 == 0 else 1) + n,
                project=project if n % 3 else None,
                three_public=n % 2 == 0,
                procurement=n % 5 == 0,
                summary="差旅费" if n % 2 else "",
            )
            for n in range(40)
        ]
    if kind == "project":
        return Project, [
            Project(
                year=2024,
                department=unit.department,
                unit=unit,
                code=f"41070224{n:013d}",
                name=f"项目{n}",
                initial_budget=D("100.5") + n,
                carryover=D(0) if n % 2 else D("0.000001"),
            )
            for n in range(10)
        ]
    if kind == "adjustment":
        return Adjustment, [
            Adjustment(
                project=project,
                department=unit.department,
                year=2024,
                document_number=f"财预〔2024〕{n}号",
                date=date(2024, 6, 1),
                amount=D(-n),
                kind=AdjustmentKind.POLICY if n % 2 else AdjustmentKind.GENERAL,
                note="追减" if n else "",
            )
            for n in range(6)
        ]
    objs = []
    for n, raw in enumerate(["≥95%", "≤50万元", "12月31日前", "明显提升", "60-80人"]):
        indicator = Indicator(
            project=project,
            level1="产出指标",
            level2="数量指标",
            name=f"指标{n}",
            position=n,
            weight=D(10) if n % 2 else None,
        )
        indicator.set_target(parse_target(raw, 2024))
        objs.append(indicator)
    return Indicator, objs


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["payment", "project", "adjustment", "indicator"])
def test_the_fast_insert_writes_what_the_library_writes(kind):
    unit = UnitFactory()
    project = ProjectFactory(unit=unit, code="P-OWNER")
    user = UserFactory(username="importer")
    model, _ = instances(kind, unit, project)
    before = rows(model)

    with transaction.atomic():
        bulk_create_with_history(
            instances(kind, unit, project)[1], model, batch_size=500, default_user=user
        )
        expected = rows(model)
        transaction.set_rollback(True)
    assert rows(model) == before

    with transaction.atomic():
        created = insert_with_history(instances(kind, unit, project)[1], model, user=user)
        assert rows(model) == expected
        assert all(obj.pk for obj in created)
        # The keys set on the instances are their rows', and their history rows' ids.
        stored = dict(model.objects.filter(pk__in=[o.pk for o in created]).values_list("pk", "pk"))
        assert sorted(stored) == sorted(o.pk for o in created)
        history = model.history.filter(id__in=[o.pk for o in created])
        assert {h.history_user_id for h in history} == {user.pk}
        assert {h.history_type for h in history} == {"+"}
    assert len(expected) > len(before)


@pytest.mark.django_db
def test_many_rows_are_written_in_batches_with_their_keys_in_order(department_a):
    unit = UnitFactory(department=department_a)
    objs = [
        Payment(department=department_a, year=2024, voucher=f"v{n}", date=date(2024, 3, 1),
                amount=D(n))
        for n in range(2500)
    ]  # fmt: skip
    insert_with_history(objs, Payment)
    amounts = dict(Payment.objects.values_list("pk", "amount"))
    assert [amounts[o.pk] for o in objs] == [D(n) for n in range(2500)]
    assert Payment.history.count() == 2500
    assert Department.objects.filter(pk=unit.department_id).exists()
