"""Evidence files behind third-party scores and discipline reviews: checked by content before
anything is written, scrubbed, downloaded only through the scoped selector (discipline files
as confidential as the comment), every upload and every opening audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from qingfeng.core.models import AuditEvent
from qingfeng.evaluation import actions
from qingfeng.evaluation.models import DisciplineReview, ScoreEvidence, ThirdPartyScore
from qingfeng.evaluation.tests.base import EvaluationCase
from qingfeng.lib.tests.test_scrub import JPEG, PNG


def photo(name: str = "食堂公示栏.jpg", data: bytes = JPEG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


class EvidenceTestCase(EvaluationCase):
    def setUp(self) -> None:
        self.round = self.open_round(area=self.county)

    def third_party(self, *files: SimpleUploadedFile) -> ThirdPartyScore:
        return actions.check_enter_third_party(
            self.round,
            actor=self.assessor,
            unit=self.school,
            indicator="规范收费",
            score="88",
            comment="收费公示栏未更新",
            evidence=list(files),
        )

    def discipline(self, *files: SimpleUploadedFile) -> DisciplineReview:
        return actions.check_enter_discipline(
            self.round,
            actor=self.inspector,
            unit=self.school,
            rating="fair",
            comment="副校长违规收受家长礼品，已立案",
            evidence=list(files),
        )

    def test_a_photo_is_kept_scrubbed_with_its_score_and_audited(self) -> None:
        entry = self.third_party(photo(), SimpleUploadedFile("评估记录.png", PNG))
        kept = list(entry.evidence.order_by("id"))
        self.assertEqual([e.content_type for e in kept], ["image/jpeg", "image/png"])
        data = kept[0].file.read()
        for secret in (b"GPSLatitude", b"OWNERTAG", b"iPhone"):
            self.assertNotIn(secret, data)
        self.assertNotIn("食堂", kept[0].file.name)  # stored under a generated name
        self.assertEqual(kept[0].original_name, "食堂公示栏.jpg")
        event = AuditEvent.objects.filter(action="evaluation.third_party.enter").latest("id")
        assert event.after is not None
        self.assertEqual(
            [e["name"] for e in event.after["evidence"]], ["食堂公示栏.jpg", "评估记录.png"]
        )

    def test_a_wrong_file_refuses_the_whole_entry(self) -> None:
        fake = SimpleUploadedFile("检查表.pdf", b"MZ\x90\x00 not a pdf")
        with self.assertRaises(ValidationError) as caught:
            self.third_party(photo(), fake)
        self.assertIn("内容与扩展名不符", str(caught.exception))
        with self.assertRaisesMessage(ValidationError, "不支持的文件类型"):
            self.third_party(SimpleUploadedFile("说明.exe", b"MZ"))
        with self.assertRaisesMessage(ValidationError, "最多上传 6 个"):
            self.third_party(*[photo(f"{i}.jpg") for i in range(7)])
        self.assertFalse(ThirdPartyScore.objects.exists())
        self.assertFalse(ScoreEvidence.objects.exists())

    def test_the_office_and_county_open_it_the_school_only_after_publication(self) -> None:
        evidence = self.third_party(photo()).evidence.get()
        url = reverse("evaluation:evidence", args=[evidence.pk])
        for user in (self.office_user, self.county_admin, self.assessor):
            self.login(user)
            response = self.client.get(url)
            self.assertEqual(response.status_code, 200, user)
            self.assertEqual(response["X-Content-Type-Options"], "nosniff")
            self.assertIn("attachment", response["Content-Disposition"])
        self.login(self.school_admin)
        self.assertEqual(self.client.get(url).status_code, 404)  # not before publication
        self.login(self.other_school_admin)
        self.assertEqual(self.client.get(url).status_code, 404)
        actions.check_close_round(self.round, actor=self.office_user)
        actions.check_publish_round(self.round, actor=self.office_user)
        self.login(self.school_admin)
        self.assertEqual(self.client.get(url).status_code, 200)
        page = self.client.get(reverse("evaluation:unit", args=[self.round.pk, self.school.pk]))
        self.assertContains(page, "食堂公示栏.jpg")
        opened = AuditEvent.objects.filter(action="evaluation.evidence.download")
        self.assertEqual(opened.count(), 4)
        self.assertEqual(opened.latest("id").actor, self.school_admin)

    def test_discipline_evidence_is_as_confidential_as_the_comment(self) -> None:
        evidence = self.discipline(photo("谈话记录.jpg")).evidence.get()
        url = reverse("evaluation:evidence", args=[evidence.pk])
        unit_page = reverse("evaluation:unit", args=[self.round.pk, self.school.pk])
        for user in (self.inspector, self.office_user):
            self.login(user)
            self.assertEqual(self.client.get(url).status_code, 200)
            self.assertContains(self.client.get(unit_page), "谈话记录.jpg")
        actions.check_close_round(self.round, actor=self.office_user)
        actions.check_publish_round(self.round, actor=self.office_user)
        for user in (self.school_admin, self.county_admin):  # the county is no inspector
            self.login(user)
            self.assertEqual(self.client.get(url).status_code, 404, user)
            self.assertNotContains(self.client.get(unit_page), "谈话记录")
        event = AuditEvent.objects.filter(action="evaluation.discipline.enter").get()
        self.assertNotIn("谈话记录", str(event.after))  # the names stay out of the trail
        opened = AuditEvent.objects.filter(action="evaluation.evidence.download").latest("id")
        self.assertNotIn("谈话记录", opened.object_repr)

    def test_the_unit_page_takes_files_with_the_score(self) -> None:
        self.login(self.assessor)
        url = reverse("evaluation:third_party", args=[self.round.pk, self.school.pk])
        response = self.client.post(
            url,
            {"indicator": "规范收费", "score": "９０", "comment": "", "evidence": [photo()]},
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(ThirdPartyScore.objects.get(evidence__isnull=False).score, 90)
        bad = self.client.post(
            url,
            {
                "indicator": "规范收费",
                "score": "80",
                "evidence": [SimpleUploadedFile("a.pdf", b"not a pdf")],
            },
        )
        self.assertContains(bad, "内容与扩展名不符", status_code=400)
        self.assertEqual(ThirdPartyScore.objects.count(), 1)
        self.login(self.inspector)
        response = self.client.post(
            reverse("evaluation:discipline", args=[self.round.pk, self.school.pk]),
            {"rating": "good", "comment": "", "evidence": [photo("记录.jpg")]},
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(ScoreEvidence.objects.filter(kind="discipline").count(), 1)

    def test_a_superseded_entry_keeps_its_files_off_the_page(self) -> None:
        self.third_party(photo("旧照片.jpg"))
        self.third_party()
        self.login(self.office_user)
        page = self.client.get(reverse("evaluation:unit", args=[self.round.pk, self.school.pk]))
        self.assertNotContains(page, "旧照片.jpg")
        self.assertEqual(ScoreEvidence.objects.count(), 1)  # kept, never deleted
