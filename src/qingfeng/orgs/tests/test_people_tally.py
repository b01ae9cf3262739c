"""The people and unit counts kept per unit and per subtree (orgs.models.PERSON_TALLY and
UNIT_TALLY, core/tally.py) equal a count of the people and units after every way a person
changes — created, moved to another unit, made a party member, deactivated and activated, by
the actions, a roster import's bulk statements or a plain UPDATE, deleted — after a unit is
created, moved, given another kind or deleted, folded or not, after a role granted or revoked,
and after a transaction rolled back; and the home page reads them, not the people or the
units."""

from __future__ import annotations

import re
import threading
import time
from unittest import mock, skipUnless

from django import db
from django.db import connection, transaction
from django.db.models import Count, F
from django.test import TransactionTestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qingfeng.core.tally import fold_rollups
from qingfeng.orgs import actions
from qingfeng.orgs.models import (
    PERSON_TALLY,
    UNIT_TALLY,
    Person,
    PersonSubtreeTally,
    PersonTally,
    Role,
    RosterImport,
    Unit,
    UnitSubtreeTally,
    UnitTally,
    User,
)
from qingfeng.orgs.roster import importing
from qingfeng.orgs.selectors import (
    kept_people,
    kept_unit_kinds,
    people_visible_to,
    scope_counts,
    units_visible_to,
)
from qingfeng.orgs.selectors import unit_people_counts as unit_people
from qingfeng.orgs.tests.test_roster import RosterTestCase, workbook
from qingfeng.test import BaseTestCase, make_unit


def counted_scope(user: User) -> dict[str, int]:
    """The home page's scope counts as a count of the units and people in the scope would
    give them."""
    units = units_visible_to(user)
    active = people_visible_to(user).filter(is_active=True)
    kinds = [Unit.Kind.SCHOOL, Unit.Kind.KINDERGARTEN]
    return {
        "units": units.count(),
        "counties": units.filter(kind=Unit.Kind.COUNTY).count(),
        "schools": units.filter(kind__in=kinds).count(),
        "departments": units.filter(kind=Unit.Kind.DEPARTMENT).count(),
        "people": active.count(),
        "party_members": active.filter(is_party_member=True).count(),
    }


class ExactMixin:
    bureau_admin: User
    county_admin: User
    school_admin: User

    def assert_units_exact(self) -> None:
        """The unit tally rows equal a count of the units at each parent; every unit's
        subtree sums equal a count of the units below it per kind; every persona's scope
        counts equal a count of their scope."""
        case: BaseTestCase = self  # type: ignore[assignment]
        case.assertEqual(UNIT_TALLY.check(), [])
        units = list(Unit.objects.values_list("pk", "path"))
        rollup = UNIT_TALLY.rollup
        assert rollup is not None
        sums = rollup.sums(UNIT_TALLY, units)
        for pk, path in units:
            rows = (
                Unit.objects.filter(path__startswith=path)
                .exclude(pk=pk)
                .values_list("kind")
                .annotate(n=Count("id"))
                .order_by()
            )
            case.assertEqual(sorted(sums[pk]), sorted(rows), path)
        for unit in Unit.objects.all():
            kinds = Unit.objects.within(unit).values_list("kind").annotate(n=Count("id"))
            case.assertEqual(kept_unit_kinds([unit]), dict(kinds.order_by()), unit.name)
        for user in User.objects.filter(roles__isnull=False).distinct():
            # Each read afresh (its roles and scope not cached on an object from before).
            case.assertEqual(scope_counts(user), counted_scope(user), user.username)

    def assert_exact(self) -> None:
        """The tally rows equal a count of the people; every unit's subtree sums equal a count
        of its subtree's people per state; each user's home page and unit page counts equal
        the people counted in their scope."""
        case: BaseTestCase = self  # type: ignore[assignment]
        case.assertEqual(PERSON_TALLY.check(), [])
        units = list(Unit.objects.values_list("pk", "path"))
        rollup = PERSON_TALLY.rollup
        assert rollup is not None
        sums = rollup.sums(PERSON_TALLY, units)
        for pk, path in units:
            rows = (
                Person.objects.filter(unit__path__startswith=path)
                .values_list("is_active", "is_party_member")
                .annotate(n=Count("id"))
                .order_by()
            )
            kept = sorted((bool(a), bool(m), n) for a, m, n in sums[pk])
            case.assertEqual(kept, sorted(rows), path)
        for (_pk, path), found in zip(units, kept_people([p for _pk, p in units]), strict=True):
            active = Person.objects.filter(unit__path__startswith=path, is_active=True)
            counted = (active.count(), active.filter(is_party_member=True).count())
            case.assertEqual(found, counted, path)
        for cached in (self.bureau_admin, self.county_admin, self.school_admin):
            user = User.objects.get(pk=cached.pk)  # its scope read now, not cached before
            active = people_visible_to(user).filter(is_active=True)
            counts = scope_counts(user)
            case.assertEqual(
                (counts["people"], counts["party_members"]),
                (active.count(), active.filter(is_party_member=True).count()),
                user.username,
            )
        for unit in Unit.objects.all():
            active = Person.objects.filter(is_active=True)
            case.assertEqual(
                unit_people(self.bureau_admin, unit),
                (active.filter(unit=unit).count(), active.filter(unit.subtree_q()).count()),
                unit.name,
            )
        self.assert_units_exact()


class PeopleTallyTestCase(ExactMixin, BaseTestCase):
    def test_every_way_a_person_changes_keeps_the_counts_exact(self) -> None:
        self.assert_exact()  # the people of the fixtures, nothing folded yet
        self.assertTrue(PersonTally.objects.exclude(n=F("folded")).exists())
        chen = actions.do_create_person(
            actor=self.school_admin, unit=self.school, name="陈静", post_type="teacher"
        )
        self.assert_exact()
        fold_rollups()
        self.assertFalse(PersonTally.objects.exclude(n=F("folded")).exists())
        self.assert_exact()
        # Moved to another county, made a party member, deactivated, activated again.
        actions.do_update_person(chen, actor=self.bureau_admin, unit=self.other_school)
        self.assert_exact()
        actions.do_update_person(chen, actor=self.bureau_admin, is_party_member=True)
        self.assert_exact()
        actions.do_update_person(chen, actor=self.bureau_admin, is_active=False)
        self.assertEqual(scope_counts(self.bureau_admin)["people"], Person.objects.count() - 1)
        self.assert_exact()
        fold_rollups()
        actions.do_update_person(chen, actor=self.bureau_admin, is_active=True)
        self.assert_exact()
        # Bulk statements, as a roster import or a script writes them, and a deletion.
        Person.objects.bulk_create(
            [Person(unit=self.school2, name=f"教师{i}", post_type="teacher") for i in range(7)]
        )
        self.assert_exact()
        Person.objects.filter(name__startswith="教师").update(unit=self.office)
        Person.objects.filter(name__in=["教师1", "教师2"]).update(is_active=False)
        self.assert_exact()
        fold_rollups()
        Person.objects.filter(name="教师3").delete()
        self.assert_exact()

    def test_a_unit_moved_takes_its_people_to_its_new_ancestors(self) -> None:
        group = make_unit("初一年级组", Unit.Kind.OTHER, self.school, "X0001")
        actions.do_create_person(actor=None, unit=group, name="组长", post_type="teacher")
        fold_rollups()
        actions.do_create_person(actor=None, unit=group, name="组员", post_type="teacher")
        # One count folded, one not: the school (and the group below it) go to the other county.
        actions.check_move_unit(self.school, actor=self.bureau_admin, new_parent=self.other_county)
        self.assert_exact()
        self.assertEqual(scope_counts(self.county_admin)["people"], 1)  # 钱晓红 alone
        group.refresh_from_db()  # its path moved with the school
        actions.check_move_unit(group, actor=self.bureau_admin, new_parent=self.school2)
        actions.do_create_person(actor=None, unit=group, name="新组员", post_type="teacher")
        self.assert_exact()
        fold_rollups()
        self.assert_exact()

    def test_a_rebuild_repairs_stale_sums(self) -> None:
        fold_rollups()
        PersonSubtreeTally.objects.update(n=99)  # as if a restore brought a stale table
        self.assertNotEqual(kept_people([self.bureau.path])[0][0], Person.objects.count())
        PERSON_TALLY.rebuild()
        self.assert_exact()

    def test_a_rolled_back_transaction_leaves_the_counts_as_they_were(self) -> None:
        """Writes, a fold and a unit moved in a transaction that rolls back (a savepoint here:
        the test holds the outer transaction) leave no trace in the counts or the sums."""
        fold_rollups()
        before = kept_people([self.bureau.path, self.county.path])
        with self.assertRaises(RuntimeError), transaction.atomic():
            actions.do_create_person(actor=None, unit=self.school, name="甲", post_type="teacher")
            Person.objects.filter(user=self.teacher).update(is_active=False)
            fold_rollups()  # folded inside the transaction: rolled back with it
            actions.check_move_unit(
                self.school, actor=self.bureau_admin, new_parent=self.other_county
            )
            self.assert_exact()
            raise RuntimeError
        self.assertEqual(kept_people([self.bureau.path, self.county.path]), before)
        self.assert_exact()
        actions.do_create_person(actor=None, unit=self.school, name="乙", post_type="teacher")
        self.assert_exact()
        self.assertGreater(fold_rollups(), 0)
        self.assert_exact()

    def test_the_home_page_reads_the_subtree_sums_not_the_people(self) -> None:
        """The people count of the scope card: one statement over the subtree rows of the
        scope's roots (and the few tally rows not folded yet), the same number of statements
        however many people and units there are, no count over the person table."""
        self.login(self.bureau_admin)
        self.client.get("/")
        with CaptureQueriesContext(connection) as few:
            response = self.client.get("/")
        for i in range(20):
            unit = make_unit(f"学校{i}", Unit.Kind.SCHOOL, self.other_county, f"S9{i:03d}")
            Person.objects.bulk_create(
                [Person(unit=unit, name=f"教师{i}-{j}", post_type="teacher") for j in range(5)]
            )
        with CaptureQueriesContext(connection) as many:
            response = self.client.get("/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(few), len(many))
        sql = [q["sql"] for q in many.captured_queries]
        subtree = [s for s in sql if "orgs_personsubtreetally" in s]
        self.assertEqual(len(subtree), 1)
        # One unit asked for: the bureau, the admin's one scope root.
        self.assertIn(f"unit_id IN ({self.bureau.pk})", subtree[0].replace("%s", "?"))
        self.assertEqual([s for s in sql if 'FROM "orgs_person"' in s and "COUNT" in s], [])
        counts = response.context["counts"]
        self.assertEqual(counts["people"], Person.objects.filter(is_active=True).count())
        self.assert_exact()

    def test_the_unit_page_reads_the_kept_counts_not_the_people(self) -> None:
        self.login(self.bureau_admin)
        with CaptureQueriesContext(connection) as run:
            response = self.client.get(reverse("orgs:unit", args=[self.county.pk]))
        self.assertEqual(response.status_code, 200)
        sql = [q["sql"] for q in run.captured_queries]
        self.assertEqual([s for s in sql if 'FROM "orgs_person"' in s and "COUNT" in s], [])
        self.assertEqual(len([s for s in sql if "orgs_personsubtreetally" in s]), 1)
        active = Person.objects.filter(is_active=True)
        self.assertEqual(
            (response.context["people_count"], response.context["subtree_people"]),
            (
                active.filter(unit=self.county).count(),
                active.filter(self.county.subtree_q()).count(),
            ),
        )
        self.assertEqual(response.context["subtree_people"], 3)  # 钱晓红; 孙立平, 周小燕 below


def tables(sql: str) -> tuple[str, ...]:
    """The tables a statement reads, in the order it names them."""
    return tuple(re.findall(r'(?:FROM|JOIN)\s+"?([a-z_]+)"?', sql))


# The home page of a city administrator (the bureau's): each statement by the tables it reads.
# Every count of the scope comes from kept counts, one row per unit shown and combination
# (core/tally.py Rollup); the people are read by key only (the user's own person).
CITY_ADMIN_HOME = [
    ("django_session",),  # the session
    ("orgs_user",),  # the user
    ("orgs_roleassignment", "orgs_unit"),  # the user's roles and their units' paths
    ("orgs_unit",),  # the scope's roots (by path)
    # The scope card: units by kind below the roots, then people (kept subtree sums plus
    # the kept rows not yet folded).
    ("orgs_unitsubtreetally", "orgs_unittally", "orgs_unit"),
    ("orgs_personsubtreetally", "orgs_persontally", "orgs_unit"),
    # The ledger card: the root's children, the units of the user's own items (found by
    # their person's index), the lights of the root and its children from the kept subtree
    # sums.
    ("orgs_unit",),
    ("ledger_problem", "orgs_unit", "orgs_person"),
    ("ledger_problemsubtreetally", "ledger_problemtally", "orgs_unit"),
    # The channel's card: the root's kept subtree sums of tickets (about or handled in the
    # tree) plus the kept rows not yet folded, then the kept rows of tickets about no unit.
    ("intake_ticketsubtreetally", "intake_tickettally", "orgs_unit", "orgs_unit"),
    ("intake_tickettally",),
    # The evaluation card: the latest round, its owner and area tested by id against the
    # scope's units and the ancestors (the rounds' index walked newest first, no join).
    ("evaluation_round", "orgs_unit", "orgs_unit", "orgs_unit"),
    ("core_calendarday", "core_calendaryear"),  # the calendar card (its version)
    ("core_notification",),  # unread notifications
    ("orgs_person",),  # the user's name, by key
]


class UnitTallyTestCase(ExactMixin, BaseTestCase):
    def fresh(self, user: User) -> User:
        return User.objects.get(pk=user.pk)  # its roles and scope read now

    def test_every_way_a_unit_or_a_scope_changes_keeps_the_scope_counts_exact(self) -> None:
        self.assert_units_exact()  # the fixtures' units, nothing folded yet
        self.assertTrue(UnitTally.objects.exclude(n=F("folded")).exists())
        fold_rollups()
        self.assertFalse(UnitTally.objects.exclude(n=F("folded")).exists())
        self.assert_units_exact()
        before = scope_counts(self.fresh(self.county_admin))
        kindergarten = make_unit("东城区第一幼儿园", Unit.Kind.KINDERGARTEN, self.county, "K0001")
        group = make_unit("教研组", Unit.Kind.OTHER, kindergarten, "X0001")
        after = scope_counts(self.fresh(self.county_admin))
        self.assertEqual(
            (after["units"], after["schools"]), (before["units"] + 2, before["schools"] + 1)
        )
        self.assert_units_exact()
        fold_rollups()
        self.assert_units_exact()
        # Another kind; moved, with the unit below it, to another county, folded or not.
        actions.do_update_unit(group, actor=self.bureau_admin, kind=Unit.Kind.RESEARCH)
        self.assert_units_exact()
        actions.check_move_unit(kindergarten, actor=self.bureau_admin, new_parent=self.other_county)
        self.assert_units_exact()
        self.assertEqual(scope_counts(self.fresh(self.county_admin)), before)
        fold_rollups()
        group.refresh_from_db()  # its path moved with the kindergarten
        actions.check_move_unit(group, actor=self.bureau_admin, new_parent=self.office)
        self.assert_units_exact()
        # Bulk statements, as a roster import or a script writes them, and deletions.
        made = Unit.objects.bulk_create(
            [
                Unit(
                    name=f"学校{i}",
                    code=f"T{i:04d}",
                    kind=Unit.Kind.SCHOOL,
                    category=Unit.Category.SCHOOL,
                    parent=self.county,
                    path=f"new-{i}",
                    depth=2,
                )
                for i in range(6)
            ]
        )
        for unit in made:
            unit.path = self.county.path + Unit.segment(unit.pk)
        Unit.objects.bulk_update(made, ["path"])
        self.assert_units_exact()
        Unit.objects.filter(code__in=["T0001", "T0002"]).update(kind=Unit.Kind.KINDERGARTEN)
        self.assert_units_exact()
        fold_rollups()
        Unit.objects.filter(code__in=["T0003", "T0004"]).delete()
        self.assert_units_exact()
        # A role granted on another county, then revoked: the scope and its counts follow.
        grant = actions.do_grant_role(
            self.county_admin, actor=None, role=Role.UNIT_ADMIN, unit=self.other_county
        )
        self.assertEqual(scope_counts(self.fresh(self.county_admin))["counties"], 2)
        self.assert_units_exact()
        actions.do_revoke_role(grant, actor=self.bureau_admin)
        self.assertEqual(scope_counts(self.fresh(self.county_admin))["counties"], 1)
        self.assert_units_exact()
        fold_rollups()
        self.assert_units_exact()

    def test_a_rebuild_repairs_stale_unit_sums(self) -> None:
        fold_rollups()
        UnitSubtreeTally.objects.update(n=99)  # as if a restore brought a stale table
        self.assertNotEqual(scope_counts(self.fresh(self.bureau_admin))["units"], 7)
        UNIT_TALLY.rebuild()
        self.assertEqual(scope_counts(self.fresh(self.bureau_admin))["units"], 7)
        self.assert_units_exact()

    def test_a_city_admins_home_page_reads_kept_counts_only(self) -> None:
        """The statements of the bureau administrator's home page, pinned: the same list
        however many units and people the city has, no count over the units or the people."""
        self.login(self.bureau_admin)
        self.client.get("/")  # the session and caches warm
        with CaptureQueriesContext(connection) as few:
            self.client.get("/")
        county = make_unit("北湖区教育局", Unit.Kind.COUNTY, self.bureau, "C0009")
        for i in range(12):
            unit = make_unit(f"北湖区学校{i}", Unit.Kind.SCHOOL, county, f"S8{i:03d}")
            Person.objects.bulk_create(
                [Person(unit=unit, name=f"教师{i}-{j}", post_type="teacher") for j in range(4)]
            )
        with CaptureQueriesContext(connection) as many:
            response = self.client.get("/")
        self.assertEqual(response.status_code, 200)
        for run in (few, many):
            sql = [q["sql"] for q in run.captured_queries]
            self.assertEqual([tables(s) for s in sql], CITY_ADMIN_HOME)
            self.assertEqual([s for s in sql if "COUNT(" in s and "orgs_" in s], [])
            # The big tables are read by key only: the user's own items, no ticket at all.
            self.assertEqual([s for s in sql if '"intake_ticket"' in s], [])
            self.assertEqual(len([s for s in sql if '"ledger_problem"' in s]), 1)
        self.assertEqual(response.context["counts"], counted_scope(self.fresh(self.bureau_admin)))
        self.assertEqual(response.context["counts"]["schools"], 15)


class RosterPeopleTallyTestCase(ExactMixin, RosterTestCase):
    def test_a_roster_import_keeps_the_counts_exact_row_by_row_and_in_bulk(self) -> None:
        rows = [
            [f"教师{i:03d}", "S0002", "", "专任教师", "", "是" if i % 3 else "否", "", "是"]
            for i in range(12)
        ]
        rows.append(["周小燕", "S0001", "", "党员教师", "", "是", "13912345678", "否"])
        # A unit moved by the same workbook: the second school under a new department.
        units = [["D0100", "东城区教育局办公室", "", "", "科室", "", "", "", "C0001", 0]]
        units.append(["S0002", "东城区第二中学", "", "", "学校", "", "初中", "", "D0100", 0])
        record = self.run_import(workbook(units=units, people=rows[:4]))
        self.assertEqual(record.status, RosterImport.Status.IMPORTED, record.errors)
        self.assert_exact()
        with mock.patch.object(importing, "PER_ROW_LIMIT", 5):
            record = self.run_import(workbook(people=rows))
        self.assertEqual(record.status, RosterImport.Status.IMPORTED, record.errors)
        self.assertEqual((record.people_created, record.people_updated), (8, 1))
        self.assert_exact()
        teacher = Person.objects.get(user=self.teacher)
        self.assertFalse(teacher.is_active)
        self.assertEqual(teacher.unit_id, self.school.pk)

    def test_a_rejected_import_changes_no_count(self) -> None:
        fold_rollups()
        before = scope_counts(self.county_admin)
        rows = [["新教师", "S0002", "", "专任教师", "", "否", "", "是"]]
        rows.append(["坏行", "S9999", "", "专任教师", "", "否", "", "是"])
        record = self.run_import(workbook(people=rows))
        self.assertEqual(record.status, RosterImport.Status.REJECTED)
        self.assertEqual(scope_counts(self.county_admin), before)
        self.assert_exact()


def _unit(name: str, code: str, parent: Unit | None = None) -> Unit:
    # Not through orgs.actions: their audit rows are append-only, and this test's database is
    # emptied afterwards (a transactional test). The path as orgs.actions writes it.
    unit = Unit.objects.create(
        name=name, code=code, kind=Unit.Kind.SCHOOL, category="school", path=f"{code}/"
    )
    unit.path = (parent.path if parent else "") + Unit.segment(unit.pk)
    Unit.objects.filter(pk=unit.pk).update(path=unit.path, parent=parent)
    return unit


@skipUnless(connection.vendor == "postgresql", "concurrent writers are PostgreSQL's here")
class ConcurrentPeopleTallyTestCase(TransactionTestCase):
    """Two connections at once: a reader sees the counts of what is committed, whatever a
    writer holds open; a fold that meets a writer's open change waits for it and folds
    exactly what it read."""

    serialized_rollback = True

    def setUp(self) -> None:
        self.county = _unit("东城区教育局", "PTC001")
        self.school = _unit("东城区实验小学", "PTC002", self.county)
        Person.objects.create(unit=self.school, name="甲", post_type="teacher")

    def counted(self) -> list[tuple[int, int]]:
        result = []
        for unit in (self.county, self.school):
            active = Person.objects.filter(unit__path__startswith=unit.path, is_active=True)
            result.append((active.count(), active.filter(is_party_member=True).count()))
        return result

    def kept(self) -> list[tuple[int, int]]:
        return kept_people([self.county.path, self.school.path])

    def test_readers_and_a_fold_meet_an_open_writer(self) -> None:
        opened, release = threading.Event(), threading.Event()
        failures: list[BaseException] = []

        def writer() -> None:
            try:
                with transaction.atomic():
                    Person.objects.create(unit=self.school, name="乙", post_type="teacher")
                    Person.objects.filter(name="甲").update(is_party_member=True)
                    opened.set()
                    release.wait(10)
            except BaseException as exc:  # reported by the main thread
                failures.append(exc)
            finally:
                opened.set()
                db.connections.close_all()

        thread = threading.Thread(target=writer)
        thread.start()
        self.assertTrue(opened.wait(10))
        self.assertEqual(self.kept(), [(1, 0), (1, 0)])  # the writer's rows are not committed
        self.assertEqual(self.kept(), self.counted())
        # A fold now reads the committed difference, then waits on the writer's tally row.
        folded: list[int] = []

        def fold() -> None:
            try:
                folded.append(fold_rollups())
            finally:
                db.connections.close_all()

        folder = threading.Thread(target=fold)
        folder.start()
        time.sleep(0.3)
        release.set()
        thread.join(10)
        folder.join(10)
        self.assertEqual(failures, [])
        self.assertFalse(thread.is_alive() or folder.is_alive())
        self.assertGreater(folded[0], 0)  # the committed row it read (甲's first count)
        self.assertEqual(self.kept(), [(2, 1), (2, 1)])
        self.assertEqual(self.kept(), self.counted())
        self.assertEqual(PERSON_TALLY.check(), [])
        fold_rollups()
        self.assertFalse(PersonTally.objects.exclude(n=F("folded")).exists())
        self.assertEqual(self.kept(), self.counted())
