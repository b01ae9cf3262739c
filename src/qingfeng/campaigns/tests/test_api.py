"""/api/campaigns/: the week's roll-up and the registers in the caller's scope, as on the
pages; a matter raised at a reception day filed as a ticket with its receipt code."""

from __future__ import annotations

from datetime import date, time

import time_machine

from qingfeng.campaigns import actions, registers
from qingfeng.campaigns.tests.base import MONDAY, CampaignCase
from qingfeng.intake import receipts
from qingfeng.intake.models import TicketCategory


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


class RegistersApiTestCase(CampaignCase):
    def test_meetings_rules_and_activities_in_the_callers_scope(self) -> None:
        category = TicketCategory.objects.filter(is_active=True).first()
        assert category is not None
        with time_machine.travel("2026-11-05 10:00 +0800", tick=False):
            meeting = registers.check_hold_meeting(
                self.campaign, actor=self.county_admin, unit=self.county,
                held_on=date(2026, 11, 5), title="东城区周调度会", attendees="各校校长",
                items=[("公示课后服务收费", self.school, date(2026, 11, 12))],
            )  # fmt: skip
            registers.check_adopt_rule(
                actor=self.school_admin, unit=self.school, title="收费公示制度",
                kind="new", adopted_on=date(2026, 11, 5),
            )  # fmt: skip
            day = registers.check_plan_activity(
                actor=self.school_admin, unit=self.school, kind="reception",
                held_on=date(2026, 11, 5), starts_at=time(14), place="接待室",
                cadre="校长 孙立平", how_to_come="无需预约",
            )  # fmt: skip
            school = self.login(self.school_admin)
            [listed] = school.get("/api/campaigns/meetings").json()
            self.assertEqual(listed["items"][0]["unit_name"], self.school.name)
            item_id = listed["items"][0]["id"]
            done = school.post(
                f"/api/campaigns/items/{item_id}/done",
                {"note": "已在校门口公示"},
                content_type="application/json",
            )
            self.assertEqual(done.json()["status"], "done")
            again = school.post(
                f"/api/campaigns/items/{item_id}/done", {"note": "再报"},
                content_type="application/json",
            )  # fmt: skip
            self.assertEqual(again.status_code, 400)
            filed = school.post(
                f"/api/campaigns/activities/{day.pk}/matters",
                {
                    "category_id": category.pk,
                    "title": "课后服务收费",
                    "text": "课后服务的收费标准一直没有公示",
                },
                content_type="application/json",
            )
        self.assertEqual(filed.status_code, 201, filed.content.decode())
        ticket = receipts.find_by_code(filed.json()["receipt"])
        self.assertEqual(ticket.number if ticket else None, filed.json()["ticket"])
        school = self.login(self.school_admin)  # signed in again, at today's time
        [rule] = school.get("/api/campaigns/rules").json()
        self.assertEqual(rule["title"], "收费公示制度")
        [activity] = school.get("/api/campaigns/activities").json()
        self.assertEqual((activity["status"], activity["raised"]), ("planned", 1))
        one = school.get(f"/api/campaigns/activities/{day.pk}").json()
        self.assertEqual([m["ticket"] for m in one["matters"]], [filed.json()["ticket"]])
        self.assertEqual(one["notice_url"], f"/notice/reception/{day.pk}/")
        # Another county's school: nothing of 东城区 listed, its ids missing.
        other = self.login(self.other_school_admin)
        self.assertEqual(other.get("/api/campaigns/meetings").json(), [])
        self.assertEqual(other.get("/api/campaigns/rules").json(), [])
        self.assertEqual(other.get(f"/api/campaigns/activities/{day.pk}").status_code, 404)
        self.assertEqual(meeting.items.get().status, "done")
