"""factory_boy factories for every model the tests build."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from budgets.choices import ProjectType, Role
from budgets.models import (
    Adjustment,
    Department,
    DepartmentBudget,
    Division,
    Payment,
    Project,
    Unit,
    User,
)

PASSWORD = "correct-horse-battery"


class DivisionFactory(factory.django.DjangoModelFactory):
    """新乡市 (410700) unless told otherwise; names and parents come from GB/T 2260."""

    class Meta:
        model = Division
        django_get_or_create = ("code",)

    code = "410700"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return Division.ensure(kwargs["code"])


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("division", "code")

    division = factory.SubFactory(DivisionFactory)

    code = factory.Sequence(lambda n: f"{100 + n:03d}")
    name = factory.Sequence(lambda n: f"测试部门{n}")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        # Unit codes repeat across 区划 (two counties may both have a 060001).
        django_get_or_create = ("department", "code")

    department = factory.SubFactory(DepartmentFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.department.code}{n:03d}")
    name = factory.LazyAttribute(lambda o: f"{o.department.name}本级")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.STAFF
    department = factory.SubFactory(DepartmentFactory)
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.gov.cn")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    year = 2024
    code = factory.Sequence(lambda n: f"4107002400000000{n:05d}")
    name = factory.Sequence(lambda n: f"测试项目{n}")
    type = ProjectType.SPECIFIC
    unit = factory.SubFactory(UnitFactory)
    department = factory.LazyAttribute(lambda o: o.unit.department)
    initial_budget = Decimal("100")
    carryover = Decimal("0")


class DepartmentBudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DepartmentBudget

    department = factory.SubFactory(DepartmentFactory)
    year = 2024


class AdjustmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Adjustment

    project = factory.SubFactory(ProjectFactory)
    department = factory.LazyAttribute(lambda o: o.project.department)
    year = factory.LazyAttribute(lambda o: o.project.year)
    document_number = factory.Sequence(lambda n: f"财预〔2024〕{n}号")
    date = date(2024, 6, 1)
    amount = Decimal("10")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    project = factory.SubFactory(ProjectFactory)
    department = factory.LazyAttribute(lambda o: o.project.department)
    year = factory.LazyAttribute(lambda o: o.date.year)
    voucher = factory.Sequence(lambda n: f"记-{n:06d}")
    date = date(2024, 3, 15)
    amount = Decimal("1")
