"""URLs of the tracking app: each views module contributes its own `urlpatterns`."""

from __future__ import annotations

from .views import inbox, reports, review, rounds

app_name = "tracking"

urlpatterns = rounds.urlpatterns + reports.urlpatterns + review.urlpatterns + inbox.urlpatterns
