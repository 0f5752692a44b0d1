"""gunicorn settings for production (docker-compose.yml): metrics of exited workers kept apart."""

import os


def child_exit(server, worker):
    """Tell prometheus_client's multiprocess mode that this worker's live gauges are gone."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
