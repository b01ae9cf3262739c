"""A proof of work for public forms: the browser spends a moment of computing on every
submission, which costs a person nothing they notice and a program sending thousands of
submissions the same again each time.

The scheme is ALTCHA's. The server draws a secret number n in [0, maxnumber] and a random
salt (which carries the expiry), and sends the salt, sha256(salt + n) and an HMAC of that
hash under a key derived from the secret key and the form's namespace. The browser tries
0, 1, 2 … until its hash matches (half of maxnumber tries on average, in a Web Worker while
the person types), and sends the number back with the challenge. Checking costs the server one
hash and one HMAC; nothing is stored to ask, and a solution is spent on first use (a cache
entry until it would have expired anyway).

The work grows with what one address has already sent: `challenge(level=n)` doubles
maxnumber n times (up to `MAX_LEVEL`); the form decides n from the address's submissions this
hour, counted as its rate limits count them (under a salted hash, no address kept). A parent
filing once waits well under a second; a program sending its tenth report of the hour from
one address does 2⁶ = 64 times the work of the first.

`solve()` is the reference client (the API's users and the tests call it); the browser's
copy is `static/qingfeng/work-worker.js`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

ALGORITHM = "SHA-256"
MAX_LEVEL = 6


def _hash(salt: str, number: int) -> str:
    return hashlib.sha256(f"{salt}{number}".encode()).hexdigest()


@dataclass(frozen=True)
class WorkCheck:
    namespace: str  # "intake", "evaluation": solutions of one form are worthless in another
    switch: str  # the boolean setting that turns it on, read on every request
    maxnumber_setting: str = "QF_WORK_CHECK_MAXNUMBER"
    ttl: int = 1200  # seconds a challenge stays valid: time enough to write a report

    @property
    def enabled(self) -> bool:
        return bool(getattr(settings, self.switch))

    @property
    def base(self) -> int:
        return max(1000, int(getattr(settings, self.maxnumber_setting)))

    def _key(self) -> bytes:
        purpose = f"qingfeng-{self.namespace}-work".encode()
        return hmac.new(settings.SECRET_KEY.encode(), purpose, hashlib.sha256).digest()

    def _sign(self, challenge: str) -> str:
        return hmac.new(self._key(), challenge.encode(), hashlib.sha256).hexdigest()

    def challenge(self, *, level: int = 0) -> dict[str, Any]:
        """A new challenge, `level` doublings above the base amount of work."""
        maxnumber = self.base << max(0, min(level, MAX_LEVEL))
        salt = f"{secrets.token_hex(12)}?expires={int(time.time()) + self.ttl}&max={maxnumber}"
        number = secrets.randbelow(maxnumber + 1)
        challenge = _hash(salt, number)
        return {
            "algorithm": ALGORITHM,
            "challenge": challenge,
            "salt": salt,
            "maxnumber": maxnumber,
            "signature": self._sign(challenge),
        }

    def verify(self, solution: str) -> bool:
        """True once for a right answer to a live challenge of this form."""
        data = _decode(solution)
        if data is None:
            return False
        salt, challenge, number = data["salt"], data["challenge"], data["number"]
        if data["algorithm"] != ALGORITHM or not hmac.compare_digest(
            self._sign(challenge), data["signature"]
        ):
            return False
        params = dict(p.split("=", 1) for p in salt.partition("?")[2].split("&") if "=" in p)
        try:
            expires, maxnumber = int(params["expires"]), int(params["max"])
        except (KeyError, ValueError):
            return False
        if expires < time.time() or not 0 <= number <= maxnumber:
            return False
        if not hmac.compare_digest(_hash(salt, number), challenge):
            return False
        spent = f"qf:{self.namespace}:work:{challenge[:40]}"
        return cache.add(spent, 1, timeout=self.ttl + 60)

    def passes(self, solution: str) -> bool:
        """What a submission needs: the check is off, or `verify` says yes."""
        return not self.enabled or self.verify(solution)


def encode(challenge: dict[str, Any], number: int) -> str:
    """The solution as the form and the API send it: base64 of a small JSON object."""
    payload = {
        "algorithm": challenge["algorithm"],
        "challenge": challenge["challenge"],
        "salt": challenge["salt"],
        "signature": challenge["signature"],
        "number": number,
    }
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def _decode(solution: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.b64decode((solution or "").strip(), validate=True))
    except (ValueError, TypeError):
        return None
    fields = {"algorithm": str, "challenge": str, "salt": str, "signature": str, "number": int}
    if not isinstance(data, dict) or any(
        not isinstance(data.get(k), t) or isinstance(data.get(k), bool) for k, t in fields.items()
    ):
        return None
    if len(data["salt"]) > 200 or len(data["challenge"]) != 64 or len(data["signature"]) != 64:
        return None
    return data


def solve(challenge: dict[str, Any]) -> str:
    """Find the number and encode the solution: the reference client, as the browser does it."""
    target, salt = challenge["challenge"], challenge["salt"]
    for number in range(int(challenge["maxnumber"]) + 1):
        if _hash(salt, number) == target:
            return encode(challenge, number)
    raise ValueError("no number solves this challenge")
