"""`manage.py serve` as production runs it (gunicorn and the task worker as child processes):
it stops its children when stopped, and nothing it writes ties a public request to a network
address or a browser. No browser needed, so these run with the normal suite (about 30 s)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from qingfeng.core.tests.liveserver import (
    ROOT,
    answers,
    free_port,
    process_group,
    run_python,
    server_env,
    wait_for,
)

AGENT = "QingfengPrivacyProbe/9.9 (Marker-7f3a)"
FORWARDED = "203.0.113.77"
REFERRER = "https://referrer.example/Marker-7f3a/page"
PROBE_HEADERS = {
    "User-Agent": AGENT,
    "X-Forwarded-For": f"{FORWARDED}, 127.0.0.1",
    "X-Real-IP": FORWARDED,
    "Referer": REFERRER,
}
CONTENT = "学校要求每位学生购买指定教辅资料，每套二百元，不买的学生被班主任点名批评。"
PUBLIC = re.compile(r"/(report|progress|api/intake)/")


@dataclass
class Site:
    data_dir: Path
    env: dict[str, str]
    units: dict[str, int]


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    port: int
    stdout: Path
    stderr: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """A migrated SQLite database with the browser tests' small city, static files collected."""
    data_dir = tmp_path_factory.mktemp("qf-serve-data")
    env = server_env(data_dir)
    # Collected assets (which mention 127.0.0.1) outside the directory the test searches.
    env["QF_STATIC_ROOT"] = str(tmp_path_factory.mktemp("qf-serve-static"))
    run_python(["manage.py", "migrate", "--noinput", "-v", "0"], env)
    data = json.loads(run_python(["e2e/setup_data.py"], env).strip().splitlines()[-1])
    run_python(["manage.py", "collectstatic", "--noinput", "-v", "0"], env)
    return Site(data_dir, env, data["units"])


@contextmanager
def serving(site: Site, logs: Path) -> Iterator[Running]:
    """`manage.py serve` in its own process group, answering /healthz."""
    port = free_port()
    running = Running(None, port, logs / "stdout.log", logs / "stderr.log")  # type: ignore[arg-type]
    with running.stdout.open("wb") as out, running.stderr.open("wb") as err:
        running.process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "serve", "--port", str(port), "--web-workers", "1"],
            cwd=ROOT,
            env={**site.env, "LOG_LEVEL": "INFO"},
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    try:
        wait_for(running.url + "/healthz", running.process, running.stderr)
        yield running
    finally:
        # Whatever the test did, leave no process behind.
        for pid in process_group(running.process.pid):
            os.kill(pid, signal.SIGKILL)
        running.process.wait()


def child_pids(running: Running) -> dict[str, int]:
    """The children's pids, from the line serve prints once they are started."""
    match = re.search(r"web pid (\d+), worker pid (\d+)", running.stdout.read_text())
    assert match, running.output()
    return {"web": int(match[1]), "worker": int(match[2])}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_sigterm_stops_the_web_server_and_the_worker(site: Site, tmp_path: Path) -> None:
    with serving(site, tmp_path) as running:
        children = child_pids(running)
        group = process_group(running.process.pid)
        assert set(children.values()) <= set(group)
        assert len(group) > 3  # serve, gunicorn's arbiter and its worker, the task worker
        assert running.stop() == 0, running.output()
        assert not answers(running.port)
        assert not [pid for pid in (*children.values(), *group) if alive(pid)]
        assert process_group(running.process.pid) == []


def test_a_child_dying_stops_the_other_and_fails_serve(site: Site, tmp_path: Path) -> None:
    with serving(site, tmp_path) as running:
        children = child_pids(running)
        os.kill(children["worker"], signal.SIGKILL)
        assert running.process.wait(timeout=30) != 0
        assert not answers(running.port)
        assert process_group(running.process.pid) == []
