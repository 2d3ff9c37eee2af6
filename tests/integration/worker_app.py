"""The Celery app a test's worker process runs: the product's own app and tasks, with short timeouts.

`celery -A tests.integration.worker_app:app worker` in a subprocess; settings come from the environment
exactly as in production. Only two knobs differ, so a killed worker's task comes back within seconds:
the broker's visibility timeout and the repository lock's time to live.
"""

from __future__ import annotations

import os

from bot.settings import Settings
from workers import tasks
from workers.celery_app import make_celery
from workers.locks import RedisRepoLock

VISIBILITY_TIMEOUT_S = int(os.environ.get("TEST_VISIBILITY_TIMEOUT_S", "4"))
LOCK_TIMEOUT_S = 3.0

settings = Settings.from_env()
app = make_celery(settings)
app.conf.broker_transport_options = {"visibility_timeout": VISIBILITY_TIMEOUT_S, "unacked_restore_interval": 1,
                                     "unacked_restore_throttle": 1}
app.conf.result_backend_transport_options = {"visibility_timeout": VISIBILITY_TIMEOUT_S}

_production = tasks._default_runtime(settings)
_runtime = tasks.Runtime(settings, _production.forge_for,
                         RedisRepoLock.from_url(settings.redis_url, timeout_s=LOCK_TIMEOUT_S, wait_s=15.0))
_held = tasks.using(_runtime)  # kept referenced: entered for the life of the worker process
_held.__enter__()
