"""Run the web server and the task worker side by side (what `make run` starts)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from qingfeng.core import registry


class Command(BaseCommand):
    help = "同时启动网页服务和后台任务进程"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web-workers", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        manage = [sys.executable, str(settings.REPO_DIR / "manage.py")]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        worker = subprocess.Popen([*manage, "run_huey", "--quiet"], env=env)  # noqa: S603
        bind = f"{options['host']}:{options['port']}"
        web = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "qingfeng.wsgi:application",
                "--bind",
                bind,
                "--workers",
                str(options["web_workers"]),
                "--access-logfile",
                "-",
                "--chdir",
                str(settings.REPO_DIR / "src"),
            ],
            env=env,
        )
        self.stdout.write(self.style.SUCCESS(f"清风已启动：http://{bind}/  （Ctrl+C 停止）"))
        for seeder in registry.demo_seeders():
            if seeder.logins_help:
                self.stdout.write(seeder.logins_help)
        try:
            while web.poll() is None and worker.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        finally:
            for proc in (web, worker):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in (web, worker):
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
