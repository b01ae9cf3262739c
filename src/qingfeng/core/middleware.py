from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils import translation

from qingfeng.core.attachments import unreferenced_files_removed
from qingfeng.core.context import RequestInfo, current_request
from qingfeng.lib.inputs import InputRefused, clean_text

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind n trusted proxies (QF_TRUSTED_PROXY_HOPS)
    the n-th X-Forwarded-For entry from the right, the one the outermost proxy appended.

    Entries further left come from the client and can be forged, so they are never used; a
    request with fewer entries than hops did not pass all the proxies and keeps REMOTE_ADDR.
    """
    hops = settings.QF_TRUSTED_PROXY_HOPS
    if hops > 0:
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        entries = [entry.strip() for entry in forwarded if entry.strip()]
        if len(entries) >= hops:
            return entries[-hops][:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


class RequestContextMiddleware:
    """Gives each request an id and remembers its address for the audit trail, and removes
    the uploads of an action that failed within it (core/attachments.py).

    The address is only ever written for signed-in staff (see `record_audit`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = current_request.set(
            RequestInfo(request_id=request_id, source_ip=client_address(request))
        )
        try:
            with unreferenced_files_removed():
                response = self.get_response(request)
        finally:
            current_request.reset(token)
        response["X-Request-ID"] = request_id
        return response


class SecurityHeadersMiddleware:
    """CSP without 'unsafe-inline', no framing, and no caching of anything a signed-in user
    sees. Outermost in MIDDLEWARE: static files and the bad-host 400 get the headers too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("X-Frame-Options", "DENY")
        response.setdefault("X-Content-Type-Options", "nosniff")
        if not request.path.startswith(settings.STATIC_URL):
            user = getattr(request, "user", None)
            if (user is not None and user.is_authenticated) or getattr(request, "sensitive", False):
                response["Cache-Control"] = "no-store"
                response["Pragma"] = "no-cache"
        return response


class ChineseFirstLocaleMiddleware:
    """Simplified Chinese unless the user chose another language (the language switch sets
    a cookie). The browser's Accept-Language is not consulted: offices' machines often carry
    an English browser, and the product speaks Chinese first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        # Like translation.override: the thread's language is put back afterwards, so one
        # request's choice never leaks into the next piece of work on the same thread.
        with translation.override(language):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class InputRejected(BadRequest):
    """Input the rules of `lib.inputs` refuse, met while reading the request: Django answers
    400 through `handler400` (core.views.bad_request), which says this reason."""


class CleanInputMiddleware:
    """Every page's and operation's query string and form fields by the input rules of
    `lib.inputs`, before any view or form sees them: NFC, control and bidi characters
    removed, a NUL refused with a 400 that says why. Form fields are cleaned when the
    request's POST is first read, so a view may still refuse an oversize body before anything
    reads it. Password fields are left as typed: they are only ever hashed. JSON bodies are
    the API parser's (api/urls.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request.GET = _cleaned(request.GET)  # type: ignore[assignment]  # stubs: immutable
        except InputRejected as exc:
            return refused(request, str(exc))
        request.__class__ = _with_clean_post(type(request))
        return self.get_response(request)


def _cleaned(data: QueryDict) -> QueryDict:
    out = QueryDict(mutable=True, encoding=data.encoding)
    try:
        for key, values in data.lists():
            if "password" in key:
                out.setlist(key, values)
            else:
                out.setlist(clean_text(key), [clean_text(value) for value in values])
    except InputRefused as exc:
        raise InputRejected(str(exc)) from None
    out._mutable = False
    return out


_CLEAN_CLASSES: dict[type[HttpRequest], type[HttpRequest]] = {}


def _with_clean_post(request_class: type[HttpRequest]) -> type[HttpRequest]:
    """The request's own class (WSGI, ASGI, the test client's), reading POST cleaned."""
    if request_class not in _CLEAN_CLASSES:

        class CleanPostRequest(request_class):  # type: ignore[valid-type,misc]
            def _load_post_and_files(self) -> None:
                super()._load_post_and_files()
                self._post = _cleaned(self._post)  # type: ignore[has-type]

        _CLEAN_CLASSES[request_class] = CleanPostRequest
    return _CLEAN_CLASSES[request_class]


def refused(request: HttpRequest, message: str) -> HttpResponse:
    """A 400 that says why: JSON for the API, a page for everything else."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=400)
    return render(request, "400.html", {"message": message}, status=400)
