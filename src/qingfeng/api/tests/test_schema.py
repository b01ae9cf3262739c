from __future__ import annotations

import re
from typing import Any

from django.test import SimpleTestCase

from qingfeng.api.urls import api


class OperationIdTestCase(SimpleTestCase):
    def test_operation_ids_name_the_area_and_the_function_not_the_module(self) -> None:
        """An area split into modules (api/intake/public.py, staff.py …) keeps the ids that
        clients generated their method names from."""
        operations = [
            (path, operation)
            for path, methods in api.get_openapi_schema()["paths"].items()
            for operation in methods.values()
        ]
        ids = [operation["operationId"] for _path, operation in operations]
        self.assertEqual(len(ids), len(set(ids)))
        for path, operation in operations:
            area = path.split("/")[2]
            if area not in {"orgs", "ledger", "intake"}:
                continue  # an app's own router (core.registry) is named by its own package
            with self.subTest(path=path):
                self.assertEqual(operation["tags"], [area])
                self.assertRegex(operation["operationId"], rf"^qingfeng_api_{area}_[a-z_]+$")
        for known in (
            "qingfeng_api_intake_submit",
            "qingfeng_api_intake_track",
            "qingfeng_api_intake_list_tickets",
            "qingfeng_api_intake_return_ticket",
            "qingfeng_api_ledger_create_problem",
            "qingfeng_api_ledger_report",
            "qingfeng_api_orgs_me",
        ):
            self.assertIn(known, ids)

    def test_the_campaign_and_report_areas_are_in_the_schema(self) -> None:
        """Issue 15's stable addresses: the campaign's and the documents' API."""
        paths = set(api.get_openapi_schema()["paths"])
        for path in (
            "/api/campaigns/",
            "/api/campaigns/{campaign_id}/weekly",
            "/api/campaigns/{campaign_id}/tasks",
            "/api/campaigns/meetings",
            "/api/campaigns/rules",
            "/api/campaigns/activities",
            "/api/reports/bulletins",
            "/api/reports/bulletins/{bulletin_id}",
        ):
            self.assertIn(path, paths)


# The API's nouns: a schema named by one of them alone (ProblemOut, UnitOut) cannot be
# mistaken for another's. Any other schema takes its owner's name as well (TicketStatus,
# ProblemFeedbackIn, TicketEventOut), so that two apps' Status, Kind or AssignIn never meet.
NOUNS = {
    "Captcha",
    "Error",
    "Evidence",
    "Invalid",
    "Me",
    "Measure",
    "Person",
    "Problem",
    "Receipt",
    "Ticket",
    "Track",
    "Unit",
    "Verification",
}
WORDS = re.compile(r"[A-Z][a-z]*")


class SchemaNameTestCase(SimpleTestCase):
    def test_every_schema_name_says_whose_it_is(self) -> None:
        names = api.get_openapi_schema()["components"]["schemas"]
        self.assertGreater(len(names), 30)
        generic = []
        for name in names:
            words = WORDS.findall(name.removeprefix("Paged"))
            if words[-1] in {"In", "Out", "Page"}:
                words = words[:-1]
            if len(words) < 2 and words[0] not in NOUNS:
                generic.append(name)
        self.assertEqual(generic, [], "schema names that do not say whose they are")


class DocumentedLimitsTestCase(SimpleTestCase):
    def test_the_report_s_limits_are_the_ones_the_server_enforces(self) -> None:
        """The document once said title ≤ 200 and content ≤ 10,000 while a report was
        refused past 100 and 5,000 characters (and under 10)."""
        document = api.get_openapi_schema()

        def body(path: str) -> dict[str, Any]:
            media = document["paths"][path]["post"]["requestBody"]["content"]
            schema = media["application/json"]["schema"]
            if "$ref" in schema:
                schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
            return dict(schema["properties"])

        report = body("/api/intake/reports")
        self.assertEqual((report["title"]["minLength"], report["title"]["maxLength"]), (1, 100))
        self.assertEqual(
            (report["content"]["minLength"], report["content"]["maxLength"]), (10, 5000)
        )
        self.assertEqual(report["reporter_name"]["maxLength"], 50)
        self.assertEqual(body("/api/intake/track/messages")["body"]["maxLength"], 2000)
        self.assertEqual(body("/api/intake/track/rating")["comment"]["maxLength"], 500)
        submit = document["paths"]["/api/intake/reports"]["post"]["responses"]
        self.assertIn(422, submit)
        problems = document["paths"]["/api/ledger/problems"]["get"]["responses"]
        self.assertIn(401, problems)
        self.assertIn(422, problems)
