"""The API's document and its behaviour cannot drift: every operation of /api/openapi.json is
called, by every persona, with a request built from the document, and every answer must be a
status code the operation documents, with a body its schema for that code accepts."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import jsonschema
from django.test import override_settings

from qingfeng.api.tests.objects import OBJECTS
from qingfeng.core.tests.machine import FILES_IN_MEMORY
from qingfeng.core.tests.test_url_policy import example
from qingfeng.intake import actions as intake_actions
from qingfeng.intake.models import Ticket, TicketCategory
from qingfeng.ledger.models import Category
from qingfeng.orgs.actions import do_create_api_token
from qingfeng.test import BaseTestCase

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

    from qingfeng.orgs.models import User

METHODS = {"get", "post", "put", "patch", "delete"}
# A body no operation accepts: its answer must be a documented error, not a 500.
INVALID_BODY = ["not", "an", "object"]


def resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def enums(
    schema: dict[str, Any], components: dict[str, Any], path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (property path, documented enum value) a body schema holds."""
    schema = resolve(schema, components)
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from enums(option, components, path)
    for value in schema.get("enum", []):
        yield path, value
    for name, inner in schema.get("properties", {}).items():
        yield from enums(inner, components, (*path, name))


def with_value(body: Any, path: tuple[str, ...], value: Any) -> Any:
    body = copy.deepcopy(body)
    target = body
    for name in path[:-1]:
        target = target.setdefault(name, {})
    target[path[-1]] = value
    return body


@override_settings(STORAGES=FILES_IN_MEMORY)
class ContractTestCase(BaseTestCase):
    longMessage = False  # the messages below say where; the documented responses are long
    document: dict[str, Any]
    receipt_code: str
    received_ticket_id: int  # a report as filed: the first moves of its handling are open

    def setUp(self) -> None:
        super().setUp()
        response = self.client.get("/api/openapi.json")
        self.assertEqual(response.status_code, 200)
        self.document = response.json()
        self.components = self.document["components"]["schemas"]

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for path, methods in self.document["paths"].items():
            for method, operation in methods.items():
                if method in METHODS:
                    yield path, method, operation

    def personas(self) -> dict[str, User | None]:
        return {
            "bureau_admin": self.bureau_admin,
            "county_admin": self.county_admin,
            "school_admin": self.school_admin,
            "other_school_admin": self.other_school_admin,
            "teacher": self.teacher,
            "auditor": self.auditor,
            "anonymous": None,
        }

    def headers(self, user: User | None) -> dict[str, str]:
        if user is None:
            return {}
        return {"Authorization": f"Bearer {do_create_api_token(user, name='契约测试')}"}

    def make_ids(self) -> dict[str, int]:
        """Real objects of 东城区实验小学, made through the actions (api/tests/objects.py), and
        a reporter's receipt code for the public side."""
        ids: dict[str, int] = {}
        for factory in OBJECTS.values():
            ids.update(factory(self).ids)
        received, self.receipt_code = intake_actions.check_submit_ticket(
            kind=Ticket.Kind.COMPLAINT,
            category=TicketCategory.objects.get(name="乱收费乱办班乱订资料"),
            unit=self.school,
            title="食堂收费不公开",
            content="食堂每月多收每人50元伙食费，没有公示。",
            anonymous=True,
        )
        self.received_ticket_id = received.pk
        return ids

    def real_values(self, path: str) -> dict[str, Any]:
        """What the document cannot say: which ids and codes exist, and what a report's text
        must hold. Used for the body's fields of these names."""
        ledger = path.startswith("/api/ledger/")
        category = (
            Category.objects.get(name="教辅材料违规征订")
            if ledger
            else TicketCategory.objects.get(name="乱收费乱办班乱订资料")
        )
        return {
            "code": self.receipt_code,
            "category_id": category.pk,
            "unit_id": self.school.pk,
            "content": "三年级老师要求每人购买120元教辅，请核实。",
            "measures": ["退还费用，停止推荐教辅"],
            "deadline_workdays": 10,
        }

    def url(self, path: str, operation: dict[str, Any], ids: dict[str, int], **query: Any) -> str:
        url = path
        params = {}
        for parameter in operation.get("parameters", []):
            name = parameter["name"]
            if parameter["in"] == "path":
                self.assertIn(name, ids, f"{path}: no object for the path id {name}")
                url = url.replace("{" + name + "}", str(ids[name]))
            elif parameter["in"] == "query" and parameter.get("required"):
                params[name] = example(parameter["schema"], self.components)
        params.update(query)
        return f"{url}?{urlencode(params)}" if params else url

    def body(self, path: str, operation: dict[str, Any]) -> Any | None:
        body = operation.get("requestBody")
        if body is None:
            return None
        media = resolve(body["content"]["application/json"]["schema"], self.components)
        data = example(media, self.components)
        known = self.real_values(path)
        data.update({k: known[k] for k in media.get("properties", {}) if k in known})
        return data

    def call(self, method: str, url: str, body: Any | None, headers: dict[str, str]) -> Response:
        if body is None and method == "get":
            return self.client.get(url, headers=headers)
        data = json.dumps(body if body is not None else {})
        return self.client.generic(method.upper(), url, data, "application/json", headers=headers)

    def check(self, path: str, method: str, operation: dict[str, Any], response: Response) -> None:
        """The status is documented, and the body is what the document says for it."""
        where = f"{method.upper()} {path} → {response.status_code}"
        documented = operation["responses"]
        code = str(response.status_code)
        self.assertIn(code, documented, f"{where}: not documented ({response.content.decode()})")
        content = documented[code].get("content")
        if content is None:
            self.assertEqual(response.content, b"", f"{where}: a body where none is documented")
            return
        schema = dict(content["application/json"]["schema"])
        schema["components"] = self.document["components"]  # "#/components/…" resolves here
        try:
            jsonschema.validate(response.json(), schema)
        except jsonschema.ValidationError as exc:
            self.fail(
                f"{where}: the body does not match the document at {exc.json_path}: {exc.message}"
            )

    def refused(self, response: Response) -> set[str]:
        """The fields a 422 names (django-ninja's prefix "payload." left out); other answers,
        such as a 409 for the problem's state, do not refuse a value."""
        if response.status_code != 422:
            return set()
        return {e["field"].removeprefix("payload.") for e in response.json()["errors"]}

    def test_every_answer_of_every_operation_is_documented(self) -> None:
        seen: set[tuple[str, str, int]] = set()
        rounds = [(persona, user, False) for persona, user in self.personas().items()]
        # Once more as the bureau on a report just filed, so its accept, assign … answer 2xx.
        rounds.append(("bureau_admin, a new report", self.bureau_admin, True))
        for persona, user, new_report in rounds:
            ids = self.make_ids()
            if new_report:
                ids["ticket_id"] = self.received_ticket_id
            headers = self.headers(user)
            for path, method, operation in self.operations():
                with self.subTest(persona=persona, path=path, method=method):
                    response = self.call(
                        method, self.url(path, operation, ids), self.body(path, operation), headers
                    )
                    self.check(path, method, operation, response)
                    seen.add((path, method, response.status_code))
                    if "requestBody" in operation:
                        invalid = self.call(
                            method, self.url(path, operation, ids), INVALID_BODY, headers
                        )
                        self.check(path, method, operation, invalid)
        self.assertGreater(len(self.document["paths"]), 30)
        answered = {code for _path, _method, code in seen}
        self.assertTrue({200, 201, 204, 401, 403, 404, 409, 422} <= answered, answered)

    def test_every_documented_enum_value_is_accepted(self) -> None:
        """The bug this catches: a value the document lists (a ledger feedback kind) that the
        endpoint refuses as invalid."""
        headers = self.headers(self.bureau_admin)
        self.make_ids()  # the receipt code, for the public side's bodies
        checked = 0
        for path, method, operation in self.operations():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                for _p, value in enums(parameter["schema"], self.components):
                    ids = self.make_ids() if "{" in path else {}
                    url = self.url(path, operation, ids, **{parameter["name"]: value})
                    with self.subTest(path=path, parameter=parameter["name"], value=value):
                        response = self.call(method, url, self.body(path, operation), headers)
                        self.check(path, method, operation, response)
                        self.assertNotIn(
                            parameter["name"],
                            self.refused(response),
                            f"{method.upper()} {path}: the documented {value!r} is refused",
                        )
                        checked += 1
            body = self.body(path, operation)
            if body is None:
                continue
            media = operation["requestBody"]["content"]["application/json"]["schema"]
            for field, value in enums(media, self.components):
                ids = self.make_ids() if "{" in path else {}
                with self.subTest(path=path, field=field, value=value):
                    response = self.call(
                        method,
                        self.url(path, operation, ids),
                        with_value(body, field, value),
                        headers,
                    )
                    self.check(path, method, operation, response)
                    self.assertNotIn(
                        ".".join(field),
                        self.refused(response),
                        f"{method.upper()} {path}: the documented {value!r} is refused",
                    )
                    checked += 1
        self.assertGreater(checked, 20)
