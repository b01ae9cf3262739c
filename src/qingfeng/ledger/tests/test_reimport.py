"""A ledger sent again (每月报送): rows matched to the problems already in the ledger, a preview
of new / changed / unchanged rows, and only the confirmed rows written."""

from __future__ import annotations

from datetime import date
from typing import Any
from unittest import mock

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.work import post_and_run
from qingfeng.ledger import actions, excel_views
from qingfeng.ledger.excel import do_apply_reimport
from qingfeng.ledger.excel.matching import normalise_text
from qingfeng.ledger.models import LedgerImport, Measure, Problem
from qingfeng.ledger.tests.test_excel import (
    LAYOUT,
    LedgerExcelTestCase,
    office_xls,
    office_xlsx,
    row,
)
from qingfeng.orgs import actions as org_actions
from qingfeng.orgs.models import Person

# The month's ledger as the county sends it: the first month without 完成情况, later ones with.
MONTHLY = [*LAYOUT, ("", "完成情况")]
NUMBERED = [("", "编号"), *MONTHLY]
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def first_month() -> list[dict[str, Any]]:
    return [
        row(整改时限="2027年3月31日"),
        row(
            序号=2,
            问题类别="师德师风",
            问题表现="收受家长礼品",
            问题描述="班主任在教师节收受家长赠送的购物卡两张。",
            整改措施="1.退回购物卡\n2.在年级组会上作检讨",
            整改时限="2027年4月30日",
        ),
        row(
            序号=3,
            问题类别="乱收费乱办班乱订资料",
            问题表现="课后服务乱收费",
            问题描述="初二年级以课后服务名义向学生收取资料费每人 80 元。",
            责任单位="东城区第二中学",
            责任人=None,
            配合单位=None,
            整改时限="20个工作日",
        ),
        row(
            序号=4,
            问题类别="服务态度与效能",
            问题表现="办事推诿",
            问题描述="家长反映学籍转接材料多次被退回，经办人态度生硬。",
            整改措施="一是公开办事流程；二是约谈经办人",
            责任人="孙立平",
            整改时限="2027年5月15日",
        ),
    ]


class ReimportBase(LedgerExcelTestCase):
    def setUp(self) -> None:
        super().setUp()
        outcome = self.run_import(office_xlsx(first_month()), name="东城区3月台账.xlsx")
        self.assertTrue(outcome.ok, outcome.errors)
        self.gift, self.fees, self.books, self.desk = (
            Problem.objects.get(pk=pk) for pk in self._by_title(outcome.problem_ids)
        )
        self.ouyang = org_actions.do_create_person(
            actor=None, unit=self.school, name="欧阳明轩", post_type=Person.PostType.TEACHER
        )

    def _by_title(self, ids: list[int]) -> list[int]:
        titles = dict(Problem.objects.filter(pk__in=ids).values_list("title", "pk"))
        return [
            titles[t] for t in ("收受家长礼品", "课后服务乱收费", "违规推荐教辅材料", "办事推诿")
        ]

    def second_month(self) -> list[dict[str, Any]]:
        """April: reordered, three rows changed, one new, one of a problem closed since."""
        march = first_month()
        books, gift, fees, desk = march
        books.update(完成情况="推进中（80%）")
        gift.update(整改时限="2027年5月31日", 责任人="欧阳明轩")
        # The same description retyped: half-width comma, spaces, no full stop.
        desk.update(
            问题描述="家长反映 学籍转接材料多次被退回 , 经办人态度生硬",
            整改措施="一是公开办事流程；二是约谈经办人；三是建立一次性告知制度",
        )
        new = row(
            问题类别="其他",
            问题表现="食堂账目公示不及时",
            问题描述="学校食堂收支账目未按月公示，家长委员会多次询问。",
            整改时限="2027年6月30日",
        )
        closed = row(
            问题表现="违规推荐教辅材料",
            问题描述="五年级违规推荐学生购买练习册。",
            完成情况="推进中",
        )
        return [desk, gift, new, fees, closed, books]

    def close_one(self) -> Problem:
        problem = self.awaiting_verification(
            description="五年级违规推荐学生购买练习册。", deadline=date(2027, 1, 29)
        )
        actions.check_verify(
            problem, verifier=self.bureau_admin, outcome="approved", comment="同意"
        )
        return problem

    def preview(self, rows: list[dict[str, Any]]) -> LedgerImport:
        outcome = self.run_import(office_xlsx(rows, layout=MONTHLY), name="东城区4月台账.xlsx")
        self.assertTrue(outcome.preview, outcome.errors)
        outcome.record.refresh_from_db()  # the confirmation reads the stored preview
        return outcome.record

    def by_problem(self, record: LedgerImport) -> dict[int | None, dict[str, Any]]:
        return {e.get("problem"): e for e in record.preview["rows"]}


class ReimportTestCase(ReimportBase):
    def test_it_previews_new_changed_unchanged_and_closed_rows_writing_nothing(self) -> None:
        closed = self.close_one()
        stamps = dict(Problem.objects.values_list("pk", "updated_at"))
        audit = AuditEvent.objects.count()
        record = self.preview(self.second_month())
        self.assertEqual(record.status, LedgerImport.Status.PREVIEW)
        entries = self.by_problem(record)
        kinds = {pk: e["kind"] for pk, e in entries.items()}
        self.assertEqual(
            kinds,
            {
                self.books.pk: "changed",
                self.gift.pk: "changed",
                self.desk.pk: "changed",
                self.fees.pk: "unchanged",
                closed.pk: "not_updated",
                None: "new",
            },
        )
        self.assertEqual(entries[closed.pk]["note"], "已销号，未更新")
        shown = {
            pk: [(c["label"], c["shown_before"], c["shown_after"]) for c in e.get("changes", [])]
            for pk, e in entries.items()
        }
        self.assertEqual(
            shown[self.books.pk],
            [
                ("整改进度", "60%", "80%"),
                (
                    "整改措施",
                    "1. 退回费用（未开始）\n2. 书面检查（未开始）",
                    "1. 退回费用（推进中）\n2. 书面检查（推进中）",
                ),
            ],
        )
        self.assertEqual(
            shown[self.gift.pk],
            [("整改时限", "2027年4月30日", "2027年5月31日"), ("责任人", "周小燕", "欧阳明轩")],
        )
        self.assertEqual(shown[self.desk.pk][0][0], "整改措施")
        self.assertIn("3. 建立一次性告知制度（未开始）", shown[self.desk.pk][0][2])
        self.assertEqual(entries[None]["title"], "食堂账目公示不及时")
        # Nothing written but the preview's own audit event.
        self.assertEqual(dict(Problem.objects.values_list("pk", "updated_at")), stamps)
        self.assertEqual(AuditEvent.objects.count(), audit + 1)
        self.assertEqual(
            AuditEvent.objects.latest("id").after,
            {
                "file": "东城区4月台账.xlsx",
                "rows": 6,
                "new": 1,
                "changed": 3,
                "unchanged": 1,
                "not_updated": 1,
            },
        )

    def test_it_writes_only_the_confirmed_rows_through_audited_actions(self) -> None:
        closed = self.close_one()
        record = self.preview(self.second_month())
        entries = self.by_problem(record)
        stamps = dict(Problem.objects.values_list("pk", "updated_at"))
        chosen = {entries[pk]["key"] for pk in (self.books.pk, self.desk.pk, None)}
        outcome = do_apply_reimport(record, actor=self.county_admin, selected=chosen)
        self.assertTrue(outcome.ok, outcome.errors)
        record.refresh_from_db()
        self.assertEqual((record.created_count, record.updated_count), (1, 2))
        books = Problem.objects.get(pk=self.books.pk)
        self.assertEqual(books.progress, 80)
        self.assertEqual(set(books.measures.values_list("status", flat=True)), {"doing"})
        self.assertEqual(books.status, Problem.Status.DRAFT)
        self.assertEqual(
            list(Measure.objects.filter(problem=self.desk).values_list("text", flat=True)),
            ["公开办事流程", "约谈经办人", "建立一次性告知制度"],
        )
        (new,) = Problem.objects.filter(title="食堂账目公示不及时")
        self.assertEqual(outcome.problem_ids, [new.pk])
        # The row not ticked, the unchanged row and the closed problem: not touched at all.
        after = dict(Problem.objects.values_list("pk", "updated_at"))
        for pk in (self.gift.pk, self.fees.pk, closed.pk):
            self.assertEqual(after[pk], stamps[pk])
        self.assertEqual(Problem.objects.get(pk=self.gift.pk).deadline, date(2027, 4, 30))
        self.assertEqual(Problem.objects.get(pk=closed.pk).status, Problem.Status.CLOSED)
        events = AuditEvent.objects.filter(action="ledger.problem.reimport").order_by("id")
        self.assertEqual(
            sorted(int(e.object_id) for e in events), sorted([self.books.pk, self.desk.pk])
        )
        books_event = next(e for e in events if e.object_id == str(self.books.pk))
        self.assertEqual(books_event.before, {"progress": 60})
        written = books_event.after or {}
        self.assertEqual((written["progress"], written["import"]), (80, record.pk))
        summary = AuditEvent.objects.filter(action="ledger.problem.import").latest("id").after
        self.assertEqual(((summary or {})["created"], (summary or {})["updated"]), (1, 2))
        with self.assertRaises(ValidationError):  # a confirmation runs once
            do_apply_reimport(record, actor=self.county_admin, selected=chosen)

    def test_a_problem_changed_after_the_preview_refuses_the_whole_confirmation(self) -> None:
        record = self.preview(self.second_month())
        entries = self.by_problem(record)
        # Meanwhile someone moves the deadline of a previewed problem in the system.
        actions.check_update_problem(
            Problem.objects.get(pk=self.gift.pk),
            actor=self.county_admin,
            deadline=date(2027, 5, 10),
        )
        count = Problem.objects.count()
        outcome = do_apply_reimport(
            record, actor=self.county_admin, selected={e["key"] for e in entries.values()}
        )
        self.assertFalse(outcome.ok)
        self.assertEqual(outcome.record.status, LedgerImport.Status.REJECTED)
        self.assertEqual(
            [e.message for e in outcome.errors],
            [
                f"编号 {self.gift.number} 的问题在预览之后已被修改，本次未写入任何数据，请重新上传核对"
            ],
        )
        self.assertEqual(Problem.objects.count(), count)
        self.assertEqual(Problem.objects.get(pk=self.books.pk).progress, 60)
        self.assertFalse(AuditEvent.objects.filter(action="ledger.problem.reimport").exists())

    def test_a_row_previewed_as_new_that_is_registered_meanwhile_is_refused(self) -> None:
        record = self.preview(self.second_month())
        new = next(e for e in record.preview["rows"] if e["kind"] == "new")
        self.make_problem(
            title="食堂账目公示不及时",
            description="学校食堂收支账目未按月公示，家长委员会多次询问。",
        )
        outcome = do_apply_reimport(record, actor=self.county_admin, selected={new["key"]})
        self.assertEqual(
            [e.message for e in outcome.errors],
            ["本行的问题在预览之后已登记到台账，本次未写入任何数据，请重新上传核对"],
        )

    def test_the_same_ledger_as_xls_is_every_problem_unchanged(self) -> None:
        record = self.run_import(office_xls(first_month()), name="东城区3月台账.xls").record
        record.refresh_from_db()
        self.assertEqual(record.status, LedgerImport.Status.PREVIEW)
        self.assertEqual(
            sorted((e["problem"], e["kind"]) for e in record.preview["rows"]),
            sorted((p.pk, "unchanged") for p in (self.gift, self.fees, self.books, self.desk)),
        )
        with self.assertRaisesMessage(ValidationError, "请至少勾选一行要新增或更新的问题"):
            do_apply_reimport(
                record,
                actor=self.county_admin,
                selected={e["key"] for e in record.preview["rows"]},
            )

    def test_a_full_width_number_finds_its_problem_whatever_the_text_says(self) -> None:
        number = self.books.number.translate(FULL_WIDTH)
        self.assertNotEqual(number, self.books.number)
        books = row(
            编号=number,
            问题描述="三年级推荐教辅（已改写的描述）",
            整改进度="９０％",
            整改时限="2027年3月31日",
        )
        record = self.run_import(office_xlsx([books], layout=NUMBERED)).record
        (entry,) = record.preview["rows"]
        self.assertEqual((entry["problem"], entry["kind"]), (self.books.pk, "changed"))
        self.assertEqual(
            [(c["field"], c["before"], c["after"]) for c in entry["changes"]],
            [("progress", 60, 90)],
        )

    def test_progress_and_measures_are_never_set_back(self) -> None:
        problem = self.rectifying(description="四年级推荐学生订阅指定报刊。")
        self.finish_measures(problem)
        sent = row(
            问题描述="四年级推荐学生订阅指定报刊。",
            完成情况="未启动",
            整改进度="30%",
            整改时限=problem.deadline,
            原因分析=None,
            整改目标=None,
            是否建章立制=None,
            追责问责=None,
            责任领导=None,
        )
        record = self.preview([sent])
        (entry,) = record.preview["rows"]
        self.assertEqual(entry["kind"], "unchanged")

    def test_another_countys_school_and_problems_out_of_scope_are_errors(self) -> None:
        theirs = actions.check_create_problem(
            actor=self.bureau_admin,
            unit=self.other_school,
            list_kind=Problem.ListKind.LEADERSHIP,
            source=Problem.Source.SUPERVISION,
            category=self.category,
            title="违规征订教辅",
            description="高一年级统一征订教辅材料。",
            rectification_type=Problem.RectificationType.TIME_LIMITED,
            deadline=date(2027, 6, 30),
        )
        made_up = theirs.number[:-6] + "999999"
        outcome = self.run_import(
            office_xlsx(
                [
                    row(编号=theirs.number, 整改时限="2027年3月31日"),
                    row(编号=made_up, 整改时限="2027年3月31日"),
                    row(责任单位="西山县第一中学", 责任人=None, 配合单位=None, 序号=3),
                ],
                layout=NUMBERED,
            )
        )
        self.assertFalse(outcome.ok or outcome.preview)
        messages = {e.row: e.message for e in outcome.errors}
        template = "编号『{}』不是您管辖范围内的问题，或编号有误；新问题请将编号留空"
        # A problem of another county reads exactly as a number that does not exist.
        self.assertEqual(messages[5], template.format(theirs.number))
        self.assertEqual(messages[6], template.format(made_up))
        self.assertEqual(messages[7], "单位『西山县第一中学』不存在或不在您的管辖范围内")
        self.assertEqual(Problem.objects.get(pk=theirs.pk).updated_at, theirs.updated_at)

    def test_a_school_cannot_update_another_schools_problem_by_number(self) -> None:
        sent = row(
            编号=self.fees.number,
            责任单位="东城区实验小学",
            责任领导=None,
            配合单位=None,
            问题描述="初二年级以课后服务名义向学生收取资料费每人 80 元。",
            整改时限="2027年3月31日",
        )
        outcome = self.run_import(office_xlsx([sent], layout=NUMBERED), user=self.school_admin)
        self.assertEqual(
            [e.message for e in outcome.errors],
            [f"编号『{self.fees.number}』不是您管辖范围内的问题，或编号有误；新问题请将编号留空"],
        )

    def test_two_rows_of_one_problem_and_a_moved_unit_are_errors(self) -> None:
        books = first_month()[0]
        moved = row(编号=self.desk.number, 责任单位="东城区第二中学", 责任人=None, 配合单位=None)
        outcome = self.run_import(
            office_xlsx([books, {**books, "序号": 2}, moved], layout=NUMBERED)
        )
        messages = [(e.row, e.message) for e in outcome.errors]
        self.assertIn(
            (6, f"本行与第5行是同一个问题（编号 {self.books.number}），请删去重复的行"), messages
        )
        self.assertIn(
            (
                7,
                f"编号 {self.desk.number} 的问题责任单位是『东城区实验小学』，与本行不一致；"
                "更改责任单位请在系统中办理",
            ),
            messages,
        )

    def test_a_problem_withdrawn_and_registered_again_matches_the_live_one(self) -> None:
        actions.check_withdraw(self.fees, actor=self.bureau_admin, reason="重复登记")
        again = self.make_problem(
            unit=self.school2,
            responsible_person=None,
            description="初二年级以课后服务名义向学生收取资料费每人８０元",
        )
        record = self.run_import(office_xlsx([first_month()[2]])).record
        (entry,) = record.preview["rows"]
        self.assertEqual(entry["problem"], again.pk)

    def test_descriptions_compare_without_width_punctuation_or_spaces(self) -> None:
        self.assertEqual(
            normalise_text("家长反映学籍转接材料多次被退回，经办人态度生硬。"),
            normalise_text("家长反映 学籍转接材料多次被退回 , 经办人态度生硬"),
        )
        self.assertEqual(
            normalise_text("收取资料费８０元（ＡＢ班）"), normalise_text("收取资料费80元(ab班)")
        )
        self.assertNotEqual(normalise_text("收取资料费80元"), normalise_text("收取资料费60元"))


class ReimportPagesTestCase(ReimportBase):
    def upload(self, data: bytes, name: str) -> Any:
        return post_and_run(self, "/ledger/import/", {"file": SimpleUploadedFile(name, data)})

    def test_the_preview_page_lists_changes_and_the_confirmation_applies_the_ticked_rows(
        self,
    ) -> None:
        self.close_one()
        self.login(self.county_admin)
        page = self.upload(office_xlsx(self.second_month(), layout=MONTHLY), "东城区4月台账.xlsx")
        self.assertContains(page, "待确认更新")
        self.assertContains(page, "已销号，未更新")
        self.assertContains(page, "欧阳明轩")
        record = LedgerImport.objects.latest("id")
        entries = self.by_problem(record)
        page = post_and_run(
            self, f"/ledger/import/{record.pk}/apply/", {"row": [entries[self.books.pk]["key"]]}
        )
        self.assertContains(page, "已确认：新增 0 个问题，更新 1 个问题")
        self.assertEqual(Problem.objects.get(pk=self.books.pk).progress, 80)
        self.assertFalse(Problem.objects.filter(title="食堂账目公示不及时").exists())

    def test_a_group_box_applies_the_rows_not_listed(self) -> None:
        self.login(self.county_admin)
        self.upload(office_xlsx(self.second_month(), layout=MONTHLY), "东城区4月台账.xlsx")
        record = LedgerImport.objects.latest("id")
        # A long preview lists the first rows of each group; the group's box takes the rest.
        with mock.patch.object(excel_views, "SHOWN", 0):
            page = post_and_run(self, f"/ledger/import/{record.pk}/apply/", {"group": ["new"]})
        # The new problem and the row of the problem not closed in this test (new too).
        self.assertContains(page, "已确认：新增 2 个问题，更新 0 个问题")

    def test_another_school_cannot_see_or_confirm_the_preview(self) -> None:
        self.login(self.county_admin)
        self.upload(office_xlsx(self.second_month(), layout=MONTHLY), "东城区4月台账.xlsx")
        record = LedgerImport.objects.latest("id")
        self.login(self.other_school_admin)
        self.assertEqual(self.client.get(f"/ledger/import/{record.pk}/").status_code, 404)
        response = self.client.post(f"/ledger/import/{record.pk}/apply/", {"group": ["new"]})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(LedgerImport.objects.get(pk=record.pk).status, "preview")
