"""Run the web server and the task worker side by side (what `make run` starts).

`serve` is the parent systemd and Ctrl+C talk to: on SIGTERM, SIGINT or SIGHUP it passes
SIGTERM to both children, waits for them, kills what is still running after a timeout, and
only then exits. It exits non-zero when a child died without being asked to (so systemd
restarts the pair rather than keeping half of it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qingfeng.core import registry

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Command(BaseCommand):
    help = "同时启动网页服务和后台任务进程"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web-workers", type=int, default=3)
        parser.add_argument(
            "--stop-timeout",
            type=float,
            default=10.0,
            help="seconds the children get to finish after a stop signal before they are killed",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stopping: list[int] = []

        def request_stop(signum: int, _frame: FrameType | None) -> None:
            stopping.append(signum)

        # Handlers first: a signal that arrives while the children start still stops them.
        for signum in STOP_SIGNALS:
            signal.signal(signum, request_stop)
        children = self.start_children(options)
        names = ", ".join(f"{name} pid {proc.pid}" for name, proc in children.items())
        bind = f"{options['host']}:{options['port']}"
        self.stdout.write(self.style.SUCCESS(f"清风已启动：http://{bind}/  （Ctrl+C 停止）"))
        self.stdout.write(f"serve pid {os.getpid()}: {names}")
        for seeder in registry.demo_seeders():
            if seeder.logins_help:
                self.stdout.write(seeder.logins_help)
        self.stdout.flush()
        while not stopping and all(proc.poll() is None for proc in children.values()):
            time.sleep(0.2)
        died = {name: proc.returncode for name, proc in children.items() if proc.poll() is not None}
        self.stop_children(children, timeout=options["stop_timeout"])
        if died and not stopping:
            raise CommandError(f"a child process exited unexpectedly: {died}")

    def start_children(self, options: dict[str, Any]) -> dict[str, subprocess.Popen[bytes]]:
        # The children import this very tree (not whatever `qingfeng` is installed elsewhere).
        src = str(settings.BASE_DIR.parent)
        path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path}
        manage = [sys.executable, str(settings.REPO_DIR / "manage.py")]
        worker = subprocess.Popen([*manage, "run_huey", "--quiet"], env=env)  # noqa: S603
        web = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "qingfeng.wsgi:application",
                # What gunicorn logs, and that it logs no client address (see the module).
                "--config",
                "python:qingfeng.core.gunicorn_conf",
                "--bind",
                f"{options['host']}:{options['port']}",
                "--workers",
                str(options["web_workers"]),
                "--chdir",
                src,
            ],
            env=env,
        )
        return {"web": web, "worker": worker}

    def stop_children(
        self, children: dict[str, subprocess.Popen[bytes]], *, timeout: float
    ) -> None:
        for proc in children.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in children.values():
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
