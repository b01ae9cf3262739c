"""A human check served by the app itself: a small sum drawn as an SVG image.

The question lives only in the token, encrypted (AES-GCM under a key derived from the secret
key and the form's namespace) together with its expiry, so no session or server state is
needed to ask; a token is spent on first use (a cache entry until it would have expired
anyway). The digits are drawn as jittered strokes rather than text, so the answer is not
simply read out of the markup.

Each public form makes its own `HumanCheck`: its namespace keeps its tokens and spent marks
apart from every other form's, and its switch is the setting that turns it on or off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.cache import cache

# Glyphs as strokes on a 4×6 grid.
_GLYPHS: dict[str, list[list[tuple[float, float]]]] = {
    "0": [[(0, 0), (4, 0), (4, 6), (0, 6), (0, 0)]],
    "1": [[(1, 1), (2, 0), (2, 6)], [(1, 6), (3, 6)]],
    "2": [[(0, 0), (4, 0), (4, 3), (0, 3), (0, 6), (4, 6)]],
    "3": [[(0, 0), (4, 0), (4, 6), (0, 6)], [(1, 3), (4, 3)]],
    "4": [[(0, 0), (0, 3), (4, 3)], [(3, 0), (3, 6)]],
    "5": [[(4, 0), (0, 0), (0, 3), (4, 3), (4, 6), (0, 6)]],
    "6": [[(4, 0), (0, 0), (0, 6), (4, 6), (4, 3), (0, 3)]],
    "7": [[(0, 0), (4, 0), (1.5, 6)]],
    "8": [[(0, 0), (4, 0), (4, 6), (0, 6), (0, 0)], [(0, 3), (4, 3)]],
    "9": [[(4, 3), (0, 3), (0, 0), (4, 0), (4, 6), (0, 6)]],
    "+": [[(2, 1.5), (2, 4.5)], [(0.5, 3), (3.5, 3)]],
    "-": [[(0.5, 3), (3.5, 3)]],
    "=": [[(0.5, 2), (3.5, 2)], [(0.5, 4), (3.5, 4)]],
    "?": [[(0, 1), (0, 0), (4, 0), (4, 3), (2, 3), (2, 4.5)], [(2, 5.5), (2, 6)]],
}
_COLOURS = ("#1d3557", "#264653", "#6a040f", "#3a0ca3", "#2b2d42")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _answer(question: str) -> int:
    if "+" in question:
        a, b = question.split("+")
        return int(a) + int(b)
    a, b = question.split("-")
    return int(a) - int(b)


@dataclass(frozen=True)
class HumanCheck:
    """The arithmetic check of one public form. `switch` names the boolean setting that turns
    it on (read on every request, so a changed setting needs no restart)."""

    namespace: str  # "intake", "evaluation": tokens of one form are worthless in another
    switch: str  # e.g. "QF_INTAKE_HUMAN_CHECK"
    ttl: int = 600  # seconds a question stays valid
    # A second setting that turns off the picture alone while `switch` keeps the form's proof
    # of work on (a picture cannot be read by a blind person's screen reader; the work can).
    sum_switch: str = ""

    @property
    def enabled(self) -> bool:
        own = getattr(settings, self.sum_switch) if self.sum_switch else True
        return bool(getattr(settings, self.switch)) and bool(own)

    def _key(self) -> bytes:
        purpose = f"qingfeng-{self.namespace}-captcha".encode()
        return hmac.new(settings.SECRET_KEY.encode(), purpose, hashlib.sha256).digest()

    def new_token(self) -> str:
        rng = secrets.SystemRandom()
        if rng.random() < 0.5:
            a, b, op = rng.randint(2, 9), rng.randint(1, 9), "+"
        else:
            a = rng.randint(6, 19)
            b, op = rng.randint(1, a - 1), "-"
        payload = json.dumps({"q": f"{a}{op}{b}", "x": int(time.time()) + self.ttl}).encode()
        nonce = os.urandom(12)
        return _b64(nonce + AESGCM(self._key()).encrypt(nonce, payload, b"captcha"))

    def _open(self, token: str) -> dict[str, object] | None:
        try:
            raw = _unb64(token)
            data = json.loads(AESGCM(self._key()).decrypt(raw[:12], raw[12:], b"captcha"))
        except (ValueError, InvalidTag, TypeError):
            return None
        if not isinstance(data, dict) or int(data.get("x", 0)) < time.time():
            return None
        return data

    def verify(self, token: str, answer: str) -> bool:
        """True once for the right answer to a live token; every token is spent on first use."""
        data = self._open(token or "")
        if data is None:
            return False
        digest = hashlib.sha256(token.encode()).hexdigest()[:40]
        if not cache.add(f"qf:{self.namespace}:captcha:{digest}", 1, timeout=self.ttl + 60):
            return False
        digits = "".join(ch for ch in (answer or "") if ch.isdigit())
        return digits != "" and int(digits) == _answer(str(data["q"]))

    def passes(self, token: str, answer: str) -> bool:
        """What a submission needs: the check is off, or `verify` says yes."""
        return not self.enabled or self.verify(token, answer)

    def render_svg(self, token: str) -> str | None:
        """The question of a live token as an SVG image; None for a forged or expired one."""
        data = self._open(token)
        if data is None:
            return None
        return _draw(f"{data['q']}=?")

    def answer_for_tests(self, token: str) -> int:
        """The answer of a live token (tests and the browser-test harness only)."""
        data = self._open(token)
        if data is None:
            raise ValueError("not a live captcha token")
        return _answer(str(data["q"]))


def _draw(text: str) -> str:
    rng = secrets.SystemRandom()
    width, height, scale = 30 + 26 * len(text), 64, 6.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">',
        f'<rect width="{width}" height="{height}" fill="#f4f6fa"/>',
    ]
    for _i in range(6):  # noise behind the strokes
        parts.append(
            f'<line x1="{rng.uniform(0, width):.1f}" y1="{rng.uniform(0, height):.1f}" '
            f'x2="{rng.uniform(0, width):.1f}" y2="{rng.uniform(0, height):.1f}" '
            f'stroke="#b8c2d6" stroke-width="{rng.uniform(1, 2.2):.1f}"/>'
        )
    x = 16.0
    for ch in text:
        colour = rng.choice(_COLOURS)
        angle, dy = rng.uniform(-14, 14), rng.uniform(10, 18)
        cx, cy = x + 2 * scale, dy + 3 * scale
        parts.append(f'<g transform="rotate({angle:.1f} {cx:.1f} {cy:.1f})">')
        for stroke in _GLYPHS[ch]:
            points = " ".join(
                f"{x + px * scale + rng.uniform(-1.2, 1.2):.1f},"
                f"{dy + py * scale + rng.uniform(-1.2, 1.2):.1f}"
                for px, py in stroke
            )
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" '
                f'stroke-width="{rng.uniform(2.6, 3.6):.1f}" stroke-linecap="round" '
                f'stroke-linejoin="round"/>'
            )
        parts.append("</g>")
        x += 26 + rng.uniform(-2, 2)
    parts.append("</svg>")
    return "".join(parts)
