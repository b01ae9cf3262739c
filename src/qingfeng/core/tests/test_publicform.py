"""The public-form kit on its own, as a second form (evaluation) will use it: its own human
check and limits beside intake's, QR images of any public address, posters in its words."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import time
import unittest
from pathlib import Path
from typing import Any

import time_machine
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import RequestFactory, SimpleTestCase, override_settings
from pypdf import PdfReader

from qingfeng.core.middleware import client_address
from qingfeng.core.publicform import poster, qr, work
from qingfeng.core.publicform.captcha import HumanCheck
from qingfeng.core.publicform.device import DeviceMemory
from qingfeng.core.publicform.throttle import Limit
from qingfeng.core.publicform.views import HumanCheckViews, add_errors
from qingfeng.core.publicform.work import WorkCheck


def _font_missing() -> str:
    try:
        poster.find_font_file()
    except poster.PosterFontError:
        return "the PDF poster needs a TrueType Chinese font: apt-get install fonts-wqy-microhei"
    return ""


# Like the browser tests without Chromium: skipped, with the reason, where the machine lacks
# the font (scripts/system_deps.sh installs it; CI requires it).
needs_font = unittest.skipIf(bool(_font_missing()), _font_missing())

SURVEY = HumanCheck(namespace="survey", switch="QF_SURVEY_HUMAN_CHECK")
INTAKE = HumanCheck(namespace="intake", switch="QF_INTAKE_HUMAN_CHECK")
WORK_SURVEY = WorkCheck(namespace="survey", switch="QF_SURVEY_HUMAN_CHECK")


@override_settings(QF_SURVEY_HUMAN_CHECK=True)
class HumanCheckTestCase(SimpleTestCase):
    def setUp(self) -> None:
        cache.clear()

    def test_the_right_answer_passes_once(self) -> None:
        token = SURVEY.new_token()
        answer = SURVEY.answer_for_tests(token)
        self.assertFalse(SURVEY.verify(SURVEY.new_token(), str(answer + 100)))
        self.assertTrue(SURVEY.verify(token, f" {answer} "))
        self.assertFalse(SURVEY.verify(token, str(answer)))  # spent

    def test_a_token_of_another_form_is_worth_nothing(self) -> None:
        token = INTAKE.new_token()
        self.assertIsNone(SURVEY.render_svg(token))
        with self.assertRaises(ValueError):
            SURVEY.answer_for_tests(token)
        self.assertFalse(SURVEY.verify(token, str(INTAKE.answer_for_tests(token))))
        self.assertIn("<polyline", INTAKE.render_svg(token) or "")

    def test_an_expired_question_is_refused(self) -> None:
        short = HumanCheck(namespace="survey", switch="QF_SURVEY_HUMAN_CHECK", ttl=-1)
        token = short.new_token()
        self.assertIsNone(short.render_svg(token))
        self.assertFalse(short.passes(token, "1"))

    def test_its_own_setting_switches_it_off(self) -> None:
        self.assertTrue(SURVEY.enabled)
        self.assertFalse(SURVEY.passes("", ""))
        with override_settings(QF_SURVEY_HUMAN_CHECK=False, QF_INTAKE_HUMAN_CHECK=True):
            self.assertFalse(SURVEY.enabled)
            self.assertTrue(SURVEY.passes("", ""))
            self.assertTrue(INTAKE.enabled)


@override_settings(ROOT_URLCONF="qingfeng.core.tests.human_check_urls", QF_SECOND_CHECK=True)
class HumanCheckViewsTestCase(SimpleTestCase):
    """The check's two pages for a second form, under its own addresses."""

    def setUp(self) -> None:
        cache.clear()
        from qingfeng.core.tests.human_check_urls import SECOND

        self.views = SECOND

    def test_the_form_gets_a_question_with_its_image_and_refresh_addresses(self) -> None:
        context = self.views.context()
        self.assertTrue(context["human_check"])
        token = context["captcha_token"]
        self.assertEqual(context["captcha_image_url"], f"/rate/check/{token}.svg")
        image = self.client.get(context["captcha_image_url"])
        self.assertEqual(image["Content-Type"], "image/svg+xml")
        self.assertIn(b"<svg", image.content)
        self.assertIn("no-cache", image["Cache-Control"])
        fresh = self.client.get(context["captcha_new_url"]).content.decode()
        self.assertIn('src="/rate/check/', fresh)
        self.assertNotIn(token, fresh)  # a new question

    def test_a_question_of_another_form_has_no_image_here(self) -> None:
        other = HumanCheck(namespace="intake", switch="QF_SECOND_CHECK").new_token()
        self.assertEqual(self.client.get(f"/rate/check/{other}.svg").status_code, 404)

    @override_settings(QF_SECOND_CHECK=False)
    def test_switched_off_the_form_shows_none(self) -> None:
        self.assertEqual(
            self.views.context(), {"human_check": False, "captcha_token": "", "work_check": False}
        )

    def test_a_submission_without_the_answers_is_refused_on_both_fields(self) -> None:
        views = HumanCheckViews(check=SURVEY, work=WORK_SURVEY, url_namespace="second")
        with override_settings(QF_SURVEY_HUMAN_CHECK=True, QF_WORK_CHECK_MAXNUMBER=5000):
            with self.assertRaises(ValidationError) as refused:
                wrong = SURVEY.new_token()
                views.require(
                    {
                        "captcha_token": wrong,
                        "captcha_answer": str(SURVEY.answer_for_tests(wrong) + 1),
                    }
                )
            self.assertEqual(
                set(refused.exception.message_dict), {"work_solution", "captcha_answer"}
            )
            form = _CheckForm({"name": "张三"})
            self.assertTrue(form.is_valid())
            add_errors(form, refused.exception)
            self.assertIn("验证答案不正确或已过期，请重新计算", form.errors["captcha_answer"])
            add_errors(form, ValidationError({"files": "附件过大"}))  # no such field: on top
            self.assertEqual(form.non_field_errors(), ["附件过大"])
            renamed = _CheckForm({"name": "张三"})
            renamed.is_valid()
            add_errors(
                renamed, ValidationError({"reporter": "请填写姓名"}), field_name=lambda n: "name"
            )
            self.assertEqual(renamed.errors["name"], ["请填写姓名"])
            token = SURVEY.new_token()
            challenge = WORK_SURVEY.challenge()
            views.require(
                {
                    "captcha_token": token,
                    "captcha_answer": str(SURVEY.answer_for_tests(token)),
                    "work_solution": work.solve(challenge),
                }
            )
        with override_settings(QF_SURVEY_HUMAN_CHECK=False):
            views.require({})  # switched off: nothing is asked


class _CheckForm(forms.Form):
    name = forms.CharField()
    captcha_token = forms.CharField(required=False)
    captcha_answer = forms.CharField(required=False)
    work_solution = forms.CharField(required=False)


class DeviceMemoryTestCase(SimpleTestCase):
    """A phone's own signed cookie says what it already sent; the server keeps nothing."""

    MEMORY = DeviceMemory(
        cookie="qf_t", salt="qingfeng.test.device", max_age=3600, path="/t/", keep=3
    )

    def test_it_remembers_the_newest_keys_in_a_signed_cookie(self) -> None:
        factory = RequestFactory()
        request = factory.get("/t/")
        self.assertFalse(self.MEMORY.has(request, "2026Q4-7"))
        for key in ("2026Q4-7", "2026Q4-8", "2026Q4-9", "2026Q4-10"):
            response = HttpResponse()
            self.MEMORY.remember(request, response, key)
            cookie = response.cookies["qf_t"]
            request = factory.get("/t/", HTTP_COOKIE=f"qf_t={cookie.value}")
        self.assertEqual(self.MEMORY.keys(request), ["2026Q4-8", "2026Q4-9", "2026Q4-10"])
        self.assertEqual(
            (cookie["path"], cookie["httponly"], cookie["samesite"]), ("/t/", True, "Lax")
        )
        forged = factory.get("/t/", HTTP_COOKIE="qf_t=2026Q4-7")
        self.assertEqual(self.MEMORY.keys(forged), [])
        other = DeviceMemory(cookie="qf_t", salt="qingfeng.other", max_age=3600, path="/t/")
        self.assertEqual(other.keys(request), [])  # another form's cookie is worth nothing


@override_settings(QF_SURVEY_HUMAN_CHECK=True, QF_WORK_CHECK_MAXNUMBER=5000)
class WorkCheckTestCase(SimpleTestCase):
    """The proof of work: solved by the reference client, refused when anything in it is off."""

    def setUp(self) -> None:
        cache.clear()
        self.check = WorkCheck(namespace="survey", switch="QF_SURVEY_HUMAN_CHECK")

    def test_a_solution_passes_once(self) -> None:
        solution = work.solve(self.check.challenge())
        self.assertTrue(self.check.verify(solution))
        self.assertFalse(self.check.verify(solution))  # spent

    def test_the_work_doubles_with_the_level_up_to_a_ceiling(self) -> None:
        sizes = [self.check.challenge(level=n)["maxnumber"] for n in (0, 1, 3, 6, 40, -2)]
        self.assertEqual(sizes, [5000, 10000, 40000, 320000, 320000, 5000])

    def test_tampering_is_refused(self) -> None:
        challenge = self.check.challenge()
        good = json.loads(base64.b64decode(work.solve(challenge)))
        wrong_number = {**good, "number": (good["number"] + 1) % (challenge["maxnumber"] + 1)}
        # A client that picks its own easier challenge cannot sign it.
        own_salt = "0" * 24 + "?expires=9999999999&max=10"
        own = {
            **good,
            "salt": own_salt,
            "number": 3,
            "challenge": hashlib.sha256(f"{own_salt}3".encode()).hexdigest(),
        }
        cases = {
            "wrong number": wrong_number,
            "own challenge": own,
            "bad signature": {**good, "signature": "0" * 64},
            "number as text": {**good, "number": str(good["number"])},
            "missing field": {k: v for k, v in good.items() if k != "salt"},
        }
        for label, data in cases.items():
            with self.subTest(label):
                encoded = base64.b64encode(json.dumps(data).encode()).decode()
                self.assertFalse(self.check.verify(encoded))
        for garbage in ("", "not base64!", base64.b64encode(b"[1,2]").decode(), "e30="):
            with self.subTest(garbage=garbage):
                self.assertFalse(self.check.verify(garbage))
        self.assertTrue(self.check.verify(work.encode(challenge, good["number"])))

    def test_another_forms_solution_is_worthless_here(self) -> None:
        other = WorkCheck(namespace="intake", switch="QF_SURVEY_HUMAN_CHECK")
        self.assertFalse(self.check.verify(work.solve(other.challenge())))

    def test_an_expired_challenge_is_refused(self) -> None:
        challenge = self.check.challenge()
        solution = work.solve(challenge)
        with time_machine.travel(time.time() + self.check.ttl + 5):
            self.assertFalse(self.check.verify(solution))

    @override_settings(QF_SURVEY_HUMAN_CHECK=False)
    def test_switched_off_anything_passes(self) -> None:
        self.assertTrue(self.check.passes(""))

    def test_the_browser_script_finds_the_same_number(self) -> None:
        """The worker's own SHA-256 and search, run by node on a real challenge."""
        node = shutil.which("node")
        if node is None:
            self.skipTest("node is not installed (make assets needs it anyway)")
        challenge = self.check.challenge(level=2)
        script = (
            "const w = require(process.argv[1]);"
            "process.stdout.write(String(w.search(JSON.parse(process.argv[2]))));"
        )
        worker = Path(settings.BASE_DIR) / "static/qingfeng/work-worker.js"
        found = subprocess.run(  # noqa: S603 - node on our own script
            [node, "-e", script, str(worker), json.dumps(challenge)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        self.assertTrue(self.check.verify(work.encode(challenge, int(found))))


class ThrottleTestCase(SimpleTestCase):
    def setUp(self) -> None:
        cache.clear()
        self.request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7")

    def test_it_counts_per_address_up_to_the_limit(self) -> None:
        limit = Limit("survey", "submit", 2, 3600)
        self.assertEqual([limit.hit(self.request) for _i in range(2)], [1, 2])
        self.assertTrue(limit.is_limited(self.request))
        other = RequestFactory().get("/", REMOTE_ADDR="198.51.100.1")
        self.assertFalse(limit.is_limited(other))

    def test_another_namespace_or_scope_does_not_share_counts(self) -> None:
        Limit("intake", "submit", 2, 3600).hit(self.request)
        Limit("intake", "submit", 2, 3600).hit(self.request)
        self.assertEqual(Limit("survey", "submit", 2, 3600).count(self.request), 0)
        self.assertEqual(Limit("intake", "lookup", 2, 3600).count(self.request), 0)
        self.assertEqual(Limit("intake", "submit", 5, 3600).count(self.request), 2)

    def test_a_limit_of_zero_limits_nothing(self) -> None:
        limit = Limit("survey", "lookup", 0, 60)
        limit.hit(self.request)
        self.assertFalse(limit.is_limited(self.request))


class TrustedProxyTestCase(SimpleTestCase):
    """Whose bucket a request counts in, with and without a trusted reverse proxy."""

    PROXY = "10.0.0.5"

    def setUp(self) -> None:
        cache.clear()
        self.limit = Limit("intake", "submit", 2, 3600)

    def via_proxy(self, forwarded: str) -> Any:
        return RequestFactory().post("/", REMOTE_ADDR=self.PROXY, HTTP_X_FORWARDED_FOR=forwarded)

    def test_without_trusted_hops_a_forged_header_does_not_escape_the_limit(self) -> None:
        self.limit.hit(self.via_proxy("192.0.2.1"))
        self.limit.hit(self.via_proxy("192.0.2.2"))
        self.assertTrue(self.limit.is_limited(self.via_proxy("192.0.2.3")))
        self.assertEqual(client_address(self.via_proxy("192.0.2.3")), self.PROXY)

    @override_settings(QF_TRUSTED_PROXY_HOPS=1)
    def test_behind_one_proxy_two_clients_get_their_own_buckets(self) -> None:
        self.limit.hit(self.via_proxy("198.51.100.1"))
        self.limit.hit(self.via_proxy("198.51.100.1"))
        self.assertTrue(self.limit.is_limited(self.via_proxy("198.51.100.1")))
        self.assertFalse(self.limit.is_limited(self.via_proxy("198.51.100.2")))

    @override_settings(QF_TRUSTED_PROXY_HOPS=1)
    def test_behind_one_proxy_a_forged_left_most_entry_does_not_escape_the_limit(self) -> None:
        # The client sends its own X-Forwarded-For; the proxy appends the real address.
        for forged in ("192.0.2.1", "192.0.2.2, 192.0.2.3"):
            self.limit.hit(self.via_proxy(f"{forged}, 198.51.100.1"))
        self.assertTrue(self.limit.is_limited(self.via_proxy("192.0.2.9, 198.51.100.1")))
        self.assertEqual(client_address(self.via_proxy("192.0.2.9,198.51.100.1")), "198.51.100.1")

    @override_settings(QF_TRUSTED_PROXY_HOPS=2)
    def test_behind_two_proxies_the_second_entry_from_the_right_is_the_client(self) -> None:
        request = self.via_proxy("192.0.2.9, 198.51.100.1, 10.0.0.4")
        self.assertEqual(client_address(request), "198.51.100.1")
        # Fewer entries than proxies: it did not come through them; the connection counts.
        self.assertEqual(client_address(self.via_proxy("198.51.100.1")), self.PROXY)
        self.assertEqual(client_address(RequestFactory().get("/", REMOTE_ADDR="::1")), "::1")


class QrTestCase(SimpleTestCase):
    def test_the_public_address_is_the_setting_or_the_request(self) -> None:
        request = RequestFactory().get("/staff/", secure=True)
        self.assertEqual(qr.public_url(request, "/s/7/"), "https://testserver/s/7/")
        with override_settings(QF_PUBLIC_BASE_URL="https://pingyi.example.gov.cn"):
            self.assertEqual(qr.public_url(request, "/s/7/"), "https://pingyi.example.gov.cn/s/7/")

    def test_the_code_is_served_inline_as_png_or_svg(self) -> None:
        png = qr.png_response("https://example.org/s/7/", filename="问卷.png")
        self.assertEqual(png["Content-Type"], "image/png")
        self.assertTrue(png.content.startswith(b"\x89PNG"))
        self.assertTrue(png["Content-Disposition"].startswith("inline;"))
        svg = qr.svg_response("https://example.org/s/7/", filename="问卷.svg")
        self.assertEqual(svg["Content-Type"], "image/svg+xml")
        self.assertIn(b"<svg", svg.content)


class PosterTestCase(SimpleTestCase):
    @needs_font
    def test_a_poster_carries_the_forms_own_words(self) -> None:
        wording = poster.Wording(
            title="群众评议",
            subtitle="扫码参与满意度测评",
            lines=(poster.Line("匿名填写，约两分钟"), poster.Line("感谢参与", size=20, gap=40)),
        )
        pages = [
            poster.Poster(name="东城区实验小学", url="https://example.org/s/1/"),
            poster.Poster(name="西山县第一中学", url="https://example.org/s/2/", issuer="清河市"),
        ]
        reader = PdfReader(io.BytesIO(poster.render(pages, wording=wording)))
        self.assertEqual(len(reader.pages), 2)
        first, second = (page.extract_text() for page in reader.pages)
        for text in ("群众评议", "扫码参与满意度测评", "匿名填写，约两分钟", "感谢参与"):
            self.assertIn(text, first)
        self.assertIn("https://example.org/s/1/", first)
        self.assertIn("清河市", second)
        self.assertNotIn("作风建设直通车", first + second)  # nothing of intake's
        self.assertEqual(reader.metadata and reader.metadata.title, "群众评议")

    @needs_font
    def test_words_the_font_cannot_show_are_refused(self) -> None:
        wording = poster.Wording(title="群众评议", subtitle="\U000f0001")
        with self.assertRaises(poster.PosterFontError):
            poster.render([poster.Poster(name="x", url="https://example.org/")], wording=wording)

    def test_without_a_font_it_says_what_to_install(self) -> None:
        with (
            override_settings(QF_POSTER_FONT="/nonexistent/font.ttf"),
            self.assertRaises(poster.PosterFontError) as caught,
        ):
            poster.render([], wording=poster.Wording(title="t", subtitle="s"))
        self.assertIn("QF_POSTER_FONT", str(caught.exception))
