"""The list rows' choice labels (`{{ p|choice_label:"status" }}`, core/templatetags/qf_labels.py)
show what `get_status_display` shows, in the active language, translated once per process."""

from __future__ import annotations

from django.template import Context, Template
from django.test import SimpleTestCase
from django.utils import translation

from qingfeng.core.models import Job


class ChoiceLabelTestCase(SimpleTestCase):
    def test_the_same_as_get_display_in_each_language(self) -> None:
        template = Template('{% load qf_labels %}{{ job|choice_label:"status" }}')
        for language in ("zh-hans", "en"):
            with translation.override(language):
                for status in Job.Status:
                    job = Job(status=status)
                    self.assertEqual(
                        template.render(Context({"job": job})), job.get_status_display()
                    )
        with translation.override("en"):
            self.assertEqual(template.render(Context({"job": Job(status="done")})), "Done")
        with translation.override("zh-hans"):
            self.assertEqual(template.render(Context({"job": Job(status="done")})), "已完成")

    def test_a_value_without_a_label_is_shown_as_it_is(self) -> None:
        template = Template('{% load qf_labels %}{{ job|choice_label:"status" }}')
        self.assertEqual(template.render(Context({"job": Job(status="odd")})), "odd")
