"""The attachment rules on their own, without any app's model: type by content, size limit,
scrubbing, generated names, and the download response."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory, SimpleTestCase

from qingfeng.core.attachments import (
    MB,
    Attachment,
    AttachmentRules,
    MultipleFileField,
    body_too_large,
    download,
    storage_name,
)
from qingfeng.lib import filetypes
from qingfeng.lib.tests.test_scrub import PNG

PHOTOS = AttachmentRules(
    types=(filetypes.JPEG, filetypes.PNG),
    max_bytes=1 * MB,
    unsupported="只收照片：%(name)s",
)


class _KeptFile:
    """Stands in for a model's file field: remembers what would have been stored."""

    name = ""
    data = b""

    def save(self, name: str, content: File[Any], save: bool = True) -> None:
        self.name, self.data = name, content.read()


def attach(rules: AttachmentRules, upload: SimpleUploadedFile) -> Any:
    attachment = SimpleNamespace(file=_KeptFile())
    rules.attach(cast(Attachment, attachment), upload, content_type=rules.check(upload))
    return attachment


class CheckTestCase(SimpleTestCase):
    def test_a_file_whose_extension_lies_is_refused_by_its_content(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            PHOTOS.check(SimpleUploadedFile("photo.jpg", PNG))
        self.assertEqual(caught.exception.messages, ["文件 photo.jpg 的内容与扩展名不符"])
        with self.assertRaises(ValidationError):
            PHOTOS.check(SimpleUploadedFile("photo.png", b"MZ\x90\x00 a program"))

    def test_the_type_comes_from_the_content_the_name_claims(self) -> None:
        upload = SimpleUploadedFile("截图.PNG", PNG, content_type="application/octet-stream")
        self.assertEqual(PHOTOS.check(upload), "image/png")
        self.assertEqual(upload.read(), PNG)  # read from the start again by whoever stores it

    def test_other_types_get_the_rules_own_refusal(self) -> None:
        for name in ("notes.pdf", "no-extension", "photo."):
            with self.assertRaises(ValidationError) as caught:
                PHOTOS.check(SimpleUploadedFile(name, b"%PDF-1.4"))
            self.assertEqual(caught.exception.messages, [f"只收照片：{name}"])

    def test_a_file_over_the_limit_is_refused_with_the_limit(self) -> None:
        big = SimpleUploadedFile("big.png", PNG + bytes(MB))
        with self.assertRaises(ValidationError) as caught:
            PHOTOS.check(big)
        self.assertEqual(caught.exception.messages, ["文件 big.png 超过 1 MB"])
        PHOTOS.check(SimpleUploadedFile("fits.png", PNG + bytes(MB - len(PNG))))

    def test_a_form_may_word_the_refusals_its_own_way(self) -> None:
        rules = AttachmentRules(
            types=(filetypes.XLSX,),
            max_bytes=MB,
            unsupported="请上传工作簿",
            too_large="不能超过 %(mb)d MB",
            mismatch="%(name)s 不是工作簿",
        )
        for upload, message in (
            (SimpleUploadedFile("a.xls", b"PK\x03\x04"), "请上传工作簿"),
            (SimpleUploadedFile("a.xlsx", b"PK\x03\x04" + bytes(MB)), "不能超过 1 MB"),
            (SimpleUploadedFile("a.xlsx", b"<html>"), "a.xlsx 不是工作簿"),
        ):
            with self.assertRaises(ValidationError) as caught:
                rules.check(upload)
            self.assertEqual(caught.exception.messages, [message])


class AttachTestCase(SimpleTestCase):
    def test_a_png_with_exif_gps_is_kept_without_it(self) -> None:
        self.assertIn(b"GPS", PNG)
        kept = attach(PHOTOS, SimpleUploadedFile("现场.png", PNG))
        self.assertNotIn(b"GPS", kept.file.data)
        self.assertNotIn(b"OWNERTAG", kept.file.data)
        self.assertIn(b"IDAT", kept.file.data)
        # Size and digest are of the bytes as kept, not as uploaded.
        self.assertEqual(kept.size, len(kept.file.data))
        self.assertEqual(kept.sha256, hashlib.sha256(kept.file.data).hexdigest())
        self.assertEqual((kept.original_name, kept.content_type), ("现场.png", "image/png"))

    def test_rules_that_do_not_scrub_keep_the_upload_as_it_came(self) -> None:
        rules = AttachmentRules(types=(filetypes.PNG,), max_bytes=MB, unsupported="", scrub=False)
        kept = attach(rules, SimpleUploadedFile("现场.png", PNG))
        self.assertEqual(kept.file.data, PNG)
        self.assertEqual(kept.sha256, hashlib.sha256(PNG).hexdigest())

    def test_the_file_is_stored_under_a_generated_name(self) -> None:
        kept = attach(PHOTOS, SimpleUploadedFile("家长 张三.PNG", PNG))
        self.assertRegex(kept.file.name, r"^[0-9a-f]{32}\.png$")
        self.assertEqual(kept.original_name, "家长 张三.PNG")  # shown, never a path
        self.assertNotEqual(storage_name(".png"), storage_name(".png"))
        self.assertRegex(storage_name(""), r"^[0-9a-f]{32}$")


class DownloadTestCase(SimpleTestCase):
    def test_it_is_a_download_of_the_checked_type_under_the_name_it_came_with(self) -> None:
        attachment = SimpleNamespace(
            file=ContentFile(PNG), original_name="现场 照片.png", content_type="image/png"
        )
        response = download(cast(Attachment, attachment))
        self.assertEqual(b"".join(response.streaming_content), PNG)  # type: ignore[arg-type]
        self.assertEqual(response["Content-Type"], "image/png")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertTrue(response["Content-Disposition"].startswith("attachment;"))
        self.assertIn("filename*=utf-8''%E7%8E%B0%E5%9C%BA", response["Content-Disposition"])


class MultipleFileFieldTestCase(SimpleTestCase):
    def test_it_cleans_to_a_list(self) -> None:
        field = MultipleFileField(required=False)
        files = [SimpleUploadedFile("a.png", PNG), SimpleUploadedFile("b.png", PNG)]
        self.assertEqual([f.name for f in field.clean(files)], ["a.png", "b.png"])
        self.assertEqual([f.name for f in field.clean(files[0])], ["a.png"])
        self.assertEqual(field.clean(None), [])


class BodySizeTestCase(SimpleTestCase):
    def test_the_declared_size_is_checked_before_the_body_is_read(self) -> None:
        factory = RequestFactory()
        for declared, too_large in (("1024", False), ("1025", True), ("", False), ("x", True)):
            request = factory.post("/", data=b"", content_type="application/octet-stream")
            request.META["CONTENT_LENGTH"] = declared
            self.assertEqual(body_too_large(request, max_bytes=1024), too_large, declared)
