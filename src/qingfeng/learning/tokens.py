"""The rotating attendance code shown at a session: a signed token naming the session and a
time window of `WINDOW` seconds. The screen shows a new one every window; a scan is taken
with the current token or the one before it (so a code scanned as it turns still counts), and
refused with the reason otherwise. Whether the person already signed in is the action's
check, on the attendance row."""

from __future__ import annotations

import time

from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WINDOW = 20
SALT = "qingfeng.learning.scan"


def window(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // WINDOW)


def make(session_id: int, *, now: float | None = None) -> str:
    return signing.dumps({"s": session_id, "w": window(now)}, salt=SALT, compress=False)


def read(token: str, *, now: float | None = None, fresh: bool = True) -> int:
    """The session id the token names, or a clear refusal (`fresh=False`: whatever its age)."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature as exc:
        raise ValidationError(_("签到码无效，请扫描现场屏幕上的二维码")) from exc
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        raise ValidationError(_("签到码无效，请扫描现场屏幕上的二维码"))
    if fresh and window(now) - int(data.get("w", -10)) > 1:
        raise ValidationError(
            _("签到码已过期（每 %(n)d 秒更新），请重新扫描现场屏幕上的二维码") % {"n": WINDOW}
        )
    return int(data["s"])
