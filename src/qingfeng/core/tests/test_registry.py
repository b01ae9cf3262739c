"""The registry: each app contributes its menu entries, home cards, problem sources, demo
seeders and job handlers from `ready()`; the menu shows exactly the pages a user may open;
and a new app is a folder and a line in INSTALLED_APPS, nothing else."""

from __future__ import annotations

import dataclasses
import importlib
from io import StringIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import clear_url_caches, reverse

from qingfeng.core import jobs, registry
from qingfeng.core.models import Job
from qingfeng.core.registry import Section
from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger.models import Feedback, Problem, Verification
from qingfeng.ledger.tests.base import LedgerTestCase
from qingfeng.orgs.models import Role
from qingfeng.test import BaseTestCase, make_user

THROWAWAY = "qingfeng.core.tests.throwaway"


class MenuTestCase(BaseTestCase):
    def personas(self) -> dict[str, object]:
        hotline = make_user(
            "hotline", unit=self.bureau, role=Role.HOTLINE_OPERATOR, name="热线接线员"
        )
        names = [
            "bureau_admin",
            "county_admin",
            "school_admin",
            "other_school_admin",
            "teacher",
            "supervisor",
            "leader",
            "auditor",
            "system_admin",
        ]
        return {**{name: getattr(self, name) for name in names}, "hotline": hotline}

    def test_the_menu_shows_exactly_the_pages_each_persona_may_open(self) -> None:
        entries = registry.menu_entries()
        self.assertGreaterEqual(len(entries), 15)
        for name, user in self.personas().items():
            self.login(user)  # type: ignore[arg-type]
            shown = {e.key for _s, items in registry.visible_menu(user) for e in items}  # type: ignore[arg-type]
            page = self.client.get(reverse("home")).content.decode()
            for entry in entries:
                with self.subTest(persona=name, entry=entry.key):
                    status = self.client.get(reverse(entry.url_name)).status_code
                    self.assertEqual(entry.key in shown, status == 200, status)
                    # …and the rendered menu has the link exactly when it is shown.
                    link = f'href="{reverse(entry.url_name)}"'
                    self.assertEqual(entry.key in shown, link in page)

    def test_the_sections_follow_the_loop(self) -> None:
        sections = [section for section, _entries in registry.visible_menu(self.bureau_admin)]
        self.assertEqual(sections, sorted(sections, key=list(Section).index))
        self.assertEqual(sections[-1], Section.SYSTEM)
        self.login(self.bureau_admin)
        page = self.client.get(reverse("ledger:list")).content.decode()
        # The current page's entry and its section are marked.
        self.assertIn(f'class="dropdown-item active" href="{reverse("ledger:list")}"', page)
        self.assertIn('qf-nav-section active" data-section="rectify"', page)

    def test_the_home_page_and_its_menu_cost_a_fixed_number_of_queries(self) -> None:
        """Session and user (2), roles (1), the scope card (3: its roots, then units by kind
        and people from their kept subtree sums, core/tally.py Rollup), the ledger card (3: the user's own items' units, the root's children,
        one statement over their kept subtree sums, whatever the number of problems or of
        units below, core/tally.py Rollup), the channel's card (1: its kept
        counts, whatever the number of tickets), the evaluation card (1 with no
        round: evaluation/tests/test_card.py pins it with rounds), the calendar (1), unread
        notifications (1), the user's name (1); the session is not saved.
        Menu entries cost none: their guards read the roles already loaded."""
        self.login(self.county_admin)
        self.client.get(reverse("home"))  # warm the session and caches
        with self.assertNumQueries(14):
            self.client.get(reverse("home"))

    def test_reading_a_page_writes_nothing(self) -> None:
        """Every page of the menu and the home page, as every persona who may open it: the
        second view of a page (the session and caches warm, inside the idle clock's minute)
        issues no INSERT, UPDATE or DELETE, so on SQLite a reader never waits for a writer."""
        writes = ("INSERT", "UPDATE", "DELETE", "REPLACE")
        for name, user in self.personas().items():
            self.login(user)  # type: ignore[arg-type]
            urls = [reverse("home")] + [
                reverse(e.url_name)
                for _s, items in registry.visible_menu(user)  # type: ignore[arg-type]
                for e in items
            ]
            for url in urls:
                with self.subTest(persona=name, url=url):
                    self.client.get(url)
                    with CaptureQueriesContext(connection) as context:
                        self.assertEqual(self.client.get(url).status_code, 200)
                    written = [
                        q["sql"] for q in context if q["sql"].lstrip().upper().startswith(writes)
                    ]
                    self.assertEqual(written, [])


class ThrowawayAppTestCase(LedgerTestCase):
    """A whole app installed by adding it to INSTALLED_APPS (core/tests/throwaway/)."""

    def setUp(self) -> None:
        super().setUp()
        from qingfeng.core.tests.throwaway import contributions

        saved = {
            f.name: dict(getattr(registry._registry, f.name))
            for f in dataclasses.fields(registry.Registry)
        }
        handlers = dict(jobs._HANDLERS)

        def restore() -> None:
            for name, table in saved.items():
                setattr(registry._registry, name, table)
            jobs._HANDLERS.clear()
            jobs._HANDLERS.update(handlers)
            self._reload_urls()

        self.addCleanup(restore)
        installed = override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, THROWAWAY])
        installed.enable()
        self.addCleanup(installed.disable)
        self._reload_urls()
        self.contributions = contributions
        contributions.PINGS.clear()
        contributions.UNANSWERED.clear()

    def _reload_urls(self) -> None:
        importlib.reload(importlib.import_module(settings.ROOT_URLCONF))
        clear_url_caches()

    def test_its_page_and_menu_entry_appear_for_whom_it_opens(self) -> None:
        self.login(self.supervisor)
        self.assertEqual(self.client.get("/throwaway/").status_code, 200)
        home = self.client.get(reverse("home")).content.decode()
        self.assertIn('href="/throwaway/"', home)
        self.assertIn('data-section="evaluate"', home)
        self.login(self.county_admin)
        self.assertEqual(self.client.get("/throwaway/").status_code, 403)
        self.assertNotIn('href="/throwaway/"', self.client.get(reverse("home")).content.decode())

    def test_its_home_card_shows_to_its_users(self) -> None:
        self.login(self.supervisor)
        self.assertContains(self.client.get(reverse("home")), 'data-testid="throwaway-card"')
        self.login(self.teacher)
        self.assertNotContains(self.client.get(reverse("home")), 'data-testid="throwaway-card"')

    def test_the_ledger_asks_it_whether_reporters_were_answered(self) -> None:
        problem = self.awaiting_verification(source=Problem.Source.CHANNEL, source_ref="CC0001")
        ledger_actions.check_add_feedback(
            problem, actor=self.county_admin, kind=Feedback.Kind.REPORTER_ANSWER, text="已答复"
        )
        ledger_actions.check_set_disclosure(
            problem, actor=self.bureau_admin, public_text="已整改", publish=True
        )
        self.contributions.UNANSWERED.add(problem.pk)
        with self.assertRaisesMessage(ValidationError, "须先答复反映人"):
            ledger_actions.check_verify(
                problem, verifier=self.county_admin, outcome="approved", comment="ok"
            )
        self.login(self.county_admin)
        page = self.client.get(reverse("ledger:detail", args=[problem.pk]))
        self.assertContains(page, "来源抽查")
        self.assertContains(page, f"CC{problem.pk:04d}")
        self.contributions.UNANSWERED.clear()  # the source has answered its reporters
        ledger_actions.check_verify(
            problem, verifier=self.county_admin, outcome="approved", comment="ok"
        )
        self.assertTrue(Verification.objects.filter(problem=problem).exists())

    def test_its_job_kind_is_known_to_every_process(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            job = jobs.enqueue_job("throwaway.ping", {"n": 1})
        job.refresh_from_db()
        self.assertEqual(job.status, Job.Status.DONE)
        self.assertEqual(self.contributions.PINGS, [{"n": 1}])

    def test_its_demo_seeder_runs_with_the_others(self) -> None:
        seeders = [s.key for s in registry.demo_seeders()]
        self.assertEqual(seeders[-1], "throwaway")
        self.assertEqual(seeders[:1], ["orgs"])
        out = StringIO()
        call_command("seed_demo_cases", "--if-empty", stdout=out)  # no demo accounts here
        self.assertIn("没有演示账号", out.getvalue())
