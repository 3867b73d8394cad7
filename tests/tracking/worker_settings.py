"""Settings of the worker processes the real-worker tests start (tests only).

The test settings, plus: Redis redelivers an unacknowledged task after 10 s instead of an
hour (so a test can kill a worker and see the task come back), tasks always go through the
broker, and e-mails are written to files in $TEST_EMAIL_DIR so a test can count them.
"""

from __future__ import annotations

import os

from config.settings.test import *  # noqa: F403

if CELERY_BROKER_URL.startswith("redis"):  # noqa: F405
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 10,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
        # A worker killed while it holds the restore mutex would otherwise block every other
        # worker's redelivery for the default 5 minutes.
        "unacked_mutex_expire": 5,
    }
CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ.get("TEST_EMAIL_DIR", "/tmp/tracker-test-emails")
