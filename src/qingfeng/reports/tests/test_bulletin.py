"""The monthly bulletin: its figures are the month's data as the registered sources give them,
kept as a snapshot that the document is made from (the document's table equals it); it
conforms to GB/T 9704; an upload that is not a .docx is refused; a leader approves only a
conforming text; issuing notifies the units below; another school never sees a draft."""

from __future__ import annotations

import io
import subprocess
import tempfile
import unittest
from datetime import datetime
from pathlib import Path

import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from docx import Document
from docx.shared import Mm

from qingfeng.core.models import Notification
from qingfeng.learning import actions as learning
from qingfeng.learning.models import Case, SessionType
from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger.tests.objects import rectifying
from qingfeng.lib import gbt9704
from qingfeng.reports import actions, compose, render
from qingfeng.reports.models import Bulletin, BulletinVersion
from qingfeng.reports.tests.base import NOVEMBER, BulletinCase


def docx_upload(data: bytes, name: str = "修改稿.docx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


class BulletinTestCase(BulletinCase):
    def test_its_figures_are_the_months_data_and_the_document_shows_them(self) -> None:
        with time_machine.travel("2026-11-10 10:00 +0800", tick=False):
            self.problem(self.school)
            self.problem(self.school2)
        with time_machine.travel("2026-10-20 10:00 +0800", tick=False):
            self.problem(self.school)  # October's: not this month's
        bulletin = self.draft()
        snapshot = bulletin.snapshot
        self.assertEqual(snapshot["totals"]["problems_new"], 2)
        self.assertEqual(snapshot["totals"]["problems_new_leadership"], 2)
        self.assertEqual(snapshot["totals"]["problems_open"], 3)
        county = next(c for c in snapshot["counties"] if c["id"] == self.county.pk)
        self.assertEqual(county["figures"]["problems_new"], 2)
        self.assertEqual(snapshot["units"][str(self.school.pk)]["problems_new"], 1)
        version = bulletin.versions.get()
        doc = Document(version.file.open("rb"))
        table = doc.tables[0]
        shown = [[cell.text for cell in row.cells] for row in table.rows[1:]]
        self.assertEqual(shown, compose.county_rows(snapshot))
        text = "\n".join(p.text for p in doc.paragraphs)
        for line in compose.overview(snapshot):
            self.assertIn(line, text)
        self.assertEqual(version.deviations, [])

    def publish_case(self, when: str, **fields: str) -> Case:
        with time_machine.travel(when, tick=False):
            case = learning.check_enter_case(actor=self.county_admin, owner=self.county, **fields)
            learning.check_submit_case(case, actor=self.county_admin)
            return learning.check_decide_case(case, actor=self.bureau_admin, action="approve")

    def test_the_months_typical_problems_are_listed_with_their_cases(self) -> None:
        with time_machine.travel("2026-11-16 10:00 +0800", tick=False):
            problem = rectifying(self)
            ledger_actions.check_request_closure(problem, actor=self.teacher, text="已退回费用")
            ledger_actions.check_verify(
                problem, verifier=self.county_admin, outcome="approved", comment="同意销号"
            )
            problem.refresh_from_db()
            proposed = learning.check_propose_case(
                problem, actor=self.office_user, owner=self.bureau
            )
            learning.check_edit_case(
                proposed, actor=self.office_user, category=Case.Category.MATERIALS,
                outcome="责令退回全部费用，对当事教师批评教育。",
                lessons="教辅材料须按规定自愿征订，严禁推荐指定教辅。",
            )  # fmt: skip
            learning.check_submit_case(proposed, actor=self.office_user)
            learning.check_decide_case(proposed, actor=self.bureau_admin, action="approve")
        entered = self.publish_case(
            "2026-11-25 15:00 +0800",
            title="某中学违规组织学生有偿补课",
            facts="某中学教师在暑期组织本班学生到校外机构有偿补课，收取费用。",
            outcome="退还全部费用，当事教师年度考核定为不合格。",
            lessons="在职教师有偿补课屡禁不止，学校要落实主体责任。",
            category=Case.Category.TUTORING,
            level=Case.Level.LOCAL,
        )
        self.publish_case(
            "2026-10-20 15:00 +0800",
            title="十月入库的案例",
            facts="某校违规收费。",
            category=Case.Category.FEES,
            level=Case.Level.LOCAL,
        )  # October's: not this month's
        bulletin = self.draft()
        typical = bulletin.snapshot["typical"]
        # The one made from a closed problem first, then the one the county entered.
        self.assertEqual([c["title"] for c in typical], ["违规推荐教辅材料", entered.title])
        first = typical[0]
        self.assertEqual(first["origin"], "整改台账问题")
        self.assertEqual(first["category"], "教辅材料违规征订")
        self.assertEqual(typical[1]["case"], entered.number)
        self.assertEqual(typical[1]["origin"], "")
        doc = Document(bulletin.versions.get().file.open("rb"))
        text = [p.text for p in doc.paragraphs]
        self.assertIn("三、典型问题", text)
        self.assertIn("（一）违规推荐教辅材料", text)
        self.assertIn(f"（二）{entered.title}", text)
        self.assertIn(f"（校外培训隐形变异，典型案例库编号 {entered.number}）", text)
        self.assertIn("警示：教辅材料须按规定自愿征订，严禁推荐指定教辅。", text)
        # The section comes between the counties and the praise.
        self.assertLess(text.index("二、各县区情况"), text.index("三、典型问题"))
        self.assertLess(text.index("三、典型问题"), text.index("五、表扬"))
        self.assertEqual(bulletin.versions.get().deviations, [])
        # The bulletin's page lists them too, each linked to its case in the library.
        self.login(self.office_user)
        page = self.client.get(reverse("reports:bulletin", args=[bulletin.pk]))
        self.assertContains(page, f'<a href="/learning/cases/{entered.pk}/">{entered.title}</a>')
        self.assertContains(page, f"典型案例库编号 {entered.number}")
        answer = self.client.get(f"/api/reports/bulletins/{bulletin.pk}").json()
        self.assertEqual([c["case"] for c in answer["typical"]], [c["case"] for c in typical])
        self.login(self.school_admin)
        opened = self.client.get(f"/learning/cases/{entered.pk}/")
        self.assertContains(opened, entered.title)

    def test_a_month_without_new_cases_says_so(self) -> None:
        bulletin = self.draft()
        self.assertEqual(bulletin.snapshot["typical"], [])
        text = [p.text for p in Document(bulletin.versions.get().file.open("rb")).paragraphs]
        index = text.index("三、典型问题")
        self.assertEqual(text[index + 1], "本月无新入库的典型问题案例。")

    def test_study_and_supervision_have_their_own_sentences(self) -> None:
        with time_machine.travel("2026-11-02 09:00 +0800", tick=False):
            session = learning.check_plan_session(
                actor=self.school_admin,
                unit=self.school,
                type=SessionType.objects.get(code="warning"),
                starts_at=datetime.fromisoformat("2026-11-05 15:00+08:00"),
                place="学校会议室",
                chair="韩国栋",
                topic="以案为鉴，警钟长鸣",
            )
        with time_machine.travel("2026-11-06 17:00 +0800", tick=False):
            learning.check_hold_session(session, actor=self.school_admin, minutes="观看警示教育片")
        bulletin = self.draft()
        t = bulletin.snapshot["totals"]
        self.assertEqual(t["sessions_held"], 1)
        text = [p.text for p in Document(bulletin.versions.get().file.open("rb")).paragraphs]
        overview = text[text.index("一、总体情况") + 1 : text.index("二、各县区情况")]
        study = next(line for line in overview if line.startswith("学习教育"))
        self.assertIn(
            f"学习教育举行学习 1 次，应到 {t['attendance_expected']} 人次（除请假），出席 "
            f"{t.get('attendance_attended', 0)} 人次，出席率 "
            f"{compose.rate(t.get('attendance_attended', 0), t['attendance_expected'])}",
            study,
        )
        self.assertTrue(any(line.startswith("开展督导（四不两直）0 次") for line in overview))
        # Not listed again, as bare labels, under 其他工作.
        self.assertFalse(
            any(line.startswith("学习教育：") or "督导（四不两直）次数" in line for line in text)
        )

    def test_a_later_change_does_not_change_an_archived_bulletin(self) -> None:
        bulletin = self.draft()
        with time_machine.travel("2026-11-12 10:00 +0800", tick=False):
            self.problem(self.school)  # entered late, dated in November
        bulletin.refresh_from_db()
        self.assertEqual(bulletin.snapshot["totals"].get("problems_new", 0), 0)

    def test_bad_input_is_refused_and_nothing_is_written(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            self.draft(number="清教作[2026]12号")
        self.assertIn("发文字号格式", str(caught.exception))
        with self.assertRaises(ValidationError):
            actions.check_create_bulletin(
                actor=self.school_admin,
                issuer=self.bureau,
                month=NOVEMBER,
                number="清教作〔2026〕12号",
                addressees="各县区教育局",
            )
        self.assertFalse(Bulletin.objects.exists())
        bulletin = self.draft()
        with self.assertRaises(ValidationError):
            self.draft()  # the same number again
        with self.assertRaises(ValidationError) as caught:
            actions.check_upload_edited(
                bulletin, actor=self.office_user, upload=docx_upload(b"%PDF-1.7", "通报.pdf")
            )
        self.assertIn(".docx", str(caught.exception))
        with self.assertRaises(ValidationError):
            actions.check_upload_edited(
                bulletin, actor=self.office_user, upload=docx_upload(b"PK\x03\x04broken")
            )
        bulletin.refresh_from_db()
        self.assertEqual((bulletin.status, bulletin.versions.count()), ("draft", 1))

    def test_an_edited_text_is_kept_and_checked_and_only_a_conforming_one_is_approved(self) -> None:
        bulletin = self.draft()
        doc = Document(bulletin.versions.get().file.open("rb"))
        doc.sections[0].top_margin = Mm(25)
        out = io.BytesIO()
        doc.save(out)
        version = actions.check_upload_edited(
            bulletin, actor=self.office_user, upload=docx_upload(out.getvalue())
        )
        self.assertEqual(version.kind, BulletinVersion.Kind.EDITED)
        self.assertIn("页面：天头应为 37 mm，实为 25.0 mm", version.deviations)
        with self.assertRaises(ValidationError) as caught:
            actions.check_approve_bulletin(bulletin, actor=self.leader)
        self.assertIn("天头", str(caught.exception))
        fixed = gbt9704.write(
            compose.document(
                snapshot=bulletin.snapshot,
                mark="清河市教育局文件",
                number=bulletin.number,
                title=bulletin.title,
                addressees=bulletin.addressees,
                copies_to=[],
                dated=NOVEMBER,
            )
        )
        actions.check_upload_edited(bulletin, actor=self.office_user, upload=docx_upload(fixed))
        with self.assertRaises(ValidationError):
            actions.check_approve_bulletin(bulletin, actor=self.office_user)  # not a leader
        actions.check_approve_bulletin(bulletin, actor=self.leader)
        actions.check_issue_bulletin(bulletin, actor=self.office_user)
        bulletin.refresh_from_db()
        self.assertEqual(bulletin.status, Bulletin.Status.ISSUED)
        notified = set(Notification.objects.values_list("recipient_id", flat=True))
        self.assertEqual(
            notified, {self.county_admin.pk, self.school_admin.pk, self.other_school_admin.pk}
        )
        self.assertEqual(
            list(bulletin.events.order_by("id").values_list("action", flat=True)),
            ["create", "edit", "edit", "approve", "issue"],
        )

    def test_drafts_are_the_bureaus_and_issued_ones_everyones(self) -> None:
        bulletin = self.draft()
        url = reverse("reports:bulletin", args=[bulletin.pk])
        self.assertEqual(self.login(self.school_admin).get(url).status_code, 404)
        page = self.login(self.office_user).get(url)
        self.assertContains(page, "符合公文格式")
        download = self.client.get(
            reverse("reports:docx", args=[bulletin.pk, bulletin.versions.get().pk])
        )
        self.assertEqual(download.status_code, 200)
        actions.check_approve_bulletin(bulletin, actor=self.leader)
        with self.captureOnCommitCallbacks(execute=False):
            actions.check_issue_bulletin(bulletin, actor=self.office_user)
        self.assertContains(self.login(self.other_school_admin).get(url), bulletin.number)

    def test_the_command_checks_a_file(self) -> None:
        bulletin = self.draft()
        out = io.StringIO()
        call_command("check_gbt9704", bulletin.versions.get().file.path, stdout=out)
        self.assertIn("符合", out.getvalue())
        with tempfile.TemporaryDirectory() as folder:
            broken = Path(folder) / "broken.docx"
            doc = Document(bulletin.versions.get().file.open("rb"))
            doc.sections[0].left_margin = Mm(20)
            doc.save(str(broken))
            with self.assertRaises(SystemExit) as exit_:
                call_command("check_gbt9704", str(broken), stdout=out)
            self.assertEqual(exit_.exception.code, 1)
        self.assertIn("订口应为 28 mm", out.getvalue())


@unittest.skipUnless(render.soffice(), "LibreOffice is not installed (libreoffice-writer-nogui)")
class RenderTestCase(BulletinCase):
    def test_the_bulletin_renders_to_pdf_and_png(self) -> None:
        bulletin = self.draft(signer="张明远")
        self.assertEqual(bulletin.versions.get().deviations, [])
        version = bulletin.versions.get()
        actions.render_pdf({"version_id": version.pk})
        version.refresh_from_db()
        self.assertTrue(version.pdf.name)
        data = version.pdf.open("rb").read()
        self.assertTrue(data.startswith(b"%PDF"))
        folder = Path(version.pdf.path).parent
        subprocess.run(  # noqa: S603
            ["pdftoppm", "-r", "50", "-png", version.pdf.path, str(folder / "bulletin")],  # noqa: S607
            check=True,
            timeout=60,
        )
        self.assertTrue(list(folder.glob("bulletin-*.png")))
