from __future__ import annotations

import time_machine
from django.core.exceptions import ValidationError

from qingfeng.learning import actions, selectors
from qingfeng.learning.models import Fulfilment, Pledge
from qingfeng.learning.tests.base import LearningCase, at


class PledgeTestCase(LearningCase):
    def issue(self, group: str = Pledge.Group.ALL, year: int = 2026) -> Pledge:
        return actions.check_issue_pledge(
            actor=self.office_user,
            issuer=self.bureau,
            group=group,
            title=f"{year}年廉洁从教承诺书",
            text="严守中央八项规定精神，不收受家长礼品礼金……",
            year=year,
        )

    def test_it_follows_a_pledge_from_signing_to_its_rating(self) -> None:
        pledge = self.issue()
        me = self.teacher.person
        self.assertIn(me, selectors.unsigned(pledge, self.school))
        with time_machine.travel(at("2026-10-08 09:00"), tick=False):
            signature = actions.check_sign_pledge(pledge, person=me, actor=self.teacher)
        self.assertNotIn(me, selectors.unsigned(pledge, self.school))
        with self.assertRaisesMessage(ValidationError, "您已签署"):
            actions.check_sign_pledge(pledge, person=me, actor=self.teacher)
        with time_machine.travel(at("2026-12-20 09:00"), tick=False):
            report = actions.check_report_fulfilment(
                signature, actor=self.teacher, text="本季度拒收家长礼品两次"
            )
            self.assertEqual(report.period, "2026Q4")
            with self.assertRaisesMessage(ValidationError, "已填报"):
                actions.check_report_fulfilment(signature, actor=self.teacher, text="再报")
        with self.assertRaisesMessage(ValidationError, "不能评议本人"):
            actions.check_rate_fulfilment(report, actor=self.teacher, rating="good")
        actions.check_rate_fulfilment(
            report, actor=self.school_admin, rating="good", comment="践诺良好"
        )
        report.refresh_from_db()
        self.assertEqual(
            (report.rating, report.rated_by), (Fulfilment.Rating.GOOD, self.school_admin)
        )
        # The anniversary: next year's pledge is signed anew.
        next_year = self.issue(year=2027)
        self.assertIn(me, selectors.unsigned(next_year, self.school))

    def test_it_offers_each_person_the_pledges_of_their_post(self) -> None:
        leaders = self.issue(Pledge.Group.LEADERS)
        party = self.issue(Pledge.Group.PARTY_TEACHERS)
        support = self.issue(Pledge.Group.SUPPORT)
        everyone = self.issue(Pledge.Group.ALL)
        self.assertEqual(set(selectors.pledges_for(self.principal)), {leaders, everyone})
        self.assertEqual(set(selectors.pledges_for(self.teacher.person)), {party, everyone})
        self.assertEqual(set(selectors.pledges_for(self.support)), {support, everyone})
        with self.assertRaisesMessage(ValidationError, "不适用于您的岗位"):
            actions.check_sign_pledge(leaders, person=self.support, actor=self.teacher)
        with self.assertRaisesMessage(ValidationError, "已发布"):
            self.issue(Pledge.Group.SUPPORT)

    def test_it_links_only_own_ledger_items(self) -> None:
        pledge = self.issue()
        signature = actions.check_sign_pledge(
            pledge,
            person=self.teacher.person,
            actor=self.teacher,
        )
        from qingfeng.ledger import actions as ledger_actions
        from qingfeng.ledger.models import Category, Problem

        other = ledger_actions.check_create_problem(
            actor=self.school_admin,
            unit=self.school,
            category=Category.objects.first(),
            list_kind=Problem.ListKind.PERSONAL,
            source=Problem.Source.SELF_CHECK,
            title="某问题",
            description="某问题",
            rectification_type=Problem.RectificationType.LONG_TERM,
            responsible_person=self.principal,
        )
        with self.assertRaisesMessage(ValidationError, "只能关联本人负责"):
            actions.check_report_fulfilment(
                signature, actor=self.teacher, text="践诺", problems=[other]
            )
        self.assertFalse(Fulfilment.objects.exists())
