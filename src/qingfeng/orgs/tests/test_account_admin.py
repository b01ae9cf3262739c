from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from qingfeng.core.models import AuditEvent
from qingfeng.orgs import actions
from qingfeng.orgs.models import LoginThrottle, Person, Role, User
from qingfeng.test import BaseTestCase


class AccountAdminTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.login(self.system_admin)

    def test_it_opens_an_account_with_a_one_time_password(self) -> None:
        person = actions.do_create_person(
            actor=None, unit=self.school, name="林老师", post_type=Person.PostType.TEACHER
        )
        picker = self.client.get("/orgs/accounts/person-picker/", {"q": "林"})
        self.assertContains(picker, "林老师")
        response = self.client.post(
            "/orgs/accounts/new/", {"person": person.pk, "username": "lin.teacher"}, follow=True
        )
        password = response.context["one_time_password"]
        self.assertTrue(password)
        user = User.objects.get(username="lin.teacher")
        self.assertTrue(user.must_change_password)
        self.assertTrue(user.check_password(password))
        self.assertEqual(Person.objects.get(pk=person.pk).user, user)
        # shown once only
        self.assertEqual(
            self.client.get(f"/orgs/accounts/{user.pk}/").context["one_time_password"], ""
        )
        self.assertTrue(
            AuditEvent.objects.filter(action="orgs.account.create", object_id=str(user.pk)).exists()
        )

    def test_a_taken_user_name_is_refused(self) -> None:
        person = actions.do_create_person(
            actor=None, unit=self.school, name="林老师", post_type=Person.PostType.TEACHER
        )
        response = self.client.post(
            "/orgs/accounts/new/", {"person": person.pk, "username": "TEACHER"}
        )
        self.assertContains(response, "该账号已被使用")
        self.assertIsNone(Person.objects.get(pk=person.pk).user)

    def test_it_grants_and_revokes_roles_within_scope(self) -> None:
        self.client.post(
            f"/orgs/accounts/{self.teacher.pk}/grant/",
            {"role": Role.HOTLINE_OPERATOR, "unit_code": "S0001"},
        )
        self.assertTrue(
            self.teacher.roles.filter(role=Role.HOTLINE_OPERATOR, revoked_at__isnull=True).exists()
        )
        assignment = self.teacher.roles.get(role=Role.HOTLINE_OPERATOR)
        self.client.post(f"/orgs/accounts/{self.teacher.pk}/roles/{assignment.pk}/revoke/")
        assignment.refresh_from_db()
        self.assertIsNotNone(assignment.revoked_at)
        response = self.client.post(
            f"/orgs/accounts/{self.teacher.pk}/grant/",
            {"role": Role.STAFF, "unit_code": "NOPE"},
            follow=True,
        )
        self.assertContains(response, "单位编码不存在或不在您的管辖范围内")

    def test_reset_password_unlock_and_disable(self) -> None:
        LoginThrottle.objects.create(
            username_key=LoginThrottle.key_for("teacher"),
            failures=5,
            locked_until=timezone.now() + timedelta(minutes=5),
        )
        response = self.client.post(
            f"/orgs/accounts/{self.teacher.pk}/security/",
            {"operation": "reset_password"},
            follow=True,
        )
        self.teacher.refresh_from_db()
        self.assertTrue(self.teacher.check_password(response.context["one_time_password"]))
        self.assertTrue(self.teacher.must_change_password)
        self.assertFalse(
            LoginThrottle.objects.filter(username_key=LoginThrottle.key_for("teacher")).exists()
        )
        response = self.client.post(
            f"/orgs/accounts/{self.teacher.pk}/security/", {"operation": "disable"}, follow=True
        )
        self.assertContains(response, "请填写原因")
        self.client.post(
            f"/orgs/accounts/{self.teacher.pk}/security/",
            {"operation": "disable", "reason": "调离"},
        )
        self.teacher.refresh_from_db()
        self.assertFalse(self.teacher.is_active)

    def test_nobody_changes_their_own_account_here(self) -> None:
        response = self.client.post(
            f"/orgs/accounts/{self.system_admin.pk}/grant/",
            {"role": Role.AUDITOR, "unit_code": "B0001"},
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.system_admin.roles.filter(role=Role.AUDITOR).exists())

    def test_only_the_system_admin_manages_accounts(self) -> None:
        for user in (self.bureau_admin, self.auditor, self.school_admin):
            self.login(user)
            self.assertEqual(self.client.get("/orgs/accounts/").status_code, 403)
            self.assertEqual(
                self.client.post(
                    f"/orgs/accounts/{self.teacher.pk}/security/", {"operation": "reset_password"}
                ).status_code,
                403,
            )

    def test_the_list_filters_by_role(self) -> None:
        response = self.client.get("/orgs/accounts/", {"role": Role.UNIT_ADMIN})
        self.assertEqual(
            {u.username for u in response.context["page"]},
            {"county_admin", "school_admin", "other_admin"},
        )
