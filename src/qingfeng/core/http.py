"""A request whose user is signed in, for views behind `signed_in` or `guarded` (as
healthchecks' `AuthenticatedHttpRequest`): the views read `request.user` as the project's
user model without casts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from qingfeng.orgs.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User
