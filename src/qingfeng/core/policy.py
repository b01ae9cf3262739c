"""Every view is either public or guarded by a policy; a test walks the URL resolver and
fails on any view that is neither.

    @guarded(can, "view_units")          # signed in, and can(user, "view_units")
    @signed_in                            # any signed-in user (their own profile, home)
    @public                               # no login: health check, public pages

Each decorated view carries `qf_allows(user) -> bool`, the same test its guard applies: the
menu asks it, so an entry shows exactly when its page opens (core/registry.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

# HttpResponseBase, so streamed downloads (StreamingHttpResponse) can be guarded too.
View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def _anyone(user: Any) -> bool:
    return True


def _signed_in(user: Any) -> bool:
    return bool(user.is_authenticated)


def public(view: View) -> View:
    view.qf_policy = "public"  # type: ignore[attr-defined]
    view.qf_allows = _anyone  # type: ignore[attr-defined]
    return view


def signed_in(view: View) -> View:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return view(request, *args, **kwargs)

    wrapper.qf_policy = "signed_in"  # type: ignore[attr-defined]
    wrapper.qf_allows = _signed_in  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def guarded(check: Callable[..., bool], action: str) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if not check(request.user, action):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.qf_policy = action  # type: ignore[attr-defined]
        wrapper.qf_allows = lambda user: bool(  # type: ignore[attr-defined]
            user.is_authenticated and check(user, action)
        )
        return wrapper  # type: ignore[return-value]

    return decorate
