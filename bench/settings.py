"""Settings of the load run (bench/load.py): the environment's settings, plus the floor views.

gunicorn serves `config.wsgi` with DJANGO_SETTINGS_MODULE=bench.settings, so the pages and
their one-query floors answer from the same processes, under the same middleware.
"""

from config.settings.base import *  # noqa: F403

# The floor views ride next to the real pages (bench/urls.py).
ROOT_URLCONF = "bench.urls"
# Measured as production runs: no query log, no debug pages, whatever the environment says.
DEBUG = False
