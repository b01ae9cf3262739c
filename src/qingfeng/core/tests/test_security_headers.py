from __future__ import annotations

import base64
import os
import re
import runpy
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

from django.test import override_settings

import qingfeng.settings
from qingfeng.test import BaseTestCase

TEMPLATE_ROOT = Path(qingfeng.settings.BASE_DIR)


def production_settings(**env: str) -> dict[str, Any]:
    """The settings module as production evaluates it (no QF_TESTING, real secrets)."""
    key = base64.b64encode(b"k" * 32).decode()
    with tempfile.TemporaryDirectory() as data_dir:
        values = {
            "QF_TESTING": "0",
            "QF_DEBUG": "0",
            "QF_ENV_FILE": str(Path(data_dir) / "absent.env"),
            "QF_DATA_DIR": data_dir,
            "QF_STATIC_ROOT": str(Path(data_dir) / "static"),
            "SECRET_KEY": "a-production-secret-key-" + "y" * 40,
            "QF_FIELD_KEY": key,
            "QF_INDEX_KEY": key,
            "QF_AUDIT_KEY": key,
            **env,
        }
        with mock.patch.dict(os.environ, values):
            return runpy.run_path(qingfeng.settings.__file__)


class SecurityHeadersTestCase(BaseTestCase):
    def assert_strict_csp(self, response: Any) -> None:
        csp = response["Content-Security-Policy"]
        self.assertNotIn("unsafe-inline", csp)
        self.assertNotIn("unsafe-eval", csp)
        self.assertIn("frame-ancestors 'none'", csp)
        self.assertIn("script-src 'self'", csp)
        self.assertIn("style-src 'self'", csp)
        self.assertIn("object-src 'none'", csp)

    def test_the_login_page(self) -> None:
        response = self.client.get("/accounts/login/")
        self.assertEqual(response.status_code, 200)
        self.assert_strict_csp(response)
        self.assertEqual(response["X-Frame-Options"], "DENY")
        self.assertIn("no-store", response["Cache-Control"])
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertEqual(response["Referrer-Policy"], "same-origin")
        self.assertEqual(response["Cross-Origin-Opener-Policy"], "same-origin")
        self.assertNotIn("Strict-Transport-Security", response)

    def test_static_files_and_the_bad_host_page_carry_the_headers_too(self) -> None:
        static = self.client.get("/static/qingfeng/app.css")
        self.assertEqual(static.status_code, 200)
        bad_host = self.client.get("/accounts/login/", headers={"host": "evil.example"})
        self.assertEqual(bad_host.status_code, 400)
        refused = self.client.get("/report/units/", {"unit_q": "\x00"})
        self.assertEqual(refused.status_code, 400)
        for response in (static, bad_host, refused):
            with self.subTest(response=response):
                self.assert_strict_csp(response)
                self.assertEqual(response["X-Frame-Options"], "DENY")
                self.assertEqual(response["X-Content-Type-Options"], "nosniff")

    def test_signed_in_pages_are_never_stored(self) -> None:
        self.login(self.school_admin)
        for url in ("/", "/orgs/units/", "/orgs/people/", "/accounts/profile/"):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response["Cache-Control"], "no-store")
                self.assertEqual(response["X-Frame-Options"], "DENY")
                self.assert_strict_csp(response)

    def test_error_pages_carry_the_headers_too(self) -> None:
        self.login(self.teacher)
        response = self.client.get("/orgs/units/999999/")
        self.assertIn(response.status_code, {403, 404})
        self.assert_strict_csp(response)
        self.assertEqual(response["Cache-Control"], "no-store")

    def test_hsts_on_https(self) -> None:
        with override_settings(
            SECURE_HSTS_SECONDS=31536000,
            SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
            SECURE_HSTS_PRELOAD=True,
        ):
            secure = self.client.get("/accounts/login/", secure=True)
            plain = self.client.get("/accounts/login/")
        self.assertEqual(
            secure["Strict-Transport-Security"], "max-age=31536000; includeSubDomains; preload"
        )
        self.assertNotIn("Strict-Transport-Security", plain)  # browsers ignore it over http

    def test_qf_https_turns_on_hsts_and_secure_cookies(self) -> None:
        https = production_settings(QF_HTTPS="1")
        self.assertEqual(https["SECURE_HSTS_SECONDS"], 31536000)
        self.assertTrue(https["SECURE_HSTS_INCLUDE_SUBDOMAINS"])
        self.assertTrue(https["SESSION_COOKIE_SECURE"])
        self.assertTrue(https["CSRF_COOKIE_SECURE"])
        self.assertTrue(https["SECURE_SSL_REDIRECT"])
        plain = production_settings(QF_HTTPS="0")
        self.assertEqual(plain["SECURE_HSTS_SECONDS"], 0)
        self.assertFalse(plain["SESSION_COOKIE_SECURE"])

    def test_cookies_are_not_readable_by_scripts(self) -> None:
        response = self.client.post(
            "/accounts/login/", {"username": "teacher", "password": "Qingfeng-Test-2026!"}
        )
        cookie = response.cookies["sessionid"]
        self.assertTrue(cookie["httponly"])
        self.assertEqual(cookie["samesite"], "Lax")


# Markup that a CSP without 'unsafe-inline' would block: inline scripts, style attributes and
# <style> blocks, event-handler attributes, javascript: links.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"javascript:", re.I)


class TemplatesFitTheCspTestCase(BaseTestCase):
    def test_no_template_needs_unsafe_inline(self) -> None:
        offenders = []
        templates = sorted(TEMPLATE_ROOT.glob("**/templates/**/*.html"))
        self.assertGreater(len(templates), 5)
        for path in templates:
            text = path.read_text(encoding="utf-8")
            for name, pattern in (
                ("inline script", INLINE_SCRIPT),
                ("inline style", INLINE_STYLE),
                ("event handler", EVENT_HANDLER),
                ("javascript: URL", JS_URL),
            ):
                for match in pattern.finditer(text):
                    line = text.count("\n", 0, match.start()) + 1
                    offenders.append(f"{path.relative_to(TEMPLATE_ROOT)}:{line}: {name}")
        self.assertEqual(offenders, [], "\n".join(offenders))


def test_gunicorn_does_not_name_itself() -> None:
    from types import SimpleNamespace

    from gunicorn.http import wsgi

    import qingfeng.core.gunicorn_conf  # noqa: F401 - loading the settings patches gunicorn

    response = wsgi.Response(SimpleNamespace(version=(1, 1), method="GET"), None, None)
    response.status = "200 OK"
    response.should_close = lambda: False
    lines = response.default_headers()
    assert lines[0] == "HTTP/1.1 200 OK\r\n"
    assert not [line for line in lines if line.lower().startswith("server")], lines
