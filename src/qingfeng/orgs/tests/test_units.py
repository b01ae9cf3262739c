from __future__ import annotations

from django.core.exceptions import ValidationError

from qingfeng.core.models import AuditEvent
from qingfeng.orgs import actions
from qingfeng.orgs.models import Unit
from qingfeng.test import BaseTestCase, make_unit


class UnitTreeTestCase(BaseTestCase):
    def test_it_stores_the_materialised_path(self) -> None:
        self.assertEqual(self.bureau.path, Unit.segment(self.bureau.pk))
        self.assertEqual(self.school.path, self.county.path + Unit.segment(self.school.pk))
        self.assertEqual(self.school.depth, 2)

    def test_it_moves_a_subtree_and_rewrites_every_path(self) -> None:
        classroom = make_unit("一年级组", Unit.Kind.OTHER, self.school, "X0001")
        actions.check_move_unit(self.school, actor=self.bureau_admin, new_parent=self.other_county)
        self.school.refresh_from_db()
        classroom.refresh_from_db()
        self.assertEqual(self.school.parent, self.other_county)
        self.assertEqual(self.school.path, self.other_county.path + Unit.segment(self.school.pk))
        self.assertEqual(classroom.path, self.school.path + Unit.segment(classroom.pk))
        self.assertEqual(classroom.depth, 3)
        for unit in Unit.objects.all():
            expected = (unit.parent.path if unit.parent else "") + Unit.segment(unit.pk)
            self.assertEqual(unit.path, expected, unit.name)
        self.assertTrue(
            AuditEvent.objects.filter(
                action="orgs.unit.move", object_id=str(self.school.pk)
            ).exists()
        )

    def test_it_refuses_to_move_a_unit_below_itself(self) -> None:
        with self.assertRaisesMessage(ValidationError, "不能把单位移动到它自己或它的下级单位之下"):
            actions.check_move_unit(self.county, actor=self.bureau_admin, new_parent=self.school)
        self.county.refresh_from_db()
        self.assertEqual(self.county.parent, self.bureau)

    def test_it_deactivates_a_subtree_with_a_reason(self) -> None:
        with self.assertRaises(ValidationError):
            actions.do_set_unit_active(
                self.county, actor=self.bureau_admin, active=False, reason=" "
            )
        actions.do_set_unit_active(
            self.county, actor=self.bureau_admin, active=False, reason="撤并"
        )
        self.assertFalse(Unit.objects.get(pk=self.school.pk).is_active)
        self.assertTrue(Unit.objects.get(pk=self.other_school.pk).is_active)

    def test_it_updates_and_audits_before_and_after(self) -> None:
        actions.do_update_unit(self.school, actor=self.county_admin, short_name="实小")
        event = AuditEvent.objects.filter(action="orgs.unit.update").latest("id")
        assert event.before is not None and event.after is not None
        self.assertEqual(event.before["short_name"], "东城实小")
        self.assertEqual(event.after["short_name"], "实小")
        self.assertEqual(event.actor, self.county_admin)

    def test_it_rejects_a_duplicate_code(self) -> None:
        with self.assertRaises(ValidationError):
            make_unit("重复学校", Unit.Kind.SCHOOL, self.county, "S0001")

    def test_alias_list_accepts_chinese_separators(self) -> None:
        unit = make_unit(
            "南湖小学", Unit.Kind.SCHOOL, self.county, "S0100", aliases="南小、南湖小，湖小"
        )
        self.assertEqual(unit.alias_list(), ["南小", "南湖小", "湖小"])


class LiaisonTestCase(BaseTestCase):
    def test_a_leader_gets_one_or_two_counties(self) -> None:
        liaisons = actions.check_set_liaisons(
            self.leader, actor=self.bureau_admin, counties=[self.county, self.other_county]
        )
        self.assertEqual(len(liaisons), 2)
        self.assertEqual(
            set(self.leader.liaisons.values_list("county", flat=True)),
            {self.county.pk, self.other_county.pk},
        )

    def test_zero_or_three_counties_are_refused(self) -> None:
        third = make_unit("南湖区教育局", Unit.Kind.COUNTY, self.bureau, "C0003")
        with self.assertRaisesMessage(ValidationError, "每位领导须包片 1 至 2 个县区，当前为 0 个"):
            actions.check_set_liaisons(self.leader, actor=self.bureau_admin, counties=[])
        with self.assertRaisesMessage(ValidationError, "当前为 3 个"):
            actions.check_set_liaisons(
                self.leader,
                actor=self.bureau_admin,
                counties=[self.county, self.other_county, third],
            )
        # what the leader had before is untouched
        self.assertEqual(
            list(self.leader.liaisons.values_list("county", flat=True)), [self.county.pk]
        )

    def test_a_unit_that_is_not_a_county_is_refused(self) -> None:
        with self.assertRaisesMessage(ValidationError, "包片单位必须是县区教育局：东城区实验小学"):
            actions.check_set_liaisons(self.leader, actor=self.bureau_admin, counties=[self.school])

    def test_only_a_leader_can_have_liaison_counties(self) -> None:
        with self.assertRaisesMessage(ValidationError, "分管领导"):
            actions.check_set_liaisons(
                self.supervisor, actor=self.bureau_admin, counties=[self.county]
            )
