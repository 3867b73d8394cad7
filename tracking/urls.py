"""URLs of the tracking app: each views module contributes its own `urlpatterns`."""

from __future__ import annotations

from importlib import import_module

app_name = "tracking"

# Modules are added as they are written; a module without urlpatterns contributes nothing.
_MODULES = ["rounds", "reports", "review", "inbox"]

urlpatterns = []
for _name in _MODULES:
    try:
        _module = import_module(f"tracking.views.{_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"tracking.views.{_name}":
            raise
        continue
    urlpatterns += getattr(_module, "urlpatterns", [])
