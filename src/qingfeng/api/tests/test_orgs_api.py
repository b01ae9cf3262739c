from __future__ import annotations

from qingfeng.orgs import actions
from qingfeng.test import BaseTestCase


class OrgsApiTestCase(BaseTestCase):
    def test_the_schema_is_published(self) -> None:
        response = self.client.get("/api/openapi.json")
        self.assertEqual(response.status_code, 200)
        paths = response.json()["paths"]
        self.assertIn("/api/orgs/units", paths)
        self.assertIn("/api/orgs/people/{person_id}", paths)

    def test_it_needs_authentication(self) -> None:
        self.assertEqual(self.client.get("/api/orgs/units").status_code, 401)

    def test_a_session_without_the_second_factor_does_not_count(self) -> None:
        self.client.force_login(self.school_admin)
        self.assertEqual(self.client.get("/api/orgs/me").status_code, 401)

    def test_a_bearer_token_authenticates(self) -> None:
        token = actions.do_create_api_token(self.county_admin, name="对接")
        response = self.client.get("/api/orgs/me", headers={"authorization": f"Bearer {token}"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["roles"], ["unit_admin"])
        self.assertEqual(response.json()["scope_unit_ids"], [self.county.pk])

    def test_units_are_scoped_and_paginated(self) -> None:
        self.login(self.county_admin)
        body = self.client.get("/api/orgs/units?limit=2").json()
        self.assertEqual(body["count"], 3)
        self.assertEqual(len(body["items"]), 2)
        names = {u["name"] for u in self.client.get("/api/orgs/units").json()["items"]}
        self.assertEqual(names, {"东城区教育局", "东城区实验小学", "东城区第二中学"})

    def test_children_and_search(self) -> None:
        self.login(self.bureau_admin)
        children = self.client.get(f"/api/orgs/units?parent={self.county.pk}").json()["items"]
        self.assertEqual({c["code"] for c in children}, {"S0001", "S0002"})
        found = self.client.get("/api/orgs/units?q=东实小").json()["items"]
        self.assertEqual([u["code"] for u in found], ["S0001"])

    def test_people_phones_are_masked(self) -> None:
        self.login(self.county_admin)
        body = self.client.get(f"/api/orgs/people?unit={self.school.pk}").json()
        phones = {p["name"]: p["phone_masked"] for p in body["items"]}
        self.assertEqual(phones["孙立平"], "138****1234")
        self.assertNotIn("13800001234", str(body))

    def test_the_auditor_is_forbidden(self) -> None:
        self.login(self.auditor)
        self.assertEqual(self.client.get("/api/orgs/units").status_code, 403)


class ApiInputErrorsTestCase(BaseTestCase):
    def test_bad_input_is_answered_in_chinese_per_field(self) -> None:
        self.login(self.county_admin)
        response = self.client.get("/api/orgs/units", {"parent": "abc"})
        self.assertEqual(response.status_code, 422)
        body = response.json()
        self.assertIn("请求参数不正确", body["detail"])
        self.assertEqual(body["errors"][0]["field"], "parent")
        self.assertIn("须为整数", body["errors"][0]["message"])
