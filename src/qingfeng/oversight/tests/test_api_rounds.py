"""/api/oversight/ groups and rounds: the same scoping as the pages."""

from __future__ import annotations

from django.test import Client

from qingfeng.oversight import actions
from qingfeng.oversight.models import RoundFinding
from qingfeng.oversight.tests.base import OversightCase


class GroupsAndRoundsApiTestCase(OversightCase):
    def test_groups_for_the_office_and_their_members_only(self) -> None:
        group = self.make_group()
        actions.check_attach_school(
            group, actor=self.office_user, supervisor=self.member, school=self.school
        )
        office = self.login(self.office_user, Client())
        rows = office.get("/api/oversight/groups").json()
        self.assertEqual([r["id"] for r in rows], [group.pk])
        self.assertEqual(rows[0]["postings"][0]["school_name"], self.school.name)
        self.assertEqual(
            office.get(f"/api/oversight/groups/{group.pk}").json()["name"], "第一督导组"
        )
        school = self.login(self.school_admin, Client())
        self.assertEqual(school.get("/api/oversight/groups").status_code, 403)

    def test_a_round_and_its_findings_scoped_and_advanced(self) -> None:
        round_ = self.staffed_round()
        leader = self.login(self.supervisor, Client())
        answer = leader.post(f"/api/oversight/rounds/{round_.pk}/advance")
        self.assertEqual(answer.status_code, 200)
        self.assertEqual(answer.json()["status"], "investigating")
        round_.refresh_from_db()
        actions.check_add_round_finding(
            round_,
            actor=self.member,
            unit=self.school,
            text="公务接待超标",
            audience=RoundFinding.Audience.LEADERSHIP,
        )
        body = leader.get(f"/api/oversight/rounds/{round_.pk}").json()
        self.assertEqual([f["text"] for f in body["findings"]], ["公务接待超标"])
        school = self.login(self.school_admin, Client())
        self.assertEqual(school.get(f"/api/oversight/rounds/{round_.pk}").json()["findings"], [])
        refused = school.post(f"/api/oversight/rounds/{round_.pk}/advance")
        self.assertEqual(refused.status_code, 400)
        self.assertIn("组长", refused.json()["detail"])
        outsider = self.login(self.other_school_admin, Client())
        self.assertEqual(outsider.get(f"/api/oversight/rounds/{round_.pk}").status_code, 404)
        self.assertEqual(
            len(self.login(self.office_user, Client()).get("/api/oversight/rounds").json()), 1
        )
