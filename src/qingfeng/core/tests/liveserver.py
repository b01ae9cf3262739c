"""Start the real programs, as production does, for tests that need more than the test client:
the browser tests (e2e/conftest.py) and the tests of `manage.py serve` itself."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
        QF_LOGIN_CHALLENGE_AFTER="10000",
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


# --- Instances made once per test run -----------------------------------------------------
# `migrate` from nothing takes most of a minute on a busy machine (Django renders the state of
# every migration), and the browser tests, the tests of `serve`, the backup test and the
# migrate-on-a-copy test each need a fresh instance. The real commands run once per test run
# (shared by the xdist workers, under a file lock) on a directory of their own; each test then
# gets a copy of that directory, with the keys it was made under: the same files it would
# have made itself.
KEYS = ("SECRET_KEY", "QF_FIELD_KEY", "QF_INDEX_KEY", "QF_AUDIT_KEY")


@dataclass
class Made:
    """An instance's data directory as the real commands left it, and what a copy needs."""

    data_dir: Path
    env: dict[str, str]  # the keys it was made under, its static files' directory
    data: dict[str, Any]  # what e2e/setup_data.py printed ({} before it ran)

    def copy_to(self, data_dir: Path) -> dict[str, str]:
        """A fresh instance in `data_dir` equal to this one: its environment."""
        shutil.copytree(self.data_dir, data_dir, dirs_exist_ok=True)
        env = server_env(data_dir)
        env.update({k: self.env[k] for k in (*KEYS, "QF_STATIC_ROOT")})
        return env


def _run_root(tmp_path_factory: Any) -> Path:
    """The directory of this test run that every xdist worker sees."""
    base = Path(tmp_path_factory.getbasetemp())
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _made(tmp_path_factory: Any, name: str, make: Any) -> Made:
    """The instance `name` of this run, made by `make(data_dir, env)` if no worker has."""
    root = _run_root(tmp_path_factory) / "qf-made"
    root.mkdir(exist_ok=True)
    data_dir, done = root / name, root / f"{name}.json"
    with _locked(root / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(data_dir, ignore_errors=True)  # a worker that failed half-way
            data_dir.mkdir()
            env = server_env(data_dir)
            # Collected static files (which mention 127.0.0.1) outside the data directory.
            env["QF_STATIC_ROOT"] = str(root / "static")
            data = make(data_dir, env)
            kept = {k: env[k] for k in (*KEYS, "QF_STATIC_ROOT")}
            done.write_text(json.dumps({"env": kept, "data": data}))
        made = json.loads(done.read_text())
    return Made(data_dir, made["env"], made["data"])


def migrated(tmp_path_factory: Any) -> Made:
    """An empty instance, migrated by today's `manage.py migrate`."""

    def make(data_dir: Path, env: dict[str, str]) -> dict[str, Any]:
        run_python(["manage.py", "migrate", "--noinput", "-v", "0"], env)
        return {}

    return _made(tmp_path_factory, "migrated", make)


def small_city(tmp_path_factory: Any) -> Made:
    """The browser tests' small city (e2e/setup_data.py) on a migrated instance, its static
    files collected: what the browser tests and the tests of `serve` run on."""
    empty = migrated(tmp_path_factory)

    def make(data_dir: Path, env: dict[str, str]) -> dict[str, Any]:
        env.update(empty.copy_to(data_dir))
        data = json.loads(run_python(["e2e/setup_data.py"], env).strip().splitlines()[-1])
        run_python(["manage.py", "collectstatic", "--noinput", "-v", "0"], env)
        return dict(data)

    return _made(tmp_path_factory, "small-city", make)
