from __future__ import annotations

import hashlib

from qingfeng.core.models import AuditEvent
from qingfeng.orgs import actions
from qingfeng.orgs.models import ApiToken
from qingfeng.test import BaseTestCase


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


class ApiTokenTestCase(BaseTestCase):
    def create_on_profile(self, name: str = "报表同步") -> str:
        response = self.client.post("/accounts/profile/", {"name": name})
        self.assertEqual(response.status_code, 200)
        token: str = response.context["new_token"]
        self.assertContains(response, f'data-testid="new-token">{token}<')
        self.assertContains(response, "仅显示这一次")
        return token

    def test_a_new_token_is_shown_once_and_only_its_hash_is_kept(self) -> None:
        self.login(self.county_admin)
        token = self.create_on_profile()
        self.assertTrue(token.startswith("qf_"))
        stored = ApiToken.objects.get(user=self.county_admin)
        self.assertEqual(stored.name, "报表同步")
        self.assertEqual(stored.key_hash, hashlib.sha256(token.encode()).hexdigest())
        self.assertEqual(stored.prefix, token[:10])
        for field in ApiToken._meta.concrete_fields:
            self.assertNotEqual(str(getattr(stored, field.attname)), token)
        # Shown once: the next visit lists the token by name and prefix only.
        page = self.client.get("/accounts/profile/")
        self.assertNotContains(page, token)
        self.assertContains(page, "报表同步")
        self.assertContains(page, f"{token[:10]}…")
        event = AuditEvent.objects.get(action="orgs.api_token.create")
        self.assertEqual(event.after, {"name": "报表同步", "prefix": token[:10]})
        self.assertNotIn(token, str(event.chain_payload()))

    def test_a_bearer_token_authenticates_the_api(self) -> None:
        self.login(self.county_admin)
        token = self.create_on_profile()
        response = self.client_class().get("/api/orgs/me", headers=bearer(token))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["username"], "county_admin")
        self.assertIsNotNone(ApiToken.objects.get().last_used_at)

    def test_a_revoked_token_gets_401(self) -> None:
        self.login(self.county_admin)
        token = self.create_on_profile()
        stored = ApiToken.objects.get()
        response = self.client.post(f"/accounts/profile/tokens/{stored.pk}/revoke/")
        self.assertRedirects(response, "/accounts/profile/", fetch_redirect_response=False)
        stored.refresh_from_db()
        self.assertIsNotNone(stored.revoked_at)
        self.assertEqual(
            self.client_class().get("/api/orgs/me", headers=bearer(token)).status_code, 401
        )
        self.assertNotContains(self.client.get("/accounts/profile/"), "报表同步")
        self.assertTrue(AuditEvent.objects.filter(action="orgs.api_token.revoke").exists())

    def test_revoking_needs_post(self) -> None:
        token = actions.do_create_api_token(self.county_admin, name="对接")
        self.login(self.county_admin)
        stored = ApiToken.objects.get()
        self.assertEqual(
            self.client.get(f"/accounts/profile/tokens/{stored.pk}/revoke/").status_code, 405
        )
        self.assertEqual(
            self.client_class().get("/api/orgs/me", headers=bearer(token)).status_code, 200
        )

    def test_nobody_can_revoke_another_users_token(self) -> None:
        token = actions.do_create_api_token(self.county_admin, name="对接")
        stored = ApiToken.objects.get()
        self.login(self.school_admin)
        self.client.post(f"/accounts/profile/tokens/{stored.pk}/revoke/")
        stored.refresh_from_db()
        self.assertIsNone(stored.revoked_at)
        self.assertEqual(
            self.client_class().get("/api/orgs/me", headers=bearer(token)).status_code, 200
        )

    def test_a_wrong_or_malformed_token_gets_401(self) -> None:
        actions.do_create_api_token(self.county_admin, name="对接")
        for header in ("Bearer qf_wrong", "Bearer ", "Basic abc", "qf_wrong"):
            with self.subTest(header=header):
                response = self.client.get("/api/orgs/me", headers={"authorization": header})
                self.assertEqual(response.status_code, 401)

    def test_a_disabled_account_s_token_stops_working(self) -> None:
        token = actions.do_create_api_token(self.county_admin, name="对接")
        self.county_admin.is_active = False
        self.county_admin.save(update_fields=["is_active"])
        self.assertEqual(self.client.get("/api/orgs/me", headers=bearer(token)).status_code, 401)

    def test_a_token_cannot_open_the_pages(self) -> None:
        token = actions.do_create_api_token(self.county_admin, name="对接")
        response = self.client.get("/orgs/units/", headers=bearer(token))
        self.assertRedirects(
            response, "/accounts/login/?next=/orgs/units/", fetch_redirect_response=False
        )

    def test_the_profile_needs_a_name_for_the_token(self) -> None:
        self.login(self.county_admin)
        response = self.client.post("/accounts/profile/", {"name": ""})
        self.assertEqual(response.context["new_token"], "")
        self.assertFalse(ApiToken.objects.exists())
