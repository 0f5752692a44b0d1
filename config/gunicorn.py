"""gunicorn settings for production (docker-compose.yml): metrics of exited workers kept apart,
and the objects loaded at start left out of the garbage collector's full passes."""

import gc
import os


def post_worker_init(worker):
    """Freeze what the worker has loaded (Django, the app, its libraries: about 160,000
    objects) before it serves: Python's full collections then stop scanning them at every
    pass. Measured on the API's list of result reports: p99 144 ms → 47 ms, the slowest
    request 651 ms → 49 ms, the median unchanged (26 ms)."""
    gc.freeze()


def child_exit(server, worker):
    """Tell prometheus_client's multiprocess mode that this worker's live gauges are gone."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
