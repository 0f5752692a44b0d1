"""The Celery app: broker from REDIS_URL, tasks discovered in the apps."""

import logging
import os

from celery import Celery, bootsteps, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

logger = logging.getLogger(__name__)

app = Celery("itaflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's Django fix-up closes the database connection before and after every task
# unless told to reuse it: each task then opens a new PostgreSQL connection (a server
# process forked), which costs more than sending the e-mail. It recycles only every
# this many tasks; between them Django's own rule holds, as for a web request (below).
app.conf.update(CELERY_DB_REUSE_MAX=1000)
app.autodiscover_tasks()

# the per-task log line and the request ids it carries
import config.observability  # noqa: E402, F401


@signals.task_prerun.connect
@signals.task_postrun.connect
def _database_connections_check(sender=None, **kwargs) -> None:
    """Drop a connection that is broken or older than CONN_MAX_AGE (not for in-process tasks)."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return  # inside a web request or a test's transaction: leave its connection alone
    from django.db import close_old_connections

    close_old_connections()


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Writes this worker's heartbeat to Redis for the readiness check (config/health.py)."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker):
        from django.conf import settings

        if not settings.REDIS_URL:
            return
        self.beat(worker)
        self.tref = worker.timer.call_repeatedly(
            settings.HEALTH_WORKER_HEARTBEAT_SECONDS, self.beat, (worker,), priority=10
        )

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    def beat(self, worker):
        import redis

        from config.health import worker_heartbeat_write

        try:
            worker_heartbeat_write(worker.hostname)
        except redis.RedisError:
            logger.warning("worker heartbeat not written: Redis does not answer")


app.steps["worker"].add(WorkerHeartbeat)
