"""The shape the apps' JSON API handlers share (django-ninja, registered through
core/registry.py): find the row in the caller's scope, run the action, answer 4xx when either
refuses, with the same Chinese sentence the pages give.

    @router.post("/visits/{visit_id}/start", response=answers(VisitOut, ErrorOut), ...)
    def visit_start(request, visit_id):
        user = request.user
        if not can(user, "view"):
            raise HttpError(403, _("没有查看督导的权限"))
        found = scoped(lambda: selectors.get_visit_for_user(user, visit_id), _("督导不存在"))
        with refusals():
            actions.check_start_visit(found, actor=user)
        return _visit_out(found)

`scoped` turns the selector's Http404 (the row is missing or outside the caller's scope: the
two are not told apart) into a 404; `refusals` turns the action's ValidationError (raised
before anything is written) into a 400 whose detail is its messages; `answers` is the
operation's documented responses. The right to the area (403) stays the app's check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja.errors import HttpError

T = TypeVar("T")


def scoped(get: Callable[[], T], missing: str) -> T:
    """What `get` (a selector's get-for-user) finds; a 404 with `missing` where it finds
    nothing in the caller's scope."""
    try:
        return get()
    except Http404:
        raise HttpError(404, missing) from None


def refused(exc: ValidationError) -> HttpError:
    """An action's refusal as a 400: its messages, one sentence after the other."""
    return HttpError(400, " ".join(exc.messages))


@contextmanager
def refusals() -> Iterator[None]:
    """Run an action: its ValidationError is answered as `refused` says."""
    try:
        yield
    except ValidationError as exc:
        raise refused(exc) from None


def answers(ok: Any, error: Any, *, status: int = 200) -> dict[int, Any]:
    """The documented responses of an operation that acts on a scoped row: `ok` with
    `status`, and `error` (a one-sentence detail) for 400, 403 and 404."""
    return {status: ok, 400: error, 403: error, 404: error}
