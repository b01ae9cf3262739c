"""`manage.py serve` as production runs it (gunicorn and the task worker as child processes):
it stops its children when stopped, and nothing it writes ties a public request to a network
address or a browser. No browser needed, so these run with the normal suite (about 30 s)."""

from __future__ import annotations

import html
import http.cookiejar
import io
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from qingfeng.core.publicform import work
from qingfeng.core.tests.liveserver import (
    ROOT,
    answers,
    free_port,
    process_group,
    small_city,
    wait_for,
)

pytestmark = pytest.mark.own_database  # SQLite of its own: once, in the SQLite pass

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
    """A fresh copy of the browser tests' small city (a migrated SQLite database, static
    files collected outside the directory the test searches: they mention 127.0.0.1)."""
    data_dir = tmp_path_factory.mktemp("qf-serve-data")
    city = small_city(tmp_path_factory)
    env = city.copy_to(data_dir)
    # These tests are about what the server writes and how it stops, not about load
    # shedding (test_capacity.py): a busy test machine must not turn their requests away.
    env["QF_SHED_QUEUE_MS"] = "60000"
    return Site(data_dir, env, city.data["units"])


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


def restarted(running: Running, name: str, old: int) -> int:
    """The pid serve reports for `name` once it has started it again (30 s at most)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.findall(rf"{name} pid (\d+)", running.stdout.read_text())
        if found and int(found[-1]) != old and alive(int(found[-1])):
            return int(found[-1])
        time.sleep(0.2)
    raise AssertionError(f"{name} was not started again:\n{running.output()}")


def jobs(site: Site) -> list[tuple[str, str]]:
    database = sqlite3.connect(site.data_dir / "qingfeng.sqlite3")
    try:
        return database.execute(
            "SELECT status, payload FROM core_job WHERE kind = 'intake.after_submit'"
        ).fetchall()
    finally:
        database.close()


def test_a_dead_worker_is_started_again_and_catches_up(site: Site, tmp_path: Path) -> None:
    with serving(site, tmp_path) as running:
        children = child_pids(running)
        before = len(jobs(site))
        os.kill(children["worker"], signal.SIGKILL)
        # While the worker is down the site takes reports: stored, their jobs queued.
        probe = Probe(running.url)
        category = json.loads(probe.send("/api/intake/categories")[1])[0]["id"]
        codes = []
        for title, content in (
            ("食堂饭菜分量不足", "食堂的饭菜分量越来越少，孩子每天回家都说没吃饱，我是孩子妈妈。"),
            ("班主任收礼", "听说欧阳老师收了家长送的购物卡，希望核实，王女士反映。"),
        ):
            body = {
                "kind": "complaint",
                "category_id": category,
                "unit_id": site.units["school"],
                "title": title,
                "content": content,
            }
            question = json.loads(probe.send("/api/intake/captcha")[1])
            body["work_solution"] = work.solve(question["work"])
            status, answer = probe.send("/api/intake/reports", json_body=body)
            assert status == 201, answer
            codes.append(json.loads(answer)["receipt_code"])
        worker = restarted(running, "worker", children["worker"])
        assert worker != children["worker"]
        # The new worker runs what was queued meanwhile.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            statuses = [status for status, _payload in jobs(site)[before:]]
            if len(statuses) == 2 and set(statuses) == {"done"}:
                break
            time.sleep(0.3)
        assert [status for status, _payload in jobs(site)[before:]] == ["done", "done"]
        for code in codes:
            assert probe.send("/api/intake/track", json_body={"code": code})[0] == 200
        # The web server too: killed, it comes back and answers.
        os.kill(children["web"], signal.SIGKILL)
        restarted(running, "web", children["web"])
        wait_for(running.url + "/healthz", running.process, running.stderr)
        assert running.process.poll() is None
        assert running.stop() == 0, running.output()
        assert "worker exited with status -9; starting it again" in running.output()


def test_serve_gives_up_on_a_child_that_cannot_start(site: Site, tmp_path: Path) -> None:
    """The port is taken: gunicorn cannot start, serve tries again, then exits non-zero."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "serve", "--port", str(port), "--max-restarts", "1"],
            cwd=ROOT,
            env={**site.env, "LOG_LEVEL": "INFO"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            start_new_session=True,
        )
    assert result.returncode != 0
    assert "web exited 2 times soon after starting" in result.stderr, result.stderr
    assert "starting it again in 1 s" in result.stderr, result.stderr


class Probe:
    """A citizen's client: a cookie jar, and the marked headers on every request."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def send(self, path: str, *, data: bytes | None = None, json_body: Any = None) -> Any:
        headers = dict(PROBE_HEADERS)
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=data, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no {name} in the form"
    return match[1]


def solved(page: str) -> str:
    """The form's proof of work, solved as its script does in the browser."""
    match = re.search(r'data-challenge="([^"]*)"', page)
    assert match, "no proof of work in the form"
    return work.solve(json.loads(html.unescape(match[1])))


def file_reports(url: str, units: dict[str, int]) -> None:
    """Anonymous reports through the form and the API, a lookup of each, some other pages."""
    probe = Probe(url)
    status, categories = probe.send("/api/intake/categories")
    assert status == 200, categories
    category = json.loads(categories)[0]["id"]
    school = units["school"]

    status, form = probe.send("/report/new/")
    assert status == 200, form
    fields = {
        "csrfmiddlewaretoken": hidden(form, "csrfmiddlewaretoken"),
        "idempotency_key": hidden(form, "idempotency_key"),
        "kind": "complaint",
        "category": str(category),
        "unit": str(school),
        "title": "强制购买教辅",
        "content": CONTENT,
        "occurred": "本学期",
        "identity": "anonymous",
        "work_solution": solved(form),
    }
    status, receipt = probe.send("/report/new/", data=urllib.parse.urlencode(fields).encode())
    assert status == 200 and "已收到您的反映" in receipt, receipt
    shown = re.search(r'data-testid="receipt-code">(.*?)</div>', receipt)
    assert shown, receipt
    code = re.sub(r"\D", "", re.sub(r"<[^>]+>", "", shown[1]))
    status, page = probe.send("/report/track/")
    fields = {"csrfmiddlewaretoken": hidden(page, "csrfmiddlewaretoken"), "op": "lookup"}
    status, _ = probe.send(
        "/report/track/", data=urllib.parse.urlencode({**fields, "code": code}).encode()
    )
    assert status == 200

    body = {
        "kind": "complaint",
        "category_id": category,
        "unit_id": school,
        "title": "补课收费",
        "content": CONTENT.replace("教辅资料", "补课"),
    }
    status, question = probe.send("/api/intake/captcha")
    assert status == 200, question
    body["work_solution"] = work.solve(json.loads(question)["work"])
    status, answer = probe.send("/api/intake/reports", json_body=body)
    assert status == 201, answer
    status, answer = probe.send(
        "/api/intake/track", json_body={"code": json.loads(answer)["receipt_code"]}
    )
    assert status == 200, answer
    # A mistyped code and a missing page: the warnings Django logs for 4xx must be clean too.
    assert probe.send("/api/intake/track", json_body={"code": "1234 5678"})[0] == 404
    assert probe.send("/report/no-such-page/")[0] == 404
    assert probe.send("/progress/")[0] == 200


def test_no_network_metadata_of_public_requests_is_written_anywhere(
    site: Site, tmp_path: Path
) -> None:
    with serving(site, tmp_path) as running:
        file_reports(running.url, site.units)
        time.sleep(1)  # the worker's jobs after commit (routing, duplicates) get to run
        assert running.stop() == 0, running.output()
    output = running.output()
    # Gunicorn's access lines and Django's warnings for 4xx are there, to be searched.
    assert '"POST /api/intake/reports" 201' in output, output
    assert "Not Found: /report/no-such-page/" in output, output

    secrets = (AGENT, "Marker-7f3a", FORWARDED, "127.0.0.1")
    found = []
    # Every text and blob column of every table of the database.
    database = sqlite3.connect(site.data_dir / "qingfeng.sqlite3")
    tables = [
        row[0] for row in database.execute("SELECT name FROM sqlite_master WHERE type='table'")
    ]
    for table in tables:
        for row in database.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names from the schema
            for value in row:
                text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
                if any(s in text for s in secrets):
                    found.append(f"{table}: {text[:200]}")
    database.close()
    # Every file under the data directory (the database files raw, the queue, the cache);
    # the log files hold what the processes wrote, and are read with it below.
    logs = site.data_dir / "logs"
    written = sorted(logs.glob("qingfeng-*.log"))
    assert written, "no log file under the data directory"
    for path in site.data_dir.rglob("*"):
        if path.is_file() and path.parent != logs:
            raw = path.read_bytes()
            found += [f"{path} holds {s}" for s in secrets if s.encode() in raw]
    logged = "\n".join(path.read_text(encoding="utf-8") for path in written)
    assert '"POST /api/intake/reports\\" 201' in logged, logged  # access lines are kept
    # What the processes wrote: never the marker or the forwarded address; no address at all
    # on a line about a public request (the server's own "Listening at" address may be there).
    for line in [*output.splitlines(), *logged.splitlines()]:
        if any(s in line for s in secrets[:3]) or (PUBLIC.search(line) and "127.0.0.1" in line):
            found.append(line)
    assert not found, "\n".join(found)


def test_gunicorn_s_invalid_request_warning_names_no_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from gunicorn.config import Config

    from qingfeng.core.gunicorn_conf import NoAddressLogger

    logger = NoAddressLogger(Config())
    logger.error_log.propagate = True
    with caplog.at_level("WARNING", logger="gunicorn.error"):
        logger.warning(f"Invalid request from ip={FORWARDED}: Invalid HTTP request line")
    assert caplog.messages == ["Invalid request from ip=-: Invalid HTTP request line"]


def still_open(sock: socket.socket) -> bool:
    """Nothing to read, no answer and no end of stream: the server holds the connection."""
    sock.setblocking(False)
    try:
        sock.recv(1)  # an answer (a 400 or 408) or the end of stream: not held
    except BlockingIOError:
        return True
    except OSError:
        pass
    finally:
        sock.setblocking(True)
    return False


def trickle(socks: list[socket.socket]) -> None:
    """One more byte from each slow client still connected: a header's value, or a report's
    content (the server may have dropped a request whose headers never ended)."""
    for sock in socks:
        with suppress(OSError):
            sock.send(b"b")


def test_slow_clients_do_not_stall_the_site(site: Site, tmp_path: Path) -> None:
    """200 connections that send their request a byte at a time, or never finish a report's
    body, while citizens keep reading pages: one web process, and every page still comes."""
    paths = ("/progress/", "/report/new/", "/api/intake/categories", "/healthz")
    with serving(site, tmp_path) as running:
        probe = Probe(running.url)
        for path in paths:
            # Each page once before: a fresh process's first page of a kind compiles its
            # templates and fills its caches (1.8 s seen on a busy machine); the bar below is
            # for pages while slow clients hold connections, not for a cold start.
            assert probe.send(path)[0] == 200, path
        slow: list[socket.socket] = []
        headers_sent_at: dict[socket.socket, float] = {}  # the slowloris half
        try:
            for i in range(200):
                sock = socket.create_connection(("127.0.0.1", running.port), timeout=5)
                if i % 2:
                    # Headers that never end (slowloris).
                    sock.sendall(b"GET /progress/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: ")
                    headers_sent_at[sock] = time.monotonic()
                else:
                    # A report's body promised in full and sent in part.
                    sock.sendall(
                        b"POST /api/intake/reports HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
                        + '{"title": "补课收费", "content": "'.encode()
                    )
                slow.append(sock)
            # All 200 are connected and waiting, none answered or dropped, except that the
            # server drops a request whose headers have not all come within --keepalive (5 s),
            # as it should: on a loaded test machine opening the 200 can take longer than
            # that, so the oldest slowloris connections may be gone (a margin of 0.5 s).
            checked = time.monotonic()
            held = [
                sock
                for sock in slow
                if still_open(sock) or checked - headers_sent_at.get(sock, checked) > 4.5
            ]
            assert len(held) == len(slow)
            # The bar: normal requests keep answering within a second. Each page is
            # asked up to three times and its fastest answer counts: a server the slow clients
            # stall (33 s a round before gevent) misses it every time, while the test machine,
            # shared with the rest of the suite, may pause any one request of ours.
            took: dict[str, list[float]] = {path: [] for path in paths}
            for path in paths:
                while len(took[path]) < 3 and min(took[path], default=9.9) > 1.0:
                    trickle(slow)
                    started = time.monotonic()
                    status, _page = probe.send(path)
                    took[path].append(time.monotonic() - started)
                    assert status == 200, path
            assert max(min(times) for times in took.values()) <= 1.0, took
        finally:
            for sock in slow:
                sock.close()
        assert running.stop() == 0, running.output()


def test_a_report_with_a_photo_is_stored_in_an_s3_bucket_by_the_real_server(
    site: Site, tmp_path: Path
) -> None:
    """gevent's workers and botocore: patched too late, every TLS context recursed and every
    upload to the bucket was a 500 (core/gunicorn_gevent.py)."""
    import boto3
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        keys = {"aws_access_key_id": "qingfeng-test", "aws_secret_access_key": "secret"}
        s3 = boto3.client(
            "s3", endpoint_url=f"http://{host}:{port}", region_name="us-east-1", **keys
        )
        s3.create_bucket(Bucket="qingfeng-serve")
        in_bucket = Site(
            site.data_dir,
            {
                **site.env,
                "QF_MEDIA_S3_BUCKET": "qingfeng-serve",
                "QF_MEDIA_S3_ENDPOINT_URL": f"http://{host}:{port}",
                "QF_MEDIA_S3_ACCESS_KEY": keys["aws_access_key_id"],
                "QF_MEDIA_S3_SECRET_KEY": keys["aws_secret_access_key"],
                # The module's other tests filed reports from this address this hour.
                "QF_INTAKE_SUBMITS_PER_HOUR": "1000",
            },
            site.units,
        )
        with serving(in_bucket, tmp_path) as running:
            probe = Probe(running.url)
            category = json.loads(probe.send("/api/intake/categories")[1])[0]["id"]
            question = json.loads(probe.send("/api/intake/captcha")[1])
            fields = {
                "kind": "complaint",
                "category_id": category,
                "unit_id": site.units["school"],
                "title": "校门口积水",
                "content": "学校门口下雨后积水很深，学生进出不便，附照片。",
                "work_solution": work.solve(question["work"]),
            }
            boundary = "qingfeng-boundary"
            parts = [
                f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                for k, v in fields.items()
            ]
            from PIL import Image

            png = io.BytesIO()
            Image.new("RGB", (24, 24), (40, 120, 200)).save(png, "PNG")
            picture = png.getvalue()
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
                f'filename="water.png"\r\nContent-Type: image/png\r\n\r\n'.encode()
                + picture
                + f"\r\n--{boundary}--\r\n".encode()
            )
            request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1
                running.url + "/api/intake/reports",
                data=b"".join(parts),
                headers={
                    **PROBE_HEADERS,
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                },
            )
            try:
                with probe.opener.open(request, timeout=30) as response:
                    status, answer = response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                status, answer = error.code, error.read().decode()
            assert status == 201, (answer, running.output()[-3000:])
            assert "RecursionError" not in running.output()
        stored = s3.list_objects_v2(Bucket="qingfeng-serve").get("Contents", [])
        assert [item["Key"].startswith("intake/") for item in stored] == [True]
    finally:
        server.stop()
