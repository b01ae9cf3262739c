"""The ledger's 建章立制 column links to the rules register: a problem's page and its export
row name the rules that answer it (the register owns the link: the ledger imports nothing of
the campaign), the register names each rule's problems, and more problems can be linked to a
rule already registered."""

from __future__ import annotations

import io
from datetime import date

import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from qingfeng.campaigns import registers
from qingfeng.campaigns.models import Rule
from qingfeng.campaigns.tests.base import CampaignCase
from qingfeng.core.models import AuditEvent
from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger.excel import export_ledger_workbook, import_ledger
from qingfeng.ledger.models import Category, Problem
from qingfeng.orgs.models import Unit, User


def at(day: str) -> time_machine.travel:
    return time_machine.travel(f"{day} 10:00 +0800", tick=False)


class RuleLinkTestCase(CampaignCase):
    def problem(self, unit: Unit, actor: User, title: str, rules: str = "") -> Problem:
        return ledger_actions.check_create_problem(
            actor=actor,
            unit=unit,
            measures=["建立会议计划审批制度"],
            list_kind=Problem.ListKind.LEADERSHIP,
            source=Problem.Source.SELF_CHECK,
            category=Category.objects.get(name="教辅材料违规征订"),
            dimension=Problem.Dimension.RULES,
            title=title,
            description=f"{title}，基层负担重。",
            rectification_type=Problem.RectificationType.LONG_TERM,
            deadline=date(2026, 12, 31),
            rules_adopted=rules,
        )

    def adopt(self, actor: User, unit: Unit, title: str, numbers: list[str]) -> Rule:
        with at("2026-11-05"):
            return registers.check_adopt_rule(
                actor=actor,
                unit=unit,
                title=title,
                kind=Rule.Kind.NEW,
                adopted_on=date(2026, 11, 5),
                problem_numbers=numbers,
            )

    def test_the_problems_page_links_the_rules_that_answer_it(self) -> None:
        problem = self.problem(self.school, self.county_admin, "会议过多", "是")
        ours = self.adopt(self.school_admin, self.school, "会议计划审批制度", [problem.number])
        theirs = self.adopt(self.county_admin, self.county, "文件精简办法", [problem.number])
        page = self.login(self.county_admin).get(reverse("ledger:detail", args=[problem.pk]))
        self.assertContains(page, 'data-testid="rule-links"')
        self.assertContains(page, "《会议计划审批制度》（新制定，2026-11-05）")
        self.assertContains(page, f"{reverse('campaigns:rules')}#rule-{ours.pk}")
        self.assertContains(page, f"{reverse('campaigns:rules')}#rule-{theirs.pk}")
        # The school sees the county's rule named, but not linked: the county's register is
        # not the school's to read.
        mine = self.login(self.school_admin).get(reverse("ledger:detail", args=[problem.pk]))
        self.assertContains(mine, "《文件精简办法》（新制定，2026-11-05）")
        self.assertContains(mine, f"#rule-{ours.pk}")
        self.assertNotContains(mine, f"#rule-{theirs.pk}")
        # A problem no rule answers shows no 建章立制 at all.
        bare = self.problem(self.school, self.county_admin, "督查检查过多")
        page = self.login(self.county_admin).get(reverse("ledger:detail", args=[bare.pk]))
        self.assertNotContains(page, 'data-testid="rules-adopted"')

    def test_the_export_column_names_the_rules_and_imports_back_unchanged(self) -> None:
        problem = self.problem(self.school, self.county_admin, "会议过多", "会议计划审批制度")
        self.adopt(self.school_admin, self.school, "会议计划审批制度", [problem.number])
        self.adopt(self.school_admin, self.school, "周末不开会规定", [problem.number])
        data = export_ledger_workbook(
            Problem.objects.filter(pk=problem.pk),
            title="东城区教育局作风问题整改台账",
            unit_label="东城区教育局",
        )
        sheet = load_workbook(io.BytesIO(data)).active
        assert sheet is not None
        cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c]
        self.assertIn(
            "会议计划审批制度\n"
            "【制度清单】《会议计划审批制度》（新制定，2026-11-05）\n"
            "【制度清单】《周末不开会规定》（新制定，2026-11-05）",
            cells,
        )
        outcome = import_ledger(SimpleUploadedFile("导出.xlsx", data), actor=self.county_admin)
        self.assertTrue(outcome.preview, outcome.errors)
        rows = outcome.record.preview["rows"]
        self.assertEqual([(e["problem"], e["kind"]) for e in rows], [(problem.pk, "unchanged")])

    def test_more_problems_are_linked_to_a_registered_rule(self) -> None:
        first = self.problem(self.school, self.county_admin, "会议过多")
        second = self.problem(self.school, self.county_admin, "文件过多")
        elsewhere = self.problem(self.other_school, self.bureau_admin, "检查过多")
        rule = self.adopt(self.school_admin, self.school, "会议计划审批制度", [first.number])
        url = reverse("campaigns:rule_link", args=[rule.pk])
        page = self.login(self.school_admin).post(url, {"problems": f"{second.number.lower()}、"})
        self.assertRedirects(
            page, f"{reverse('campaigns:rules')}#rule-{rule.pk}", fetch_redirect_response=False
        )
        self.assertEqual(set(rule.problems.all()), {first, second})
        event = AuditEvent.objects.get(action="campaigns.rule.link")
        self.assertEqual(event.after, {"added": [second.number]})
        with self.assertRaises(ValidationError) as refused:
            registers.check_link_rule_problems(
                rule, actor=self.school_admin, problem_numbers=[elsewhere.number, "LD-404"]
            )
        self.assertIn(elsewhere.number, refused.exception.message_dict["problems"][0])
        self.assertEqual(set(rule.problems.all()), {first, second})
        # Another school neither finds the rule nor links to it.
        other = self.login(self.other_school_admin).post(url, {"problems": elsewhere.number})
        self.assertEqual(other.status_code, 404)
        listing = self.login(self.county_admin).get(reverse("campaigns:rules"))
        self.assertContains(listing, second.number)
        self.assertContains(listing, "文件过多")

    def test_linking_through_the_api(self) -> None:
        first = self.problem(self.school, self.county_admin, "会议过多")
        second = self.problem(self.school, self.county_admin, "文件过多")
        rule = self.adopt(self.school_admin, self.school, "会议计划审批制度", [first.number])
        url = f"/api/campaigns/rules/{rule.pk}/problems"
        school = self.login(self.school_admin)
        linked = school.post(url, {"problems": [second.number]}, content_type="application/json")
        self.assertEqual(linked.status_code, 200, linked.content)
        self.assertEqual(set(linked.json()["problems"]), {first.number, second.number})
        wrong = school.post(url, {"problems": ["LD-404"]}, content_type="application/json")
        self.assertEqual(wrong.status_code, 400)
        self.assertIn("LD-404", wrong.json()["detail"])
        other = self.login(self.other_school_admin).post(
            url, {"problems": [second.number]}, content_type="application/json"
        )
        self.assertEqual(other.status_code, 404)
