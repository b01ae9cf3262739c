"""Start the real programs, as production does, for tests that need more than the test client:
the browser tests (e2e/conftest.py) and the tests of `manage.py serve` itself."""

from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
# Variables of the test process that must not leak into the server's production settings.
_NOT_INHERITED = ("DATABASE_URL", "REDIS_URL", "QF_TESTING", "QF_HUEY_IMMEDIATE", "QF_STATIC_ROOT")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(data_dir: Path) -> dict[str, str]:
    """Production settings on a fresh SQLite database in `data_dir`, with fresh keys."""
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env.update(
        DJANGO_SETTINGS_MODULE="qingfeng.settings",
        PYTHONPATH=str(ROOT / "src"),
        QF_ENV_FILE=str(data_dir / "absent.env"),  # never a developer's .env
        QF_DATA_DIR=str(data_dir),
        QF_DEBUG="0",
        QF_TESTING="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        QF_FIELD_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        QF_INDEX_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        QF_AUDIT_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS="127.0.0.1",
        # Every test signs in from 127.0.0.1; the per-address limit is not what these tests
        # are about, and the per-name lockout they check must not be preceded by it.
        QF_LOGIN_MAX_FAILURES_PER_ADDRESS="10000",
        # The picture sum of the public form is for people; the intake tests file reports as
        # a citizen would, minus the sum (its own tests are unit tests). The proof of work
        # stays on: the browser solves it as it does for everyone.
        QF_INTAKE_SUM_CHECK="0",
        # The test machine is shared and may stall a process for a second: only a long queue
        # is shed here. The threshold itself is tested in core/tests/test_capacity.py.
        QF_SHED_QUEUE_MS="5000",
        LOG_LEVEL="WARNING",
        LANG="C.UTF-8",
    )
    return env


def run_python(args: list[str], env: dict[str, str]) -> str:
    """Run one of the repository's scripts with our interpreter; its stdout, or an error."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and scripts
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until `url` answers 200; fails with the server's log if it exits or takes 90 s
    (generous: the machine running the tests may be shared and busy)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - http://127.0.0.1
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {url}:\n{log.read_text(errors='replace')}")


def answers(port: int) -> bool:
    """Whether anything accepts connections on the port."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def process_group(pgid: int) -> list[int]:
    """The live (not zombie) processes of a process group, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp …; comm may hold spaces, so split after its ')'.
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            members.append(int(entry.name))
    return members
