"""Schemathesis over every operation of /api/openapi.json, as anonymous and as a user of every
role: requests built from the document (positive) and against it (negative: wrong types, huge
numbers, control characters, missing fields). Whatever comes in, the answer is never a 5xx.

The run is bounded (a fixed number of examples per operation, no example database), so it
takes a minute or two and is the same on every machine. Each example is sent anonymously
and as the next four roles in turn (an operation with fewer examples than roles sends its
first to the roles left), so every role calls every operation while each example costs
five requests, as when five personas were fuzzed."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import Any

import schemathesis
from django.test import override_settings
from django.test.client import ClientHandler
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from qingfeng.core.tests.machine import FILES_IN_MEMORY
from qingfeng.orgs.actions import do_create_api_token
from qingfeng.orgs.models import Role, User
from qingfeng.test import BaseTestCase, make_user

EXAMPLES = 6  # per operation and mode
SIGNED_IN_PER_EXAMPLE = 4  # roles each example is sent as, in turn, besides anonymous


def wsgi_app() -> Callable[..., Iterable[bytes]]:
    """Django's test handler as a WSGI application: the requests run in this thread, inside
    the test's transaction, and do not close its database connection as a server's would."""
    handler = ClientHandler(enforce_csrf_checks=False)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        response: Any = handler(environ)
        start_response(
            f"{response.status_code} {response.reason_phrase}",
            [
                *response.items(),
                *(("Set-Cookie", c.OutputString()) for c in response.cookies.values()),
            ],
        )
        return [response.content]

    return app


@override_settings(STORAGES=FILES_IN_MEMORY)
class FuzzTestCase(BaseTestCase):
    def test_no_operation_answers_5xx_to_anyone(self) -> None:
        schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app())
        operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
        self.assertGreater(len(operations), 30)
        personas = self.one_user_per_role()
        self.assertEqual({role for role, _user in personas}, set(Role))
        self.signed_in = [
            (role, {"Authorization": f"Bearer {do_create_api_token(user, name='模糊测试')}"})
            for role, user in personas
        ]
        self.turn = 0
        failures: list[str] = []
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failures += self.fuzz(operation, mode)
        self.assertGreaterEqual(self.turn, len(self.signed_in))  # every role had its turns
        self.assertEqual(failures, [])

    def one_user_per_role(self) -> list[tuple[str, User]]:
        """The small city's personas, and a user at the bureau for each role they lack; the
        county admin too (a unit admin over a county, not a school)."""
        personas = [
            (Role.BUREAU_ADMIN, self.bureau_admin),
            (Role.UNIT_ADMIN, self.school_admin),
            (Role.UNIT_ADMIN, self.county_admin),
            (Role.STAFF, self.teacher),
            (Role.SUPERVISOR, self.supervisor),
            (Role.LEADER, self.leader),
            (Role.AUDITOR, self.auditor),
            (Role.SYSTEM_ADMIN, self.system_admin),
        ]
        for role in Role:
            if role not in {held for held, _user in personas}:
                user = make_user(f"fuzz_{role}", unit=self.bureau, role=role, name="欧阳测")
                personas.append((role, user))
        return [(str(role), user) for role, user in personas]

    def callers(self, used: set[int]) -> dict[str, dict[str, str]]:
        """Anonymous, and the next roles in turn (their places noted in `used`)."""
        chosen: dict[str, dict[str, str]] = {"anonymous": {}}
        for _i in range(SIGNED_IN_PER_EXAMPLE):
            place = self.turn % len(self.signed_in)
            role, headers = self.signed_in[place]
            chosen[f"{role}#{place}"] = headers
            used.add(place)
            self.turn += 1
        return chosen

    def fuzz(self, operation: Any, mode: GenerationMode) -> list[str]:
        """Each request built for the operation is sent anonymously and as the next roles
        (the examples are drawn once: drawing them costs more than sending them)."""
        found: dict[str, list[str]] = {}
        used: set[int] = set()
        first: list[Any] = []

        def send(case: Any, callers: dict[str, dict[str, str]]) -> None:
            for persona, persona_headers in callers.items():
                response = case.call(headers=persona_headers)
                if response.status_code >= 500 and len(found.setdefault(persona, [])) < 3:
                    found[persona].append(
                        f"{persona} {mode} {case.method} {case.formatted_path} "
                        f"query={case.query!r} body={case.body!r} → {response.status_code}"
                    )

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            first[:] = first or [case]
            send(case, self.callers(used))

        # Unsatisfiable: nothing to send against the document (no parameters, no body).
        with contextlib.suppress(Unsatisfiable):
            run()
        if first:  # an operation with few examples: the roles not yet called get the first
            send(
                first[0],
                {
                    f"{role}#{place}": headers
                    for place, (role, headers) in enumerate(self.signed_in)
                    if place not in used
                },
            )
        return [failure for failures in found.values() for failure in failures]
