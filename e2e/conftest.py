"""Browser tests: a real server (gunicorn, production settings, whitenoise) on a fresh SQLite
database, driven by Chromium through Playwright at a desktop and a phone size.

Each pytest-xdist worker starts its own server on its own port and database, so the tests
run the same with `-n 2` as without. Every page a test opens is watched: a Content Security
Policy violation, a console error, a script error or a failed static file fails the test.
Screenshots go to e2e/screenshots/ (not committed).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from qingfeng.core.tests.liveserver import ROOT, free_port, small_city, wait_for

try:
    from playwright.sync_api import expect
except ImportError:  # the tests are then skipped, see pytest_collection_modifyitems
    expect = None  # type: ignore[assignment]

CHROMIUM = Path(os.environ.get("QF_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "e2e" / "screenshots"
SIZES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}


def _missing_browser() -> str:
    if not CHROMIUM.exists():
        return f"browser tests need Chromium at {CHROMIUM}"
    if expect is None:
        return "browser tests need the playwright package (pip install -e '.[dev]')"
    return ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _missing_browser()
    if reason:
        for item in items:
            if item.get_closest_marker("e2e"):
                item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class Server:
    url: str
    password: str
    units: dict[str, int]
    phones: list[str]
    log: Path

    def at(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A fresh copy of the small city (migrated, e2e/setup_data.py, static files collected:
    made once per test run), served."""
    data_dir = tmp_path_factory.mktemp("qf-e2e")
    city = small_city(tmp_path_factory)
    env, data = city.copy_to(data_dir), city.data
    port = free_port()
    log = data_dir / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--chdir",
                str(ROOT / "src"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "60",
                # The production logging (no address, user agent or referrer), as serve runs it.
                "--config",
                "python:qingfeng.core.gunicorn_conf",
                "qingfeng.wsgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        # The task worker, as `manage.py serve` runs it: jobs after commit (notifications,
        # the duplicate check) run as they do in production.
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_huey", "--quiet"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/healthz", process, log)
        yield Server(url, data["password"], data["units"], data["phones"], log)
    finally:
        for proc in (process, worker):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in (process, worker):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@dataclass
class PageProblems:
    """What went wrong in the browser while a test ran."""

    csp: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    script: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    expected_console: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        console = [v for v in self.console if not any(e in v for e in self.expected_console)]
        return [
            *(f"CSP violation: {v}" for v in self.csp),
            *(f"console error: {v}" for v in console),
            *(f"script error: {v}" for v in self.script),
            *(f"failed request: {v}" for v in self.requests),
        ]


# Reports every CSP violation to the test through an exposed function; the console message
# Chromium prints for it is caught as well, so nothing is missed if the binding is late.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.qfReportCsp(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
                     + ` at ${e.sourceFile || document.location.pathname}:${e.lineNumber}`);
});
"""


class Browser:
    """One screen size's browser tab, with helpers the tests share."""

    def __init__(self, page: Any, server: Server, size: str, problems: PageProblems) -> None:
        self.page = page
        self.server = server
        self.size = size
        self.problems = problems

    @property
    def is_phone(self) -> bool:
        return self.size == "phone"

    def goto(self, path: str) -> None:
        self.page.goto(self.server.at(path))

    def login(self, username: str, password: str | None = None) -> None:
        self.goto("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password or self.server.password)
        self.page.click("button[type=submit]")

    def open_menu(self) -> None:
        """On a phone the menu (and sign-out) sits behind the toggler."""
        if self.is_phone:
            self.page.locator(".navbar-toggler").click()

    def expect_console_error(self, text: str) -> None:
        """A console error the test causes on purpose (it may arrive after the page loads)."""
        self.problems.expected_console.append(text)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-{self.size}.png"
        self.page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    def assert_no_horizontal_overflow(self) -> None:
        overflow = self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page is {overflow}px wider than the {self.size} screen"


@contextmanager
def _open(browser: Any, server: Server, size: str) -> Iterator[Browser]:
    """A fresh browser context (no cookies) at one screen size; fails on page problems."""
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", base_url=server.url, **SIZES[size]
    )
    context.set_default_timeout(10_000)
    problems = PageProblems()
    context.expose_function("qfReportCsp", lambda text: problems.csp.append(text))
    context.add_init_script(_CSP_LISTENER)
    page = context.new_page()

    def on_console(message: Any) -> None:
        if message.type == "error":
            problems.console.append(message.text)

    def on_response(response: Any) -> None:
        if response.status >= 400 and "/static/" in response.url:
            problems.requests.append(f"{response.status} {response.url}")

    def on_request_failed(request: Any) -> None:
        # A load cut short by the next navigation (ERR_ABORTED) is not a failure.
        if "/static/" in request.url and "ERR_ABORTED" not in str(request.failure):
            problems.requests.append(f"{request.failure} {request.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.script.append(str(error)))
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    log_start = server.log.stat().st_size
    try:
        yield Browser(page, server, size, problems)
    finally:
        context.close()
    if problems.all():
        with server.log.open("rb") as log:
            log.seek(log_start)
            server_output = log.read().decode(errors="replace")[-4000:]
        pytest.fail("\n".join([*problems.all(), "server log:", server_output]))


@pytest.fixture(params=list(SIZES))
def ui(request: pytest.FixtureRequest, browser: Any, server: Server) -> Iterator[Browser]:
    """The test runs once at each screen size."""
    with _open(browser, server, request.param) as opened:
        yield opened


@pytest.fixture
def desktop(browser: Any, server: Server) -> Iterator[Browser]:
    """For behaviour that does not depend on the screen (lockout rules): desktop only."""
    with _open(browser, server, "desktop") as opened:
        yield opened
