"""/api/campaigns/: the week's roll-up in the caller's scope, as on the page."""

from __future__ import annotations

import time_machine

from qingfeng.campaigns import actions
from qingfeng.campaigns.tests.base import MONDAY, CampaignCase


class CampaignApiTestCase(CampaignCase):
    def test_the_weekly_rollup_in_the_callers_scope(self) -> None:
        with time_machine.travel("2026-11-06 10:00 +0800", tick=False):
            actions.check_file_report(
                self.campaign, unit=self.school, week_start=MONDAY, actor=self.school_admin
            )
        client = self.login(self.county_admin)
        answer = client.get(f"/api/campaigns/{self.campaign.pk}/weekly", {"week": "2026-11-04"})
        self.assertEqual(answer.status_code, 200)
        body = answer.json()
        self.assertEqual((body["week_start"], body["due_on"]), ("2026-11-02", "2026-11-10"))
        self.assertEqual((body["expected"], body["filed"], body["on_time"]), (4, 1, 1))
        states = {u["unit_id"]: u["state"] for u in body["units"]}
        self.assertEqual(states[self.school.pk], "on_time")
        self.assertNotIn(self.other_school.pk, states)
        bad = client.get(f"/api/campaigns/{self.campaign.pk}/weekly", {"week": "上周"})
        self.assertEqual(bad.status_code, 400)
        self.assertEqual(client.get("/api/campaigns/999999/weekly").status_code, 404)
        listed = self.login(self.school_admin).get("/api/campaigns/").json()
        self.assertEqual([c["id"] for c in listed], [self.campaign.pk])
