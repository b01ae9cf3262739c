"""BaseTestCase with named personas in a small city (healthchecks hc/test.py).

    市教育局 ─┬─ 办公室 (department)
             ├─ 东城区教育局 ── 东城实验小学, 东城第二中学
             └─ 西山县教育局 ── 西山县第一中学

Personas: bureau_admin, county_admin (东城), school_admin (东城实验小学), other_school_admin
(西山县第一中学), teacher (东城实验小学, staff), supervisor (bureau), leader (bureau, 包片 东城),
auditor, system_admin. Everyone's password is PASSWORD.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from django.test import Client, TestCase, override_settings
from django.utils import timezone

from qingfeng.orgs import actions
from qingfeng.orgs.middleware import SESSION_STARTED, SESSION_VERIFIED
from qingfeng.orgs.models import Person, Role, Unit, User

PASSWORD = "Qingfeng-Test-2026!"  # noqa: S105


def make_unit(name: str, kind: str, parent: Unit | None, code: str, **extra: Any) -> Unit:
    categories: dict[str, str] = {
        Unit.Kind.SCHOOL: Unit.Category.SCHOOL,
        Unit.Kind.KINDERGARTEN: Unit.Category.SCHOOL,
        Unit.Kind.RESEARCH: Unit.Category.RESEARCH,
    }
    category = categories.get(kind, Unit.Category.ORGAN)
    return actions.do_create_unit(
        actor=None, parent=parent, name=name, kind=kind, code=code, category=category, **extra
    )


def make_user(username: str, *, unit: Unit, role: str | None, name: str, phone: str = "") -> User:
    user = User.objects.create_user(username=username, password=PASSWORD)
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.save()
    person = actions.do_create_person(
        actor=None, unit=unit, name=name, post_type=Person.PostType.CIVIL, phone=phone
    )
    person.user = user
    person.save(update_fields=["user"])
    if role:
        actions.do_grant_role(user, actor=None, role=role, unit=unit)
    return user


class BaseTestCase(TestCase):
    bureau: Unit
    office: Unit
    county: Unit
    other_county: Unit
    school: Unit
    school2: Unit
    other_school: Unit
    bureau_admin: User
    county_admin: User
    school_admin: User
    other_school_admin: User
    teacher: User
    supervisor: User
    leader: User
    auditor: User
    system_admin: User

    @classmethod
    def setUpTestData(cls) -> None:
        cls.bureau = make_unit(
            "清河市教育局", Unit.Kind.BUREAU, None, "B0001", short_name="市教育局"
        )
        cls.office = make_unit("办公室", Unit.Kind.DEPARTMENT, cls.bureau, "D0001")
        cls.county = make_unit(
            "东城区教育局", Unit.Kind.COUNTY, cls.bureau, "C0001", short_name="东城区"
        )
        cls.other_county = make_unit(
            "西山县教育局", Unit.Kind.COUNTY, cls.bureau, "C0002", short_name="西山县"
        )
        cls.school = make_unit(
            "东城区实验小学",
            Unit.Kind.SCHOOL,
            cls.county,
            "S0001",
            short_name="东城实小",
            aliases="实验小学,东实小",
            stage=Unit.Stage.PRIMARY,
            locale=Unit.Locale.URBAN,
        )
        cls.school2 = make_unit(
            "东城区第二中学", Unit.Kind.SCHOOL, cls.county, "S0002", stage=Unit.Stage.JUNIOR
        )
        cls.other_school = make_unit(
            "西山县第一中学", Unit.Kind.SCHOOL, cls.other_county, "S0003", stage=Unit.Stage.SENIOR
        )

        cls.bureau_admin = make_user(
            "bureau_admin", unit=cls.bureau, role=Role.BUREAU_ADMIN, name="赵建国"
        )
        cls.county_admin = make_user(
            "county_admin", unit=cls.county, role=Role.UNIT_ADMIN, name="钱晓红"
        )
        cls.school_admin = make_user(
            "school_admin",
            unit=cls.school,
            role=Role.UNIT_ADMIN,
            name="孙立平",
            phone="13800001234",
        )
        cls.other_school_admin = make_user(
            "other_admin", unit=cls.other_school, role=Role.UNIT_ADMIN, name="李明"
        )
        cls.teacher = make_user(
            "teacher", unit=cls.school, role=Role.STAFF, name="周小燕", phone="13912345678"
        )
        cls.supervisor = make_user(
            "supervisor", unit=cls.bureau, role=Role.SUPERVISOR, name="吴德胜"
        )
        cls.leader = make_user("leader", unit=cls.bureau, role=Role.LEADER, name="郑志强")
        actions.check_set_liaisons(cls.leader, actor=None, counties=[cls.county])
        cls.auditor = make_user("auditor", unit=cls.bureau, role=Role.AUDITOR, name="王审计")
        cls.system_admin = make_user(
            "sysadmin", unit=cls.bureau, role=Role.SYSTEM_ADMIN, name="冯运维"
        )
        cls.system_admin.is_staff = True
        cls.system_admin.save(update_fields=["is_staff"])

    def login(self, user: User, client: Client | None = None) -> Client:
        """Sign in as a user who has passed both factors (the sign-in flow has its own tests)."""
        client = client or self.client
        client.force_login(user)
        session = client.session
        session[SESSION_STARTED] = time.time()
        session[SESSION_VERIFIED] = True
        session.save()
        return client

    def check_figure_links(
        self, source: str, views: list[tuple[User, dict[str, Any]]], *, hidden: str = ""
    ) -> int:
        """Every number of figure source `source` on the dashboard (/dashboard/, as each
        user with each query) that links to a list narrowed to it (`Figure.listed`): the list
        opens and counts exactly that number, and never shows `hidden` (a record outside
        the users' scopes). Returns how many of those numbers were not zero. The caller
        clears the cache (the dashboard keeps its figures two minutes)."""
        from django.core.cache import cache

        nonzero = 0
        for user, query in views:
            self.login(user)
            cache.clear()
            page = self.client.get("/dashboard/", query)
            self.assertEqual(page.status_code, 200)
            cells = [
                (cell["link"], cell["value"])
                for stage in page.context["panels"]
                for table in stage["sources"]
                if table["key"] == source
                for item in [*table["rows"], {"values": table["totals"]}]
                for cell in item["values"]
                if cell["link"]
            ]
            self.assertTrue(cells, (user.username, query))
            for link, value in cells:
                with self.subTest(user=user.username, query=query, link=link):
                    if "figure=" not in link:  # a number no list narrows to (not a count)
                        self.assertEqual(self.client.get(link).status_code, 200)
                        continue
                    listed = self.client.get(link)
                    self.assertEqual(listed.status_code, 200)
                    self.assertEqual(listed.context["figure"]["total"], value)
                    if hidden:
                        self.assertNotContains(listed, hidden)
                    nonzero += value > 0
        return nonzero


def files_under(root: Path) -> list[str]:
    """Every file below `root`, as paths relative to it, sorted."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


class OwnMedia:
    """Stored files go to an empty directory of each test's own (`self.media`), removed after
    it: for tests that check which files are on disk."""

    media: Path

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)  # type: ignore[attr-defined]
        self.media = Path(folder.name)
        override = override_settings(
            STORAGES={
                "default": {
                    "BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(self.media)},
                },
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            }
        )
        override.enable()
        self.addCleanup(override.disable)  # type: ignore[attr-defined]
