"""The demo's generated spending workbook."""

from __future__ import annotations

import pytest

from budgets.demo import _spending_workbook
from tests.factories import ProjectFactory

from .workbooks import FORMULA_PROJECT_NAME, assert_cells_are_text


@pytest.mark.django_db
def test_the_generated_spending_keeps_a_formula_like_project_name_as_text(unit_a):
    ProjectFactory(unit=unit_a, name=FORMULA_PROJECT_NAME)
    content = _spending_workbook(2024)
    assert_cells_are_text(content, [f"{FORMULA_PROJECT_NAME} 第1笔支付"])
