"""Real services for the notification tests: redis-server, a Celery worker, an SMTP server.

Nothing here is a mock: the worker is `celery -A config worker` in its own process
group (so SIGKILL takes it down whole), talking to its own redis-server on a free
port and to the test database, and sending through SMTP to an aiosmtpd server in a
thread of the test process, which counts what it accepted.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, *, timeout: float = 20.0, interval: float = 0.05, message: str = ""):
    """Poll until `condition()` is truthy; returns its value or fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message or condition}")
        time.sleep(interval)


class RedisServer:
    """A throw-away redis-server (no persistence) that can be stopped and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="itaflow-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)

    def start(self) -> None:
        # fmt: off
        command = [
            shutil.which("redis-server") or "redis-server",
            "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", self.dir,
        ]
        # fmt: on
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, timeout=10, message="redis-server to answer")

    def ping(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Received:
    key: str
    to: list[str]
    at: float
    message: email.message.Message


@dataclass
class SmtpHandler:
    """Accepts (and records) mail, or refuses it with a code, or holds it until released."""

    received: list[Received] = field(default_factory=list)
    refuse: str | None = None
    hold: bool = False
    # called once the message is kept, before the "250" is answered (a crash in that window)
    on_accept: object = None
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    rcpt_calls: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.rcpt_calls.clear()
        self.refuse = None
        self.hold = False
        self.on_accept = None
        self.holding.clear()
        self.release.clear()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_calls.append(time.time())
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hold:
            # A slow server: the client may die meanwhile, and then nothing was accepted
            # (aiosmtpd cancels this coroutine when the connection is lost).
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            # a client killed just before the release: let its lost connection be seen
            # first, so that what it never finished sending is not counted as received
            await asyncio.sleep(0.05)
            if server.transport is None or server.transport.is_closing():
                return "421 4.4.2 Connection lost"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(
                Received(
                    key=message.get("X-Itaflow-Key", ""),
                    to=list(envelope.rcpt_tos),
                    at=time.time(),
                    message=message,
                )
            )
        if self.on_accept is not None:
            callback, self.on_accept = self.on_accept, None
            await asyncio.get_running_loop().run_in_executor(None, callback)
        return "250 Message accepted for delivery"

    def keys(self) -> list[str]:
        with self.lock:
            return [r.key for r in self.received]


class SmtpServer:
    def __init__(self) -> None:
        self.handler = SmtpHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.handler.release.set()
        self.controller.stop()


class CeleryWorker:
    """`celery -A config worker` as a child process group, with its log kept for failures."""

    def __init__(self, env: dict[str, str], log_dir: str, *, concurrency: int = 1) -> None:
        self.env = env
        self.concurrency = concurrency
        self.log_path = Path(log_dir) / "worker.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.lock = threading.Lock()  # start() and a kill() from the mail server's thread

    def start(self, *, timeout: float = 60.0) -> None:
        self.starts += 1
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open by the child process
        # fmt: off
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--pool", "prefork", "--concurrency", str(self.concurrency), "--loglevel", "INFO",
            "--hostname", f"itaflow-test-{os.getpid()}-{self.starts}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]
        # fmt: on
        with self.lock:
            process = self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        log.close()

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"the worker exited:\n{self.log_tail()}")
            with open(self.log_path, "rb") as handle:
                handle.seek(offset)
                return b" ready." in handle.read()

        wait_for(ready, timeout=timeout, interval=0.1, message="the Celery worker to be ready")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children) at once.

        May run on the mail server's thread (a crash in the acceptance window) while the
        test already starts the next worker: only the process killed here is forgotten.
        """
        process = self.process
        if process and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        with self.lock:
            if self.process is process:
                self.process = None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, size: int = 4000) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_bytes()[-size:].decode(errors="replace")


def database_url(settings_dict: dict) -> str:
    """The test database as a DATABASE_URL for the worker process."""
    engine = settings_dict["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(settings_dict['NAME']).resolve()}"
    if engine == "django.db.backends.postgresql":
        user = settings_dict.get("USER") or ""
        password = settings_dict.get("PASSWORD") or ""
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or "5432"
        return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"
    raise AssertionError(f"no worker database URL for {engine}")


def point_celery_at(broker_url: str | None) -> None:
    """Make this (test) process publish to `broker_url`, or go back to its own settings."""
    from django.conf import settings

    from config.celery import app

    if app._pool is not None:
        app._pool.force_close_all()
    app.conf.broker_url = broker_url or settings.CELERY_BROKER_URL
    app.conf.task_always_eager = False if broker_url else settings.CELERY_TASK_ALWAYS_EAGER
    app._after_fork()  # drop the connection and producer pools built for the old broker


class PgBouncer:
    """Debian's pgbouncer in transaction mode, one server connection, in front of `dbname`.

    With one server connection every client's transactions run on the same PostgreSQL
    session in turn: what one client leaves on the session (a PREPARE) the next one meets.
    """

    def __init__(self, *, dbname: str, host: str = "127.0.0.1", port: str = "5432") -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="itaflow-pgbouncer-")
        self.dbname = dbname
        self.config = Path(self.dir) / "pgbouncer.ini"
        (Path(self.dir) / "users.txt").write_text('"postgres" ""\n')
        self.config.write_text(
            f"[databases]\n{dbname} = host={host} port={port} dbname={dbname}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\n"
            f"unix_socket_dir =\nauth_type = trust\nauth_file = {self.dir}/users.txt\n"
            "pool_mode = transaction\ndefault_pool_size = 1\nmax_client_conn = 50\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self.dir}/pgbouncer.log\npidfile = {self.dir}/pgbouncer.pid\n"
        )
        if os.geteuid() == 0:  # it runs as postgres (below) and writes its log here
            for path in (self.dir, *Path(self.dir).iterdir()):
                shutil.chown(path, "postgres")
        self.process: subprocess.Popen | None = None

    def url(self, user: str = "postgres") -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{self.dbname}"

    def start(self) -> None:
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        # pgbouncer refuses to run as root: -u drops to the postgres account
        command = [binary, *(["-u", "postgres"] if os.geteuid() == 0 else []), str(self.config)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

        def answers() -> bool:
            if self.process.poll() is not None:
                log = Path(self.dir) / "pgbouncer.log"
                raise AssertionError(f"pgbouncer exited: {log.read_text() if log.exists() else ''}")
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", self.port)) == 0

        wait_for(answers, timeout=10, message="pgbouncer to listen")

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
