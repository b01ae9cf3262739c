from __future__ import annotations

from datetime import date

from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory

from qingfeng.core.models import AuditEvent, CalendarDay, CalendarYear
from qingfeng.orgs import actions
from qingfeng.orgs.middleware import SESSION_VERIFIED
from qingfeng.orgs.models import Role, Unit, User
from qingfeng.test import BaseTestCase, make_user


class AdminSiteTestCase(BaseTestCase):
    def test_the_system_admin_manages_settings(self) -> None:
        self.login(self.system_admin)
        index = self.client.get("/admin/")
        self.assertEqual(index.status_code, 200)
        self.assertContains(index, "清风 · 系统设置")
        self.assertContains(index, "/admin/core/calendaryear/")
        self.assertContains(index, "/admin/orgs/user/")
        for url in ("/admin/core/calendarday/", "/admin/core/job/", "/admin/orgs/unit/"):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 200)
        self.assertContains(self.client.get("/"), 'href="/admin/"')  # the navigation entry

    def test_admin_edits_are_audited(self) -> None:
        self.login(self.system_admin)
        response = self.client.post(
            f"/admin/orgs/user/{self.teacher.pk}/change/",
            {"username": self.teacher.username, "is_active": "on"},
        )
        self.assertEqual(response.status_code, 302)
        self.assertFalse(User.objects.get(pk=self.teacher.pk).must_change_password)
        event = AuditEvent.objects.get(action="admin.orgs.user.update")
        self.assertEqual((event.actor, event.object_id), (self.system_admin, str(self.teacher.pk)))

    def test_calendar_years_are_published_through_the_action(self) -> None:
        self.login(self.system_admin)
        response = self.client.post(
            "/admin/core/calendaryear/add/", {"year": 2030, "source": "国务院办公厅通知"}
        )
        self.assertEqual(response.status_code, 302)
        year = CalendarYear.objects.get(year=2030)
        event = AuditEvent.objects.get(action="core.calendar.publish_year")
        self.assertEqual((event.actor, event.object_id), (self.system_admin, str(year.pk)))
        self.assertEqual(event.after, {"year": 2030, "source": "国务院办公厅通知"})
        response = self.client.post(f"/admin/core/calendaryear/{year.pk}/delete/", {"post": "yes"})
        self.assertEqual(response.status_code, 302)
        self.assertTrue(AuditEvent.objects.filter(action="admin.core.calendaryear.delete").exists())

    def test_calendar_days_change_through_the_actions(self) -> None:
        self.login(self.system_admin)
        add = "/admin/core/calendarday/add/"
        # A plain weekday as a working day records nothing, with the calendar page's reason.
        response = self.client.post(add, {"date": "2030-10-08", "is_workday": "on", "name": "误填"})
        self.assertContains(response, "本来就是工作日，无需登记")
        response = self.client.post(add, {"date": "2030-10-08", "name": ""})
        self.assertContains(response, "请填写节日或调休名称")
        self.assertFalse(CalendarDay.objects.filter(name="误填").exists())
        self.assertEqual(
            self.client.post(add, {"date": "2030-10-07", "name": "国庆节"}).status_code, 302
        )
        entry = CalendarDay.objects.get(date=date(2030, 10, 7))
        self.assertFalse(entry.is_workday)
        # Moved to another day: the old one is undone and the new one set, each audited.
        response = self.client.post(
            f"/admin/core/calendarday/{entry.pk}/change/", {"date": "2030-10-09", "name": "国庆节"}
        )
        self.assertEqual(response.status_code, 302)
        in_2030 = CalendarDay.objects.filter(date__year=2030)  # other years come with the data
        self.assertEqual(list(in_2030.values_list("date", flat=True)), [date(2030, 10, 9)])
        moved = in_2030.get()
        response = self.client.post(f"/admin/core/calendarday/{moved.pk}/delete/", {"post": "yes"})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(in_2030.exists())
        self.assertEqual(
            list(
                AuditEvent.objects.filter(action__startswith="core.calendar.")
                .order_by("id")
                .values_list("action", "actor")
            ),
            [
                ("core.calendar.set", self.system_admin.pk),
                ("core.calendar.remove", self.system_admin.pk),
                ("core.calendar.set", self.system_admin.pk),
                ("core.calendar.remove", self.system_admin.pk),
            ],
        )
        self.assertFalse(AuditEvent.objects.filter(action__startswith="admin.core.").exists())
        self.assertNotIn(
            "delete_selected", self.client.get("/admin/core/calendarday/").content.decode()
        )

    def test_the_audit_trail_is_not_in_the_admin(self) -> None:
        self.assertNotIn(AuditEvent, admin.site._registry)
        self.assertNotIn(Group, admin.site._registry)
        self.login(self.system_admin)
        self.assertEqual(self.client.get("/admin/core/auditevent/").status_code, 404)
        self.assertNotContains(self.client.get("/admin/"), "auditevent")
        self.assertFalse(self.system_admin.has_perm("core.view_auditevent"))
        self.assertFalse(self.system_admin.has_perm("core.change_auditevent"))

    def test_everybody_else_is_refused(self) -> None:
        for user in (self.auditor, self.bureau_admin, self.school_admin, self.teacher):
            with self.subTest(user=user.username):
                self.login(user)
                # The admin sends them to its login, which refuses a signed-in user outright.
                self.assertEqual(self.client.get("/admin/", follow=True).status_code, 403)
                self.assertEqual(self.client.get("/admin/orgs/user/", follow=True).status_code, 403)
                self.assertNotContains(self.client.get("/"), 'href="/admin/"')

    def test_anonymous_visitors_use_our_sign_in(self) -> None:
        response = self.client.get("/admin/orgs/user/", follow=True)
        self.assertEqual(response.redirect_chain[-1][0], "/accounts/login/?next=/admin/orgs/user/")
        self.assertContains(response, 'name="next" value="/admin/orgs/user/"')
        # The admin's own login form (no lockout, no second factor) is never shown.
        response = self.client.get("/admin/login/")
        self.assertRedirects(
            response, "/accounts/login/?next=/admin/", fetch_redirect_response=False
        )
        response = self.client.post(
            "/admin/login/", {"username": "sysadmin", "password": "Qingfeng-Test-2026!"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_a_password_alone_does_not_open_the_admin(self) -> None:
        self.login(self.system_admin)
        session = self.client.session
        session[SESSION_VERIFIED] = False
        session.save()
        response = self.client.get("/admin/")
        self.assertRedirects(response, "/accounts/second-factor/", fetch_redirect_response=False)
        # And the site itself checks it, should the gate ever let a path through.
        request = RequestFactory().get("/admin/")
        request.user = self.system_admin
        request.session = session
        self.assertFalse(admin.site.has_permission(request))
        session[SESSION_VERIFIED] = True
        self.assertTrue(admin.site.has_permission(request))

    def test_the_admin_password_change_is_ours(self) -> None:
        self.login(self.system_admin)
        response = self.client.get("/admin/password_change/")
        self.assertRedirects(response, "/accounts/password/", fetch_redirect_response=False)


class StaffFollowsTheRoleTestCase(BaseTestCase):
    def test_granting_and_revoking_system_admin_sets_is_staff(self) -> None:
        ops = make_user("ops", unit=self.bureau, role=None, name="运维二")
        self.assertFalse(ops.is_staff)
        assignment = actions.do_grant_role(
            ops, actor=self.bureau_admin, role=Role.SYSTEM_ADMIN, unit=self.bureau
        )
        self.assertTrue(User.objects.get(pk=ops.pk).is_staff)
        actions.do_revoke_role(assignment, actor=self.bureau_admin)
        self.assertFalse(User.objects.get(pk=ops.pk).is_staff)

    def test_staff_without_the_role_is_refused(self) -> None:
        User.objects.filter(pk=self.teacher.pk).update(is_staff=True)
        self.login(User.objects.get(pk=self.teacher.pk))
        self.assertEqual(self.client.get("/admin/", follow=True).status_code, 403)

    def test_the_role_without_staff_is_refused(self) -> None:
        User.objects.filter(pk=self.system_admin.pk).update(is_staff=False)
        self.login(User.objects.get(pk=self.system_admin.pk))
        self.assertEqual(self.client.get("/admin/", follow=True).status_code, 403)

    def test_permissions_follow_the_role(self) -> None:
        self.assertTrue(self.system_admin.has_perm("core.change_calendaryear"))
        self.assertTrue(self.system_admin.has_perm("orgs.view_user"))
        self.assertTrue(self.system_admin.has_module_perms("orgs"))
        self.assertFalse(self.system_admin.has_perm("auth.change_group"))
        for user in (self.auditor, self.bureau_admin, self.teacher):
            self.assertFalse(user.has_perm("core.change_calendaryear"), user.username)
            self.assertFalse(user.has_module_perms("core"), user.username)


class RoleAdminIsReadOnlyTestCase(BaseTestCase):
    def test_the_system_admin_cannot_grant_roles_in_the_admin(self) -> None:
        self.login(self.system_admin)
        self.assertEqual(self.client.get("/admin/orgs/roleassignment/").status_code, 200)
        self.assertEqual(self.client.get("/admin/orgs/roleassignment/add/").status_code, 403)


class UnitAdminGoesThroughActionsTestCase(BaseTestCase):
    def test_a_unit_added_in_the_admin_gets_its_path_and_an_audit_event(self) -> None:
        self.login(self.system_admin)
        response = self.client.post(
            "/admin/orgs/unit/add/",
            {
                "name": "东城区第三小学",
                "short_name": "",
                "aliases": "",
                "code": "S0099",
                "kind": "school",
                "category": "school",
                "stage": "primary",
                "locale": "urban",
                "parent": self.county.pk,
                "sort_order": 0,
            },
        )
        self.assertEqual(response.status_code, 302, response.content[:2000])
        unit = Unit.objects.get(code="S0099")
        self.assertEqual(unit.path, self.county.path + Unit.segment(unit.pk))
        self.assertTrue(
            AuditEvent.objects.filter(action="orgs.unit.create", object_id=str(unit.pk)).exists()
        )
        response = self.client.post(
            f"/admin/orgs/unit/{unit.pk}/change/",
            {
                "name": "东城区第三小学",
                "short_name": "东三小",
                "aliases": "",
                "code": "S0099",
                "kind": "school",
                "category": "school",
                "stage": "primary",
                "locale": "urban",
                "parent": self.other_county.pk,
                "sort_order": 0,
            },
        )
        self.assertEqual(response.status_code, 302)
        unit.refresh_from_db()
        self.assertEqual(unit.short_name, "东三小")
        self.assertEqual(unit.path, self.other_county.path + Unit.segment(unit.pk))
