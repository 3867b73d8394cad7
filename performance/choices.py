"""Fixed vocabularies of performance targets, as plain constants (no Django needed)."""

from __future__ import annotations

# 一级指标: the stored value is the Chinese name itself, as in the official tables.
LEVEL1_COST = "成本指标"
LEVEL1_OUTPUT = "产出指标"
LEVEL1_BENEFIT = "效益指标"
LEVEL1_SATISFACTION = "满意度指标"

# The order of the official tables (预算12表).
LEVEL1_NAMES: tuple[str, ...] = (LEVEL1_COST, LEVEL1_OUTPUT, LEVEL1_BENEFIT, LEVEL1_SATISFACTION)

# (stored value, label) pairs, ready for a model field's `choices=`.
LEVEL1_CHOICES: tuple[tuple[str, str], ...] = tuple((name, name) for name in LEVEL1_NAMES)

# The groups every project must have at least one indicator of (target review, rule 1).
LEVEL1_REQUIRED: tuple[str, ...] = (LEVEL1_OUTPUT, LEVEL1_BENEFIT, LEVEL1_SATISFACTION)
