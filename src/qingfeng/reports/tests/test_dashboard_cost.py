"""What a dashboard costs per request. A view is kept whole (its figures, panels, charts and
markup) per person, scope, month and language for `monthly.LIVE_SECONDS`, or until the figures
it was read from move: asked again, it runs the page's frame (session, person, roles, menu)
and the scope check, and no statement of the figures. The scope is checked on every request,
and a kept view is never served to anyone else. Statement counts pinned for both databases."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qingfeng.intake.tests import objects as intake_objects
from qingfeng.ledger.tests.base import LedgerTestCase
from qingfeng.orgs import actions as orgs_actions
from qingfeng.orgs.models import Role, RoleAssignment
from qingfeng.reports import actions, monthly

URL = "/dashboard/"
# A county administrator's views with the warm summary, (cold, kept): cold, the frame and the
# view's own statements (its units, the summary, the month's bulletin, the warning rules, the
# trend, the ledger's lights, the apps' panels); kept, the frame, the ledger's lights on the
# page and the screen (two statements) and for `?scope=` the scope check. Equal on SQLite and
# PostgreSQL.
COST = {
    URL: (20, 7),
    "/dashboard/screen/": (18, 5),
    "/dashboard/export/": (18, 3),
    f"{URL}?scope=school": (22, 8),
}


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


class DashboardCostTestCase(LedgerTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.assigned(title="食堂卫生")
        self.assigned(unit=self.school2, title="作业量过大", responsible_person=None)
        intake_objects.assigned(self)
        monthly.warm()

    def test_a_kept_view_runs_the_frame_and_no_statement_of_the_figures(self) -> None:
        self.login(self.county_admin)
        counted = {}
        for path in COST:
            url = path.replace("scope=school", f"scope={self.school.pk}")
            cache.clear()  # each view cold: nothing of another view's kept
            with CaptureQueriesContext(connection) as cold:
                first = self.client.get(url)
            with CaptureQueriesContext(connection) as kept:
                again = self.client.get(url)
            self.assertEqual(again.status_code, 200)
            if path == "/dashboard/export/":  # the pages' frames carry a new CSRF token
                self.assertEqual(again.content, first.content)
            else:
                self.assertContains(again, self.county.name)
            counted[path] = (len(cold), len(kept))
        self.assertEqual(counted, COST)

    def test_a_kept_view_is_never_served_outside_the_askers_scope(self) -> None:
        self.login(self.bureau_admin)
        kept = self.client.get(URL, {"scope": self.school.pk})
        self.assertEqual(kept.status_code, 200)
        # Another person, the same address: their own scope decides.
        self.login(self.other_school_admin)
        self.assertEqual(self.client.get(URL, {"scope": self.school.pk}).status_code, 404)
        # The bureau administrator's role revoked: the kept view is not served again.
        assignment = RoleAssignment.objects.get(
            user=self.bureau_admin, role=Role.BUREAU_ADMIN, revoked_at=None
        )
        orgs_actions.do_revoke_role(assignment, actor=self.system_admin)
        self.login(self.bureau_admin)
        self.assertEqual(self.client.get(URL, {"scope": self.school.pk}).status_code, 403)

    def test_a_new_summary_or_new_warning_rules_replace_a_kept_view(self) -> None:
        self.login(self.county_admin)
        before = self.client.get(URL).context["board"]
        self.assigned(title="课后服务收费")
        self.assertNotIn("board", self.client.get(URL).context)  # kept: not computed again
        monthly.warm()
        after = self.client.get(URL).context["board"]
        self.assertEqual(after.totals["problems_new"], before.totals["problems_new"] + 1)
        with self.captureOnCommitCallbacks(execute=True):
            actions.check_set_warning_rules(
                self.bureau, actor=self.bureau_admin, values={"red_over": 0, "yellow_red_over": 0}
            )
        self.assertEqual(self.client.get(URL).context["board"].rules["red_over"], 0)
