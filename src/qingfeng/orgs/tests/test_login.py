from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from unittest import mock

import time_machine
from django.conf import settings
from django.test import Client, TestCase, override_settings
from django.utils import timezone

from qingfeng.core.models import AuditEvent
from qingfeng.core.publicform import work
from qingfeng.orgs.models import LoginThrottle, User
from qingfeng.orgs.signin_check import captcha
from qingfeng.test import PASSWORD, BaseTestCase

BAD_LOGIN = "账号或密码不正确"
LOCKED = "登录失败次数过多，账号已锁定"
T0 = datetime(2026, 11, 5, 1, 0, tzinfo=UTC)


def sign_in(
    client: Client, username: str, password: str = PASSWORD, *, next_url: str = "", **meta: Any
) -> Any:
    """Post the login form as a browser would; `meta` goes into the request (REMOTE_ADDR)."""
    data = {"username": username, "password": password, "next": next_url}
    return client.post("/accounts/login/", data, **meta)


CHALLENGED = "本网络登录失败次数较多，请完成下方的安全校验后再登录"


def challenge_answers(page: Any) -> dict[str, str]:
    """What a person (and a patient program) sends for the challenge on a sign-in page: the
    proof of work solved as the browser solves it, the picture's sum; nothing when the page
    asks for none."""
    text = page.content.decode()
    answers = {}
    if found := re.search(r'data-challenge="([^"]*)"', text):
        answers["work_solution"] = work.solve(json.loads(html.unescape(found.group(1))))
    if found := re.search(r'name="captcha_token" value="([^"]*)"', text):
        token = found.group(1)
        answers.update(captcha_token=token, captcha_answer=str(captcha.answer_for_tests(token)))
    return answers


def sign_in_solving(client: Client, username: str, password: str = PASSWORD, **meta: Any) -> Any:
    """Open the sign-in page, then post it with whatever challenge it asked for solved."""
    page = client.get("/accounts/login/", **meta)
    data = {"username": username, "password": password, "next": "", **challenge_answers(page)}
    return client.post("/accounts/login/", data, **meta)


def signed_in_as(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


class LoginTestCase(BaseTestCase):
    def test_it_signs_in_a_user_without_a_second_factor(self) -> None:
        response = sign_in(self.client, "teacher")
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertEqual(signed_in_as(self.client), self.teacher.pk)
        self.assertEqual(self.client.get("/").status_code, 200)
        event = AuditEvent.objects.get(action="orgs.login.success")
        self.assertEqual(event.actor, self.teacher)

    def test_it_goes_to_the_page_asked_for(self) -> None:
        response = sign_in(self.client, "school_admin", next_url="/orgs/units/")
        self.assertRedirects(response, "/orgs/units/", fetch_redirect_response=False)

    def test_it_never_redirects_off_site(self) -> None:
        for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
            with self.subTest(target=target):
                response = sign_in(Client(), "teacher", next_url=target)
                self.assertRedirects(response, "/", fetch_redirect_response=False)

    def test_it_shows_the_login_page(self) -> None:
        response = self.client.get("/accounts/login/?next=/orgs/people/")
        self.assertContains(response, 'name="next" value="/orgs/people/"')
        self.assertContains(response, "csrfmiddlewaretoken")

    def test_wrong_password_and_unknown_user_get_the_same_answer(self) -> None:
        wrong = sign_in(self.client, "teacher", "Wrong-Password-1")
        unknown = sign_in(self.client, "no_such_user", "Wrong-Password-1")
        for response in (wrong, unknown):
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, BAD_LOGIN)
        self.assertIsNone(signed_in_as(self.client))

    def test_an_inactive_account_gets_the_same_answer(self) -> None:
        User.objects.filter(pk=self.teacher.pk).update(is_active=False)
        response = sign_in(self.client, "teacher")
        self.assertContains(response, BAD_LOGIN)
        self.assertIsNone(signed_in_as(self.client))

    def test_an_empty_form_asks_for_both_fields(self) -> None:
        response = self.client.post("/accounts/login/", {"username": "", "password": ""})
        self.assertContains(response, "请输入账号和密码")
        self.assertFalse(AuditEvent.objects.filter(action__startswith="orgs.login").exists())

    def test_logout_needs_post(self) -> None:
        sign_in(self.client, "teacher")
        self.assertEqual(self.client.get("/accounts/logout/").status_code, 405)
        self.assertEqual(signed_in_as(self.client), self.teacher.pk)
        response = self.client.post("/accounts/logout/")
        self.assertRedirects(response, "/accounts/login/", fetch_redirect_response=False)
        self.assertIsNone(signed_in_as(self.client))


class LockoutTestCase(BaseTestCase):
    def test_the_limit_comes_from_settings(self) -> None:
        self.assertEqual(settings.QF_LOGIN_MAX_FAILURES, 5)
        self.assertEqual(settings.QF_LOGIN_LOCKOUT_MINUTES, 10)

    def test_it_locks_after_five_failures(self) -> None:
        for _attempt in range(4):
            self.assertContains(sign_in(self.client, "teacher", "Wrong-1"), BAD_LOGIN)
        fifth = sign_in(self.client, "teacher", "Wrong-1")
        self.assertContains(fifth, LOCKED)
        self.assertContains(fifth, "请 10 分钟后再试")
        # Now even the right password is refused, with no hint that it was right.
        right = sign_in(self.client, "teacher")
        self.assertContains(right, LOCKED)
        self.assertIsNone(signed_in_as(self.client))

    def test_unknown_names_lock_the_same_way(self) -> None:
        answers = {}
        for name in ("teacher", "ghost"):
            for _attempt in range(5):
                response = sign_in(Client(), name, "Wrong-1")
            answers[name] = response.content.decode()
        self.assertIn(LOCKED, answers["ghost"])
        self.assertEqual(answers["ghost"].count(LOCKED), answers["teacher"].count(LOCKED))
        # Five failures from one address lock the name there (the name's own count, kept for
        # guessing from many addresses, locks later).
        self.assertEqual(
            LoginThrottle.objects.get(username_key=LoginThrottle.key_for("ghost")).failures, 5
        )
        self.assertEqual(
            LoginThrottle.objects.filter(
                username_key__startswith="pair:", locked_until__isnull=False
            ).count(),
            2,
        )

    def test_the_name_is_matched_without_case_or_spaces(self) -> None:
        for name in ("Teacher", " TEACHER ", "teacher", "teacheR", "TEACHER"):
            sign_in(self.client, name, "Wrong-1")
        self.assertContains(sign_in(self.client, "teacher"), LOCKED)

    def test_the_lock_expires_after_ten_minutes(self) -> None:
        with time_machine.travel(T0, tick=False) as traveller:
            for _attempt in range(5):
                sign_in(self.client, "teacher", "Wrong-1")
            traveller.shift(timedelta(minutes=9, seconds=59))
            self.assertContains(sign_in(self.client, "teacher"), "请 1 分钟后再试")
            traveller.shift(timedelta(seconds=2))
            response = sign_in(self.client, "teacher")
            self.assertRedirects(response, "/", fetch_redirect_response=False)

    def test_after_the_lock_a_new_failure_starts_a_new_count(self) -> None:
        with time_machine.travel(T0, tick=False) as traveller:
            for _attempt in range(5):
                sign_in(self.client, "teacher", "Wrong-1")
            traveller.shift(timedelta(minutes=11))
            self.assertContains(sign_in(self.client, "teacher", "Wrong-1"), BAD_LOGIN)
            self.assertEqual(
                LoginThrottle.objects.get(username_key=LoginThrottle.key_for("teacher")).failures, 1
            )

    def test_a_success_resets_the_counter(self) -> None:
        for _attempt in range(4):
            sign_in(self.client, "teacher", "Wrong-1")
        sign_in(self.client, "teacher")
        self.assertFalse(
            LoginThrottle.objects.filter(username_key=LoginThrottle.key_for("teacher")).exists()
        )
        self.client.post("/accounts/logout/")
        for _attempt in range(4):
            self.assertContains(sign_in(self.client, "teacher", "Wrong-1"), BAD_LOGIN)
        self.assertRedirects(sign_in(self.client, "teacher"), "/", fetch_redirect_response=False)

    def test_one_name_locked_does_not_lock_another(self) -> None:
        for _attempt in range(5):
            sign_in(self.client, "teacher", "Wrong-1")
        response = sign_in(self.client, "school_admin")
        self.assertRedirects(response, "/", fetch_redirect_response=False)

    def test_a_password_typed_as_the_name_is_kept_nowhere(self) -> None:
        # A reflex: the password typed into the name field, then the password field.
        secret = "Qf#欧阳2026!"
        sign_in(self.client, secret, "whatever")
        sign_in(self.client, "\x01teacher\x0b", "Wrong-1")  # cleaned to the same name
        stored = [
            *LoginThrottle.objects.values_list("username_key", flat=True),
            *AuditEvent.objects.values_list("object_repr", flat=True),
            *(str(e.after) + str(e.before) for e in AuditEvent.objects.all()),
        ]
        self.assertFalse([s for s in stored if secret in s or secret.lower() in s])
        self.assertTrue(LoginThrottle.objects.filter(username_key=LoginThrottle.key_for(secret)))
        self.assertEqual(
            LoginThrottle.objects.get(username_key=LoginThrottle.key_for("teacher")).failures, 1
        )

    def test_each_failure_is_audited(self) -> None:
        for _attempt in range(5):
            sign_in(self.client, "teacher", "Wrong-1", REMOTE_ADDR="10.0.0.8")
        sign_in(self.client, "ghost", "Wrong-1")
        events = list(
            AuditEvent.objects.filter(action__startswith="orgs.login.")
            .order_by("id")
            .values_list("action", "outcome", "actor_id", "object_repr")
        )
        teacher_row = ("denied", self.teacher.pk, "teacher")
        self.assertEqual(
            events,
            [("orgs.login.failure", *teacher_row)] * 4
            + [
                ("orgs.login.locked", *teacher_row),
                ("orgs.login.failure", "denied", None, LoginThrottle.key_for("ghost")),
            ],
        )
        self.assertEqual(
            AuditEvent.objects.filter(actor=self.teacher, action="orgs.login.failure")
            .values_list("source_ip", flat=True)
            .distinct()
            .get(),
            "10.0.0.8",
        )


class NoDefaultAccountTestCase(TestCase):
    def test_migrate_creates_no_account(self) -> None:
        # A fresh database, migrated and nothing else: no admin/admin to forget about.
        self.assertEqual(User.objects.count(), 0)

    def test_nobody_can_sign_in_to_a_fresh_install(self) -> None:
        for name, password in (("admin", "admin"), ("admin", "admin123"), ("root", "root")):
            response = sign_in(self.client, name, password)
            self.assertContains(response, BAD_LOGIN)


@override_settings(QF_WORK_CHECK_MAXNUMBER=1000)
class AddressLimitTestCase(BaseTestCase):
    """30 failures with random names from one address (a school's proxy, say) challenge and
    slow that address down; they lock nobody out, least of all the right user with the right
    password."""

    GUESSES = ("zhangwei", "欧阳娜", "司马青", "诸葛亮亮", "admin", "root", "wang_laoshi", "李老师")

    def guess_from(self, client: Client, count: int, **meta: Any) -> None:
        """A patient guesser: solves the challenge whenever the page asks for it."""
        for i in range(count):
            name = f"{self.GUESSES[i % len(self.GUESSES)]}{i // len(self.GUESSES) or ''}"
            self.assertContains(sign_in_solving(client, name, "Wrong-1", **meta), BAD_LOGIN)

    def test_many_names_failing_from_one_address_lock_nobody_out(self) -> None:
        with mock.patch("qingfeng.orgs.actions.signin.slow_down") as sleep:
            self.guess_from(self.client, 30)
            sleep.assert_not_called()
            response = sign_in_solving(self.client, "teacher")
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertEqual(signed_in_as(self.client), self.teacher.pk)
        # Past the limit the address is slowed down, every attempt, whatever the name.
        sleep.assert_called_once_with(3)

    def test_a_colleague_behind_the_same_proxy_is_slowed_not_refused(self) -> None:
        attacker, colleague = Client(REMOTE_ADDR="10.8.0.1"), Client(REMOTE_ADDR="10.8.0.1")
        with mock.patch("qingfeng.orgs.actions.signin.slow_down") as sleep:
            self.guess_from(attacker, 30)
            wrong = sign_in_solving(colleague, "school_admin", "Wrong-1")
            self.assertContains(wrong, BAD_LOGIN)
            response = sign_in_solving(colleague, "school_admin")
            self.assertRedirects(response, "/", fetch_redirect_response=False)
            self.assertEqual(sleep.call_count, 2)
            # Another address is neither challenged, slowed nor refused.
            other = Client(REMOTE_ADDR="10.0.0.9")
            self.assertNotContains(other.get("/accounts/login/"), "login-challenge")
            self.assertRedirects(sign_in(other, "teacher"), "/", fetch_redirect_response=False)
            self.assertEqual(sleep.call_count, 2)
        # and the address itself is not stored
        keys = list(LoginThrottle.objects.values_list("username_key", flat=True))
        self.assertFalse(any("10.8.0.1" in key or "127.0.0.1" in key for key in keys))

    def test_a_name_guessed_from_one_address_locks_there_first(self) -> None:
        for _attempt in range(5):
            sign_in(self.client, "teacher", "Wrong-1", REMOTE_ADDR="10.0.0.7")
        self.assertContains(sign_in(self.client, "teacher", REMOTE_ADDR="10.0.0.7"), LOCKED)
        # From elsewhere the right password still works: the name alone locks only later.
        elsewhere = Client(REMOTE_ADDR="10.0.0.9")
        self.assertRedirects(sign_in(elsewhere, "teacher"), "/", fetch_redirect_response=False)

    @override_settings(QF_LOGIN_MAX_FAILURES_PER_NAME=20)
    def test_a_name_guessed_from_many_addresses_locks_everywhere(self) -> None:
        for i in range(20):
            sign_in(Client(REMOTE_ADDR=f"10.0.{i}.{i + 2}"), "teacher", "Wrong-1")
        fresh = Client(REMOTE_ADDR="10.0.99.3")
        self.assertContains(sign_in(fresh, "teacher"), LOCKED)
        self.assertIsNone(signed_in_as(fresh))

    def test_old_failures_are_forgotten(self) -> None:
        start = timezone.now()
        with time_machine.travel(start):
            for _ in range(4):
                self.client.post("/accounts/login/", {"username": "teacher", "password": "wrong"})
        with time_machine.travel(start + timedelta(minutes=30)):
            self.client.post("/accounts/login/", {"username": "teacher", "password": "wrong"})
            response = self.client.post(
                "/accounts/login/", {"username": "teacher", "password": PASSWORD}
            )
        self.assertEqual(response.status_code, 302)


@override_settings(QF_TRUSTED_PROXY_HOPS=1)
class BehindProxyTestCase(BaseTestCase):
    """Behind one proxy the client is the entry the proxy appended, the right-most one:
    what a client writes further left neither escapes the sign-in limits, nor locks out an
    address it names, nor reaches the audit trail."""

    PROXY = {"REMOTE_ADDR": "10.9.9.9"}

    def via_proxy(self, client_says: str, real: str) -> dict[str, str]:
        forwarded = f"{client_says}, {real}" if client_says else real
        return {**self.PROXY, "HTTP_X_FORWARDED_FOR": forwarded}

    def test_a_rotated_left_most_entry_does_not_escape_the_lock(self) -> None:
        for i in range(5):
            sign_in(
                self.client, "teacher", "Wrong-1", **self.via_proxy(f"198.51.100.{i}", "10.8.0.1")
            )
        locked = sign_in(self.client, "teacher", **self.via_proxy("198.51.100.99", "10.8.0.1"))
        self.assertContains(locked, LOCKED)
        self.assertIsNone(signed_in_as(self.client))

    def test_a_forged_entry_cannot_lock_out_the_address_it_names(self) -> None:
        victim = "10.0.0.50"
        for _attempt in range(5):
            sign_in(self.client, "teacher", "Wrong-1", **self.via_proxy(victim, "10.8.0.1"))
        colleague = Client()
        response = sign_in(colleague, "teacher", **self.via_proxy("", victim))
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertEqual(signed_in_as(colleague), self.teacher.pk)

    def test_the_audit_trail_keeps_the_address_the_proxy_saw(self) -> None:
        sign_in(self.client, "teacher", "Wrong-1", **self.via_proxy("203.0.113.7", "10.8.0.1"))
        addresses = set(
            AuditEvent.objects.filter(action="orgs.login.failure").values_list(
                "source_ip", flat=True
            )
        )
        self.assertEqual(addresses, {"10.8.0.1"})


@override_settings(QF_WORK_CHECK_MAXNUMBER=1000, QF_LOGIN_CHALLENGE_AFTER=10)
class ChallengeTestCase(BaseTestCase):
    """Past QF_LOGIN_CHALLENGE_AFTER failures of an address the sign-in form also asks for the
    public forms' proof of work and picture sum; solved, the right password still signs in."""

    ADDRESS: ClassVar[dict[str, Any]] = {"REMOTE_ADDR": "10.20.3.4"}
    NAMES = ("zhang.wei", "li.na", "wang.fang", "刘洋", "chen.jing", "杨磊", "zhao.min", "黄丽")

    def fail_times(self, count: int, **meta: Any) -> None:
        for i in range(count):
            name = self.NAMES[i % len(self.NAMES)] + str(i)
            self.assertContains(
                sign_in_solving(Client(), name, "Spring-2026!", **(meta or self.ADDRESS)),
                BAD_LOGIN,
            )

    def test_the_page_asks_for_the_challenge_from_the_tenth_failure_on(self) -> None:
        self.fail_times(9)
        self.assertNotContains(self.client.get("/accounts/login/", **self.ADDRESS), "challenge")
        tenth = sign_in(Client(), "ghost", "Spring-2026!", **self.ADDRESS)
        self.assertContains(tenth, BAD_LOGIN)
        self.assertContains(tenth, 'data-testid="login-challenge"')  # shown right away
        page = self.client.get("/accounts/login/", **self.ADDRESS)
        self.assertContains(page, 'name="work_solution"')
        self.assertContains(page, 'name="captcha_token"')
        self.assertContains(page, "/accounts/check/")  # the picture, served under /accounts/
        # Staff who cannot run the check are sent to their administrator, not the hotline.
        self.assertContains(page, "联系本单位的系统管理员")
        self.assertNotContains(page, "监督热线")

    def test_the_right_password_without_the_challenge_is_refused_and_counts_nowhere(
        self,
    ) -> None:
        self.fail_times(10)
        throttles = list(LoginThrottle.objects.values_list("username_key", "failures"))
        audits = AuditEvent.objects.count()
        refused = sign_in(self.client, "teacher", **self.ADDRESS)
        self.assertContains(refused, CHALLENGED)
        self.assertContains(refused, "安全校验未完成或已过期")
        self.assertContains(refused, "验证答案不正确或已过期")
        self.assertIsNone(signed_in_as(self.client))
        # The password was not even tried: no failure, no lock, nothing audited.
        self.assertEqual(
            list(LoginThrottle.objects.values_list("username_key", "failures")), throttles
        )
        self.assertEqual(AuditEvent.objects.count(), audits)
        response = sign_in_solving(self.client, "teacher", **self.ADDRESS)
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertEqual(signed_in_as(self.client), self.teacher.pk)

    def test_a_wrong_sum_or_a_spent_solution_is_refused(self) -> None:
        self.fail_times(10)
        page = self.client.get("/accounts/login/", **self.ADDRESS)
        answers = challenge_answers(page)
        wrong_sum = {**answers, "captcha_answer": str(int(answers["captcha_answer"]) + 3)}
        data = {"username": "teacher", "password": PASSWORD}
        refused = self.client.post("/accounts/login/", {**data, **wrong_sum}, **self.ADDRESS)
        self.assertContains(refused, "验证答案不正确或已过期")
        self.assertNotContains(refused, "安全校验未完成或已过期")
        self.assertIsNone(signed_in_as(self.client))
        # The work of that attempt was spent on it: sent again it counts for nothing.
        again = self.client.post("/accounts/login/", {**data, **answers}, **self.ADDRESS)
        self.assertContains(again, "安全校验未完成或已过期")
        self.assertIsNone(signed_in_as(self.client))

    def test_the_work_doubles_as_the_address_keeps_failing(self) -> None:
        def maxnumber() -> int:
            page = self.client.get("/accounts/login/", **self.ADDRESS).content.decode()
            found = re.search(r'data-challenge="([^"]*)"', page)
            assert found is not None
            return int(json.loads(html.unescape(found.group(1)))["maxnumber"])

        self.fail_times(10)
        self.assertEqual(maxnumber(), 1000)
        self.fail_times(10)
        self.assertEqual(maxnumber(), 2000)
        self.fail_times(10)
        self.assertEqual(maxnumber(), 4000)

    def test_lockout_stays_per_name_and_per_address_and_name(self) -> None:
        self.fail_times(12)
        # The address's failures lock nobody; the name guessed from it locks there...
        for _attempt in range(4):
            self.assertContains(
                sign_in_solving(self.client, "teacher", "Wrong-1", **self.ADDRESS), BAD_LOGIN
            )
        self.assertContains(
            sign_in_solving(self.client, "teacher", "Wrong-1", **self.ADDRESS), LOCKED
        )
        self.assertContains(sign_in_solving(self.client, "teacher", **self.ADDRESS), LOCKED)
        # ...and nowhere else; a colleague on the same network still gets in with the challenge.
        elsewhere = Client(REMOTE_ADDR="10.20.9.9")
        self.assertRedirects(sign_in(elsewhere, "teacher"), "/", fetch_redirect_response=False)
        colleague = Client()
        response = sign_in_solving(colleague, "school_admin", **self.ADDRESS)
        self.assertRedirects(response, "/", fetch_redirect_response=False)

    def test_the_challenge_ends_with_the_window(self) -> None:
        with time_machine.travel(T0, tick=False) as traveller:
            self.fail_times(10)
            self.assertContains(self.client.get("/accounts/login/", **self.ADDRESS), "challenge")
            traveller.shift(timedelta(minutes=settings.QF_LOGIN_LOCKOUT_MINUTES, seconds=1))
            self.assertNotContains(self.client.get("/accounts/login/", **self.ADDRESS), "challenge")
            response = sign_in(self.client, "teacher", **self.ADDRESS)
            self.assertRedirects(response, "/", fetch_redirect_response=False)

    @override_settings(QF_LOGIN_SUM_CHECK=False)
    def test_without_the_picture_the_work_alone_is_asked(self) -> None:
        self.fail_times(10)
        page = self.client.get("/accounts/login/", **self.ADDRESS)
        self.assertContains(page, 'name="work_solution"')
        self.assertNotContains(page, 'name="captcha_token"')
        response = sign_in_solving(self.client, "teacher", **self.ADDRESS)
        self.assertRedirects(response, "/", fetch_redirect_response=False)

    @override_settings(QF_LOGIN_CHALLENGE=False)
    def test_switched_off_there_is_no_challenge(self) -> None:
        self.fail_times(12)
        self.assertNotContains(self.client.get("/accounts/login/", **self.ADDRESS), "challenge")
        response = sign_in(self.client, "teacher", **self.ADDRESS)
        self.assertRedirects(response, "/", fetch_redirect_response=False)


@override_settings(
    QF_TRUSTED_PROXY_HOPS=1, QF_WORK_CHECK_MAXNUMBER=1000, QF_LOGIN_CHALLENGE_AFTER=10
)
class ChallengeBehindProxyTestCase(BaseTestCase):
    """A school's staff sign in through one proxy and share its outside address: a stranger on
    that network failing with many names brings the challenge to all of them, and each still
    gets in with the right password once the challenge is solved. A forged left-most
    X-Forwarded-For entry neither escapes the challenge nor brings it to another address."""

    PROXY = "10.9.9.9"
    SCHOOL = "10.8.0.1"  # the address every colleague's request comes from

    def via_proxy(self, real: str, client_says: str = "") -> dict[str, Any]:
        forwarded = f"{client_says}, {real}" if client_says else real
        return {"REMOTE_ADDR": self.PROXY, "HTTP_X_FORWARDED_FOR": forwarded}

    def test_colleagues_sharing_one_address_get_in_after_the_challenge(self) -> None:
        # The stranger rotates what it writes in X-Forwarded-For: counted on the school.
        for i in range(14):
            meta = self.via_proxy(self.SCHOOL, client_says=f"198.51.100.{i}")
            response = sign_in_solving(Client(), f"guess{i}", "Wrong-1", **meta)
            self.assertContains(response, BAD_LOGIN)
        refused = sign_in(Client(), "teacher", **self.via_proxy(self.SCHOOL, "203.0.113.5"))
        self.assertContains(refused, CHALLENGED)
        for user in (self.teacher, self.school_admin, self.county_admin):
            with self.subTest(user=user.username):
                colleague = Client()
                meta = self.via_proxy(self.SCHOOL)
                response = sign_in_solving(colleague, user.username, **meta)
                self.assertRedirects(response, "/", fetch_redirect_response=False)
                self.assertEqual(signed_in_as(colleague), user.pk)
        # Nobody was locked, and the proxy's own address and the forged ones are untouched.
        self.assertFalse(LoginThrottle.objects.exclude(locked_until=None).exists())
        for other in (self.via_proxy("10.7.0.2"), self.via_proxy("198.51.100.3")):
            self.assertNotContains(Client().get("/accounts/login/", **other), "challenge")
