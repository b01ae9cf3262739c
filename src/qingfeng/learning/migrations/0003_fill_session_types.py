"""The study types of the campaign with their cadence (configurable afterwards)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

TYPES = [
    # code, name, cadence, minimum, audience, first item required, alert working days
    ("first_item", "第一议题", "per_meeting", 1, "leaders", False, 0),
    ("committee", "党委（党组）会议", "free", 1, "leaders", True, 0),
    ("center_group", "中心组专题研学", "monthly", 1, "leaders", False, 5),
    ("reading_class", "作风建设读书班", "free", 1, "leaders", False, 0),
    ("general_meeting", "支部党员大会", "quarterly", 1, "party", False, 10),
    ("branch_committee", "支委会", "monthly", 1, "committee", True, 5),
    ("group_meeting", "党小组会", "monthly", 1, "party", False, 5),
    ("party_lesson", "党课", "quarterly", 1, "party", False, 10),
    ("party_day", "主题党日", "monthly", 1, "party", False, 5),
    ("warning", "警示教育", "quarterly", 1, "all", False, 10),
    ("style_talk", "作风建设大家谈", "free", 1, "all", False, 0),
    ("all_staff", "全体教职工学习", "monthly", 1, "all", False, 5),
]


def fill(apps: Any, schema_editor: Any) -> None:
    SessionType = apps.get_model("learning", "SessionType")
    for order, (code, name, cadence, minimum, audience, first, alert) in enumerate(TYPES):
        SessionType.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "cadence": cadence,
                "minimum": minimum,
                "audience": audience,
                "first_item_required": first,
                "alert_workdays": alert,
                "sort_order": order * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("learning", "0002_search_index")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
