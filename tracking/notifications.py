"""Notifications: creation exactly once, the daily reminder pass, e-mail delivery."""

from __future__ import annotations


def notify_returned(*, report_id: int) -> None:
    """Tell the submitter at once that the report was returned (filled in by issue 6)."""
