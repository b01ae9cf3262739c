"""A migration that rebuilds a counted table does not leave its tally wrong.

On SQLite, Django alters most columns by making the table again (a new table, the rows
copied, the old one dropped, the new one renamed): the triggers that keep a tally exact go with
the old table. The next `migrate` puts them back and counts again (core/tally.py `ensure_all`),
and until then the system check names the tally. PostgreSQL keeps triggers through ALTER
TABLE; there the triggers are dropped by hand, as a table dropped and made again would lose
them."""

from __future__ import annotations

from django.core import checks
from django.core.management import call_command
from django.db import connection
from django.test import TransactionTestCase

from qingfeng.core import registry
from qingfeng.core.tally import Tally
from qingfeng.intake.models import TICKET_TALLY, Ticket, TicketCategory
from qingfeng.ledger.models import PROBLEM_TALLY, Category, Problem
from qingfeng.orgs.models import PERSON_TALLY, UNIT_TALLY, Person, Unit


def remake(model: type[Problem] | type[Ticket] | type[Person] | type[Unit], tally: Tally) -> None:
    """What a migration altering one of the model's columns does to its table."""
    with connection.schema_editor() as editor:
        if connection.vendor == "sqlite":
            editor._remake_table(model)  # type: ignore[attr-defined] # AlterField, … on SQLite
        else:
            for sql in tally.postgres_drop():
                editor.execute(sql)


def school(name: str, code: str) -> Unit:
    # Not through orgs.actions: their audit rows are append-only, and this test's database is
    # emptied afterwards (a transactional test).
    unit = Unit.objects.create(
        name=name, code=code, kind=Unit.Kind.SCHOOL, category="school", path=f"{code.lower()}/"
    )
    unit.path = Unit.segment(unit.pk)  # a root's path as orgs.actions writes it: its own id
    Unit.objects.filter(pk=unit.pk).update(path=unit.path)
    return unit


class TallyRemakeTestCase(TransactionTestCase):
    serialized_rollback = True  # the categories the migrations seed

    def setUp(self) -> None:
        self.school = school("东城区实验小学", "RMK001")
        self.other = school("东城区第二中学", "RMK002")
        self.serial = 0

    def problem(self, unit: Unit, title: str, status: str = Problem.Status.ASSIGNED) -> Problem:
        self.serial += 1
        return Problem.objects.create(
            number=f"2026-11-GR-{990000 + self.serial}",
            serial=990000 + self.serial,
            list_kind=Problem.ListKind.PERSONAL,
            source=Problem.Source.SELF_CHECK,
            category=Category.objects.order_by("id")[0],
            dimension="integrity",
            title=title,
            description="三年级推荐学生购买指定教辅。",
            unit=unit,
            rectification_type="time_limited",
            status=status,
        )

    def ticket(self, unit: Unit | None, title: str) -> Ticket:
        self.serial += 1
        return Ticket.objects.create(
            number=f"ZT20261118-{self.serial:04d}",
            receipt_hash=f"{self.serial:064d}",
            kind=Ticket.Kind.COMPLAINT,
            category=TicketCategory.objects.order_by("id")[0],
            unit=unit,
            title=title,
            content="食堂饭菜分量不足，学生反映吃不饱。",
        )

    def test_a_table_rebuild_loses_no_count(self) -> None:
        self.problem(self.school, "违规推荐教辅")
        self.problem(self.other, "体罚学生", Problem.Status.RECTIFYING)
        self.ticket(self.school, "食堂")
        self.ticket(None, "未指明单位")
        Person.objects.create(unit=self.school, name="周小燕", post_type="teacher")
        self.assertEqual(
            registry.tallies(), [PERSON_TALLY, UNIT_TALLY, PROBLEM_TALLY, TICKET_TALLY]
        )
        for model, tally in (
            (Problem, PROBLEM_TALLY),
            (Ticket, TICKET_TALLY),
            (Person, PERSON_TALLY),
            (Unit, UNIT_TALLY),
        ):
            remake(model, tally)
            self.assertEqual(tally.state(connection), "missing")
        warned = [m.id for m in checks.run_checks(databases=["default"])]
        self.assertEqual(warned.count("qingfeng.W020"), 4)

        # Written while the triggers are gone: not counted.
        moved = self.problem(self.school, "收受家长礼品")
        Problem.objects.filter(pk=moved.pk).update(unit=self.other)
        Ticket.objects.filter(title="未指明单位").update(unit=self.other)
        self.ticket(self.other, "乱收费")
        Person.objects.filter(name="周小燕").update(unit=self.other, is_party_member=True)
        Unit.objects.filter(pk=self.other.pk).update(kind=Unit.Kind.KINDERGARTEN)
        self.assertNotEqual(PROBLEM_TALLY.check(), [])
        self.assertNotEqual(TICKET_TALLY.check(), [])
        self.assertNotEqual(PERSON_TALLY.check(), [])
        self.assertNotEqual(UNIT_TALLY.check(), [])

        # The next migrate (nothing due: it still ends with post_migrate) mends all four.
        call_command("migrate", verbosity=0)
        for tally in (PROBLEM_TALLY, TICKET_TALLY, PERSON_TALLY, UNIT_TALLY):
            self.assertEqual(tally.state(connection), "kept")
            self.assertEqual(tally.check(), [])
        self.assertNotIn("qingfeng.W020", [m.id for m in checks.run_checks(databases=["default"])])

        # And they are kept again from then on.
        self.problem(self.school, "在职教师有偿补课", Problem.Status.DRAFT)
        Problem.objects.filter(title="体罚学生").update(status=Problem.Status.CLOSED)
        Ticket.objects.filter(title="食堂").delete()
        Person.objects.create(unit=self.school, name="陈静", post_type="teacher")
        Person.objects.filter(name="周小燕").update(is_active=False)
        self.assertEqual(PERSON_TALLY.check(), [])
        self.assertEqual(PROBLEM_TALLY.check(), [])
        self.assertEqual(TICKET_TALLY.check(), [])
        school("东城区第三中学", "RMK003")
        self.assertEqual(UNIT_TALLY.check(), [])
        self.assertEqual(PROBLEM_TALLY.state(connection), "kept")

    def test_a_database_migrated_back_before_a_tally_is_left_alone(self) -> None:
        """An earlier schema (a column or the tally table not there yet) is not a missing
        trigger: nothing to put back."""
        absent = Tally(source="ledger_problem", table="ledger_problemtally", columns=("nope",))
        self.assertEqual(absent.state(connection), "absent")
        self.assertFalse(absent.ensure(connection))
        self.assertFalse(PROBLEM_TALLY.ensure(connection))  # kept: nothing to do
