"""Unit QR codes and posters: what the code encodes, the images, the A4 PDF, who may print."""

from __future__ import annotations

import io
from typing import Any
from xml.etree import ElementTree

import segno
from django.test import RequestFactory, override_settings
from PIL import Image
from pypdf import PdfReader

from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.test_publicform import needs_font
from qingfeng.intake.models import TicketCategory
from qingfeng.intake.publicform import unit_report_url
from qingfeng.lib import qr
from qingfeng.orgs.models import Unit
from qingfeng.test import BaseTestCase, make_unit

A4 = (595.28, 841.89)


def pdf_text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


class PosterTestCase(BaseTestCase):
    def url_of(self, unit: Unit) -> str:
        return f"http://testserver/report/u/{unit.pk}/"

    def test_it_encodes_the_units_link_from_the_setting_or_the_request(self) -> None:
        request = RequestFactory().get("/intake/posters/", secure=True)
        self.assertEqual(
            unit_report_url(request, self.school),
            f"https://testserver/report/u/{self.school.pk}/",
        )
        with override_settings(QF_PUBLIC_BASE_URL="https://jyj.example.gov.cn"):
            self.assertEqual(
                unit_report_url(request, self.school),
                f"https://jyj.example.gov.cn/report/u/{self.school.pk}/",
            )

    def test_the_link_opens_the_form_with_the_unit_preset(self) -> None:
        response = self.client.get(f"/report/u/{self.school.pk}/")
        self.assertRedirects(
            response, f"/report/new/?unit={self.school.pk}", fetch_redirect_response=False
        )
        form = self.client.get(response["Location"])
        self.assertEqual(form.context["unit"], self.school)
        self.assertEqual(form.context["form"].initial["unit"], self.school.pk)

    def test_the_png_is_the_code_of_the_link(self) -> None:
        self.login(self.school_admin)
        response = self.client.get(f"/intake/posters/{self.school.pk}/qr.png")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/png")
        image = Image.open(io.BytesIO(response.content))
        self.assertEqual(image.format, "PNG")
        # segno cannot decode, so compare the pixels module by module with the code that
        # segno makes for the expected address (same options as the view).
        expected = segno.make(self.url_of(self.school), error="m", micro=False, boost_error=False)
        rows = [list(row) for row in expected.matrix_iter(scale=1, border=4)]
        self.assertEqual(image.size, (len(rows) * 10, len(rows) * 10))
        grey = image.convert("L")
        seen = [
            [grey.getpixel((c * 10 + 5, r * 10 + 5)) == 0 for c in range(len(rows))]
            for r in range(len(rows))
        ]
        self.assertEqual(seen, [[bool(v) for v in row] for row in rows])

    def test_the_svg_is_a_scalable_image_of_the_code(self) -> None:
        self.login(self.school_admin)
        response = self.client.get(f"/intake/posters/{self.school.pk}/qr.svg")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/svg+xml")
        root = ElementTree.fromstring(response.content)  # noqa: S314 - our own output
        self.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg")
        side = qr.make_code(self.url_of(self.school)).symbol_size(scale=1, border=4)[0]
        self.assertEqual(root.get("width"), f"{side}mm")
        self.assertEqual(root.get("height"), f"{side}mm")

    @needs_font
    def test_the_poster_is_one_a4_page_with_the_unit_name_in_an_embedded_font(self) -> None:
        self.login(self.school_admin)
        response = self.client.get(f"/intake/posters/{self.school.pk}/poster.pdf")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        reader = PdfReader(io.BytesIO(response.content))
        self.assertEqual(len(reader.pages), 1)
        box = reader.pages[0].mediabox
        self.assertAlmostEqual(float(box.width), A4[0], places=1)
        self.assertAlmostEqual(float(box.height), A4[1], places=1)
        resources: Any = reader.pages[0]["/Resources"]
        fonts = resources["/Font"]
        descriptors = [f.get_object()["/FontDescriptor"].get_object() for f in fonts.values()]
        self.assertTrue(descriptors)
        for descriptor in descriptors:
            self.assertIn("/FontFile2", descriptor)  # TrueType outlines in the file
            self.assertRegex(str(descriptor["/FontName"]), r"^/[A-Z]{6}\+")  # a subset
        text = pdf_text(reader)
        self.assertIn("东城区实验小学", text)
        self.assertIn("作风建设直通车", text)
        self.assertIn(self.url_of(self.school), text)
        self.assertIn("匿名可选", text)
        self.assertIn("清河市教育局", text)  # the bureau that runs the channel
        self.assertNotIn("监督热线", text)

    @needs_font
    def test_the_deadlines_and_the_hotline_come_from_the_configuration(self) -> None:
        TicketCategory.objects.update(accept_days=2, reply_days=10)
        first = TicketCategory.objects.order_by("pk")[0]
        TicketCategory.objects.filter(pk=first.pk).update(reply_days=20)
        self.login(self.school_admin)
        with override_settings(QF_HOTLINE_NUMBER="0000-12345"):
            response = self.client.get(f"/intake/posters/{self.school.pk}/poster.pdf")
        text = pdf_text(PdfReader(io.BytesIO(response.content)))
        self.assertIn("监督热线：0000-12345", text)
        self.assertIn("受理 2 个工作日", text)
        self.assertIn("办结 10–20 个工作日", text)

    def test_a_school_admin_gets_only_their_own_schools_codes(self) -> None:
        self.login(self.school_admin)
        for suffix in ("qr.png", "qr.svg", "poster.pdf"):
            url = f"/intake/posters/{self.other_school.pk}/{suffix}"
            self.assertEqual(self.client.get(url).status_code, 404, url)
            url = f"/intake/posters/{self.school2.pk}/{suffix}"
            self.assertEqual(self.client.get(url).status_code, 404, url)
        page = self.client.get("/intake/posters/")
        self.assertEqual([u.pk for u in page.context["page"]], [self.school.pk])

    def test_a_county_admin_gets_the_county_and_its_schools_only(self) -> None:
        self.login(self.county_admin)
        page = self.client.get("/intake/posters/")
        self.assertEqual(
            {u.pk for u in page.context["page"]}, {self.county.pk, self.school.pk, self.school2.pk}
        )
        self.assertEqual(
            self.client.get(f"/intake/posters/{self.school2.pk}/qr.png").status_code, 200
        )
        self.assertEqual(
            self.client.get(f"/intake/posters/{self.other_school.pk}/qr.png").status_code, 404
        )

    def test_the_bureau_filters_by_county_and_name(self) -> None:
        self.login(self.bureau_admin)
        page = self.client.get("/intake/posters/", {"under": self.other_county.pk})
        self.assertEqual(
            [u.pk for u in page.context["page"]], [self.other_county.pk, self.other_school.pk]
        )
        page = self.client.get("/intake/posters/", {"q": "第二中学"})
        self.assertEqual([u.pk for u in page.context["page"]], [self.school2.pk])

    def test_people_without_a_poster_role_are_refused(self) -> None:
        for user in (self.teacher, self.supervisor, self.auditor):
            self.login(user)
            self.assertEqual(self.client.get("/intake/posters/").status_code, 403)
            self.assertEqual(
                self.client.get(f"/intake/posters/{self.school.pk}/qr.png").status_code, 403
            )
        self.client.logout()
        response = self.client.get(f"/intake/posters/{self.school.pk}/poster.pdf")
        self.assertEqual(response.status_code, 302)

    @needs_font
    def test_print_all_gives_one_page_per_unit_and_is_audited(self) -> None:
        self.login(self.county_admin)
        response = self.client.get("/intake/posters/print/", {"under": self.county.pk})
        self.assertEqual(response["Content-Type"], "application/pdf")
        reader = PdfReader(io.BytesIO(response.content))
        self.assertEqual(len(reader.pages), 3)
        names = [page.extract_text() for page in reader.pages]
        self.assertIn("东城区教育局", names[0])
        self.assertIn("东城区实验小学", names[1])
        self.assertIn("东城区第二中学", names[2])
        event = AuditEvent.objects.get(action="intake.posters.print")
        self.assertEqual(event.actor, self.county_admin)
        self.assertEqual(event.unit, self.county)
        self.assertEqual(
            (event.after or {})["unit_ids"], [self.county.pk, self.school.pk, self.school2.pk]
        )

    def test_print_all_refuses_more_than_the_cap_and_records_nothing(self) -> None:
        self.login(self.bureau_admin)
        with override_settings(QF_POSTER_BULK_MAX=3):
            response = self.client.get("/intake/posters/print/")
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "一次最多打印 3 张海报", status_code=400)
        self.assertFalse(AuditEvent.objects.filter(action="intake.posters.print").exists())
        response = self.client.get("/intake/posters/print/", {"q": "没有这个单位"})
        self.assertContains(response, "没有符合条件的单位", status_code=400)

    def test_without_a_chinese_font_the_poster_is_refused_with_what_to_install(self) -> None:
        self.login(self.school_admin)
        with override_settings(QF_POSTER_FONT="/nonexistent/qingfeng-poster-font.ttf"):
            response = self.client.get(f"/intake/posters/{self.school.pk}/poster.pdf")
            self.assertEqual(response.status_code, 503)
            self.assertTrue(response["Content-Type"].startswith("text/html"))
            self.assertContains(response, "fonts-wqy-microhei", status_code=503)
            self.assertContains(response, "QF_POSTER_FONT", status_code=503)
            # The images need no font.
            png = self.client.get(f"/intake/posters/{self.school.pk}/qr.png")
            self.assertEqual(png.status_code, 200)
            bulk = self.client.get("/intake/posters/print/")
            self.assertEqual(bulk.status_code, 503)
        self.assertFalse(AuditEvent.objects.filter(action="intake.posters.print").exists())

    @needs_font
    def test_a_name_the_font_cannot_show_is_refused_not_printed_as_boxes(self) -> None:
        odd = make_unit("东城区\U000f0001学校", Unit.Kind.SCHOOL, self.county, "S0099")
        self.login(self.county_admin)
        response = self.client.get(f"/intake/posters/{odd.pk}/poster.pdf")
        self.assertEqual(response.status_code, 503)
        self.assertContains(response, "海报字体缺少这些字符", status_code=503)
