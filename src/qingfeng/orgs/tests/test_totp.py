from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from unittest import mock

import pyotp
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings

from qingfeng.core.models import AuditEvent
from qingfeng.orgs import actions, permissions
from qingfeng.orgs.models import LoginThrottle, Role, User
from qingfeng.orgs.tests.test_login import (
    LOCKED,
    challenge_answers,
    sign_in,
    sign_in_solving,
    signed_in_as,
)
from qingfeng.test import BaseTestCase, make_user

T0 = datetime(2026, 11, 5, 1, 0, 0, tzinfo=UTC)  # the start of a 30-second step
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code_at(moment: datetime, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).at(moment)


class TotpPolicyTestCase(BaseTestCase):
    def test_the_required_roles(self) -> None:
        self.assertEqual(
            set(settings.QF_TOTP_REQUIRED_ROLES),
            {
                "bureau_admin",
                "leader",
                "supervisor",
                "inspector",
                "discipline_inspector",
                "auditor",
                "system_admin",
            },
        )
        for user in (self.bureau_admin, self.leader, self.supervisor, self.auditor):
            self.assertTrue(permissions.totp_required(user), user.username)
        self.assertTrue(permissions.totp_required(self.system_admin))
        for user in (self.teacher, self.school_admin, self.county_admin):
            self.assertFalse(permissions.totp_required(user), user.username)

    def test_a_role_granted_later_makes_it_required(self) -> None:
        inspector = make_user("inspector", unit=self.bureau, role=None, name="陈巡察")
        self.assertFalse(permissions.totp_required(inspector))
        actions.do_grant_role(inspector, actor=None, role=Role.INSPECTOR, unit=self.bureau)
        self.assertTrue(permissions.totp_required(User.objects.get(pk=inspector.pk)))


class TotpSetupTestCase(BaseTestCase):
    def test_a_required_role_must_set_up_the_second_factor(self) -> None:
        with time_machine.travel(T0, tick=False):
            response = sign_in(self.client, "supervisor")
            self.assertRedirects(
                response, "/accounts/second-factor/", fetch_redirect_response=False
            )
            page = self.client.get("/accounts/second-factor/")
            self.assertContains(page, "您的角色要求使用动态口令登录")
            self.assertContains(page, 'src="data:image/svg+xml')
            secret = page.context["secret"]
            self.assertContains(page, f'data-testid="totp-secret">{secret}<')
            # The same secret is shown until it is confirmed (a reload must not change it).
            self.assertEqual(self.client.get("/accounts/second-factor/").context["secret"], secret)

            wrong = self.client.post("/accounts/second-factor/", {"code": "000000"})
            self.assertContains(wrong, "动态口令不正确")
            self.assertFalse(User.objects.get(pk=self.supervisor.pk).has_totp)

            done = self.client.post("/accounts/second-factor/", {"code": code_at(T0, secret)})
            self.assertRedirects(done, "/", fetch_redirect_response=False)
            self.assertEqual(self.client.get("/").status_code, 200)
        user = User.objects.get(pk=self.supervisor.pk)
        self.assertTrue(user.has_totp)
        self.assertEqual(user.totp_secret, secret)
        self.assertTrue(AuditEvent.objects.filter(action="orgs.totp.enable", actor=user).exists())

    def test_the_secret_is_encrypted_at_rest(self) -> None:
        actions.do_enable_totp(self.supervisor, secret=SECRET)
        with connection.cursor() as cursor:
            cursor.execute("SELECT totp_secret FROM orgs_user WHERE id = %s", [self.supervisor.pk])
            (stored,) = cursor.fetchone()
        self.assertTrue(stored)
        self.assertNotIn(SECRET, stored)
        self.assertEqual(User.objects.get(pk=self.supervisor.pk).totp_secret, SECRET)

    def test_nothing_else_is_reachable_before_the_second_factor(self) -> None:
        sign_in(self.client, "supervisor")
        for url in ("/", "/orgs/units/", "/accounts/profile/", "/accounts/password/", "/admin/"):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertRedirects(
                    response, "/accounts/second-factor/", fetch_redirect_response=False
                )
        # No API tokens can be made with the password alone, and the session does not
        # count for the API either.
        self.client.post("/accounts/profile/", {"name": "绕过"})
        self.assertFalse(self.supervisor.api_tokens.exists())
        self.assertEqual(self.client.get("/api/orgs/me").status_code, 401)

    def test_a_user_whose_role_does_not_require_it_goes_straight_in(self) -> None:
        response = sign_in(self.client, "teacher")
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertEqual(self.client.get("/orgs/units/").status_code, 200)
        self.assertEqual(self.client.get("/accounts/second-factor/").status_code, 302)

    def test_any_user_may_enable_it_from_the_profile(self) -> None:
        with time_machine.travel(T0, tick=False) as traveller:
            self.login(self.teacher)
            profile = self.client.get("/accounts/profile/")
            self.assertContains(profile, 'href="/accounts/profile/totp/"')
            self.assertContains(profile, "启用动态口令")
            page = self.client.get("/accounts/profile/totp/")
            self.assertContains(page, "启用后，每次登录除密码外还需输入动态口令")
            secret = page.context["secret"]
            response = self.client.post("/accounts/profile/totp/", {"code": code_at(T0, secret)})
            self.assertRedirects(response, "/accounts/profile/", fetch_redirect_response=False)
            self.assertTrue(User.objects.get(pk=self.teacher.pk).has_totp)
            profile = self.client.get("/accounts/profile/")
            self.assertContains(profile, "已启用")
            self.assertNotContains(profile, 'href="/accounts/profile/totp/"')
            self.assertRedirects(
                self.client.get("/accounts/profile/totp/"),
                "/accounts/profile/",
                fetch_redirect_response=False,
            )

            # From now on the teacher is asked for a code too.
            self.client.post("/accounts/logout/")
            traveller.shift(timedelta(minutes=5))
            response = sign_in(self.client, "teacher")
            self.assertRedirects(
                response, "/accounts/second-factor/", fetch_redirect_response=False
            )
            page = self.client.get("/accounts/second-factor/")
            self.assertContains(page, "请输入身份验证器应用中显示的 6 位口令")
            self.assertNotIn("secret", page.context)
            code = code_at(T0 + timedelta(minutes=5), secret)
            self.client.post("/accounts/second-factor/", {"code": code})
            self.assertEqual(self.client.get("/").status_code, 200)

    def test_a_wrong_code_at_setup_changes_nothing(self) -> None:
        self.login(self.teacher)
        self.client.get("/accounts/profile/totp/")
        response = self.client.post("/accounts/profile/totp/", {"code": "123456"})
        self.assertContains(response, "动态口令不正确")
        self.assertFalse(User.objects.get(pk=self.teacher.pk).has_totp)


class TotpSignInTestCase(BaseTestCase):
    def setUp(self) -> None:
        actions.do_enable_totp(self.supervisor, secret=SECRET)

    def test_later_sign_ins_ask_for_a_code(self) -> None:
        with time_machine.travel(T0, tick=False):
            response = sign_in(self.client, "supervisor", next_url="/orgs/people/")
            self.assertRedirects(
                response, "/accounts/second-factor/", fetch_redirect_response=False
            )
            self.assertEqual(signed_in_as(self.client), self.supervisor.pk)
            response = self.client.post("/accounts/second-factor/", {"code": code_at(T0)})
            # The page first asked for is remembered across the second factor.
            self.assertRedirects(response, "/orgs/people/", fetch_redirect_response=False)
            self.assertEqual(self.client.get("/orgs/people/").status_code, 200)

    def test_the_session_key_changes_after_the_second_factor(self) -> None:
        with time_machine.travel(T0, tick=False):
            sign_in(self.client, "supervisor")
            before = self.client.session.session_key
            self.client.post("/accounts/second-factor/", {"code": code_at(T0)})
        self.assertNotEqual(self.client.session.session_key, before)

    def test_a_used_code_cannot_be_used_again(self) -> None:
        with time_machine.travel(T0 + timedelta(seconds=5), tick=False):
            code = code_at(T0)
            sign_in(self.client, "supervisor")
            self.client.post("/accounts/second-factor/", {"code": code})
            self.assertEqual(self.client.get("/").status_code, 200)
            self.client.post("/accounts/logout/")

            sign_in(self.client, "supervisor")
            again = self.client.post("/accounts/second-factor/", {"code": code})
            self.assertContains(again, "动态口令不正确或已使用")
            self.assertRedirects(
                self.client.get("/"), "/accounts/second-factor/", fetch_redirect_response=False
            )
        with time_machine.travel(T0 + timedelta(seconds=31), tick=False):
            fresh = self.client.post(
                "/accounts/second-factor/", {"code": code_at(T0 + timedelta(seconds=31))}
            )
            self.assertRedirects(fresh, "/", fetch_redirect_response=False)

    def test_a_code_from_the_neighbouring_step_is_accepted_but_not_older(self) -> None:
        self.assertTrue(self._verify_at(T0, code_at(T0 - timedelta(seconds=30))))
        self.assertTrue(
            self._verify_at(
                T0 + timedelta(minutes=1), code_at(T0 + timedelta(minutes=1, seconds=30))
            )
        )
        self.assertFalse(
            self._verify_at(T0 + timedelta(minutes=5), code_at(T0 + timedelta(minutes=4)))
        )

    def _verify_at(self, moment: datetime, code: str) -> bool:
        with time_machine.travel(moment, tick=False):
            return actions.verify_totp(User.objects.get(pk=self.supervisor.pk), code)

    def test_codes_are_accepted_with_spaces(self) -> None:
        code = code_at(T0)
        self.assertTrue(self._verify_at(T0, f"{code[:3]} {code[3:]}"))

    def test_wrong_codes_count_towards_the_lockout(self) -> None:
        with time_machine.travel(T0, tick=False):
            sign_in(self.client, "supervisor")
            for _attempt in range(4):
                response = self.client.post("/accounts/second-factor/", {"code": "000000"})
                self.assertContains(response, "动态口令不正确")
            response = self.client.post("/accounts/second-factor/", {"code": "000000"})
            # The fifth wrong code ends the session and locks the name.
            self.assertRedirects(response, "/accounts/login/", fetch_redirect_response=False)
            self.assertIsNone(signed_in_as(self.client))
            self.assertContains(self.client.get("/accounts/login/"), LOCKED)
            self.assertContains(sign_in(self.client, "supervisor"), LOCKED)
        failures = AuditEvent.objects.filter(action="orgs.totp.failure", actor=self.supervisor)
        self.assertEqual(failures.count(), 4)
        self.assertTrue(AuditEvent.objects.filter(action="orgs.login.locked").exists())

    def test_signing_in_again_does_not_reset_the_count(self) -> None:
        with time_machine.travel(T0, tick=False):
            sign_in(self.client, "supervisor")
            for _attempt in range(3):
                self.client.post("/accounts/second-factor/", {"code": "000000"})
            self.client.post("/accounts/logout/")
            sign_in(self.client, "supervisor")
            self.client.post("/accounts/second-factor/", {"code": "000000"})
            response = self.client.post("/accounts/second-factor/", {"code": "000000"})
            self.assertRedirects(response, "/accounts/login/", fetch_redirect_response=False)

    def test_a_complete_sign_in_resets_the_count(self) -> None:
        with time_machine.travel(T0, tick=False):
            sign_in(self.client, "supervisor")
            for _attempt in range(3):
                self.client.post("/accounts/second-factor/", {"code": "000000"})
            self.client.post("/accounts/second-factor/", {"code": code_at(T0)})
            self.assertFalse(actions.is_locked("supervisor"))
            self.assertEqual(self.client.get("/").status_code, 200)
        # The name's counts are gone; only the address's own (slowing, never locking) stays.
        self.assertFalse(LoginThrottle.objects.exclude(username_key__startswith="addr:").exists())


@override_settings(QF_WORK_CHECK_MAXNUMBER=1000, QF_LOGIN_CHALLENGE_AFTER=10)
class TotpChallengeTestCase(BaseTestCase):
    """The one-time code after a right password answers to the sign-in page's rule: from an
    address that failed many sign-ins it is asked with the challenge, refused without it
    before the code is looked at (so the code is not spent), counted nowhere, never locking;
    solved, the right code gets in, a replayed code is still refused, and wrong codes lock
    per name and per (address, name) only."""

    ADDRESS: ClassVar[dict[str, Any]] = {"REMOTE_ADDR": "10.20.3.4"}

    def setUp(self) -> None:
        actions.do_enable_totp(self.supervisor, secret=SECRET)

    def fail_from_the_address(self, count: int = 10, **meta: Any) -> None:
        for i in range(count):
            response = sign_in_solving(Client(), f"guess{i}", "Wrong-1", **(meta or self.ADDRESS))
            self.assertContains(response, "账号或密码不正确")

    def code_page(self, client: Client, **meta: Any) -> Any:
        """Sign in with the right password (solving the sign-in page's challenge) and open
        the second-factor page."""
        signed = sign_in_solving(client, "supervisor", **(meta or self.ADDRESS))
        self.assertRedirects(signed, "/accounts/second-factor/", fetch_redirect_response=False)
        return client.get("/accounts/second-factor/", **(meta or self.ADDRESS))

    def post_code(self, client: Client, code: str, page: Any = None, **meta: Any) -> Any:
        answers = challenge_answers(page) if page is not None else {}
        return client.post(
            "/accounts/second-factor/", {"code": code, **answers}, **(meta or self.ADDRESS)
        )

    def test_below_the_threshold_no_challenge_is_asked(self) -> None:
        self.fail_from_the_address(9)
        with time_machine.travel(T0, tick=False):
            page = self.code_page(self.client)
            self.assertNotContains(page, "second-factor-challenge")
            response = self.post_code(self.client, code_at(T0))
        self.assertRedirects(response, "/", fetch_redirect_response=False)

    def test_the_right_code_without_the_challenge_is_refused_and_counts_nowhere(self) -> None:
        self.fail_from_the_address()
        with time_machine.travel(T0, tick=False):
            page = self.code_page(self.client)
            self.assertContains(page, 'data-testid="second-factor-challenge"')
            self.assertContains(page, 'name="work_solution"')
            self.assertContains(page, 'name="captcha_token"')
            self.assertContains(page, "联系本单位的系统管理员")  # staff: no hotline
            throttles = list(LoginThrottle.objects.values_list("username_key", "failures"))
            audits = AuditEvent.objects.count()
            # The picture and a new question answer before the second factor is done.
            found = re.search(r'src="(/accounts/check/[^"]+\.svg)"', page.content.decode())
            assert found is not None
            picture = self.client.get(found.group(1), **self.ADDRESS)
            self.assertEqual(picture.status_code, 200)
            self.assertEqual(picture["Content-Type"], "image/svg+xml")
            new = self.client.get("/accounts/check/new/", **self.ADDRESS)
            self.assertContains(new, 'name="captcha_token"')
            refused = self.post_code(self.client, code_at(T0))
            self.assertContains(refused, "请完成下方的安全校验后再输入口令")
            self.assertContains(refused, "安全校验未完成或已过期")
            self.assertContains(refused, "验证答案不正确或已过期")
            self.assertContains(refused, 'data-testid="second-factor-challenge"')
            # Not checked: nothing counted, nothing audited, the code not spent.
            self.assertEqual(
                list(LoginThrottle.objects.values_list("username_key", "failures")), throttles
            )
            self.assertEqual(AuditEvent.objects.count(), audits)
            self.assertEqual(User.objects.get(pk=self.supervisor.pk).totp_last_step, 0)
            self.assertRedirects(
                self.client.get("/"), "/accounts/second-factor/", fetch_redirect_response=False
            )
            # Solved, the same code gets in.
            response = self.post_code(self.client, code_at(T0), refused)
            self.assertRedirects(response, "/", fetch_redirect_response=False)
            self.assertEqual(self.client.get("/").status_code, 200)

    def test_a_spent_solution_or_a_wrong_sum_is_refused(self) -> None:
        self.fail_from_the_address()
        with time_machine.travel(T0, tick=False):
            page = self.code_page(self.client)
            answers = challenge_answers(page)
            wrong = {**answers, "captcha_answer": str(int(answers["captcha_answer"]) + 3)}
            refused = self.client.post(
                "/accounts/second-factor/", {"code": code_at(T0), **wrong}, **self.ADDRESS
            )
            self.assertContains(refused, "验证答案不正确或已过期")
            again = self.client.post(
                "/accounts/second-factor/", {"code": code_at(T0), **answers}, **self.ADDRESS
            )
            self.assertContains(again, "安全校验未完成或已过期")
        self.assertEqual(User.objects.get(pk=self.supervisor.pk).totp_last_step, 0)

    def test_a_replayed_code_is_still_refused_with_the_challenge_solved(self) -> None:
        self.fail_from_the_address()
        with time_machine.travel(T0 + timedelta(seconds=5), tick=False):
            code = code_at(T0)
            first = Client()
            self.assertRedirects(
                self.post_code(first, code, self.code_page(first)),
                "/",
                fetch_redirect_response=False,
            )
            second = Client()
            again = self.post_code(second, code, self.code_page(second))
            self.assertContains(again, "动态口令不正确或已使用")
            self.assertRedirects(
                second.get("/"), "/accounts/second-factor/", fetch_redirect_response=False
            )

    def test_wrong_codes_lock_per_name_and_address_only(self) -> None:
        self.fail_from_the_address()
        with time_machine.travel(T0, tick=False):
            page = self.code_page(self.client)
            for _attempt in range(4):
                page = self.post_code(self.client, "000000", page)
                self.assertContains(page, "动态口令不正确")
            locked = self.post_code(self.client, "000000", page)
            self.assertRedirects(locked, "/accounts/login/", fetch_redirect_response=False)
            self.assertIsNone(signed_in_as(self.client))
            # The supervisor's name is locked from this address...
            self.assertContains(sign_in_solving(Client(), "supervisor", **self.ADDRESS), LOCKED)
            # ...not elsewhere, and a colleague on the same network still gets in.
            elsewhere = Client(REMOTE_ADDR="10.20.9.9")
            self.assertRedirects(
                sign_in(elsewhere, "supervisor"),
                "/accounts/second-factor/",
                fetch_redirect_response=False,
            )
            colleague = Client()
            signed = sign_in_solving(colleague, "teacher", **self.ADDRESS)
            self.assertRedirects(signed, "/", fetch_redirect_response=False)
        # Only the name from this address is locked: not the name everywhere, not the address.
        locked_keys = list(
            LoginThrottle.objects.exclude(locked_until=None).values_list("username_key", flat=True)
        )
        self.assertEqual(len(locked_keys), 1)
        self.assertTrue(locked_keys[0].startswith("pair:"))

    def test_past_the_slow_down_limit_the_code_is_answered_slowly_not_refused(self) -> None:
        self.fail_from_the_address(30)
        with mock.patch("qingfeng.orgs.actions.signin.slow_down") as sleep:
            with time_machine.travel(T0, tick=False):
                page = self.code_page(self.client)
                response = self.post_code(self.client, code_at(T0), page)
            self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertEqual(sleep.call_count, 2)  # the password, then the code


@override_settings(
    QF_TRUSTED_PROXY_HOPS=1, QF_WORK_CHECK_MAXNUMBER=1000, QF_LOGIN_CHALLENGE_AFTER=10
)
class TotpChallengeBehindProxyTestCase(BaseTestCase):
    """Colleagues sharing a proxy's address with a stranger who fails with many names: each
    gets in with password, challenge and code; the stranger's rotated X-Forwarded-For
    entries escape nothing."""

    PROXY = "10.9.9.9"
    SCHOOL = "10.8.0.1"

    def via_proxy(self, real: str, client_says: str = "") -> dict[str, Any]:
        forwarded = f"{client_says}, {real}" if client_says else real
        return {"REMOTE_ADDR": self.PROXY, "HTTP_X_FORWARDED_FOR": forwarded}

    def test_colleagues_behind_the_proxy_get_in_with_their_codes(self) -> None:
        for i in range(12):
            meta = self.via_proxy(self.SCHOOL, client_says=f"198.51.100.{i}")
            sign_in_solving(Client(), f"guess{i}", "Wrong-1", **meta)
        colleagues = (self.supervisor, self.county_admin)
        for user in colleagues:
            actions.do_enable_totp(user, secret=SECRET)
        for n, user in enumerate(colleagues):
            moment = T0 + timedelta(minutes=n)
            with self.subTest(user=user.username), time_machine.travel(moment, tick=False):
                client = Client()
                meta = self.via_proxy(self.SCHOOL, client_says="203.0.113.5")
                signed = sign_in_solving(client, user.username, **meta)
                self.assertRedirects(
                    signed, "/accounts/second-factor/", fetch_redirect_response=False
                )
                refused = client.post("/accounts/second-factor/", {"code": code_at(moment)}, **meta)
                self.assertContains(refused, "请完成下方的安全校验后再输入口令")
                data = {"code": code_at(moment), **challenge_answers(refused)}
                response = client.post("/accounts/second-factor/", data, **meta)
                self.assertRedirects(response, "/", fetch_redirect_response=False)
                self.assertEqual(signed_in_as(client), user.pk)
        self.assertFalse(LoginThrottle.objects.exclude(locked_until=None).exists())
