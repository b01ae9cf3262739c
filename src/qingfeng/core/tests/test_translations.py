"""The English catalogue is complete, its placeholders match, and pages render in English on request."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import TestCase

PO_PATH = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
# %(name)s / %(n)d style placeholders, and bare %s / %d ones.
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifrx]|%[sdifr]")


def _messages() -> list[Message]:
    with PO_PATH.open("rb") as handle:
        catalog = read_po(handle)
    return [m for m in catalog if m.id]


def _texts(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _name(message: Message) -> str:
    return _texts(message.id)[0]


class CatalogueTestCase(TestCase):
    def test_the_catalogue_has_messages(self) -> None:
        self.assertGreater(len(_messages()), 100)

    def test_every_message_is_translated(self) -> None:
        empty = [
            _name(m)
            for m in _messages()
            if not _texts(m.string) or not all(s.strip() for s in _texts(m.string))
        ]
        self.assertEqual(empty, [], "untranslated messages: run scripts/messages.sh")

    def test_no_translation_is_fuzzy(self) -> None:
        fuzzy = [_name(m) for m in _messages() if m.fuzzy]
        self.assertEqual(fuzzy, [], "fuzzy translations must be reviewed and unflagged")

    def test_plural_messages_have_both_english_forms(self) -> None:
        for message in _messages():
            if isinstance(message.id, tuple | list):
                self.assertEqual(len(_texts(message.string)), 2, _name(message))

    def test_translations_keep_the_placeholders(self) -> None:
        mismatches = []
        for message in _messages():
            expected = {p for text in _texts(message.id) for p in PLACEHOLDER.findall(text)}
            for text in _texts(message.string):
                if set(PLACEHOLDER.findall(text)) != expected:
                    mismatches.append((_name(message), text))
        self.assertEqual(mismatches, [])


class LanguageNegotiationTestCase(TestCase):
    def test_the_login_page_is_in_english_when_chosen(self) -> None:
        self.client.cookies["django_language"] = "en"
        response = self.client.get("/accounts/login/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(
            response,
            "Sign in",
            msg_prefix="no English: is the .mo compiled (scripts/compile_translations.py)?",
        )
        self.assertContains(response, "Password")
        self.assertNotContains(response, "密码")

    def test_chinese_is_the_default_even_for_an_english_browser(self) -> None:
        response = self.client.get(
            "/accounts/login/", headers={"accept-language": "en-US,en;q=0.9"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "登录")
        self.assertContains(response, "密码")
        self.assertNotContains(response, "Sign in")
