"""Typed readers for settings from the environment; they fail loudly on bad values."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

_UNSET = object()


def env_str(name: str, default: str | object = _UNSET) -> str:
    """Return the variable as text; without a default, a missing variable is an error."""
    value = os.environ.get(name)
    # An empty variable (as `.env` files often carry) means "not set" when there is a default.
    if value is None or (value == "" and default is not _UNSET):
        if default is _UNSET:
            raise ImproperlyConfigured(f"Environment variable {name} is required")
        return default  # type: ignore[return-value]
    return value


def env_bool(name: str, default: bool) -> bool:
    """Return the variable as a boolean, refusing anything but the usual spellings."""
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"Environment variable {name} must be a boolean, got {value!r}")


def env_int(name: str, default: int) -> int:
    """Return the variable as an integer."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"Environment variable {name} must be an integer, got {value!r}"
        ) from exc


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated variable as a list of non-empty, stripped items."""
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]
