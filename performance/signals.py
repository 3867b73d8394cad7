"""Signals performance sends to the apps above it (which it must not import)."""

from django.dispatch import Signal

# Sent inside the import's transaction after a 部门整体目标 sheet wrote indicators, with
# `year` and `department_ids`: tracking creates the department reports of the open rounds.
department_targets_written = Signal()
