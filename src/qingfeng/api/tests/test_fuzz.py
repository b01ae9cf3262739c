"""Schemathesis over every operation of /api/openapi.json, as every persona: requests built
from the document (positive) and against it (negative: wrong types, huge numbers, control
characters, missing fields). Whatever comes in, the answer is never a 5xx.

The run is bounded (a fixed number of examples per operation and persona, no example
database), so it takes a minute or two and is the same on every machine."""

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
from qingfeng.test import BaseTestCase

EXAMPLES = 6  # per operation, persona and mode


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
        personas = {
            "anonymous": None,
            "bureau_admin": self.bureau_admin,
            "school_admin": self.school_admin,
            "teacher": self.teacher,
            "auditor": self.auditor,
        }
        headers = {
            persona: (
                {"Authorization": f"Bearer {do_create_api_token(user, name='模糊测试')}"}
                if user
                else {}
            )
            for persona, user in personas.items()
        }
        failures: list[str] = []
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failures += self.fuzz(operation, mode, headers)
        self.assertEqual(failures, [])

    def fuzz(
        self, operation: Any, mode: GenerationMode, headers: dict[str, dict[str, str]]
    ) -> list[str]:
        """Each request built for the operation is sent as every persona (the examples are
        drawn once: drawing them costs more than sending them)."""
        found: dict[str, list[str]] = {persona: [] for persona in headers}

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            for persona, persona_headers in headers.items():
                response = case.call(headers=persona_headers)
                if response.status_code >= 500 and len(found[persona]) < 3:
                    found[persona].append(
                        f"{persona} {mode} {case.method} {case.formatted_path} "
                        f"query={case.query!r} body={case.body!r} → {response.status_code}"
                    )

        # Unsatisfiable: nothing to send against the document (no parameters, no body).
        with contextlib.suppress(Unsatisfiable):
            run()
        return [failure for failures in found.values() for failure in failures]
