"""Every view is public or guarded by a policy (DESIGN.md: permissions in one place)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

from django.urls import URLPattern, URLResolver, get_resolver
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import PathView

from qingfeng.api.urls import api
from qingfeng.test import BaseTestCase

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
}


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
        public_paths = {r.route for r in walk() if r.name in public}
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
