"""The POST-only views that make one move on an object (交办, 签收, 受理, 退回 …): the forms of a
detail page post to them.

    MOVES = TransitionViews(
        name="problem",
        lookup=selectors.get_problem_for_user,   # scoped: a 404 outside the user's scope
        policy=can,                              # can(user, action, problem)
        redirect=lambda user, problem: reverse("ledger:detail", args=[problem.pk]),
    )
    problem_accept = MOVES.view("accept", _accept)   # _accept(request, problem, user) -> message

The move's sentence becomes a success message; a ValidationError (an illegal move, a missing
reason) becomes an error message and, the action being one transaction, changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect as redirect_to
from django.views.decorators.http import require_POST

from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import signed_in

if TYPE_CHECKING:
    from qingfeng.orgs.models import User

T = TypeVar("T")


@dataclass(frozen=True)
class TransitionViews(Generic[T]):
    """The move views of one kind of object."""

    name: str  # the views are named `<name>_<action>`
    lookup: Callable[[User, int], T]
    policy: Callable[[User, str, T], bool]
    # Where to go after the move (or its refusal): the object's page, or the list when the
    # move took the object out of the user's sight.
    redirect: Callable[[User, T], str]

    def view(
        self, action: str, run: Callable[[AuthenticatedHttpRequest, T, User], str]
    ) -> Callable[[AuthenticatedHttpRequest, int], HttpResponse]:
        """A view that runs `run` (the form's parsing and the action; it returns the success
        sentence) for an object the user may see and may make `action` on, else a 404, as for
        a missing id. Only POST (else 405); signed in."""

        @require_POST
        @signed_in
        def view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
            user = request.user
            obj = self.lookup(user, pk)
            if not self.policy(user, action, obj):
                raise Http404
            try:
                messages.success(request, run(request, obj, user))
            except ValidationError as exc:
                messages.error(request, "；".join(exc.messages))
            return redirect_to(self.redirect(user, obj))

        view.__name__ = view.__qualname__ = f"{self.name}_{action}"
        return view
