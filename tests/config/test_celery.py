"""A real Celery worker consumes tasks from a real broker: Redis, and the embedded one."""

from __future__ import annotations

import pytest
from celery import Celery

from tests.services import celery_worker, redis_server, service_env

pytestmark = pytest.mark.services


def test_a_worker_runs_a_task_sent_through_redis(tmp_path):
    with redis_server(tmp_path) as url:
        env = service_env(CELERY_BROKER_URL=url, CELERY_RESULT_BACKEND=url, VAR_DIR=str(tmp_path))
        with celery_worker(env):
            probe = Celery("probe", broker=url, backend=url)
            result = probe.send_task("budgets.ping")
            assert result.get(timeout=60) == "pong"


def test_a_worker_runs_a_task_sent_through_the_embedded_broker(tmp_path):
    backend = f"file://{tmp_path / 'results'}"
    (tmp_path / "results").mkdir()
    env = service_env(
        CELERY_BROKER_URL="filesystem://", CELERY_RESULT_BACKEND=backend, VAR_DIR=str(tmp_path)
    )
    folder = tmp_path / "celery-broker"
    (folder / "queue").mkdir(parents=True)
    with celery_worker(env):
        probe = Celery("probe", broker="filesystem://", backend=backend)
        probe.conf.broker_transport_options = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "control_folder": str(folder / "control"),
        }
        result = probe.send_task("budgets.ping")
        assert result.get(timeout=60) == "pong"
