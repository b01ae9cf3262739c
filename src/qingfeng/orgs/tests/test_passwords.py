from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.conf import settings
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.test_security_headers import production_settings
from qingfeng.orgs import actions
from qingfeng.orgs.models import Person, User
from qingfeng.orgs.tests.test_login import sign_in
from qingfeng.test import PASSWORD, BaseTestCase

NEW_PASSWORD = "Qingfeng-New-2026#"


class PasswordPolicyTestCase(BaseTestCase):
    def error_codes(self, password: str, user: User | None = None) -> set[str]:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            return {e.code for e in exc.error_list if e.code}
        return set()

    def test_a_good_password_passes(self) -> None:
        for password in (
            PASSWORD,
            NEW_PASSWORD,
            "清风作风建设abc12345",
            "correct horse 42 battery",
        ):
            with self.subTest(password=password):
                self.assertEqual(self.error_codes(password), set())

    def test_it_needs_twelve_characters(self) -> None:
        self.assertEqual(self.error_codes("Qf-2026-abc"), {"password_too_short"})
        self.assertEqual(self.error_codes("Qf-2026-abcd"), set())

    def test_it_needs_three_of_four_classes(self) -> None:
        for password in ("abcdefghijkmnop", "abcdefgh12345", "ABCDEFGH-!@#$", "12345678!@#$%"):
            with self.subTest(password=password):
                self.assertIn("password_too_simple", self.error_codes(password))

    def test_chinese_characters_count_as_a_class(self) -> None:
        self.assertNotIn("password_too_simple", self.error_codes("清风清风清风abcdef12"))

    def test_it_refuses_common_passwords(self) -> None:
        # Both meet length and classes; both are on the common-password list (case ignored).
        for password in ("Password1234", "Pe#5gz29ptzmse"):
            with self.subTest(password=password):
                self.assertEqual(self.error_codes(password), {"password_too_common"})

    def test_it_refuses_a_password_like_the_user_name(self) -> None:
        user = User(username="zhangweiguo")
        self.assertIn("password_too_similar", self.error_codes("Zhangweiguo-2026", user))

    def test_the_messages_are_in_chinese(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            validate_password("abc")
        text = " ".join(caught.exception.messages)
        self.assertIn("密码须至少包含小写字母、大写字母、数字、符号中的 3 类", text)

    def test_account_creation_enforces_the_policy(self) -> None:
        person = actions.do_create_person(
            actor=None, unit=self.school, name="新同事", post_type=Person.PostType.TEACHER
        )
        with self.assertRaises(ValidationError):
            actions.check_create_account(
                person, actor=self.system_admin, username="newbie", password="short"
            )
        self.assertFalse(User.objects.filter(username="newbie").exists())


class HashersTestCase(BaseTestCase):
    def test_production_hashes_with_argon2(self) -> None:
        hashers = production_settings()["PASSWORD_HASHERS"]
        self.assertEqual(hashers[0], "django.contrib.auth.hashers.Argon2PasswordHasher")
        self.assertNotIn("django.contrib.auth.hashers.MD5PasswordHasher", hashers)

    def test_tests_only_prepend_a_fast_hasher(self) -> None:
        self.assertEqual(settings.PASSWORD_HASHERS[1:], production_settings()["PASSWORD_HASHERS"])

    def test_argon2_works_here(self) -> None:
        encoded = make_password(PASSWORD, hasher="argon2")
        self.assertEqual(identify_hasher(encoded).algorithm, "argon2")
        self.assertTrue(check_password(PASSWORD, encoded))


class ForcedChangeTestCase(BaseTestCase):
    def make_account(self) -> User:
        person = actions.do_create_person(
            actor=None, unit=self.school, name="新同事", post_type=Person.PostType.TEACHER
        )
        return actions.check_create_account(
            person, actor=self.system_admin, username="newbie", password=PASSWORD
        )

    def change(self, old: str = PASSWORD, new1: str = NEW_PASSWORD, new2: str = "") -> Any:
        data = {"old_password": old, "new_password1": new1, "new_password2": new2 or new1}
        return self.client.post("/accounts/password/", data)

    def test_a_new_account_must_change_its_password_first(self) -> None:
        user = self.make_account()
        self.assertTrue(user.must_change_password)
        self.assertRedirects(sign_in(self.client, "newbie"), "/", fetch_redirect_response=False)
        for url in ("/", "/orgs/people/", "/accounts/profile/", "/core/audit/"):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertRedirects(response, "/accounts/password/", fetch_redirect_response=False)
        page = self.client.get("/accounts/password/")
        self.assertContains(page, "首次登录或密码已到期，请先设置新密码。")

        self.assertRedirects(self.change(), "/", fetch_redirect_response=False)
        user.refresh_from_db()
        self.assertFalse(user.must_change_password)
        self.assertTrue(user.check_password(NEW_PASSWORD))
        self.assertEqual(self.client.get("/").status_code, 200)  # still signed in
        self.assertTrue(
            AuditEvent.objects.filter(action="orgs.password.change", actor=user).exists()
        )

    def test_the_password_expires_after_ninety_days(self) -> None:
        self.assertEqual(settings.QF_PASSWORD_MAX_AGE_DAYS, 90)
        changed = timezone.now()
        with time_machine.travel(changed + timedelta(days=89, hours=23), tick=False):
            sign_in(self.client, "teacher")
            self.assertEqual(self.client.get("/").status_code, 200)
        self.client.post("/accounts/logout/")
        with time_machine.travel(changed + timedelta(days=90, hours=1), tick=False):
            sign_in(self.client, "teacher")
            response = self.client.get("/orgs/people/")
            self.assertRedirects(response, "/accounts/password/", fetch_redirect_response=False)
            self.assertContains(self.client.get("/accounts/password/"), "密码已到期")
            self.change()
            self.assertEqual(self.client.get("/orgs/people/").status_code, 200)

    def test_a_bad_change_is_refused_and_changes_nothing(self) -> None:
        self.make_account()
        sign_in(self.client, "newbie")
        cases = [
            ({"old": "Wrong-Old-Password-1"}, "当前密码不正确"),
            ({"new2": "Qingfeng-Other-2026#"}, "两次输入的新密码不一致"),
            ({"new1": PASSWORD}, "新密码不能与当前密码相同"),
            ({"new1": "abcdefghijklmn"}, "密码须至少包含"),
            ({"new1": "Password1234"}, "这个密码太常见了"),
        ]
        for change, message in cases:
            with self.subTest(message=message):
                response = self.change(**change)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, message)
        user = User.objects.get(username="newbie")
        self.assertTrue(user.check_password(PASSWORD))
        self.assertTrue(user.must_change_password)
        self.assertRedirects(
            self.client.get("/"), "/accounts/password/", fetch_redirect_response=False
        )

    def test_an_anonymous_visitor_cannot_reach_the_change_page(self) -> None:
        response = self.client.get("/accounts/password/")
        self.assertRedirects(
            response, "/accounts/login/?next=/accounts/password/", fetch_redirect_response=False
        )
