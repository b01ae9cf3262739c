"""Mobile numbers in the roster export: masked by default for everyone; in clear only by a
separate export with a reason, written to the audit trail, for the roles that need them —
never the system admin (三权分立: no business content) nor the auditor."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.urls import reverse

from qingfeng.core.models import AuditEvent
from qingfeng.orgs import roster
from qingfeng.orgs.models import Person, Role, User
from qingfeng.orgs.tests.test_roster import RosterTestCase, sheet_rows
from qingfeng.test import make_user

CLEAR = ("13912345678", "13800001234", "13612340000")


class RosterPhonesTestCase(RosterTestCase):
    colleague: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.colleague = make_user(
            "ouyang", unit=cls.school2, role=Role.STAFF, name="欧阳丽", phone="13612340000"
        )

    def phones(self, data: bytes) -> list[str]:
        return [str(r[6]) for r in sheet_rows(data, "人员")[3:] if r[6]]

    def test_every_export_masks_phones_by_default(self) -> None:
        for user in (self.bureau_admin, self.county_admin, self.school_admin, self.system_admin):
            with self.subTest(user=user.username):
                self.login(user)
                response = self.client.get(reverse("orgs:roster_export"))
                self.assertEqual(response.status_code, 200)
                phones = self.phones(response.content)
                self.assertIn("139****5678", phones)
                for clear in CLEAR:
                    self.assertNotIn(clear, phones)
        event = AuditEvent.objects.filter(action="orgs.roster.export").latest("id")
        self.assertEqual(event.actor, self.system_admin)

    def test_a_county_admin_exports_clear_numbers_with_a_reason(self) -> None:
        self.login(self.county_admin)
        page = self.client.get(reverse("orgs:roster_import"))
        self.assertContains(page, 'data-testid="roster-export-clear"')
        response = self.client.post(
            reverse("orgs:roster_export_clear"),
            {"unit": self.county.pk, "reason": "  防汛期间 通知各校值班教师  "},
        )
        self.assertEqual(response.status_code, 200)
        phones = self.phones(response.content)
        self.assertIn("13912345678", phones)
        self.assertIn("13612340000", phones)
        event = AuditEvent.objects.get(action="orgs.roster.export_clear")
        self.assertEqual(event.actor, self.county_admin)
        self.assertEqual(event.object_repr, "东城区教育局")
        after = event.after or {}
        self.assertEqual(after["reason"], "防汛期间 通知各校值班教师")
        self.assertEqual(after["masked_units"], 0)

    def test_without_a_reason_nothing_is_exported(self) -> None:
        self.login(self.school_admin)
        events = AuditEvent.objects.count()
        response = self.client.post(
            reverse("orgs:roster_export_clear"), {"reason": "　要 "}, follow=True
        )
        self.assertContains(response, "请填写导出明文手机号的事由（至少 5 个字）")
        self.assertNotIn("spreadsheetml", response["Content-Type"])
        self.assertEqual(AuditEvent.objects.count(), events)

    def test_the_system_admin_and_the_auditor_never_get_clear_numbers(self) -> None:
        for user in (self.system_admin, self.auditor, self.teacher):
            with self.subTest(user=user.username):
                self.login(user)
                response = self.client.post(
                    reverse("orgs:roster_export_clear"), {"reason": "系统运维核对数据"}
                )
                self.assertEqual(response.status_code, 403)
                with self.assertRaises(PermissionDenied):
                    roster.check_export_roster_clear(user, root=None, reason="系统运维核对数据")
        self.login(self.system_admin)
        page = self.client.get(reverse("orgs:roster_import"))
        self.assertNotContains(page, 'data-testid="roster-export-clear"')
        self.assertFalse(AuditEvent.objects.filter(action="orgs.roster.export_clear").exists())

    def test_a_unit_outside_the_scope_is_a_404_and_a_get_is_refused(self) -> None:
        self.login(self.school_admin)
        response = self.client.post(
            reverse("orgs:roster_export_clear"), {"unit": self.county.pk, "reason": "核对联系方式"}
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.client.get(reverse("orgs:roster_export_clear")).status_code, 405)
        # Their own school, in clear, is theirs to have.
        data = roster.check_export_roster_clear(
            self.school_admin, root=self.school, reason="核对班主任联系方式"
        )
        self.assertIn("13912345678", self.phones(data))
        self.assertNotIn("13612340000", self.phones(data))
        self.assertEqual(Person.objects.get(user=self.colleague).phone, "13612340000")
