"""The site's URLs plus `/bench/floor/<name>/`: one raw SQL query of bench/floors.py, as JSON.

The load run (bench/load.py) serves these next to the real pages from the same gunicorn, so a
page's throughput is read against the least work that could give its figures: the floor view
goes through the same middleware (session, user, login requirement) and then runs exactly one
query. Its parameters come in the query string, so that deriving them costs no query:

- `bureau_home`: `?year=&as_of=&round=[&department=]` (round: a Round id, 0 for none; the
  floor counts the reports of that round's year, stage and date in every 区划), the time
  progress is computed from as_of;
- `project_page`: `?year=&as_of=`.
"""

from __future__ import annotations

from datetime import date

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponseBadRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

import config.urls
from bench.floors import bureau_home, project_page
from budgets.rates import time_progress
from budgets.selectors import default_as_of


def _params(request: HttpRequest) -> tuple[int, date, int]:
    """year, as_of and round from the query string; the defaults need no query (this year,
    its default as-of date, no round). ValueError on a malformed value."""
    raw_year = request.GET.get("year")
    raw_as_of = request.GET.get("as_of")
    as_of = date.fromisoformat(raw_as_of) if raw_as_of else None
    default_year = as_of.year if as_of else timezone.localdate().year
    year = int(raw_year) if raw_year else default_year
    return year, as_of or default_as_of(year), int(request.GET.get("round") or 0)


@require_GET
def floor_view(request: HttpRequest, name: str) -> JsonResponse | HttpResponseBadRequest:
    """One floor query's rows as JSON; login is required by the site's middleware, as for the
    real pages."""
    try:
        year, as_of, round_id = _params(request)
    except ValueError as exc:
        return HttpResponseBadRequest(f"bad parameter: {exc}")
    if name == "bureau_home":
        # ?department= narrows to one department, as the department's own home does.
        department = request.GET.get("department")
        sql, params = bureau_home(
            year,
            as_of,
            round_id,
            time_progress(as_of),
            int(department) if department and department.isdigit() else None,
        )
    elif name == "project_page":
        sql, params = project_page(year, as_of)
    else:
        raise Http404(name)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    return JsonResponse(
        {"floor": name, "columns": columns, "rows": rows}, encoder=DjangoJSONEncoder
    )


urlpatterns = [
    path("bench/floor/<str:name>/", floor_view, name="bench-floor"),
    *config.urls.urlpatterns,
]

# Django looks the error handlers up on the root URLconf: keep the site's (a busy database
# answers its Chinese 503, not the default 500 page).
handler500 = config.urls.handler500
