"""Every view is public or guarded by a policy (DESIGN.md: permissions in one place), and
every staff route that takes an object's id answers another school's id exactly as a missing
one: 404."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from unittest import mock

from django.apps import apps
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import PathView

from qingfeng.api.urls import api
from qingfeng.core.models import AuditEvent, Job, Notification
from qingfeng.core.tests.machine import FILES_IN_MEMORY
from qingfeng.core.tests.objects import Factory, Made
from qingfeng.orgs.actions import do_grant_role
from qingfeng.orgs.models import Role
from qingfeng.test import BaseTestCase, make_user

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

# The API's own documentation is readable without a token; every operation is not.
API_PUBLIC = {"openapi-json", "openapi-view", "api-root"}
# The reporter's side of /api/intake/ (like /report/): no account, by design. Extending this
# set is a decision, as for the public pages.
API_PUBLIC_OPERATIONS = {
    "intake_categories",
    "intake_units",
    "intake_captcha",
    "intake_submit",
    "intake_track",
    "intake_track_message",
    "intake_track_rating",
    "evaluation_rating_form",
    "evaluation_rate",
}


PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Route:
    route: str  # "/orgs/units/<int:pk>/"
    name: str  # "orgs:unit"
    namespace: str  # top-level namespace: "orgs", "admin", "api", ""
    callback: Callable[..., Any]
    default_kwargs: dict[str, Any]

    @property
    def has_parameters(self) -> bool:
        return "<" in self.route or "(?P" in self.route

    @property
    def ids(self) -> list[str]:
        return PARAMETER.findall(self.route)

    @property
    def resource(self) -> str:
        """The route up to its last id: the routes of one object share it (/ledger/<int:pk>)."""
        return self.route[: list(PARAMETER.finditer(self.route))[-1].end()]


def walk(
    patterns: list[Any] | None = None, prefix: str = "/", namespace: str = ""
) -> Iterator[Route]:
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner_ns = namespace or entry.namespace or ""
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner_ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
            yield Route(
                prefix + str(entry.pattern),
                name,
                namespace,
                entry.callback,
                dict(entry.default_args),
            )


def path_view_of(callback: Callable[..., Any]) -> PathView | None:
    """django-ninja's URL callback is a closure over the PathView holding the operations."""
    for cell in callback.__closure__ or ():
        if isinstance(cell.cell_contents, PathView):
            return cell.cell_contents
    return None


class UrlPolicyTestCase(BaseTestCase):
    def test_every_view_is_public_or_guarded(self) -> None:
        routes = list(walk())
        self.assertGreater(len(routes), 20)
        offenders = [
            f"{r.route} ({r.name or r.callback.__qualname__})"
            for r in routes
            if r.namespace not in {"admin", "api"} and not hasattr(r.callback, "qf_policy")
        ]
        self.assertEqual(offenders, [], "views without a policy:\n" + "\n".join(offenders))

    def test_the_policies_are_known(self) -> None:
        for r in walk():
            if r.namespace in {"admin", "api"}:
                continue
            policy = r.callback.qf_policy  # type: ignore[attr-defined]
            self.assertIsInstance(policy, str, r.route)
            self.assertTrue(policy, r.route)

    def test_public_views_are_few_and_listed(self) -> None:
        public = {
            r.name
            for r in walk()
            if r.namespace not in {"admin", "api"} and r.callback.qf_policy == "public"  # type: ignore[attr-defined]
        }
        # Extending this set is a decision: the page works for anybody on the network.
        self.assertEqual(
            public,
            {
                "healthz",
                "set_language",
                "accounts:login",
                "accounts:logout",
                # The sign-in challenge's picture, for an address that failed many sign-ins.
                "accounts:captcha",
                "accounts:captcha_new",
                "progress:index",
                "progress:unit",
                "report:index",
                "report:new",
                "report:units",
                "report:captcha",
                "report:captcha_new",
                "report:track",
                "report:stats",
                "report:unit",
                "rate:unit",
                "rate:captcha",
                "rate:captcha_new",
                "rate:ranking",
                # /rate/pledge/: 评诺 by the people served, anonymous (learning, issue 16).
                "pledge_rate:unit",
                "pledge_rate:captcha",
                "pledge_rate:captcha_new",
                # /notice/: draw commitments before, results after; a round's duty phone (issue 14).
                "notice:index",
                "notice:draw",
                "notice:certificate",
                "notice:verifier",
                "notice:round",
                # /notice/reception/: reception days and open weeks announced (issue 15 §1b).
                "reception:index",
                "reception:unit",
                "reception:notice",
                "reception:poster",
            },
        )

    def test_the_api_needs_authentication_for_every_operation(self) -> None:
        self.assertTrue(api.auth, "the NinjaAPI must have a default auth")
        offenders = []
        seen = 0
        for r in walk():
            if r.namespace != "api" or r.name.removeprefix("api:") in API_PUBLIC:
                continue
            if r.name.removeprefix("api:") in API_PUBLIC_OPERATIONS:
                continue
            view = path_view_of(r.callback)
            self.assertIsNotNone(view, f"{r.route} is not a ninja operation")
            assert view is not None
            for operation in view.operations:
                seen += 1
                if not operation.auth_callbacks:
                    offenders.append(f"{r.route} {operation.methods}")
        self.assertGreater(seen, 3)
        self.assertEqual(offenders, [], "API operations without auth:\n" + "\n".join(offenders))

    def test_every_operation_in_the_schema_declares_security(self) -> None:
        schema = api.get_openapi_schema()
        public = {f"{api.urls_namespace}:{name}" for name in API_PUBLIC_OPERATIONS}
        public_paths = {PARAMETER.sub(r"{\1}", r.route) for r in walk() if r.name in public}
        self.assertEqual(len(public_paths), len(API_PUBLIC_OPERATIONS))
        for path, methods in schema["paths"].items():
            for method, operation in methods.items():
                with self.subTest(path=path, method=method):
                    self.assertEqual(not operation.get("security"), path in public_paths)

    def test_every_schema_name_in_the_document_means_one_thing(self) -> None:
        # The document merges the schemas of all operations by name, so two enums or schemas
        # of one name (the problem's and the ticket's Status) would document one as the other.
        meanings: dict[str, list[dict[str, Any]]] = {}
        merge = OpenAPISchema.add_schema_definitions

        def record(document: OpenAPISchema, definitions: dict[str, Any]) -> None:
            for name, schema in definitions.items():
                if schema not in meanings.setdefault(name, []):
                    meanings[name].append(schema)
            merge(document, definitions)

        with mock.patch.object(OpenAPISchema, "add_schema_definitions", record):
            api.get_openapi_schema()
        self.assertGreater(len(meanings), 10)
        clashes = {
            name: [s.get("enum", s.get("title")) for s in found]
            for name, found in meanings.items()
            if len(found) > 1
        }
        self.assertEqual(clashes, {})

    def test_guarded_pages_send_anonymous_visitors_to_sign_in(self) -> None:
        checked = []
        for r in walk():
            if r.has_parameters or r.namespace == "api":
                continue
            if r.namespace != "admin" and r.callback.qf_policy == "public":  # type: ignore[attr-defined]
                continue
            if r.name == "admin:logout":  # signing out needs nobody signed in
                continue
            url = r.route
            response = self.client.get(url)
            if response.status_code == 405:  # POST-only views check the login the same way
                response = self.client.post(url)
            if response.get("Location", "").startswith("/admin/login/"):
                response = self.client.get(response["Location"])  # the admin hands over to us
            with self.subTest(url=url):
                self.assertEqual(response.status_code, 302)
                self.assertTrue(
                    response["Location"].startswith("/accounts/login/?next="),
                    f"{url} → {response['Location']}",
                )
            checked.append(url)
        self.assertIn("/core/audit/", checked)
        self.assertIn("/admin/", checked)

    def test_the_api_answers_401_without_credentials(self) -> None:
        for r in walk():
            if r.namespace != "api" or r.has_parameters:
                continue
            if r.name.removeprefix("api:") in API_PUBLIC | API_PUBLIC_OPERATIONS:
                continue
            with self.subTest(url=r.route):
                self.assertEqual(self.client.get(r.route).status_code, 401)


# --- Another school's id answers as a missing id: 404 ---------------------------------------

MISSING = 2_000_000_000  # an id no table reaches in a test
# Django's own admin is the system admin's, behind is_staff and its own permissions.
NOT_CHECKED_NAMESPACES = {"admin"}
# Routes that answer a missing id otherwise than 404, on purpose (a decision, as for the
# public pages): the answer to another school's id must still be the very same.
NOT_404 = {
    "accounts:revoke_token": "a token that is not, or no longer, one's own: back to the profile,"
    " as after a second click on 撤销",
}
# The routes with an id that the third-party assessor reaches: a round covering units of their
# scope, a unit's page (their scores and the form), its third-party evidence, the round's
# results workbook of those units, and the entry itself — page and API.
ASSESSOR_WORK = {
    "evaluation:round",
    "evaluation:export",
    "evaluation:score_imports",
    "evaluation:score_template",
    "evaluation:unit",
    "evaluation:third_party",
    "evaluation:evidence",
    "api:evaluation_results",
    "api:evaluation_third_party",
}
HTML_NOISE = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": "|nonce=")[^"]*')


def objects() -> dict[str, Factory]:
    """Every app's `tests/objects.OBJECTS` (core/tests/objects.py says the convention)."""
    found: dict[str, Factory] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("qingfeng."):
            continue
        module = f"{config.name}.tests.objects"
        try:
            found.update(importlib.import_module(module).OBJECTS)
        except ModuleNotFoundError as exc:
            if exc.name not in {module, f"{config.name}.tests"}:
                raise
    return found


def staff_routes_with_ids() -> list[Route]:
    routes = []
    for r in walk():
        if not r.has_parameters or r.namespace in NOT_CHECKED_NAMESPACES:
            continue
        if r.namespace == "api":
            if r.name.removeprefix("api:") in API_PUBLIC_OPERATIONS:
                continue
        elif r.callback.qf_policy == "public":  # type: ignore[attr-defined]
            continue
        routes.append(r)
    return routes


UNKNOWN = (
    "routes with an object's id that no test can make an object for. Add to OBJECTS in"
    " qingfeng/<app>/tests/objects.py, under the route's name (or any route of the same object),"
    " a function of the test case that makes an object of 东城区实验小学 through the actions and"
    " returns its ids and someone who reaches it (core/tests/objects.py says how):\n"
)


def without_objects(routes: list[Route], factory_of: dict[str, Factory]) -> list[str]:
    return [
        f"{r.route} ({r.name}, ids {', '.join(r.ids)})"
        for r in routes
        if r.resource not in factory_of
    ]


def example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """The simplest value a JSON schema accepts: the API then reaches the object's lookup
    instead of answering 422 for the body."""
    if "$ref" in schema:
        return example(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"]
            return example(options[0], components)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {k: example(properties[k], components) for k in schema.get("required", [])}
    if kind == "array":
        return []
    if kind in {"integer", "number"}:
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "boolean":
        return False
    return {"date": "2026-11-02", "date-time": "2026-11-02T09:00:00+08:00"}.get(
        schema.get("format", ""), "核实"
    )


@override_settings(STORAGES=FILES_IN_MEMORY)
class AnotherSchoolsIdTestCase(BaseTestCase):
    """For every staff route with an object's id, an object of 东城区实验小学 is made through the
    actions (each app's tests/objects.py says how), and the admin of 西山县第一中学 asks for it
    (and the auditor): the answer is the very answer to a missing id, a 404 (or the 403 of a
    page their role does not open at all, whatever the id), and nothing is written."""

    schema: dict[str, Any]  # the API's document: the bodies it accepts

    def request(self, client: Client, route: Route, ids: dict[str, int]) -> Response:
        url = reverse(route.name, kwargs=ids)
        if route.namespace != "api":
            response = client.get(url)
            return client.post(url) if response.status_code == 405 else response
        view = path_view_of(route.callback)
        assert view is not None
        (operation,) = view.operations  # one operation a path, so far: a second needs a loop
        method = operation.methods[0].lower()
        if method == "get":
            return client.get(url)
        schema = self.schema
        path = PARAMETER.sub(r"{\1}", route.route)
        body = schema["paths"][path][method].get("requestBody")
        data = {}
        if body is not None:
            media = body["content"]["application/json"]["schema"]
            data = example(media, schema["components"]["schemas"])
        return client.generic(method.upper(), url, json.dumps(data), "application/json")

    def answer(self, client: Client, route: Route, ids: dict[str, int]) -> tuple[int, str]:
        """The status and the body, without what differs between any two requests (the CSRF
        token) or names the address asked for (the language switch's "next")."""
        response = self.request(client, route, ids)
        if response.streaming:  # a file: never the answer to a missing id
            return response.status_code, "<a file>"
        text = HTML_NOISE.sub(r"\1", response.content.decode("utf-8", "replace"))
        return response.status_code, text.replace(reverse(route.name, kwargs=ids), "<url>")

    def made_objects(self) -> tuple[list[Route], dict[str, Made]]:
        """Every staff route with an id, and an object of 东城区实验小学 for each (by resource)."""
        self.schema = api.get_openapi_schema()  # the bodies the API accepts
        factories = objects()
        routes = staff_routes_with_ids()
        by_name = {r.name: r for r in walk()}
        stale = sorted(set(factories) - set(by_name))
        self.assertEqual(stale, [], "objects for routes that do not exist")
        factory_of = {by_name[name].resource: f for name, f in factories.items()}
        unknown = without_objects(routes, factory_of)
        self.assertEqual(unknown, [], UNKNOWN + "\n".join(unknown))
        self.assertGreater(len(routes), 40)
        made: dict[str, Made] = {}
        for route in routes:
            if route.resource not in made:
                made[route.resource] = factory_of[route.resource](self)
        return routes, made

    def test_another_schools_id_is_a_missing_id(self) -> None:
        routes, made = self.made_objects()
        # Another school's admin, and the auditor, whose role reads the audit trail only.
        for outsider in (self.other_school_admin, self.auditor):
            client = self.login(outsider, Client())
            for route in routes:
                ids = made[route.resource].ids
                with self.subTest(route=route.route, name=route.name, user=outsider.username):
                    writes = self.writes()
                    theirs = self.answer(client, route, ids)
                    self.assertEqual(self.writes(), writes, "the request wrote rows")
                    nothing = self.answer(client, route, dict.fromkeys(ids, MISSING))
                    if route.name not in NOT_404:  # 403: a page the role does not open at all
                        self.assertIn(nothing[0], {404, 403}, "a missing id")
                    self.assertEqual(theirs, nothing, "another school's id is not a missing id")
        # And the objects are real: someone reaches each (the first route of the object).
        for resource, object_ in made.items():
            route = next(r for r in routes if r.resource == resource)
            owner = self.login(object_.owner, Client())
            with self.subTest(route=route.route, owner=object_.owner.username):
                self.assertNotEqual(self.request(owner, route, object_.ids).status_code, 404)

    def test_an_assessor_reaches_their_work_and_nothing_else(self) -> None:
        """The third-party assessor of 东城区 has 东城区实验小学 inside their scope, yet every
        route with an id outside their assessment answers its object as a missing id (the
        role's 403, or a 404), writing nothing: only the round and the unit they score, the
        unit's third-party evidence, and their entry (tested in evaluation/tests/test_assessor)
        are reached."""
        routes, made = self.made_objects()
        # On the city's roster (the body the bureau contracts), assessing 东城区: what a person
        # of 东城区 does as one (sign its pledges) is not the role's to reach.
        assessor = make_user("walk_assessor", unit=self.bureau, role=None, name="评估机构东城组")
        do_grant_role(assessor, actor=None, role=Role.THIRD_PARTY, unit=self.county)
        client = self.login(assessor, Client())
        reached = set()
        for route in routes:
            ids = made[route.resource].ids
            with self.subTest(route=route.route, name=route.name):
                writes = self.writes()
                theirs = self.answer(client, route, ids)
                if route.name in ASSESSOR_WORK:
                    self.assertNotIn(theirs[0], {403, 404})
                    reached.add(route.name)
                    continue
                self.assertEqual(self.writes(), writes, "the request wrote rows")
                nothing = self.answer(client, route, dict.fromkeys(ids, MISSING))
                if route.name not in NOT_404:
                    self.assertIn(nothing[0], {404, 403}, "a missing id")
                self.assertEqual(theirs, nothing, "the assessor reached what is not their work")
        self.assertEqual(reached, ASSESSOR_WORK)

    def test_a_new_route_with_an_id_and_no_object_fails(self) -> None:
        ledger = next(r for r in staff_routes_with_ids() if r.name == "ledger:detail")
        found = {ledger.resource: objects()["ledger:detail"]}
        new = [
            Route("/ledger/<int:pk>/reopen/", "ledger:reopen", "ledger", ledger.callback, {}),
            Route("/oversight/visits/<int:visit_id>/", "oversight:visit", "oversight", print, {}),
        ]
        self.assertEqual(
            without_objects(new, found),
            ["/oversight/visits/<int:visit_id>/ (oversight:visit, ids visit_id)"],
        )

    def writes(self) -> tuple[int, int, int]:
        return AuditEvent.objects.count(), Notification.objects.count(), Job.objects.count()
