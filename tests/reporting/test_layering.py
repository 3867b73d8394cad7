"""The apps stack budgets → performance → tracking → reporting: each imports only the apps
below it, so reporting is the one place that reads all three."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.services import ROOT

LAYERS = ("budgets", "performance", "tracking", "reporting")


def imported_apps(path: Path) -> set[str]:
    """The project apps a module imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & set(LAYERS)
    return found


@pytest.mark.parametrize("app", LAYERS[:-1])
def test_an_app_imports_no_app_above_it(app):
    above = set(LAYERS[LAYERS.index(app) + 1 :])
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_apps(path) & above)
        for path in sorted((ROOT / app).rglob("*.py"))
        if imported_apps(path) & above
    }
    assert offenders == {}
