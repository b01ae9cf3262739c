"""The implementation plan as a document: the campaign's own (专项工作实施方案) given by its
owner's office and read wherever the campaign is seen, a unit's own (具体实施方案) submitted
with its file for approval — a Word file or a PDF only, refused in Chinese with nothing
kept; audited."""

from __future__ import annotations

import io
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from docx import Document

from qingfeng.campaigns import actions, files
from qingfeng.campaigns.models import CampaignFile, UnitPlan
from qingfeng.campaigns.tests.base import CampaignCase
from qingfeng.core.models import AuditEvent
from qingfeng.test import OwnMedia


def docx(name: str, text: str) -> SimpleUploadedFile:
    doc = Document()
    doc.add_paragraph(text)
    doc.core_properties.author = "欧阳晓燕"
    out = io.BytesIO()
    doc.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def spreadsheet() -> SimpleUploadedFile:
    return SimpleUploadedFile("实施方案.xlsx", b"PK\x03\x04" + b"\x00" * 40)


class CampaignPlanTestCase(OwnMedia, CampaignCase):
    def test_the_office_gives_the_campaigns_plan_and_every_unit_below_reads_it(self) -> None:
        url = reverse("campaigns:file_upload", args=["campaign", self.campaign.pk])
        page = self.login(self.office_user).post(
            url, {"file": docx("深入贯彻八项规定精神学习教育实施方案.docx", "一、总体要求")}
        )
        self.assertRedirects(page, reverse("campaigns:detail", args=[self.campaign.pk]))
        row = CampaignFile.objects.get(kind=CampaignFile.Kind.CAMPAIGN)
        self.assertEqual((row.campaign, row.unit), (self.campaign, self.bureau))
        self.assertEqual(Document(row.file.open("rb")).core_properties.author, "")
        self.assertTrue(
            AuditEvent.objects.filter(action="campaigns.file.upload", object_id=str(row.pk))
        )
        detail = self.login(self.school_admin).get(
            reverse("campaigns:detail", args=[self.campaign.pk])
        )
        self.assertContains(detail, "深入贯彻八项规定精神学习教育实施方案.docx")
        self.assertNotContains(detail, url)  # a school does not give the bureau's plan
        for user in (self.school_admin, self.other_school_admin, self.teacher):
            response = self.login(user).get(reverse("campaigns:file", args=[row.pk]))
            self.assertEqual(response.status_code, 200, user)

    def test_a_county_campaigns_plan_stays_in_the_county(self) -> None:
        county_campaign = actions.check_create_campaign(
            actor=self.county_admin,
            owner=self.county,
            name="东城区师德师风专项整治",
            starts_on=date(2026, 10, 1),
            ends_on=date(2026, 12, 31),
        )
        row = files.check_attach_file(
            county_campaign,
            actor=self.county_admin,
            upload=SimpleUploadedFile("东城区实施方案.pdf", b"%PDF-1.4\n%%EOF\n"),
        )
        url = reverse("campaigns:file", args=[row.pk])
        self.assertEqual(self.login(self.school_admin).get(url).status_code, 200)
        self.assertEqual(self.login(self.other_school_admin).get(url).status_code, 404)

    def test_a_plan_that_is_not_a_document_is_refused_in_chinese(self) -> None:
        for upload, message in (
            (
                SimpleUploadedFile("方案照片.jpg", b"\xff\xd8\xff" + b"\x00" * 40),
                "实施方案须为 Word（.docx）或 PDF 文件，不能上传 方案照片.jpg",
            ),
            (SimpleUploadedFile("实施方案.docx", b"%PDF-1.4\n"), "不是 Word（.docx）或 PDF"),
        ):
            with self.subTest(name=upload.name), self.assertRaises(ValidationError) as caught:
                files.check_attach_file(self.campaign, actor=self.office_user, upload=upload)
            self.assertIn(message, caught.exception.messages[0])
        with self.assertRaisesMessage(ValidationError, "只有牵头单位的管理员或专项办"):
            files.check_attach_file(
                self.campaign,
                actor=self.county_admin,
                upload=SimpleUploadedFile("方案.pdf", b"%PDF-1.4\n%%EOF\n"),
            )
        self.assertFalse(CampaignFile.objects.exists())


class UnitPlanDocumentTestCase(OwnMedia, CampaignCase):
    def test_a_school_submits_its_plan_with_its_document(self) -> None:
        url = reverse("campaigns:plan_submit", args=[self.campaign.pk])
        page = self.login(self.school_admin).post(
            url,
            {
                "points": "成立专班，每月一次校长接待日，教辅征订全面自查",
                "file": docx("东城实小具体实施方案.docx", "一、工作目标"),
            },
        )
        self.assertRedirects(page, reverse("campaigns:detail", args=[self.campaign.pk]))
        plan = UnitPlan.objects.get(unit=self.school)
        self.assertEqual(plan.status, UnitPlan.Status.SUBMITTED)
        self.assertEqual(
            list(plan.files.values_list("original_name", flat=True)),
            ["东城实小具体实施方案.docx"],
        )
        review = self.login(self.county_admin).get(reverse("campaigns:plan", args=[plan.pk]))
        self.assertContains(review, "东城实小具体实施方案.docx")

    def test_a_plan_with_a_spreadsheet_is_refused_and_nothing_is_submitted(self) -> None:
        page = self.login(self.school_admin).post(
            reverse("campaigns:plan_submit", args=[self.campaign.pk]),
            {"points": "成立专班，每月一次校长接待日", "file": spreadsheet()},
        )
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "实施方案须为 Word（.docx）或 PDF 文件")
        self.assertFalse(UnitPlan.objects.exists())
        self.assertFalse(CampaignFile.objects.exists())


class PlanApiTestCase(OwnMedia, CampaignCase):
    def test_the_plan_through_the_api(self) -> None:
        office = self.login(self.office_user)
        url = f"/api/campaigns/{self.campaign.pk}/plan/files"
        given = office.post(url, {"file": docx("学习教育实施方案.docx", "一、总体要求")})
        self.assertEqual(given.status_code, 201, given.content)
        self.assertEqual(given.json()["name"], "学习教育实施方案.docx")
        refused = office.post(url, {"file": spreadsheet()})
        self.assertEqual(refused.status_code, 400)
        self.assertIn("实施方案须为 Word（.docx）或 PDF 文件", refused.json()["detail"])
        school = self.login(self.school_admin)
        self.assertEqual(school.post(url, {"file": docx("代传.docx", "代传")}).status_code, 400)
        read = school.get(f"/api/campaigns/{self.campaign.pk}/plan").json()
        self.assertEqual([f["name"] for f in read["files"]], ["学习教育实施方案.docx"])
        self.assertEqual(school.get(read["files"][0]["url"]).status_code, 200)
        self.assertEqual(CampaignFile.objects.count(), 1)
