"""What a phone already sent through a public form, remembered by the phone itself.

    RATED = DeviceMemory(cookie="qf_rated", salt="qingfeng.evaluation.device",
                         max_age=120 * 24 * 3600, path="/rate/")
    repeat = RATED.has(request, f"{round_.pk}-{unit.pk}")     # ask for the human check
    RATED.remember(request, response, f"{round_.pk}-{unit.pk}")  # on the thanks page

The keys live in a cookie signed with the secret key (so a page cannot be told a key the
server never set), HttpOnly and limited to the form's path; the newest `keep` keys are kept.
Nothing about the device reaches the server's tables or logs: clearing the cookie forgets it,
which is why a repeat only asks for the human check and never refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class DeviceMemory:
    cookie: str
    salt: str
    max_age: int  # seconds: a little longer than the period a key stands for
    path: str
    keep: int = 50

    def keys(self, request: HttpRequest) -> list[str]:
        """The keys this browser's cookie holds; none for a missing, forged or old cookie."""
        try:
            value = signing.get_cookie_signer(salt=self.salt).unsign(
                request.COOKIES.get(self.cookie, ""), max_age=self.max_age
            )
        except signing.BadSignature:
            return []
        return [k for k in value.split(",") if k]

    def has(self, request: HttpRequest, key: str) -> bool:
        return key in self.keys(request)

    def remember(self, request: HttpRequest, response: HttpResponse, key: str) -> None:
        kept = [*(k for k in self.keys(request) if k != key), key][-self.keep :]
        response.set_cookie(
            self.cookie,
            signing.get_cookie_signer(salt=self.salt).sign(",".join(kept)),
            max_age=self.max_age,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
            path=self.path,
        )
