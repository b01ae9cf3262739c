from __future__ import annotations

from io import StringIO

from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TestCase

from qingfeng.core.audit import verify_chain
from qingfeng.core.fields import blind_index
from qingfeng.core.models import AuditEvent
from qingfeng.orgs.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, People, build_plan
from qingfeng.orgs.models import Liaison, Person, Role, RoleAssignment, Unit, User

SEED = 7


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--size", "county", "--seed", str(SEED), *args, stdout=out)
    return out.getvalue()


class SeedDemoTestCase(TestCase):
    output: str

    @classmethod
    def setUpTestData(cls) -> None:
        cls.output = seed()

    def test_it_seeds_one_county_under_a_city_bureau(self) -> None:
        root = Unit.objects.get(parent=None)
        self.assertEqual(root.kind, Unit.Kind.BUREAU)
        county = Unit.objects.get(kind=Unit.Kind.COUNTY)
        self.assertEqual(county.parent, root)
        self.assertTrue(county.name.endswith("县教育局"))
        self.assertGreaterEqual(Unit.objects.filter(kind=Unit.Kind.DEPARTMENT).count(), 8)
        self.assertTrue(Unit.objects.filter(kind=Unit.Kind.RESEARCH).exists())
        schools = Unit.objects.filter(kind__in=[Unit.Kind.SCHOOL, Unit.Kind.KINDERGARTEN])
        self.assertTrue(120 <= schools.count() <= 200, schools.count())
        self.assertFalse(schools.exclude(parent=county).exists())
        self.assertFalse(schools.exclude(category=Unit.Category.SCHOOL).exists())
        self.assertFalse(schools.filter(stage="").exists())
        self.assertEqual(
            set(schools.values_list("locale", flat=True)), {Unit.Locale.URBAN, Unit.Locale.RURAL}
        )
        self.assertTrue(schools.filter(name__endswith="中心小学").exists())
        self.assertTrue(5000 <= Person.objects.count() <= 7500, Person.objects.count())
        self.assertIn(f"{Unit.objects.count():,} 个单位", self.output)

    def test_every_path_is_the_parents_path_plus_its_segment(self) -> None:
        units = {u.pk: u for u in Unit.objects.all()}
        for unit in units.values():
            parent = units.get(unit.parent_id) if unit.parent_id else None
            expected = (parent.path if parent else "") + Unit.segment(unit.pk)
            self.assertEqual(unit.path, expected, unit.name)
            self.assertEqual(unit.depth, parent.depth + 1 if parent else 0, unit.name)
        self.assertEqual(max(u.depth for u in units.values()), 2)

    def test_a_unit_created_afterwards_gets_a_fresh_id(self) -> None:
        root = Unit.objects.get(parent=None)
        unit = Unit.objects.create(
            name="新设科室", code="X-1", kind=Unit.Kind.DEPARTMENT, parent=root, path="tmp"
        )
        self.assertEqual(unit.pk, Unit.objects.count())

    def test_it_is_deterministic_for_a_seed(self) -> None:
        plan = build_plan(size="county", seed=SEED)
        again = build_plan(size="county", seed=SEED)
        self.assertEqual(plan.units, again.units)
        stored = list(Unit.objects.order_by("id").values_list("name", "code", "short_name"))
        self.assertEqual(stored, [(u.name, u.code, u.short_name) for u in plan.units])
        school = next(u for u in plan.units if u.kind == Unit.Kind.SCHOOL)
        planned = [(p.name, p.post_type, p.phone) for p in People(SEED).for_unit(school)]
        people = Person.objects.filter(unit__code=school.code).order_by("id")
        self.assertEqual([(p.name, p.post_type, p.phone) for p in people], planned)
        other = build_plan(size="county", seed=SEED + 1)
        self.assertNotEqual([u.name for u in plan.units], [u.name for u in other.units])

    def test_if_empty_does_nothing_the_second_time(self) -> None:
        counts = (Unit.objects.count(), Person.objects.count(), User.objects.count())
        events = AuditEvent.objects.count()
        self.assertIn("未重复载入", seed("--if-empty"))
        with self.assertRaisesMessage(CommandError, "未重复载入"):
            seed()
        self.assertEqual(
            (Unit.objects.count(), Person.objects.count(), User.objects.count()), counts
        )
        self.assertEqual(AuditEvent.objects.count(), events)

    def test_demo_accounts_can_sign_in(self) -> None:
        totp_roles = {Role.BUREAU_ADMIN, Role.LEADER, Role.SUPERVISOR, Role.AUDITOR}
        totp_roles |= {Role.SYSTEM_ADMIN}
        for username, role, *_rest in DEMO_ACCOUNTS:
            client = self.client_class()
            response = client.post(
                "/accounts/login/", {"username": username, "password": DEMO_PASSWORD}
            )
            expected = "/accounts/second-factor/" if role in totp_roles else "/"
            self.assertRedirects(response, expected, fetch_redirect_response=False)
            if role not in totp_roles:
                self.assertEqual(client.get("/").status_code, 200, username)
            user = User.objects.get(username=username)
            self.assertTrue(
                RoleAssignment.objects.filter(user=user, role=role, revoked_at=None).exists()
            )
            self.assertTrue(Person.objects.filter(user=user).exists(), username)
        self.assertTrue(User.objects.get(username="demo_sysadmin").is_staff)

    def test_the_school_county_and_leader_fit_together(self) -> None:
        school_admin = RoleAssignment.objects.get(user__username="demo_school")
        county_admin = RoleAssignment.objects.get(user__username="demo_county")
        self.assertEqual(school_admin.unit.kind, Unit.Kind.SCHOOL)
        self.assertEqual(school_admin.unit.parent, county_admin.unit)
        self.assertEqual(User.objects.get(username="demo_teacher").person.unit, school_admin.unit)
        counties = Liaison.objects.filter(leader__username="demo_leader")
        self.assertEqual([c.county for c in counties], [county_admin.unit])

    def test_phones_are_encrypted_at_rest(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, phone, phone_index FROM orgs_person WHERE phone <> ''")
            rows = cursor.fetchall()[:50]
        self.assertEqual(len(rows), 50)
        for pk, stored, index in rows:
            self.assertTrue(stored.startswith("v1:"), stored)
            phone = Person.objects.get(pk=pk).phone
            self.assertRegex(phone, r"^1[3-9]\d{9}$")
            self.assertNotIn(phone, stored)
            self.assertEqual(index, blind_index(phone))

    def test_one_audit_event_summarises_the_seeding(self) -> None:
        event = AuditEvent.objects.get(action="orgs.demo.seed")
        self.assertIsNone(event.actor)
        after = event.after or {}
        self.assertEqual(after["units"], Unit.objects.count())
        self.assertEqual(after["people"], Person.objects.count())
        self.assertIsNone(verify_chain())
