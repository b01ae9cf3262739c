"""The ledger's reads that the pages and the API share (ledger.selectors)."""

from __future__ import annotations

from django.http import Http404

from qingfeng.ledger import selectors
from qingfeng.ledger.models import Evidence
from qingfeng.ledger.tests.base import LedgerTestCase
from qingfeng.orgs import actions as org_actions
from qingfeng.orgs.models import Person, Unit
from qingfeng.test import make_unit


class ResponsibleCandidatesTestCase(LedgerTestCase):
    def test_the_forms_offer_the_line_above_and_the_action_accepts_below_too(self) -> None:
        group = make_unit("三年级组", Unit.Kind.OTHER, self.school, "X0003")
        below = org_actions.do_create_person(
            actor=None, unit=group, name="组长", post_type=Person.PostType.TEACHER
        )
        line = {p.unit_id for p in selectors.responsible_candidates(self.school)}
        self.assertEqual(line, {self.bureau.pk, self.county.pk, self.school.pk})
        wider = selectors.responsible_candidates(self.school, below=True)
        self.assertIn(below, wider)
        self.assertNotIn(below, selectors.responsible_candidates(self.school))
        self.assertFalse(wider.filter(unit=self.other_school).exists())


class DetailsTestCase(LedgerTestCase):
    def test_the_page_and_the_api_read_a_problem_in_a_fixed_number_of_queries(self) -> None:
        problem = self.rectifying()
        api = selectors.get_problem_for_user(self.county_admin, problem.pk)
        # measures, cooperating units, transitions, reports, verifications, feedback, offline
        # publications, evidence
        with self.assertNumQueries(8):
            selectors.with_details(api)
        with self.assertNumQueries(0):
            self.assertEqual(len(api.evidence.all()), 1)
            self.assertEqual(len(api.transitions.all()), 4)
        page = selectors.get_problem_for_user(self.county_admin, problem.pk)
        # the same seven, each report's evidence, the problems under it
        with self.assertNumQueries(9):
            selectors.with_page_details(page, viewer=self.county_admin)
        with self.assertNumQueries(0):
            self.assertEqual([len(r.evidence.all()) for r in page.reports.all()], [1])
            self.assertEqual(list(page.children.all()), [])


class EvidenceTestCase(LedgerTestCase):
    def test_evidence_is_found_only_within_sight_and_while_current(self) -> None:
        problem = self.rectifying()
        evidence = Evidence.objects.get(problem=problem)
        for user in (self.county_admin, self.teacher):
            self.assertEqual(selectors.get_evidence_for_user(user, evidence.pk), evidence)
        with self.assertRaises(Http404):
            selectors.get_evidence_for_user(self.other_school_admin, evidence.pk)
        Evidence.objects.filter(pk=evidence.pk).update(withdrawn_at=problem.updated_at)
        with self.assertRaises(Http404):
            selectors.get_evidence_for_user(self.county_admin, evidence.pk)
