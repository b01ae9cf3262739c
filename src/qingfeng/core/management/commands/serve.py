"""Run the web server and the task worker side by side, and keep them running (what
`make run` starts).

The web server is gunicorn with gevent workers: each connection is a greenlet, so a client
that sends its request slowly, or keeps its connection open, costs a few kilobytes and not a
worker; a request whose headers have not arrived within `--keepalive` seconds is dropped.

`serve` is the parent systemd and Ctrl+C talk to. It supervises its children: one that dies
without being asked to is started again after a back-off (1 s, doubling up to 30 s; a child
that ran for a minute starts the count afresh). On SIGTERM, SIGINT or SIGHUP it passes
SIGTERM to both children, waits for them, kills what is still running after a timeout, and
only then exits, with status 0. It exits non-zero only when it cannot recover: a child that
died `--max-restarts` times in a row within seconds of starting (a port taken, a broken
configuration), so systemd sees the failure.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qingfeng.core import poolcheck, registry

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
FIRST_BACKOFF = 1.0  # seconds before the first restart of a dead child
MAX_BACKOFF = 30.0
SETTLED = 60.0  # a child that ran this long has recovered: its back-off starts again


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    quick_deaths: int = 0  # deaths in a row, each soon after its start
    restart_at: float | None = None
    exits: list[int] = field(default_factory=list)
    nice: int = 0  # added to the child's scheduling niceness (lower priority)

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, env=self.env)  # noqa: S603 - our own argv
        if self.nice:
            # The web processes first: the worker's jobs wait a little in a burst, the
            # people submitting do not (bench/README.md, Real server).
            with contextlib.suppress(OSError):
                niceness = os.getpriority(os.PRIO_PROCESS, 0) + self.nice
                os.setpriority(os.PRIO_PROCESS, self.process.pid, niceness)
        self.started = time.monotonic()
        self.restart_at = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Command(BaseCommand):
    help = "同时启动网页服务和后台任务进程，并在其意外退出时重新启动"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web-workers", type=int, default=3)
        parser.add_argument(
            "--worker-connections",
            type=int,
            default=1000,
            help="open connections each web worker process holds at most",
        )
        parser.add_argument(
            "--keepalive",
            type=int,
            default=5,
            help="seconds an idle connection, or one whose request headers are late, is kept",
        )
        parser.add_argument(
            "--stop-timeout",
            type=float,
            default=10.0,
            help="seconds the children get to finish after a stop signal before they are killed",
        )
        parser.add_argument(
            "--max-restarts",
            type=int,
            default=5,
            help="deaths in a row, each soon after starting, before serve gives up",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stopping: list[int] = []

        def request_stop(signum: int, _frame: FrameType | None) -> None:
            stopping.append(signum)

        # Handlers first: a signal that arrives while the children start still stops them.
        for signum in STOP_SIGNALS:
            signal.signal(signum, request_stop)
        # Every process's pool must fit under the server's connections (core/poolcheck.py).
        for warning in poolcheck.warnings(options["web_workers"]):
            self.say(warning, error=True)
        children = self.children(options)
        for child in children:
            child.start()
        bind = f"{options['host']}:{options['port']}"
        self.say(f"清风已启动：http://{bind}/  （Ctrl+C 停止）", success=True)
        self.report_pids(children)
        for seeder in registry.demo_seeders():
            if seeder.logins_help:
                self.say(seeder.logins_help)
        failed = self.supervise(children, stopping, max_restarts=options["max_restarts"])
        self.stop_children(children, timeout=options["stop_timeout"])
        if failed is not None:
            reason = (
                f"{failed.name} exited {len(failed.exits)} times soon after starting "
                f"(exit status {failed.exits[-1]}); giving up"
            )
            if settings.QF_LOG_FORMAT == "json":
                self.say(reason, error=True)
                raise SystemExit(1)
            raise CommandError(reason)

    def say(self, text: str, *, error: bool = False, success: bool = False) -> None:
        """serve's own lines: plain text, or with QF_LOG_FORMAT=json a JSON line like every
        other process's (core/logs.py), so a log collector reads the console as one stream."""
        stream = self.stderr if error else self.stdout
        if settings.QF_LOG_FORMAT == "json":
            from qingfeng.core.logs import JsonFormatter

            level = logging.WARNING if error else logging.INFO
            record = logging.LogRecord("qingfeng.serve", level, __file__, 0, text, None, None)
            stream.write(JsonFormatter().format(record))
        else:
            stream.write(self.style.SUCCESS(text) if success else text)
        stream.flush()

    def report_pids(self, children: list[Child]) -> None:
        names = ", ".join(
            f"{child.name} pid {child.process.pid}" for child in children if child.process
        )
        self.say(f"serve pid {os.getpid()}: {names}")

    def supervise(
        self, children: list[Child], stopping: list[int], *, max_restarts: int
    ) -> Child | None:
        """Until a stop signal: restart dead children with back-off. The child that cannot be
        kept running, if one cannot."""
        while not stopping:
            now = time.monotonic()
            for child in children:
                if child.restart_at is not None:
                    if now >= child.restart_at:
                        child.start()
                        self.say(f"serve: {child.name} started again", error=True)
                        self.report_pids(children)
                    continue
                if child.alive() or child.process is None:
                    continue
                status = child.process.returncode
                child.exits.append(status)
                child.quick_deaths = 0 if now - child.started >= SETTLED else child.quick_deaths
                child.quick_deaths += 1
                if child.quick_deaths > max_restarts:
                    return child
                delay = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (child.quick_deaths - 1))
                child.restart_at = now + delay
                self.say(
                    f"serve: {child.name} exited with status {status}; "
                    f"starting it again in {delay:g} s",
                    error=True,
                )
            time.sleep(0.2)
        return None

    def children(self, options: dict[str, Any]) -> list[Child]:
        # The children import this very tree (not whatever `qingfeng` is installed elsewhere).
        src = str(settings.BASE_DIR.parent)
        path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path}
        # `python -m qingfeng` is manage.py, in the repository and in an installed bundle.
        manage = [sys.executable, "-m", "qingfeng"]
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "qingfeng.wsgi:application",
            # What gunicorn logs, and that it logs no client address (gunicorn_conf), after
            # gevent has patched the standard library (gunicorn_gevent).
            "--config",
            "python:qingfeng.core.gunicorn_gevent",
            "--bind",
            f"{options['host']}:{options['port']}",
            "--workers",
            str(options["web_workers"]),
            # Slow and idle clients cost a greenlet, not a process (see the module's doc).
            "--worker-class",
            "qingfeng.core.webworker.GeventWorker",
            "--worker-connections",
            str(options["worker_connections"]),
            "--keep-alive",
            str(options["keepalive"]),
            "--chdir",
            src,
        ]
        # Each connection's greenlet has its own database connection: one kept open after
        # the request would be one per connection ever served, so the web server closes its.
        web_env = {**env, "DB_CONN_MAX_AGE": env.get("DB_CONN_MAX_AGE", "0")}
        return [
            Child("web", web, web_env),
            Child(
                "worker", [*manage, "run_huey", "--quiet"], {**env, "QF_TASK_WORKER": "1"}, nice=10
            ),
        ]

    def stop_children(self, children: list[Child], *, timeout: float) -> None:
        running = [child.process for child in children if child.alive() and child.process]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in running:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
